"""The journal: ``warcs/`` (source of truth) plus ``archive.db`` (its index), written in
that order.

Every state change goes WARC first: records are appended and fsynced, then indexed from the very
bytes written in one ``BEGIN IMMEDIATE`` transaction, then success is reported. A file closed
cleanly is continued by the next writer; files are sealed (SHA-256 recorded) when they reach
their size limit.

Recovery (:meth:`Journal.recover`, on every open) indexes only what a write of this store
can be proven to have made, and moves everything else out of the way:

* A file a writer died holding (``state`` open, no lock on it) may end in records that were
  fsynced but never indexed (a crash between the two; never acknowledged, but kept) and in
  a partial gzip member. Each writer marks every record it writes with an HMAC of the
  record's WARC headers (``WARC-Archive-Writer-MAC``; the headers hold the block digest)
  under a random key of its own, and records that key for each file it opens in
  ``<db>.writer-keys`` (fsynced, beside the index, never in ``warcs/`` nor in the index
  Datasette serves) before it writes to the file. An unindexed record is indexed only if
  its mark verifies under a key recorded for that file: bytes appended by anything else
  cannot carry one. From the first record that is neither indexed nor marked, the tail
  is moved to ``warcs/quarantine/`` (``.partial`` for a cut member alone, ``.foreign`` when
  it holds well-formed records no acknowledged write made); such records found *before*
  an indexed one are left in place, unindexed, and reported (``verify --all`` fails on them).
  Records too large to encode in memory (``STREAM_OVER``) are written unmarked: an orphan
  of one is quarantined, not indexed (it was never acknowledged).
* A file closed cleanly, sealed or imported has a recorded size no acknowledged write went
  beyond (a writer that continues a closed file marks it open, durably, first): bytes past
  it are moved to ``warcs/quarantine/<file>.<offset>.foreign`` if the file up to that size
  is still what was indexed, else the file is left untouched and reported.
* A file in ``warcs/`` the index does not know is never indexed by recovery: one holding
  nothing but its ``warcinfo`` (a writer died registering it) is removed, any other is
  left for ``archive reindex`` or ``archive import`` and reported.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import sqlite3
import threading
import zipfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from archive.errors import StoreError, UsageError, WarcFormatError
from archive.index import offload, schema
from archive.index.db import open_db
from archive.index.gate import WritersGate, db_identity, replace_index
from archive.index.metadata import OWN_CHAIN_KEY, resolve_chains
from archive.index.rows import (
    CAPTURE_TYPES,
    INDEXED_TYPES,
    fixity_of,
    RowBatch,
    index_record,
    record_file,
    record_issues,
    repeat_key,
)
from archive.storage import Blob, default_staging, is_remote
from archive.storage.local import CopyInProgress
from archive.times import iso_date, utcnow, warc_date
from archive.urls import canonical_url
from archive.warc.digests import check_digest, file_sha256, has_writer_mark
from archive.warc.reader import Found, Problem, _iter_gzip, iter_records, sniff, sniff_bytes
from archive.warc.record import ParsedRecord, http_head_end, load_record, parse_record
from archive.warc.writer import (
    DEFAULT_MAX_SIZE,
    STORE_SUFFIXES,
    WarcStore,
    encode_records,
    fsync_dir,
    mark_record,
    new_record_id,
)

ARCHIVE_SUFFIXES = STORE_SUFFIXES
STREAM_OVER = 16 * 1024 * 1024   # records larger than this are streamed, not encoded in memory
INDEX_WINDOW = 64                # records read ahead of indexing, to look their ids up at once
ROW_BATCH = 256                  # capture rows written with one executemany
COMMIT_EVERY = 20_000            # records of a file indexed per transaction
# SQLite's page cache while a file is indexed (its default is 2 MB): the B-trees keyed by
# hashes and URLs take inserts all over, and with 2 MB of them in memory a 20,000-page
# import read 135,000 pages and wrote 173,000; with 8 MB, 29,000 and 71,000.
IMPORT_CACHE_KIB = 8192

_Self = TypeVar("_Self", bound="Journal")   # so that ``with Store(...) as s`` gives a Store


class Journal:
    """The write path of an archive: append records durably, then index them; recover
    after a crash; import and reindex whole files; read payloads back by pointer.

    Side effects (clock, record ids) are injectable. It knows nothing of the ledger or
    of extraction: :class:`archive.store.Store` composes those on top of it.
    """

    #: Called as ``on_progress(file name, bytes read, file size)`` while a file is indexed
    #: (import, reindex), so a command can show a progress bar; None: nothing is reported.
    on_progress: "Callable[[str, int, int], None] | None" = None

    def __init__(
        self,
        db_path: str | Path = "archive.db",
        warcs_dir: str | Path = "warcs",
        clock: Callable[[], datetime] = utcnow,
        id_factory: Callable[[], str] = new_record_id,
        max_file_size: int = DEFAULT_MAX_SIZE,
        recover: bool = True,
        readonly: bool = False,
        staging: str | Path | None = None,
    ):
        """``readonly`` opens the index with ``mode=ro`` and writes nothing (for Datasette
        and audits of a store on read-only storage); writing methods then fail.

        ``warcs_dir`` may be ``s3://bucket/prefix``: files are then written in the local
        ``staging`` directory (default :func:`archive.storage.default_staging`), uploaded
        when sealed, and read back from the bucket by byte range."""
        self.db_path = Path(db_path)
        self.location = str(warcs_dir)
        self.remote = None
        if is_remote(self.location):
            from archive.storage.s3 import S3Backend

            self.remote = S3Backend(self.location)
            staging = staging or os.environ.get("ARCHIVE_STAGING")
            warcs_dir = Path(staging) if staging else default_staging(self.location)
        self.warcs_dir = Path(warcs_dir)
        self.clock = clock
        self.id_factory = id_factory
        self.readonly = readonly
        self._lock = threading.RLock()
        self._jobs: list[_IndexJob] = []       # written records waiting to be indexed
        self._jobs_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._replaced: list[sqlite3.Connection] = []   # connections to an index swapped out
        self.gate = WritersGate(self.db_path)
        # This process's mark on every record it writes (see the module docstring).
        self.writer_key = secrets.token_bytes(32)
        self.keys_path = Path(str(self.db_path) + ".writer-keys")
        if readonly:
            if not self.db_path.exists():
                raise StoreError(f"{self.db_path} does not exist")
            self.conn = schema.connect(self.db_path, readonly=True)
            recover = False
        else:
            self.conn = open_db(self.db_path)
        self._db = db_identity(self.db_path)
        self.warcs = WarcStore(self.warcs_dir, max_size=max_file_size, clock=clock,
                               id_factory=id_factory, on_open=self._file_opened,
                               on_seal=self._file_sealed, on_close=self._file_closed,
                               adoptable=self._adoptable_file, remote=self.remote)
        self.seal_listeners: list[Callable[[str, str, int], None]] = []
        # Files of warcs/ whose stored bytes this process hashed: name -> (size, mtime_ns,
        # sha256). The ledger vouches for such a file without reading it again as long
        # as its size and mtime are unchanged.
        self.hashed_files: dict[str, tuple[int, int, str]] = {}
        self.recovered: list[dict] = []
        self.recovered_files: list[str] = []   # files a dead writer held, repaired on open
        if recover:
            self.recovered = self.recover()
            if self.remote is not None:
                self.recovered += offload.upload_sealed(self)

    # -- transactions -----------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writers' gate (:mod:`archive.index.gate`) for a write; if the index
        was swapped since this journal opened it, write to the new one."""
        if self.readonly:   # writes fail on their own; a read-only store gets no lock file
            yield
            return
        with self.gate.shared(on_enter=self._follow_swap):
            yield

    def _follow_swap(self) -> None:
        now = db_identity(self.db_path)
        if now is None or now == self._db or self.readonly:
            return
        # Other threads of this process may still be reading through the old connection:
        # it is kept open until close().
        self._replaced.append(self.conn)
        self.conn = open_db(self.db_path)
        self._db = now

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.writing(), self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold this journal's writer lock (the ledger holds it from reading its head to
        indexing the entries it appends)."""
        with self._lock:
            yield

    def read_db(self) -> sqlite3.Connection:
        """A read connection of this thread's own: in WAL mode reads need no lock and
        see every committed capture."""
        conn = getattr(self._local, "reader", None)
        now = db_identity(self.db_path)
        if conn is not None and getattr(self._local, "db", None) != now:
            conn = None   # the index was swapped (reindex): read the new one
        if conn is None:
            conn = self._local.reader = schema.connect(self.db_path, readonly=True)
            self._local.db = now
            self._readers.append(conn)
        return conn

    def close(self) -> None:
        for conn in self._readers + self._replaced:
            conn.close()
        if not self.readonly:
            # Closed cleanly, not sealed: the next process continues this file instead
            # of starting one per command; files are sealed when they reach max size.
            # With a bucket, sealed now: a file reaches the bucket (and other machines)
            # when the command that wrote it ends.
            self.warcs.close(seal=self.remote is not None)
        self.conn.close()
        self.gate.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _file_opened(self, name: str, created_at: str) -> None:
        """A writer took the file: a new one (after its warcinfo), or one continued.

        Both the writer's key and the file's ``open`` state are on disk before the
        first record goes in: recovery trusts the tail of an open file only under
        that key, and no tail at all of a closed one."""
        size = self.warcs.path_of(name).stat().st_size
        self._record_writer_key(name)
        with self._lock:
            # synchronous=NORMAL would let a power cut undo this commit while the records
            # appended after it survive; this one commit waits for the disk.
            self.conn.execute("PRAGMA synchronous=FULL")
            try:
                with self.transaction() as conn:
                    conn.execute("INSERT OR IGNORE INTO warc_files (name, created_at, size, records, origin) "
                                 "VALUES (?, ?, ?, 1, 'capture')", (name, iso_date(created_at), size))
                    conn.execute("UPDATE warc_files SET state='open' WHERE name=?", (name,))
            finally:
                self.conn.execute("PRAGMA synchronous=NORMAL")

    def _record_writer_key(self, name: str) -> None:
        created = not self.keys_path.exists()
        fd = os.open(self.keys_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{name} {self.writer_key.hex()}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            dfd = os.open(self.keys_path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def writer_keys(self) -> dict[str, list[bytes]]:
        """The keys recorded for each file: those of every writer that opened it."""
        keys: dict[str, list[bytes]] = {}
        try:
            text = self.keys_path.read_text("ascii", "replace")
        except OSError:
            return keys
        for line in text.splitlines():
            name, _, key = line.partition(" ")
            try:
                keys.setdefault(name, []).append(bytes.fromhex(key))
            except ValueError:
                continue   # a line cut by a crash
        return keys

    def _file_closed(self, name: str, size: int) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE warc_files SET state='closed', size=? WHERE name=?", (size, name))

    def _adoptable_file(self) -> tuple[str, int] | None:
        """The newest file a writer of this index closed cleanly, to continue. Only one of
        ours: a directory shared by several capture machines holds files another machine
        closed (and will continue), indexed here by a reindex."""
        mine = self.writer_keys()
        for row in self.conn.execute(
                "SELECT name, size FROM warc_files WHERE origin='capture' AND state='closed' "
                "AND sealed_at IS NULL ORDER BY name DESC LIMIT 16"):
            if row["name"] in mine:
                return (row["name"], row["size"])
        return None

    def _file_sealed(self, name: str, sha256: str, size: int) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE warc_files SET sealed_at=?, sha256=?, size=?, state='sealed' WHERE name=?",
                         (iso_date(warc_date(self.clock())), sha256, size, name))
        for listener in self.seal_listeners:
            listener(name, sha256, size)
        if self.remote is not None:
            offload.upload_sealed(self)

    def append(self, records: list, expected_size: int = 0) -> list[dict]:
        """Append records durably, then index them; returns the capture rows written.

        Records are encoded by the calling thread, written under the file lock and
        fsynced with any batches written alongside (group commit); only then are they
        indexed, from the very bytes written. Records larger than ``STREAM_OVER`` are
        streamed to the file instead and read back to be indexed.
        """
        with self.writing():   # no index is swapped in between the append and its indexing
            return self._append(records, expected_size)

    def _append(self, records: list, expected_size: int) -> list[dict]:
        parsed: list[object]
        if expected_size > STREAM_OVER:
            for rec in records:
                mark_record(rec, self.writer_key)
            with self._lock:
                pointers = self.warcs.append(records, expected_size=expected_size)
                parsed = [None] * len(pointers)
        else:
            encoded = encode_records(records, mac_key=self.writer_key)
            pointers = self.warcs.append_encoded(encoded)
            # Parsed and hashed here, by each capturing thread, not by whichever thread
            # holds the lock to index a group; requests and warcinfo give no rows.
            parsed = [_parsed(e.raw, p) if e.record_type in INDEXED_TYPES else _NO_ROWS
                      for e, p in zip(encoded, pointers)]
        return self._index_written(_IndexJob(pointers, parsed))

    def _index_written(self, job: "_IndexJob") -> list[dict]:
        """Index records already durable, in one transaction with those of any other
        threads waiting to do the same (group commit, as for the fsync).

        Concurrent captures queue their jobs; whichever thread gets the store lock first
        indexes every job queued by then (:meth:`_index_jobs`) and commits once. Eight capture threads then write the
        shared index pages once per group instead of once per page captured.
        """
        with self._jobs_lock:
            self._jobs.append(job)
        with self._lock:
            if not job.done.is_set():
                with self._jobs_lock:
                    jobs, self._jobs = self._jobs, []
                self._index_jobs(jobs)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.rows

    def _index_jobs(self, jobs: list["_IndexJob"]) -> None:
        """Index ``jobs`` in one transaction: each job's rows are built on their own (a
        job that fails to build fails alone), then all are written with one statement
        per table, so the group costs the same few SQL calls as a single job."""
        conn = self.conn
        rows = RowBatch(conn)
        ends: dict[str, list[int]] = {}   # file -> [end of the last record, records]
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for job in jobs:
                    mine = RowBatch(conn)
                    try:
                        job.rows = self._index_job(conn, job, mine)
                    except Exception as exc:   # this job fails; the others go on
                        job.error = exc
                        continue
                    rows.extend(mine)
                    last = job.pointers[-1]
                    end = ends.setdefault(last.warc_file, [0, 0])
                    end[0] = max(end[0], last.offset + last.length)
                    end[1] += len(job.pointers)
                rows.flush()
                # max(): with group commit, batches of one file may be indexed out of order.
                conn.executemany("UPDATE warc_files SET size=max(size, ?), records=records+? WHERE name=?",
                                 [(end, n, name) for name, (end, n) in ends.items()])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except BaseException as exc:
            for job in jobs:
                if job.error is None:
                    job.error = exc if isinstance(exc, Exception) else StoreError(f"indexing stopped: {exc!r}")
            raise
        finally:
            for job in jobs:
                job.done.set()

    def _index_job(self, conn: sqlite3.Connection, job: "_IndexJob", rows: RowBatch) -> list[dict]:
        out = []
        for p, rec in zip(job.pointers, job.records):
            if rec is None:
                rec = load_record(self.warcs.source(p.warc_file), p.offset, p.length)
            row = None if rec is _NO_ROWS else index_record(conn, p.warc_file, p.offset, p.length, rec, rows)
            out.append(row or {"record_id": p.record_id, "warc_file": p.warc_file,
                               "offset": p.offset, "length": p.length})
        return out

    def recover(self) -> list[dict]:
        """Index orphan records a write of this store made, and move partial tails and
        records no acknowledged write made to ``warcs/quarantine/`` (see the module
        docstring). Only files no live process holds open are touched. Returns what
        was done, one dict per file."""
        with self.writing():
            return self._recover()

    def _recover(self) -> list[dict]:
        report = []
        known = {r["name"]: r for r in self.conn.execute("SELECT * FROM warc_files")}
        keys = self.writer_keys()
        for name in self.warcs.list_files():
            row = known.get(name)
            path = self.warcs.path_of(name)
            size = path.stat().st_size
            if row is not None and row["size"] == size and (
                    row["sealed_at"] or row["state"] == "closed" or row["origin"] == "import"):
                continue  # finished, or closed cleanly, and untouched since
            if self.warcs.is_locked(name):
                continue
            if row is None:
                done = self._recover_unknown(name, path, size)
            elif row["sealed_at"] or row["state"] in ("closed", "sealed") or row["origin"] == "import":
                if size < (row["size"] or 0):
                    done = {"file": name, "problem": f"file is shorter ({size}) than indexed ({row['size']})"}
                else:
                    done = self._cut_foreign_tail(name, path, row["size"] or 0, size)
            else:
                indexed = row["size"] or 0
                if indexed > size:
                    report.append({"file": name, "problem": f"file is shorter ({size}) than indexed ({indexed})"})
                    continue
                # From the start: with group commit, batches may have been indexed out of
                # order, so the indexed size does not prove everything before it is indexed.
                done = self._recover_file(name, path, size, row, keys.get(name, []))
                if path.exists():
                    self.recovered_files.append(name)
            if done:
                report.append(done)
        return report

    def _indexed_offsets(self, name: str) -> set[int]:
        """Where records of ``name`` are indexed: captures, citations, ledger entries."""
        out: set[int] = set()
        for table in ("captures", "citations", "ledger", "ledger_heads"):
            try:
                out.update(r[0] for r in self.conn.execute(
                    f"SELECT offset FROM {table} WHERE warc_file=?", (name,)))
            except sqlite3.OperationalError:
                continue   # a table this index does not have
        return out

    def _recover_file(self, name: str, path: Path, size: int, known_row: sqlite3.Row,
                      keys: list[bytes]) -> dict | None:
        """Index the marked orphans of a file a writer died holding, move its tail from
        the first record it cannot vouch for to quarantine, and leave it closed."""
        legacy = known_row["state"] is None   # indexed before writers marked their records
        indexed_at = self._indexed_offsets(name)
        good_end = 0
        records = indexed = 0
        unproven: list[int] = []       # complete records no one vouches for, after good_end
        left: list[int] = []           # such records followed by vouched ones: left in place
        if size > 0 and path.name.endswith(".gz"):
            with self._lock, open(path, "rb") as f, self.transaction() as conn:
                items = _iter_gzip(f, str(path), 0)
                for item in items:
                    if not isinstance(item, Found):
                        break
                    rec = item.record
                    known = item.offset in indexed_at
                    ours = known or legacy or (item.offset == 0 and rec.record_type == "warcinfo") \
                        or (has_writer_mark(keys, rec.warc_headers) and fixity_of(rec) != "failed"
                            and not self._indexed_elsewhere(rec, name, item.offset))
                    if not ours:
                        unproven.append(item.offset)
                        continue
                    if not known:
                        if index_record(conn, name, item.offset, item.length, rec) is not None:
                            indexed += 1
                    records += 1
                    good_end = item.offset + item.length
                    left.extend(unproven)
                    unproven = []
                items.close()   # its reader threads stop before f closes
                if good_end:
                    record_file(conn, name, good_end, records, "capture", known_row["created_at"])
        quarantined = None
        if good_end < size:
            quarantined = self._quarantine(path, good_end, size, "foreign" if unproven else "partial")
        out = {"file": name, "orphans_indexed": indexed, "quarantined": quarantined}
        if unproven:
            out["foreign"] = len(unproven)
        if left:
            out["problem"] = (f"{len(left)} records no acknowledged write made (first at byte {left[0]}) "
                              "were left in place, not indexed")
            out["unproven_offsets"] = left[:20]
        if good_end == 0:
            # Not even the warcinfo survived: nothing of this file was ever acked.
            with self.transaction() as conn:
                conn.execute("DELETE FROM warc_files WHERE name=?", (name,))
            path.unlink(missing_ok=True)
            out["removed"] = True
            return out
        # Repaired and complete: closed, so a later writer may continue it.
        self._file_closed(name, path.stat().st_size)
        return out if (indexed or quarantined or left) else None

    def _indexed_elsewhere(self, rec: ParsedRecord, name: str, offset: int) -> bool:
        """A marked record whose id is indexed at another place: a copy of one of ours."""
        row = self.conn.execute("SELECT warc_file, offset FROM captures WHERE record_id=?",
                                (rec.record_id,)).fetchone()
        return row is not None and (row[0], row[1]) != (name, offset)

    def _cut_foreign_tail(self, name: str, path: Path, end: int, size: int) -> dict:
        """Bytes past the recorded end of a closed, sealed or imported file: no
        acknowledged write put them there. Moved to quarantine if the file up to ``end``
        is still what was indexed (records at every indexed offset, a record ending
        exactly at ``end``); otherwise the file was altered inside and is left as it is."""
        indexed_at = self._indexed_offsets(name)
        seen: set[int] = set()
        boundary = end == 0
        foreign = 0
        with open(path, "rb") as f:
            items = _iter_gzip(f, str(path), 0) if path.name.endswith(".gz") else iter(())
            try:
                for item in items:
                    if not isinstance(item, Found):
                        break
                    if item.offset < end:
                        seen.add(item.offset)
                        boundary = boundary or item.offset + item.length == end
                    else:
                        foreign += 1
            finally:
                getattr(items, "close", lambda: None)()   # its reader threads stop before f closes
        if not boundary or not indexed_at <= seen:
            return {"file": name, "problem": f"altered after it was closed: {size - end} bytes more than "
                    "the index recorded, and its indexed records are no longer where they were; "
                    "left untouched (see `archive verify --all`)"}
        target = self._quarantine(path, end, size, "foreign" if foreign else "partial")
        return {"file": name, "orphans_indexed": 0, "quarantined": target, "foreign": foreign}

    def _recover_unknown(self, name: str, path: Path, size: int) -> dict | None:
        """A file of ``warcs/`` the index does not know: a writer that died before
        registering it leaves one holding only its warcinfo, removed here; anything else
        no write of this store acknowledged, so it is left for reindex or import."""
        with open(path, "rb") as f:
            items = _iter_gzip(f, str(path), 0) if path.name.endswith(".gz") else iter(())
            found = []
            try:
                for item in items:
                    if isinstance(item, Found):
                        found.append(item.record.record_type)
                    if len(found) > 1:
                        break
            finally:
                getattr(items, "close", lambda: None)()
        if found in ([], ["warcinfo"]):
            path.unlink(missing_ok=True)
            return {"file": name, "orphans_indexed": 0, "quarantined": None, "removed": True}
        return {"file": name, "problem": "not in the index and not written by an acknowledged write of this "
                "store: nothing of it is indexed (`archive reindex` takes in every file of warcs/, "
                "`archive import` copies one in)"}

    def _quarantine(self, path: Path, start: int, size: int, kind: str = "partial") -> str:
        """Move bytes ``start``..end of a file to ``warcs/quarantine/<file>.<start>.<kind>``."""
        qdir = self.warcs_dir / "quarantine"
        qdir.mkdir(exist_ok=True)
        target = qdir / f"{path.name}.{start}.{kind}"
        with open(path, "rb") as src, open(target, "wb") as dst:
            src.seek(start)
            shutil.copyfileobj(src, dst)
            dst.flush()
            os.fsync(dst.fileno())
        with open(path, "r+b") as f:
            f.truncate(start)
            f.flush()
            os.fsync(f.fileno())
        return str(target)

    def import_path(self, path: str | Path) -> dict:
        """Copy a WARC/ARC (or the WARCs inside a WACZ) into the store and index it; or,
        for the store's own ``s3://`` location, index in place what any machine wrote there."""
        with self.writing():   # a reindex waits for the file to be in, then takes it in too
            return self._import_path(path)

    def _import_path(self, path: str | Path) -> dict:
        if is_remote(str(path)):
            return offload.import_bucket(self, str(path))
        path = Path(path)
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
        kind = sniff(path)
        if kind == "wacz":
            return self._import_wacz(path)
        if kind == "unknown":
            raise WarcFormatError("not a WARC, ARC or WACZ file", str(path), 0)
        return self._import_archive_file(path, str(path))

    def _import_archive_file(self, path: Path, shown: str) -> dict:
        suffix = {"warc.gz": ".warc.gz", "warc": ".warc", "arc": ".arc", "arc.gz": ".arc.gz"}[sniff(path)]
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.name)[:60].strip("._") or "file"
        for s in ARCHIVE_SUFFIXES:
            if stem.endswith(s.replace(".", "_")) or stem.endswith(s):
                stem = stem[: -len(s)]
        self.warcs_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_copies(self.warcs_dir)
        # The name holds the hash of the file; the copy is indexed as it is made (its
        # writes overlap the indexing) and must hash to the same before it is stored.
        sha = file_sha256(path)
        name = f"import-{sha[:16]}-{stem}{suffix}"
        # The same bytes under another name (a WARC, then the same WARC inside a WACZ)
        # are one file: storing them twice would duplicate every record id.
        same = sorted(self.warcs_dir.glob(f"import-{sha[:16]}-*"))
        if same:
            name = same[0].name
        already = self.warcs.path_of(name).exists()
        if already:
            result = self._index_file(name, origin="import", sha256=sha)
        else:
            tmp = self.warcs_dir / f".import-{os.getpid()}-{threading.get_ident()}.tmp"
            tmp.unlink(missing_ok=True)
            copy = CopyInProgress(path, tmp, self.warcs.path_of(name))
            try:
                result = self._index_file(name, origin="import", sha256=sha, copy=copy)
            finally:
                copy.close()
                tmp.unlink(missing_ok=True)
        if result["records"] == 0 and not already:
            # Nothing readable in it: rejected input does not stay in the store (a sparse
            # file claiming 2 GiB, a bomb whose only record was refused). Its problems stay
            # listed in import_errors and in the result.
            with self.transaction() as conn:
                conn.execute("DELETE FROM warc_files WHERE name=?", (name,))
            self.hashed_files.pop(name, None)
            self.warcs.path_of(name).unlink(missing_ok=True)
            result.update(path=shown, stored_as=None, already_imported=False, rejected=True)
            return result
        with self._cache_size(IMPORT_CACHE_KIB):   # the ledger's index of subjects takes inserts all over too
            self._imported(name)
        result["path"] = shown
        result["stored_as"] = name
        result["already_imported"] = already
        return result

    def _import_wacz(self, path: Path) -> dict:
        results = []
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise WarcFormatError(f"not a valid WACZ/zip file ({exc})", str(path), 0) from None
        with zf:
            members = [m for m in zf.infolist()
                       if m.filename.startswith("archive/") and not m.is_dir()
                       and m.filename.lower().endswith(ARCHIVE_SUFFIXES)]
            if not members:
                raise WarcFormatError("WACZ holds no archive/*.warc(.gz) files", str(path), 0)
            # Every member is checked before any is imported: a package with one bad
            # member is refused whole, with nothing indexed and nothing left in warcs/.
            for m in members:
                _check_wacz_member(zf, m, path)
            self.warcs_dir.mkdir(parents=True, exist_ok=True)
            for m in members:
                # The member name never becomes a path: we copy to a temp file of our own.
                tmp = self.warcs_dir / f".wacz-{os.getpid()}-{threading.get_ident()}.tmp"
                try:
                    with zf.open(m) as src, open(tmp, "wb") as dst:
                        # Streamed, and never more than the member declares (zipfile stops
                        # there and checks the CRC): the size checked above is the bound.
                        shutil.copyfileobj(src, dst, 1 << 20)
                    # Bounded and hashed: a hostile member name can neither escape the
                    # store nor exceed the file system's name limit.
                    leaf = re.sub(r"[^A-Za-z0-9._-]+", "_", m.filename.rsplit("/", 1)[-1])[-100:]
                    tag = hashlib.sha256(m.filename.encode("utf-8", "surrogateescape")).hexdigest()[:16]
                    named = tmp.with_name(f".wacz-{tag}-{leaf}")
                    os.replace(tmp, named)
                    try:
                        results.append(self._import_archive_file(named, f"{path}!{m.filename}"))
                    finally:
                        named.unlink(missing_ok=True)
                finally:
                    tmp.unlink(missing_ok=True)
        return {"path": str(path), "records": sum(r["records"] for r in results),
                "errors": [e for r in results for e in r["errors"]],
                "warnings": [w for r in results for w in r["warnings"]], "files": results}

    def _index_file(self, name: str, origin: str, sha256: str | None = None,
                    copy: CopyInProgress | None = None) -> dict:
        """Index the records of ``name`` in one transaction (committed every 5,000
        records). With ``copy``, the file is being copied into ``warcs/`` under a temporary
        name: its records are read from the copy as it is made, and the copy, fsynced and
        found to hash to ``sha256``, takes its name before the index commits."""
        path: Blob = copy if copy is not None else self.warcs.source(name)
        errors: list[dict] = []
        warnings: list[dict] = []
        records = 0
        good_end = 0
        batch = 0
        now = iso_date(warc_date(self.clock()))

        try:
            size = path.size()
        except Exception:  # a source that cannot say its size: progress without a total
            size = 0

        def problem(kind: str, offset: int, reason: str) -> None:
            (errors if kind == "error" else warnings).append({"offset": offset, "reason": reason})
            if kind == "error":
                self.conn.execute("INSERT INTO import_errors VALUES (?, ?, ?, ?)", (name, offset, reason, now))

        with self._lock, self._cache_size(IMPORT_CACHE_KIB):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                rows = RowBatch(self.conn)
                seen = _SeenIds(self.conn)
                for window in _windows(iter_records(path), INDEX_WINDOW):
                    indexed = self._indexed_at(window)
                    seen_ids = seen.lookup(window)
                    for item in window:
                        if isinstance(item, Problem):
                            problem("error", item.offset, item.reason)
                            continue
                        records += 1
                        good_end = max(good_end, item.offset + item.length)
                        rec = item.record
                        for w in item.warnings:
                            problem("warning", item.offset, w)
                        rid = rec.record_id
                        key = None
                        is_capture = rec.record_type in CAPTURE_TYPES
                        repeated = rid in seen_ids
                        if not repeated:
                            seen_ids[rid] = item.offset
                        other = indexed.get(rid) if is_capture else None
                        taken = other is not None and other[:2] != (name, item.offset)
                        if is_capture and (repeated or taken):
                            rows.flush()
                            same = self._same_record_elsewhere(rid, name, _block_sha256(rec))
                            if same is not None:
                                problem("warning", item.offset,
                                        f"the same record {rid} is already indexed from {same[0]} at byte "
                                        f"{same[1]} (the same crawl imported twice?); kept in the file, "
                                        "indexed once")
                                continue
                            key = repeat_key(rid, name, item.offset)
                        if repeated:
                            # wget (1.14 and older) repeats ids; the record is valid all the same.
                            problem("warning", item.offset,
                                    f"WARC-Record-ID {rid} repeats (first at byte {seen_ids[rid]}), a known "
                                    "wget bug; the record is kept" + (f" and indexed as {key}" if key else ""))
                        elif key:
                            problem("warning", item.offset,
                                    f"WARC-Record-ID {rid} is also the id of a different record in "
                                    f"{other[0] if other else '?'} at byte {other[1] if other else '?'}; "
                                    f"the record is kept and indexed as {key}")
                        row = index_record(self.conn, name, item.offset, item.length, rec, rows, key=key)
                        for kind, reason in record_issues(rec, row["fixity"] if row else None):
                            problem(kind, item.offset, reason)
                    seen.add(window)
                    if len(rows) >= ROW_BATCH:
                        rows.flush()
                    if self.on_progress is not None:
                        self.on_progress(name, good_end, size)
                    batch += len(window)
                    if batch >= COMMIT_EVERY:  # keep transactions large but bounded
                        rows.flush()
                        self.conn.execute("COMMIT")
                        self.conn.execute("BEGIN IMMEDIATE")
                        batch = 0
                rows.flush()
                if copy is not None:
                    self._store_copy(copy, name, sha256)
                    path = self.warcs.source(name)
                self._resolve_by_digest(name)
                resolve_chains(self.conn)   # entries of this file that link to ones indexed before
                # An imported file is taken whole (its seal is the hash of all of it); one
                # of ours ends where its last complete record does: bytes after that are
                # a write never acknowledged (recovery quarantines them).
                size = path.size() if origin == "import" else good_end
                self.conn.execute(
                    "INSERT INTO warc_files (name, created_at, size, records, origin, sealed_at, sha256, state) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET size=excluded.size, "
                    "records=excluded.records",
                    (name, iso_date(warc_date(self.clock())), size, records, origin,
                     iso_date(warc_date(self.clock())), sha256 or file_sha256(path), "sealed"))
                seen.close()
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        return {"path": name, "records": records, "errors": errors, "warnings": warnings}

    @contextmanager
    def _cache_size(self, kib: int) -> Iterator[None]:
        """SQLite's page cache at ``kib`` KiB for a while, then as it was."""
        before = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute(f"PRAGMA cache_size=-{int(kib)}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA cache_size={int(before)}")

    def _store_copy(self, copy: CopyInProgress, name: str, sha256: str | None) -> None:
        """Give a finished copy its name in ``warcs/``, durably, if it holds the bytes that
        were hashed to name it (else the file changed while it was imported)."""
        copied = copy.finish()
        if copied != sha256:
            raise StoreError(f"{copy.stored_as.name}: the file changed while it was imported "
                             "(its bytes no longer hash to what they did); nothing was imported, "
                             "import it again once it is complete")
        target = self.warcs.path_of(name)
        os.replace(copy.path, target)
        fsync_dir(target.parent)
        st = target.stat()
        self.hashed_files[name] = (st.st_size, st.st_mtime_ns, copied)

    def _same_record_elsewhere(self, record_id: str, name: str, block_sha256: str) -> tuple[str, int] | None:
        """Where another file's copy of this very record (same id, same block) is indexed,
        under its id or the key of a repeated id (:func:`repeat_key`)."""
        inner = record_id.strip().strip("<>")
        row = self.conn.execute(
            "SELECT warc_file, offset FROM captures WHERE block_sha256=? AND warc_file!=? "
            "AND (record_id=? OR substr(record_id, 1, ?)=?) LIMIT 1",
            (block_sha256, name, record_id, len(inner) + 2, f"<{inner}#")).fetchone()
        return (row[0], row[1]) if row else None

    def _indexed_at(self, items: list) -> dict[str, tuple[str, int, str]]:
        """Where the index already holds the captures among ``items``: record id -> (file,
        offset, block SHA-256). One query for a window of records instead of one per record."""
        ids = [i.record.record_id for i in items if isinstance(i, Found)
               and i.record.record_type in CAPTURE_TYPES]
        found: dict[str, tuple[str, int, str]] = {}
        for k in range(0, len(ids), 500):
            part = ids[k:k + 500]
            marks = ",".join("?" * len(part))
            for rid, file, offset, block in self.conn.execute(
                    f"SELECT record_id, warc_file, offset, block_sha256 FROM captures "
                    f"WHERE record_id IN ({marks})", part):
                found[rid] = (file, offset, block)
        return found

    def _imported(self, name: str) -> None:
        """Called once an imported file ``name`` is indexed (the store vouches for it)."""

    def extracted(self, texts: list[dict]) -> None:
        """Called once extractions are stored (:mod:`archive.index.versions`), with what each
        gave: ``snapshot_sha256``, ``text_sha256``, ``extractor_version`` and the digest of
        the text's rows, ``rows_sha256``. The store has the ledger vouch for them; a bare
        journal (a scratch index being built) vouches for nothing."""

    def reindex(self, after: Callable[["Journal"], None] | None = None) -> dict:
        """Rebuild the index from ``warcs/`` into a new database, then swap it in.

        ``after`` runs on the new index before the swap (the store extracts texts there)."""
        tmp = self.db_path.with_name(f".{self.db_path.name}.rebuild-{os.getpid()}")
        before = self._written_state()
        counts = self.build_index(tmp, after)
        # Other processes may have written while it was built (a capture, a drainer's
        # texts, their ledger entries): with every writer held at the gate, a store that
        # changed meanwhile is built again, so that nothing written is left out and no
        # writer goes on from a ledger head the new index does not have.
        with self.gate.alone(), self._lock:
            if self._written_state() != before:
                counts = self.build_index(tmp, after)
            self.conn.close()
            replace_index(tmp, self.db_path)
            self.conn = open_db(self.db_path)
            self._db = db_identity(self.db_path)
        return counts

    def _written_state(self) -> tuple[dict[str, int], list[tuple]]:
        """What a write changes and a build takes in: the size of every file of the local
        ``warcs/``, and what the index knows of each file that its bytes do not say (its
        seal, its state, which ledger chain is this index's own)."""
        sizes = {}
        for name in self.warcs.list_files():
            try:
                sizes[name] = self.warcs.path_of(name).stat().st_size
            except OSError:
                continue
        known = [tuple(r) for r in self.conn.execute(
            "SELECT name, sealed_at, sha256, state FROM warc_files ORDER BY name")]
        known += [tuple(r) for r in self.conn.execute("SELECT key, value FROM _meta WHERE key=?",
                                                      (OWN_CHAIN_KEY,))]
        return sizes, known

    def build_index(self, target: Path, after: Callable[["Journal"], object] | None = None,
                    keep: Callable[[str], bool] | None = None) -> dict:
        """Index every file of ``warcs/`` (those ``keep`` keeps) into a new database at
        ``target`` (replaced if it exists) and leave it there: :meth:`reindex` swaps it
        in, the audit compares it with the live index row by row (leaving out the files
        other writers put in a shared bucket that this index has not imported).
        Only the seals, creation times and states of our own files are taken from the
        live index (a file's seal is checked against the ledger, not re-derived)."""
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        fresh = Journal(target, self.location, clock=self.clock, id_factory=self.id_factory, recover=False,
                        staging=self.warcs_dir)
        fresh.on_progress = self.on_progress
        try:
            names = [n for n in self.warcs.all_files() if keep is None or keep(n)]
            own = sorted(n for n in names if not n.startswith("import-"))
            # Our own files first in name (time) order, so originals precede revisits; then
            # imports in the order they were imported, so that where two imported files share
            # a record id the same one keeps the plain id (the other is keyed by file and
            # offset) and the citations naming either still resolve to the same bytes.
            for name in _chain(own, lambda: self._import_order(fresh, names, own)):
                origin = "import" if name.startswith("import-") else "capture"
                old = self.conn.execute("SELECT sealed_at, sha256, created_at, state, stored_at FROM warc_files "
                                        "WHERE name=?", (name,)).fetchone()
                fresh._index_file(name, origin)
                if self.remote is not None and not self.warcs.path_of(name).exists():
                    # Only sealed files reach the bucket: _index_file sealed it as read.
                    offload.mark_stored(fresh, name, old)
                elif origin == "capture":
                    with fresh.transaction() as conn:
                        state = old["state"] if old else "closed"
                        conn.execute("UPDATE warc_files SET sealed_at=?, sha256=?, created_at=?, state=? "
                                     "WHERE name=?",
                                     (old["sealed_at"] if old else None, old["sha256"] if old else None,
                                      old["created_at"] if old else None,
                                      "closed" if state == "open" and not self.warcs.is_locked(name) else state,
                                      name))
            with fresh.transaction() as conn:
                _resolve_revisits(conn)
                fresh._resolve_by_digest()
                # Which of the chains is this index's own is not in the WARC files: the
                # live index knows it (else the ledger finds it through writer-keys).
                own = self.conn.execute("SELECT value FROM _meta WHERE key=?", (OWN_CHAIN_KEY,)).fetchone()
                if own is not None:
                    conn.execute("INSERT OR REPLACE INTO _meta (key, value) VALUES (?, ?)", (OWN_CHAIN_KEY, own[0]))
            if after is not None:
                after(fresh)
            counts = {
                "captures": fresh.conn.execute("SELECT count(*) FROM captures").fetchone()[0],
                "citations": fresh.conn.execute("SELECT count(*) FROM citations").fetchone()[0],
                "files": len(names),
            }
            fresh.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            fresh.conn.close()
            Path(str(target) + ".extract-lock").unlink(missing_ok=True)
        return counts

    def _import_order(self, fresh: "Journal", names: list[str], own: list[str]) -> list[str]:
        """The imported files of ``names`` in the order they were first imported.

        Two imports may hold the same record ids (a WARC and its gzipped copy): the first
        one imported keeps the plain record ids, the later one's are keyed by file and offset. The
        order is read from the ledger entries sealing each import, which ``fresh`` has
        indexed from our own files; then the old index's order; then name order. Only our
        own files are indexed before this is asked, so ``fresh``'s ledger is complete
        for the order."""
        first: dict[str, int] = {}
        if own:
            for subject, seq in fresh.conn.execute(
                    "SELECT subject, min(seq) FROM ledger WHERE kind='seal' GROUP BY subject"):
                first[subject] = seq
        # The old index's order where the ledger is silent (an import it never sealed).
        rowid = {r[0]: r[1] for r in self.conn.execute(
            "SELECT name, rowid FROM warc_files WHERE origin='import'")}
        imported = [n for n in names if n.startswith("import-")]
        return sorted(imported, key=lambda n: (n not in first, first.get(n, 0), rowid.get(n, 1 << 62), n))

    def capture_row(self, record_id: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM captures WHERE record_id=?", (record_id,)).fetchone()

    def original_of(self, row: sqlite3.Row) -> sqlite3.Row:
        """The capture holding the payload bytes (a revisit's original), or ``row``."""
        return self.find_original(row)[0]

    def find_original(self, row: sqlite3.Row) -> tuple[sqlite3.Row, str]:
        """A revisit's original and how it was found, as pywb finds it: ``("refers_to")``
        by its ``WARC-Refers-To`` id, ``"payload_sha256"`` by the SHA-256 of the payload,
        or ``"digest"`` by the revisit's own ``WARC-Payload-Digest`` (any algorithm)
        among the captures of its URL whatever the scheme (an ``https://`` revisit of an
        ``http://`` capture). Anything else is ``(row, "self")``."""
        if row["record_type"] != "revisit":
            return row, "self"
        if row["refers_to"]:
            orig = self.capture_row(row["refers_to"])
            if orig is not None:
                return orig, "refers_to"
        if row["payload_sha256"]:
            snap = self.conn.execute("SELECT record_id FROM snapshots WHERE sha256=?",
                                     (row["payload_sha256"],)).fetchone()
            if snap:
                orig = self.capture_row(snap[0])
                if orig is not None:
                    return orig, "payload_sha256"
        orig = self._original_by_digest(row)
        if orig is not None:
            return orig, "digest"
        raise StoreError(f"revisit {row['record_id']} refers to a record that is not in the store")

    def _resolve_by_digest(self, warc_file: str | None = None) -> None:
        """Give revisits (of ``warc_file``, or all) that no id or SHA-256 ties to their
        original the payload SHA-256 of the capture their declared digest matches."""
        rows = self.conn.execute(
            "SELECT * FROM captures WHERE record_type='revisit' AND payload_sha256 IS NULL "
            "AND (? IS NULL OR warc_file=?)", (warc_file, warc_file)).fetchall()
        for row in rows:
            if row["refers_to"] and self.capture_row(row["refers_to"]) is not None:
                continue
            orig = self._original_by_digest(row)
            if orig is not None and orig["payload_sha256"]:
                self.conn.execute("UPDATE captures SET payload_sha256=? WHERE record_id=?",
                                  (orig["payload_sha256"], row["record_id"]))

    def _original_by_digest(self, row: sqlite3.Row) -> sqlite3.Row | None:
        """The capture of the revisit's URL (or its ``WARC-Refers-To-Target-URI``), http or
        https, whose payload matches the revisit's declared payload digest: the nearest
        before the revisit first, then any."""
        try:
            rec = load_record(self.warcs.source(row["warc_file"]), row["offset"], row["length"])
        except (WarcFormatError, StoreError):
            return None
        label, pages = digest_lookup(rec, row["url"])
        if not label or not pages:
            return None
        marks = ",".join("?" * len(pages))
        candidates = self.conn.execute(
            f"SELECT * FROM captures WHERE page_url IN ({marks}) AND record_type != 'revisit' "
            "ORDER BY captured_at > ?, abs(julianday(captured_at) - julianday(?)) LIMIT ?",
            (*pages, row["captured_at"], row["captured_at"], DIGEST_CANDIDATES)).fetchall()
        for cand in candidates:
            if payload_matches(self.warcs.source(cand["warc_file"]), cand, label):
                return cand
        return None

    def payload(self, key: str) -> tuple[bytes, sqlite3.Row]:
        """The payload of a record id or snapshot SHA-256, read by offset."""
        key = key.strip()
        row = self.capture_row(key) or self.capture_row(f"<{key.strip('<>')}>")
        if row is None and re.fullmatch(r"[0-9a-fA-F]{64}", key):
            snap = self.conn.execute("SELECT record_id FROM snapshots WHERE sha256=?", (key.lower(),)).fetchone()
            if snap:
                row = self.capture_row(snap[0])
        if row is None:
            raise UsageError(f"no capture or snapshot {key!r} in {self.db_path}")
        orig = self.original_of(row)
        rec = load_record(self.warcs.source(orig["warc_file"]), orig["offset"], orig["length"])
        return rec.payload, orig


_NO_ROWS = object()   # in an _IndexJob: a record index_record would write no row for


DIGEST_CANDIDATES = 50   # captures of a revisit's page tried for its declared digest, nearest first


def digest_lookup(rec: ParsedRecord, url: str | None) -> tuple[str | None, list[str]]:
    """What a revisit no id ties to its original is resolved by: its declared payload
    digest, and the pages (its URL and its ``WARC-Refers-To-Target-URI``, http and https)
    whose captures may hold that payload."""
    label = rec.header("WARC-Payload-Digest")
    pages: set[str] = set()
    for uri in (rec.header("WARC-Refers-To-Target-URI"), url):
        uri = (uri or "").strip().strip("<>")
        if uri.lower().startswith(("http://", "https://")):
            rest = uri.split("://", 1)[1]
            pages.update(canonical_url(f"{scheme}://{rest}") for scheme in ("http", "https"))
    return label, sorted(pages)


def payload_matches(source, cand, label: str) -> bool:
    """Does the capture ``cand`` (a row: warc_file, offset, length) in ``source`` hold the
    payload a revisit's digest ``label`` declares (its payload, or its body as sent)?"""
    try:
        orig = load_record(source, cand["offset"], cand["length"])
    except (WarcFormatError, StoreError):
        return False
    return bool(check_digest(label, orig.payload) or check_digest(label, _raw_http_body(orig)))


def _raw_http_body(rec: ParsedRecord) -> bytes | None:
    """The HTTP body as sent (transfer-coding kept), which some writers' digests cover."""
    if rec.http_status is None and not rec.http_headers:
        return None
    return rec.block[http_head_end(rec.block)[1]:]


def _block_sha256(rec: ParsedRecord) -> str:
    """The SHA-256 of a record's block, hashed once (the reader may have done it)."""
    if "block" not in rec.known_sha256:
        rec.known_sha256["block"] = hashlib.sha256(rec.block).hexdigest()
    return rec.known_sha256["block"]


def _parsed(raw: bytes, p) -> ParsedRecord:
    """A record just written, parsed from the bytes written, its block and payload hashed."""
    rec = parse_record(raw, p.warc_file, p.offset)
    rec.known_sha256["block"] = hashlib.sha256(rec.block).hexdigest()
    if rec.payload is not rec.block:
        rec.known_sha256["payload"] = hashlib.sha256(rec.payload).hexdigest()
    return rec


class _IndexJob:
    """Records of one ``write_records`` call, durable and waiting to be indexed: each
    parsed, ``_NO_ROWS`` for one that gives no row, or None for a record too large to
    hold (read back from the file)."""

    __slots__ = ("pointers", "records", "rows", "error", "done")

    def __init__(self, pointers: list, records: list) -> None:
        self.pointers = pointers
        self.records = records
        self.rows: list[dict] = []
        self.error: BaseException | None = None
        self.done = threading.Event()


# A WACZ member that inflates to more than this many times its stored size, and to more
# than WACZ_RATIO_FROM bytes, is a zip bomb: WARC text deflates about 5:1, gzipped WARCs
# (nearly always stored) about 1:1. Refused before a byte of it is written.
WACZ_MAX_RATIO = 100
WACZ_RATIO_FROM = 64 * 1024 * 1024


def _check_wacz_member(zf: zipfile.ZipFile, m: zipfile.ZipInfo, path: Path) -> None:
    """Raise :class:`WarcFormatError` unless WACZ member ``m`` reads as a WARC or ARC file
    of a plausible size (not a symbolic link, not a zip bomb, not garbage)."""
    import stat

    where = f"member {m.filename!r}"
    if stat.S_ISLNK(m.external_attr >> 16):
        raise WarcFormatError(f"{where} is a symbolic link, not a WARC file", str(path), m.header_offset)
    if m.file_size > WACZ_RATIO_FROM and m.file_size > WACZ_MAX_RATIO * max(m.compress_size, 1):
        raise WarcFormatError(f"{where} inflates from {m.compress_size} to {m.file_size} bytes "
                              "(a zip bomb); refused", str(path), m.header_offset)
    try:
        with zf.open(m) as src:
            head = src.read(4096)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise WarcFormatError(f"{where} cannot be read ({exc})", str(path), m.header_offset) from None
    if sniff_bytes(head) not in ("warc.gz", "warc", "arc", "arc.gz"):
        raise WarcFormatError(f"{where} is not a WARC or ARC file", str(path), m.header_offset)


def _remove_stale_copies(warcs_dir: Path) -> None:
    """Delete the half-made copies of imports whose process is gone (killed mid-copy)."""
    for tmp in warcs_dir.glob(".import-*.tmp"):
        try:
            pid = int(tmp.name.split("-")[1])
            os.kill(pid, 0)
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except (ValueError, IndexError, PermissionError):
            continue


def _chain(first: list[str], then: Callable[[], list[str]]) -> Iterator[str]:
    """``first``, then ``then()``, computed only once ``first`` is used up."""
    yield from first
    yield from then()


def _windows(items: Iterable, size: int, max_bytes: int = 1 << 20) -> Iterator[list]:
    """``items`` in lists of at most ``size`` records holding at most ``max_bytes`` of
    record blocks (and at least one record), so memory stays flat with large records."""
    window: list = []
    held = 0
    for item in items:
        window.append(item)
        held += len(item.record.block) if isinstance(item, Found) else 0
        if len(window) >= size or held >= max_bytes:
            yield window
            window, held = [], 0
    if window:
        yield window


class _SeenIds:
    """The record ids read so far from the file being indexed, and where each was first:
    a temporary table, so that memory stays flat whatever the number of records (a
    dict of them held 35 MB at 200,000 records). Asked once per window of records."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS seen_ids (record_id TEXT PRIMARY KEY, offset INTEGER) "
                     "WITHOUT ROWID")
        conn.execute("DELETE FROM temp.seen_ids")

    def lookup(self, window: list) -> dict[str, int]:
        """Where the ids of ``window`` were first seen before it; the caller adds the
        window's own first occurrences to the dict as it reads them."""
        ids = list({i.record.record_id for i in window if isinstance(i, Found)})
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return dict(self.conn.execute(f"SELECT record_id, offset FROM temp.seen_ids WHERE record_id IN ({marks})",
                                      ids).fetchall())

    def add(self, window: list) -> None:
        self.conn.executemany("INSERT OR IGNORE INTO temp.seen_ids VALUES (?, ?)",
                              [(i.record.record_id, i.offset) for i in window if isinstance(i, Found)])

    def close(self) -> None:
        self.conn.execute("DELETE FROM temp.seen_ids")


def _resolve_revisits(conn: sqlite3.Connection) -> None:
    """Give revisits indexed before their originals the original's payload digest."""
    for r in conn.execute("SELECT record_id, refers_to FROM captures WHERE record_type='revisit' "
                          "AND payload_sha256 IS NULL AND refers_to IS NOT NULL").fetchall():
        orig = conn.execute("SELECT payload_sha256 FROM captures WHERE record_id=?", (r[1],)).fetchone()
        if orig:
            conn.execute("UPDATE captures SET payload_sha256=? WHERE record_id=?", (orig[0], r[0]))
