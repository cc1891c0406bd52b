"""Full fixity audit: is every byte the archive vouches for still the byte it vouched for?

:func:`audit` (``archive verify --all``) reads every WARC file from start to end once and
checks, each as a result ``{"id", "ok", "check", "file", "offset", "detail"}``. What it
keeps of the records and ledger entries goes to a scratch SQLite database beside the
index, and every check reads it back as a stream: the audit's memory does not grow with
the store.

``record``          every record parses and its declared block/payload digests match
``file_seal``       each sealed file's SHA-256 and size match ``warc_files``; a file the
                    index does not hold fails, unless it is another writer's (below)
``not_imported``    a file in a shared bucket that another writer (capture machine) put
                    there and this index has not imported: every ledger entry it holds is
                    of a chain this index does not hold. Its records and chain are checked
                    like the rest, but it is not compared with this index (nothing to
                    check: ``ok`` None, not a failure) and its chain needs no signed root
                    here; ``archive import s3://…`` (or ``reindex``) takes it in
``duplicate_id``    no WARC-Record-ID appears twice across the files
``capture_row``     each ``captures`` row names a record that is at its offset, with its
                    record id, block SHA-256 and payload SHA-256 (past end of file is an error)
``citation_row``    each ``citations`` row matches its citation record and cites a capture
                    whose payload is the cited snapshot
``ledger_row``      each ``ledger`` row matches its ledger record
``ledger_chain``    each chain's entries 1..head are contiguous, linked by ``prev_hash``, each
                    hash right, no two claiming one place (a fork); every entry links to a chain
``ledger_vouch``    each entry's vouched digests match the record or file it names
``ledger_cover``    every capture and citation record is vouched for: one that is not fails,
                    indexed or not
``ledger_root``     where the WARC files hold several chains (one per writing index: capture
                    machines sharing a bucket), a signed root covers each of them, and every
                    root's signature verifies and its heads are entries of those chains
``signature``       signed heads verify (against ``public_key`` when given) and their Merkle
                    roots match the entries of their chain; with a key, every chain must be
                    signed (by a head or a root)
``interrupted``     bytes past the acknowledged end of a file of ours that do not parse: a
                    write killed before it was acknowledged (reported, not a failure)
``quarantine``      a crash tail moved to ``warcs/quarantine/`` is reported as recovered
                    (``.partial``); records no acknowledged write made, moved there by
                    recovery (``.foreign``), fail until removed
``derived_row``     every row a reader sees is what the WARC files give: the index is built
                    again from ``warcs/`` alone into a scratch database (records indexed,
                    every snapshot re-extracted, versions and changes recomputed) and each
                    row of the live index is compared with it, column by column; a row that
                    differs or that the WARC files do not give is named as ``table:key``

Only the first failure of a check in each file is reported, with a count of the rest, so
one deleted record does not bury the report under every later offset. ``ok`` is
``True`` (pass), ``False`` (fail) or ``None`` (nothing could be checked, never a pass).

:func:`proof_for_citation` gathers, for one citation, the chain a reader can check by
hand: the record's digests, its file's seal, its ledger entries with RFC 6962 inclusion
proofs, and the signed head that covers them.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

from archive.errors import ArchiveError, UsageError
from archive.index.metadata import (
    CITATION_FIELDS,
    CITATION_TYPE,
    LEDGER_TYPE,
    ROOT_TYPE,
    SEAL_TYPE,
    entries_in,
    is_foreign,
)
from archive.index.rows import fixity_of, warc_record_id
from archive.provenance import ledger
from archive.storage import is_remote
from archive.warc.digests import digest_algo, digest_hex, file_sha256
from archive.warc.http import mime_of
from archive.warc.reader import Found, Problem, iter_records

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from archive.index.journal import Journal

LEDGER_ROW_FIELDS = ("seq", "entry_hash", "prev_hash", "kind", "subject", "at")


@dataclass
class _Rec:
    """What the scan keeps of one record: enough to check rows and entries against it."""

    warc_file: str
    offset: int
    length: int
    record_id: str
    record_type: str
    block_sha256: str
    payload_sha256: str | None
    content_type: str
    body: dict | None = None  # our own citation, seal and root records, decoded


_REC_COLUMNS = "file, offset, length, record_id, record_type, block_sha256, payload_sha256, content_type, body"
_SCAN_SCHEMA = f"""
CREATE TABLE rec (n INTEGER PRIMARY KEY, {_REC_COLUMNS}, cover_key TEXT, cid TEXT);
CREATE TABLE entry (n INTEGER PRIMARY KEY, file TEXT, offset INTEGER, seq, seqk INTEGER, isint INTEGER,
                    kind TEXT, subject TEXT, entry_hash TEXT, prev_hash TEXT, js TEXT, chain TEXT);
CREATE TABLE ordered (chain TEXT, pos INTEGER, n INTEGER, PRIMARY KEY (chain, pos)) WITHOUT ROWID;
CREATE TABLE vouched (key TEXT PRIMARY KEY) WITHOUT ROWID;
"""
_SCAN_INDEXES = """
CREATE INDEX rec_at ON rec(file, offset);
CREATE INDEX rec_id ON rec(record_id);
CREATE INDEX rec_cid ON rec(cid) WHERE cid IS NOT NULL;
CREATE INDEX entry_at ON entry(file, offset, seq);
CREATE INDEX entry_prev ON entry(prev_hash);
CREATE INDEX entry_chain ON entry(chain, seqk, n);
"""
_NO_CHAIN = ""   # the chain key of entries that link to no chain's first entry


class _Scan:
    """What the scan keeps of every record and ledger entry, in a scratch SQLite database
    beside the index (``path``), so that the audit's memory stays the same whatever the
    size of the store (dicts of a million records and entries took gigabytes): records by
    file and offset and by id, citation records by citation id, ledger entries in the
    order the files hold them and, once assembled, by chain and place. Per file (sizes,
    SHA-256) and per signed head or root it keeps what it needs in memory."""

    BATCH = 2000

    def __init__(self, path) -> None:
        self.db = sqlite3.connect(str(path), isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(_SCAN_SCHEMA)
        self.heads: list[_Rec] = []
        self.roots: list[_Rec] = []
        self.sizes: dict[str, int] = {}
        self.file_sha: dict[str, str] = {}
        self._recs: list[tuple] = []
        self._entries: list[tuple] = []
        self._vouched: list[tuple] = []
        self._last: tuple[tuple[str, int], _Rec | None] | None = None

    def close(self) -> None:
        self.db.close()

    # -- filling it, during the scan --------------------------------------------------------

    def add(self, rec: _Rec) -> None:
        """Keep a record, and a ledger record's entries (unless another store's)."""
        foreign = is_foreign({"warc_file": rec.warc_file})
        if rec.body is not None and not foreign:
            if rec.content_type == SEAL_TYPE:
                self.heads.append(rec)
            elif rec.content_type == ROOT_TYPE:
                self.roots.append(rec)
        if rec.record_type in ledger.CAPTURE_TYPES:
            cover = rec.record_id
        elif rec.content_type == CITATION_TYPE and rec.body:
            cover = f"citation:{rec.body.get('id')}"
        else:
            cover = None
        cid = rec.body.get("id") if rec.content_type == CITATION_TYPE and rec.body else None
        body = json.dumps(rec.body) if rec.body is not None and rec.content_type != LEDGER_TYPE else None
        self._recs.append((rec.warc_file, rec.offset, rec.length, rec.record_id, rec.record_type,
                           rec.block_sha256, rec.payload_sha256, rec.content_type, body, cover,
                           cid if isinstance(cid, str) else None))
        if rec.content_type == LEDGER_TYPE and rec.body is not None and not foreign:
            for e in entries_in(rec.body):
                seq, h, prev = e.get("seq"), e.get("entry_hash"), e.get("prev_hash")
                kind, subject = e.get("kind"), e.get("subject")
                self._entries.append((
                    rec.warc_file, rec.offset,
                    seq if seq is None or isinstance(seq, (int, float, str)) else json.dumps(seq),
                    seq if isinstance(seq, int) else -1, isinstance(seq, int),
                    kind if isinstance(kind, str) else None, subject if isinstance(subject, str) else None,
                    h if isinstance(h, str) else ("" if not h else "?"),
                    prev if isinstance(prev, str) else None, json.dumps(e)))
        if len(self._recs) >= self.BATCH or len(self._entries) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._recs:
            self.db.executemany(f"INSERT INTO rec ({_REC_COLUMNS}, cover_key, cid) VALUES "
                                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._recs)
            self._recs = []
        if self._entries:
            self.db.executemany("INSERT INTO entry (file, offset, seq, seqk, isint, kind, subject, entry_hash, "
                                "prev_hash, js) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._entries)
            self._entries = []

    def scanned(self) -> None:
        """Every file read: index what the checks look up."""
        self._flush()
        self.db.executescript(_SCAN_INDEXES)

    def vouch(self, key: str) -> None:
        self._vouched.append((key,))
        if len(self._vouched) >= self.BATCH:
            self._vouched_done()

    def _vouched_done(self) -> None:
        self.db.executemany("INSERT OR IGNORE INTO vouched VALUES (?)", self._vouched)
        self._vouched = []

    # -- records ------------------------------------------------------------------------------

    @staticmethod
    def _rec(row) -> _Rec:
        return _Rec(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                    json.loads(row[8]) if row[8] is not None else None)

    def at(self, file: str, offset: int) -> _Rec | None:
        """The record that starts at ``offset`` of ``file`` (the last one asked for is kept:
        the entries of one ledger record are asked for one after another)."""
        if self._last is not None and self._last[0] == (file, offset):
            return self._last[1]
        row = self.db.execute(f"SELECT {_REC_COLUMNS} FROM rec WHERE file=? AND offset=? ORDER BY n LIMIT 1",
                              (file, offset)).fetchone()
        rec = self._rec(row) if row else None
        self._last = ((file, offset), rec)
        return rec

    def with_id(self, record_id: str) -> list[_Rec]:
        """The records with this WARC-Record-ID, in the order the files hold them."""
        return [self._rec(r) for r in self.db.execute(
            f"SELECT {_REC_COLUMNS} FROM rec WHERE record_id=? ORDER BY n", (record_id,))]

    def citation(self, cid: str) -> _Rec | None:
        """The (last) citation record of citation ``cid``."""
        row = self.db.execute(f"SELECT {_REC_COLUMNS} FROM rec WHERE cid=? ORDER BY n DESC LIMIT 1",
                              (cid,)).fetchone()
        return self._rec(row) if row else None

    def repeated_ids(self) -> Iterator[tuple[str, list[_Rec]]]:
        """Record ids held by more than one record, in the order of their first record."""
        ids = self.db.execute("SELECT record_id, min(n) AS first FROM rec GROUP BY record_id "
                              "HAVING count(*) > 1 ORDER BY first").fetchall()
        for rid, _ in ids:
            yield rid, self.with_id(rid)

    def unvouched(self) -> Iterator[tuple[str, int, str, str, str]]:
        """``(file, offset, record_id, record_type, key)`` of every capture and citation
        record nothing vouched for, in file and offset order."""
        self._vouched_done()
        yield from self.db.execute(
            "SELECT file, offset, record_id, record_type, cover_key FROM rec r WHERE cover_key IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM vouched v WHERE v.key = r.cover_key) ORDER BY file, offset, n")

    # -- ledger entries -------------------------------------------------------------------------

    def _entries_of(self, rows) -> Iterator[tuple[dict, _Rec]]:
        for js, file, offset in rows:
            rec = self.at(file, offset)
            yield json.loads(js), rec if rec is not None else _Rec(file, offset, 0, "", "", "", None, "")

    def entry_in(self, file: str, offset: int, seq: int) -> dict | None:
        """The (first) entry ``seq`` the ledger record at ``offset`` of ``file`` holds."""
        row = self.db.execute("SELECT js FROM entry WHERE file=? AND offset=? AND seq=? ORDER BY n LIMIT 1",
                              (file, offset, seq)).fetchone()
        return json.loads(row[0]) if row else None

    def distinct_entries(self, exclude: set[str] | frozenset[str] = frozenset()) -> int:
        """Entries counted as the index counts its rows: one per record and seq (but
        those in the files ``exclude`` names)."""
        return self.db.execute("SELECT count(*) FROM (SELECT DISTINCT file, offset, seq FROM entry WHERE file "
                               "NOT IN (SELECT value FROM json_each(?)))",
                               (json.dumps(sorted(exclude)),)).fetchone()[0]

    def assemble_chains(self) -> list["_Chain"]:
        """The chains of the entries in the WARC files, by their links: each first entry
        (seq 1, prev_hash of zeros) begins one, and an entry belongs to the chain of the
        entry whose hash is its ``prev_hash``. Writers that never shared a lock (machines
        writing into one bucket) make separate chains, not a fork; two entries linking to
        one entry are a fork within its chain. An entry that links to nothing (its
        predecessor rewritten or removed) is counted in the chain that holds most entries
        of its file (or the only chain), so a break is reported where it is.

        The links are followed by SQLite (a recursive query per first entry), and each
        chain's place ``pos`` → entry is written to the ``ordered`` table: per seq the
        first entry the files hold (entries without an integer seq first, as one place)."""
        db = self.db
        chains: dict[str, _Chain] = {}
        firsts = db.execute("SELECT n, entry_hash, file FROM entry WHERE seq = 1 AND prev_hash = ? ORDER BY n",
                            (ledger.GENESIS_HASH,)).fetchall()
        for n, h, file in firsts:
            cid = str(h)
            chains.setdefault(cid, _Chain(cid, ledger.writer_of(file)))
            db.execute("WITH RECURSIVE reach(n, h) AS (SELECT n, entry_hash FROM entry WHERE n = ? AND chain IS NULL "
                       "UNION SELECT e.n, e.entry_hash FROM reach r JOIN entry e ON e.prev_hash = r.h "
                       "WHERE e.chain IS NULL) UPDATE entry SET chain = ? WHERE n IN (SELECT n FROM reach)",
                       (n, cid))
        loose_files = [r[0] for r in db.execute("SELECT DISTINCT file FROM entry WHERE chain IS NULL")]
        for file in loose_files:
            near = db.execute("SELECT chain FROM entry WHERE file = ? AND chain IS NOT NULL GROUP BY chain "
                              "ORDER BY count(*) DESC, min(n) LIMIT 1", (file,)).fetchone()
            if near is None and len(chains) == 1:
                near = (next(iter(chains)),)
            db.execute("UPDATE entry SET chain = ? WHERE file = ? AND chain IS NULL",
                       (near[0] if near else _NO_CHAIN, file))
        if db.execute("SELECT 1 FROM entry WHERE chain = ? LIMIT 1", (_NO_CHAIN,)).fetchone():
            chains[_NO_CHAIN] = _Chain(None, "")
        db.execute("INSERT INTO ordered (chain, pos, n) SELECT chain, row_number() OVER "
                   "(PARTITION BY chain ORDER BY seqk), first FROM "
                   "(SELECT chain, seqk, min(n) AS first FROM entry GROUP BY chain, seqk)")
        for key, chain in chains.items():
            chain.key = key
            chain.size = db.execute("SELECT count(*) FROM ordered WHERE chain = ?", (key,)).fetchone()[0]
            row = db.execute("SELECT file FROM entry WHERE chain = ? ORDER BY n LIMIT 1", (key,)).fetchone()
            chain.first_file = row[0] if row else None
        return list(chains.values())

    def forks(self, chain: "_Chain") -> Iterator[tuple[int, list[_Rec]]]:
        """Places in the chain (``seq``; -1 for entries without an integer one) that more
        than one entry claims, with the records holding them."""
        places = self.db.execute("SELECT seqk FROM entry WHERE chain = ? GROUP BY seqk HAVING count(*) > 1 "
                                 "ORDER BY seqk", (chain.key,)).fetchall()
        for seqk, in places:
            yield seqk, [r for _, r in self._entries_of(self.db.execute(
                "SELECT js, file, offset FROM entry WHERE chain = ? AND seqk = ? ORDER BY n", (chain.key, seqk)))]

    def ordered(self, chain: "_Chain") -> Iterator[tuple[dict, _Rec]]:
        """The chain's entries in place order (the first record's, where two claim a place)."""
        return self._entries_of(self.db.execute(
            "SELECT e.js, e.file, e.offset FROM ordered o JOIN entry e ON e.n = o.n WHERE o.chain = ? "
            "ORDER BY o.pos", (chain.key,)))

    def hash_at(self, chain: "_Chain", pos: int) -> str:
        """The hash of the entry at place ``pos`` (1-based) of the chain."""
        row = self.db.execute("SELECT e.entry_hash FROM ordered o JOIN entry e ON e.n = o.n "
                              "WHERE o.chain = ? AND o.pos = ?", (chain.key, pos)).fetchone()
        return row[0] if row else ""

    def merkle_roots(self, chain: "_Chain", sizes: set[int]) -> dict[int, str]:
        """The Merkle root of the chain's first ``size`` entries' hashes, for each of
        ``sizes``, in one pass over them ("" where a hash before it is not hex)."""
        out: dict[int, str] = {0: ledger.merkle_root_of([]).hex()} if 0 in sizes else {}
        tree: ledger.MerkleFrontier | None = ledger.MerkleFrontier()
        if not any(0 < s <= chain.size for s in sizes):
            return out
        top = max(s for s in sizes if s <= chain.size)
        for (h,) in self.db.execute("SELECT e.entry_hash FROM ordered o JOIN entry e ON e.n = o.n "
                                    "WHERE o.chain = ? AND o.pos <= ? ORDER BY o.pos", (chain.key, top)):
            if tree is not None:
                try:
                    tree.add(bytes.fromhex(h))
                except ValueError:
                    tree = None   # not a hash: no root matches from here on
            n = tree.size if tree is not None else None
            if n is not None and n in sizes:
                out[n] = tree.root().hex() if tree is not None else ""
        for s in sizes:
            out.setdefault(s, "")
        return out

    def sha256_of(self, store: "Journal", name: str) -> str:
        """A file's SHA-256, read once per audit (the seal and the ledger both ask)."""
        if name not in self.file_sha:
            self.file_sha[name] = file_sha256(store.warcs.source(name))
        return self.file_sha[name]


class _Report:
    """Results, keeping only the first failure of each check in each file."""

    def __init__(self) -> None:
        self.items: list[dict] = []
        self._first: dict[tuple[str, str | None], dict] = {}

    def add(self, check: str, ok: bool | None, id: str, detail: str, file: str | None = None,
            offset: int | None = None, group: str | None = None) -> None:
        """``group`` (default: the file) is what failures are counted under: the first
        failure of a check in each group is reported, the rest counted."""
        if ok is not True:
            key = (check, group or file)
            if key in self._first:
                self._first[key]["_more"] += 1
                return
        item = {"id": id, "ok": ok, "check": check, "file": file, "offset": offset,
                "detail": detail, "_more": 0}
        if ok is not True:
            self._first[(check, group or file)] = item
        self.items.append(item)

    def failed(self, check: str, file: str | None) -> bool:
        return (check, file) in self._first

    def any_failed(self, check: str) -> bool:
        return any(c == check for c, _ in self._first)

    def results(self) -> list[dict]:
        out = []
        for item in self.items:
            more = item.pop("_more")
            if more:
                item["detail"] += f" (and {more} more in {'this file' if item['file'] else 'the store'})"
            out.append(item)
        return out


def audit(store: "Journal", public_key: "Ed25519PublicKey | None" = None, derive: bool = True) -> list[dict]:
    """Every fixity check over the whole store; see the module docstring. Without
    ``derive``, the rows derived by extraction are checked against the ledger entries
    that vouch for them (:func:`_check_rows_vouched`) instead of being derived again
    from the WARC files (every page extracted again: most of the audit's time)."""
    import tempfile
    from pathlib import Path

    report = _Report()
    with tempfile.TemporaryDirectory(prefix=".audit-", dir=_scratch_dir(store)) as tmp:
        scan = _Scan(Path(tmp) / "scan.db")
        try:
            _scan_files(store, scan, report)
            scanned = set(scan.sizes)
            chains = scan.assemble_chains()
            unknown = _check_files(store, scan, report)
            others, outside = _other_writers(store, scan, report, chains, unknown)
            _check_duplicates(scan, report)
            _check_captures(store, scan, report)
            _check_citations(store, scan, report)
            _check_ledger_rows(store, scan, report, others)
            _check_ledger(store, scan, report, chains)
            roots = _roots_wanted(scan, chains)
            covered = _check_roots(scan, report, public_key, chains, roots, outside)
            _check_signatures(scan, report, public_key, chains, covered, roots)
        finally:
            scan.close()
    _check_quarantine(store, report)
    if not derive:
        _check_rows_vouched(store, report)
        return report.results()
    # Another writer's file that reached the bucket since the scan is not imported here either.
    _check_derived(store, report, keep=lambda name: name not in others and (
        name in scanned or store.conn.execute("SELECT 1 FROM warc_files WHERE name=?", (name,)).fetchone() is not None))
    return report.results()


def _text_entries(conn: sqlite3.Connection) -> None:
    """``temp.text_entries`` on ``conn``, made once: what each ``text`` entry of the
    ledger vouches for, by text and extractor (the entries are looked up by text)."""
    if not conn.execute("SELECT 1 FROM temp.sqlite_master WHERE name='text_entries'").fetchone():
        conn.executescript("""
            CREATE TEMP TABLE text_entries AS SELECT json_extract(digests, '$.text_sha256') AS text_sha256,
                json_extract(digests, '$.extractor_version') AS by, digests FROM ledger WHERE kind='text';
            CREATE INDEX temp.text_entries_by ON text_entries(text_sha256, by);""")


def _check_rows_vouched(store: "Journal", report: _Report) -> None:
    """The ``texts``, ``quotes`` and ``figures`` rows of every text against the ``text``
    entries of the ledger that vouch for them (an edited row fails), without extracting
    anything; and a ``?`` saying what only deriving them again from the WARC files proves."""
    from archive.index.versions import rows_sha256

    conn = sqlite3.connect(f"file:{store.db_path}?mode=ro", uri=True)
    n = bad = 0
    try:
        _text_entries(conn)
        # (the texts streamed, the entries of each looked up: memory stays flat with the store)
        for (sha,) in conn.execute("SELECT sha256 FROM texts ORDER BY sha256"):
            n += 1
            wanted = {json.loads(d or "{}").get("rows_sha256") for (d,) in conn.execute(
                "SELECT digests FROM temp.text_entries WHERE text_sha256=?", (sha,))} - {None}
            if not wanted:
                why = "no text entry of the ledger vouches for this text and its quotes and figures"
            elif rows_sha256(conn, sha) not in wanted:
                why = ("the text's rows (its quotes and figures included) are not those the ledger's "
                       "text entries vouch for: edited since")
            else:
                continue
            bad += 1
            report.add("ledger_vouch", False, f"texts:{sha}", why)
    finally:
        conn.close()
    if n and not bad:
        report.add("ledger_vouch", True, "texts", f"the rows of all {n} texts are those the ledger vouches for")
    report.add("derived_row", None, "index", "texts, quotes, figures, versions and changes were not derived "
               "again from the WARC files (--no-extract); `archive verify --all` does it")


def _scratch_dir(store: "Journal") -> str | None:
    """Where the audit's scratch databases go: beside the index (its disk is sized for
    it), else the system's temporary directory."""
    parent = store.db_path.resolve().parent
    return str(parent) if os.access(parent, os.W_OK) else None


# -- reading every file -----------------------------------------------------------------------

def _scan_files(store: "Journal", scan: _Scan, report: _Report) -> None:
    # Where each file of ours that may still grow was acknowledged up to: bytes past it
    # that do not parse are a write interrupted before it was acknowledged, not damage.
    acked = {r["name"]: r["size"] or 0 for r in store.conn.execute(
        "SELECT name, size FROM warc_files WHERE origin = 'capture' AND sealed_at IS NULL")}
    for name in store.warcs.all_files():
        path = store.warcs.source(name)   # the local file, or the object in the bucket
        scan.sizes[name] = path.size()
        records = unverifiable = 0
        try:
            items = iter_records(path)
            for item in items:
                if isinstance(item, Problem):
                    if name in acked and item.offset >= acked[name]:
                        report.add("interrupted", True, name,
                                   f"{scan.sizes[name] - item.offset} bytes at the end, past what was "
                                   f"acknowledged, are a write interrupted before it was acknowledged "
                                   f"({item.reason}); not part of the archive: the next command that "
                                   "writes moves them to warcs/quarantine/", name, item.offset)
                        continue
                    report.add("record", False, name, item.reason, name, item.offset)
                    continue
                records += 1
                rec = _keep(name, item)
                scan.add(rec)   # (another store's chain, carried inside an import, is not ours to audit)
                fixity = _fixity(item.record, rec)
                if fixity == "failed":
                    report.add("record", False, rec.record_id, _digest_detail(item.record), name, item.offset)
                elif fixity == "unverifiable":
                    unverifiable += 1
        except ArchiveError as exc:
            report.add("record", False, name, str(exc), name, getattr(exc, "offset", None))
        if not report.failed("record", name):
            note = f", {unverifiable} with no digest to check" if unverifiable else ""
            report.add("record", True, name, f"{records} records read; declared digests match{note}", name)
    scan.scanned()


def _keep(name: str, item: Found) -> _Rec:
    rec = item.record
    rtype = rec.record_type or ""
    ctype = mime_of(rec.header("Content-Type"))
    body = None
    if rtype == "metadata" and ctype in (CITATION_TYPE, LEDGER_TYPE, SEAL_TYPE, ROOT_TYPE):
        try:
            body = json.loads(rec.block.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = {}
    known = rec.known_sha256   # hashed by the reader's thread for exactly these bytes
    block = known.get("block") or hashlib.sha256(rec.block).hexdigest()
    if rtype == "revisit":
        payload = None
    elif rec.payload is rec.block:
        payload = block
    else:
        payload = known.get("payload") or hashlib.sha256(rec.payload).hexdigest()
    return _Rec(name, item.offset, item.length, rec.record_id or "", rtype, block, payload, ctype, body)


def _fixity(record, rec: _Rec) -> str:
    """``fixity_of(record)``, without hashing the block and payload again when the
    declared digests are SHA-256 and match what :func:`_keep` computed; anything else
    (another algorithm, a mismatch, a chunked payload) takes the full check."""
    block = record.header("WARC-Block-Digest")
    payload = None if rec.record_type == "revisit" else record.header("WARC-Payload-Digest")
    if (block and digest_algo(block) == "sha256" and digest_hex(block) == rec.block_sha256
            and (not payload or (digest_algo(payload) == "sha256" and digest_hex(payload) == rec.payload_sha256))):
        return "ok"
    return fixity_of(record)


def _digest_detail(rec) -> str:
    parts = []
    for name, data in (("WARC-Block-Digest", rec.block), ("WARC-Payload-Digest", rec.payload)):
        label = rec.header(name)
        algo = digest_algo(label)
        if label and algo and digest_hex(label):
            got = hashlib.new(algo, data).hexdigest()
            if digest_hex(label) != got:
                parts.append(f"{name} declares {algo} {digest_hex(label)}, bytes hash to {got}")
        elif label and not (name == "WARC-Payload-Digest" and rec.record_type == "revisit"):
            parts.append(f"{name} {label} does not match")
    return f"record {rec.record_id}: " + ("; ".join(parts) or "digest mismatch")


# -- files, duplicates ----------------------------------------------------------------------------

def _check_files(store: "Journal", scan: _Scan, report: _Report) -> list[str]:
    """Each file the index holds against its seal; returns the files of ``warcs/`` the
    index does not hold (judged by :func:`_other_writers`)."""
    for row in store.conn.execute("SELECT * FROM warc_files ORDER BY name"):
        name = row["name"]
        if name not in scan.sizes:
            report.add("file_seal", False, name, "file is indexed but missing from warcs/", name)
            continue
        if not row["sha256"]:
            continue  # still being written: its records are checked one by one
        size = scan.sizes[name]
        sha = scan.sha256_of(store, name)
        if sha != row["sha256"] or size != row["size"]:
            report.add("file_seal", False, name,
                       f"sealed as {row['size']} bytes sha256 {row['sha256'][:16]}…, now {size} bytes "
                       f"sha256 {sha[:16]}…", name)
        else:
            report.add("file_seal", True, name, f"{size} bytes, sha256 {sha} as sealed", name)
    known = {r[0] for r in store.conn.execute("SELECT name FROM warc_files")}
    return [name for name in scan.sizes if name not in known]


def _other_writers(store: "Journal", scan: _Scan, report: _Report, chains: list[_Chain],
                   unknown: list[str]) -> tuple[set[str], set[str]]:
    """Of the files the index does not hold, those another writer put in the shared
    bucket (every ledger entry in them is of a chain the index holds none of), reported
    as not imported; the rest fail. Returns those files, and the chains found only in
    them (which this index does not answer for)."""
    held = {r[0] for r in store.conn.execute("SELECT DISTINCT chain FROM ledger WHERE chain IS NOT NULL")}
    label = {c.key: c.label() for c in chains}
    others: set[str] = set()
    for name in unknown:
        of = [r[0] for r in scan.db.execute("SELECT DISTINCT chain FROM entry WHERE file = ? ORDER BY chain",
                                            (name,))]
        if of and all(c != _NO_CHAIN and c not in held for c in of):
            others.add(name)
            how = f"archive import {store.location}" if is_remote(store.location) else "archive reindex"
            report.add("not_imported", None, name,
                       f"written by another writer ({', '.join(label.get(c, c[:12]) for c in of)}) and not "
                       f"imported into this index: its records and chain were checked, it is not compared "
                       f"with this index (`{how}` takes it in)", name)
        else:
            report.add("file_seal", False, name, "file in warcs/ is not in the index: no acknowledged write "
                       "of this store made it (`archive reindex` takes in every file of warcs/, "
                       "`archive import` copies one in)", name)
    inside = {r[0] for r in scan.db.execute("SELECT DISTINCT chain FROM entry WHERE file NOT IN "
                                            "(SELECT value FROM json_each(?))", (json.dumps(sorted(others)),))}
    outside = {r[0] for r in scan.db.execute("SELECT DISTINCT chain FROM entry WHERE file IN "
                                             "(SELECT value FROM json_each(?))", (json.dumps(sorted(others)),))}
    return others, outside - inside - {_NO_CHAIN}


def _check_duplicates(scan: _Scan, report: _Report) -> None:
    for rid, recs in scan.repeated_ids():
        if len(recs) > 1:
            where = ", ".join(f"{r.warc_file} @ {r.offset}" for r in recs)
            # Files made by other tools repeat ids (a wget bug); the import indexed each copy
            # under its own key. In files we wrote, a repeated id is an inconsistency.
            foreign = all(is_foreign({"warc_file": r.warc_file}) for r in recs)
            report.add("duplicate_id", None if foreign else False, rid,
                       f"record id appears {len(recs)} times: {where}"
                       + (" (in imported files: each copy is indexed by file and offset)" if foreign else ""),
                       recs[1].warc_file, recs[1].offset)


# -- index rows ------------------------------------------------------------------------------------

def _at_pointer(scan: _Scan, file: str, offset: int, length: int) -> tuple[_Rec | None, str]:
    """The record a row points at, or why there is none."""
    if file not in scan.sizes:
        return None, f"file {file} is missing"
    if offset + length > scan.sizes[file]:
        return None, f"row points past end of file ({offset}+{length} > {scan.sizes[file]} bytes)"
    rec = scan.at(file, offset)
    if rec is None:
        return None, f"no readable record starts at byte {offset}"
    if rec.length != length:
        return None, f"the record at byte {offset} is {rec.length} bytes long, the row says {length}"
    return rec, ""


def _check_captures(store: "Journal", scan: _Scan, report: _Report) -> None:
    n = 0
    for row in store.conn.execute("SELECT * FROM captures ORDER BY warc_file, offset"):
        n += 1
        file, offset = row["warc_file"], row["offset"]
        rec, why = _at_pointer(scan, file, offset, row["length"])
        problem = why
        if rec is not None:
            if rec.record_id != warc_record_id(row["record_id"]):
                problem = f"the record at this offset is {rec.record_id}"
            elif rec.block_sha256 != row["block_sha256"]:
                problem = f"block sha256 is {rec.block_sha256}, the row says {row['block_sha256']}"
            elif row["record_type"] != "revisit" and rec.payload_sha256 != row["payload_sha256"]:
                problem = f"payload sha256 is {rec.payload_sha256}, the row says {row['payload_sha256']}"
        if problem:
            report.add("capture_row", False, row["record_id"], f"captures row {row['record_id']}: {problem}",
                       file, offset)
    if not report.any_failed("capture_row"):
        report.add("capture_row", True, "captures", f"{n} capture rows match their records")


def _check_citations(store: "Journal", scan: _Scan, report: _Report) -> None:
    n = 0
    for row in store.conn.execute("SELECT * FROM citations ORDER BY warc_file, offset"):
        n += 1
        file, offset = row["warc_file"], row["offset"]
        rec, problem = _at_pointer(scan, file, offset, row["length"])
        if rec is not None:
            body = rec.body or {}
            diffs = [k for k in CITATION_FIELDS if body.get(k) != row[k]]
            if rec.record_id != row["citation_record_id"]:
                problem = f"the record at this offset is {rec.record_id}"
            elif diffs:
                problem = f"differs from its citation record in {', '.join(diffs)}"
            else:
                cap = store.conn.execute("SELECT * FROM captures WHERE record_id=?", (row["record_id"],)).fetchone()
                if cap is None:
                    problem = f"cites {row['record_id']}, which is not indexed"
                elif cap["payload_sha256"] != row["snapshot_sha256"]:
                    problem = (f"cites snapshot {row['snapshot_sha256']} but capture {row['record_id']} "
                               f"holds {cap['payload_sha256']}")
        if problem:
            report.add("citation_row", False, row["id"], f"citation {row['id']}: {problem}", file, offset)
    if not report.any_failed("citation_row"):
        report.add("citation_row", True, "citations", f"{n} citation rows match their records")


def _check_ledger_rows(store: "Journal", scan: _Scan, report: _Report, others: set[str]) -> None:
    n = 0
    for row in store.conn.execute("SELECT * FROM ledger ORDER BY seq"):
        n += 1
        file, offset = row["warc_file"], row["offset"]
        rec, problem = _at_pointer(scan, file, offset, row["length"])
        if rec is not None:
            body = scan.entry_in(file, offset, row["seq"])
            if body is None:
                body = {}
                problem = f"its ledger record holds no entry {row['seq']}"
            diffs = [k for k in LEDGER_ROW_FIELDS if body.get(k) != row[k]]
            if json.dumps(body.get("digests"), sort_keys=True) != row["digests"]:
                diffs.append("digests")
            if diffs and not problem:
                problem = f"differs from its ledger record in {', '.join(diffs)}"
        if problem:
            report.add("ledger_row", False, f"ledger:{row['seq']}", f"ledger row {row['seq']}: {problem}",
                       file, offset)
    heads = store.conn.execute("SELECT * FROM ledger_heads ORDER BY seq").fetchall() \
        if ledger._has_heads_table(store.conn) else []
    for row in heads:
        rec, problem = _at_pointer(scan, row["warc_file"], row["offset"], row["length"])
        if rec is not None:
            body = rec.body or {}
            diffs = [k for k in ledger.HEAD_FIELDS + ("signature",) if body.get(k) != row[k]]
            if diffs:
                problem = f"differs from its signed head record in {', '.join(diffs)}"
        if problem:
            report.add("ledger_row", False, f"head:{row['seq']}", f"ledger_heads row {row['seq']}: {problem}",
                       row["warc_file"], row["offset"])
    for row in store.conn.execute("SELECT * FROM ledger_roots ORDER BY signed_at"):
        rec, problem = _at_pointer(scan, row["warc_file"], row["offset"], row["length"])
        if rec is not None:
            body = rec.body or {}
            diffs = [k for k in ("signed_at", "key_id", "public_key", "signature") if body.get(k) != row[k]]
            if json.dumps(body.get("chains"), sort_keys=True) != row["chains"]:
                diffs.append("chains")
            if diffs:
                problem = f"differs from its root record in {', '.join(diffs)}"
        if problem:
            report.add("ledger_row", False, f"root:{row['signed_at']}",
                       f"ledger_roots row {row['signed_at']}: {problem}", row["warc_file"], row["offset"])
    in_warcs = scan.distinct_entries(exclude=others)
    if in_warcs != n:
        report.add("ledger_row", False, "ledger",
                   f"the index holds {n} ledger rows, the WARC files {in_warcs} entries (run `archive reindex`)")
    elif not report.any_failed("ledger_row"):
        report.add("ledger_row", True, "ledger", f"{n} ledger rows match their records")


# -- the ledger itself ---------------------------------------------------------------------------------

@dataclass
class _Chain:
    """One chain as the WARC files hold it: its id (the hash of its first entry; None for
    entries that link to no first entry), the writer whose file holds that entry, and
    where the scan keeps its entries (``key``), how many places it has (``size``) and the
    file of its first entry in file order."""

    id: str | None
    writer: str
    ok: bool = True
    key: str = _NO_CHAIN
    size: int = 0
    first_file: str | None = None

    def label(self) -> str:
        return ledger.chain_label({"chain": self.id, "writer": self.writer})


def _report_forks(scan: _Scan, chain: _Chain, report: _Report, named: bool) -> None:
    for seq, held in scan.forks(chain):
        chain.ok = False
        where = ", ".join(f"{r.warc_file} @ {r.offset}" for r in held)
        report.add("ledger_chain", False, _entry_id(chain, seq, named),
                   f"{_in(chain, named)}{len(held)} different records claim ledger entry {seq} (a fork): "
                   f"{where}", held[1].warc_file, held[1].offset, group=_group(chain, named))


def _entry_id(chain: _Chain, seq, named: bool) -> str:
    if not named:
        return f"ledger:{seq}"
    return f"ledger:{chain.writer}/{(chain.id or 'unlinked')[:12]}:{seq}"


def _in(chain: _Chain, named: bool) -> str:
    return f"{chain.label()}: " if named else ""


def _group(chain: _Chain, named: bool) -> str | None:
    return f"chain:{chain.id}" if named else None


def _check_ledger(store: "Journal", scan: _Scan, report: _Report, chains: list[_Chain]) -> None:
    """Each chain (:meth:`_Scan.assemble_chains`), read from the scan in place order
    (twice: linked, then what each entry vouches for), never held whole."""
    named = len(chains) > 1
    sealed: set[str] = set()
    bad = 0
    for chain in chains:
        _report_forks(scan, chain, report, named)
        problems = ledger.check_chain(e for e, _ in scan.ordered(chain))
        if chain.id is None and not problems and chain.size:
            first = next(scan.ordered(chain))[0]
            problems = [{"seq": first.get("seq"), "problem": "unlinked",
                         "detail": f"{chain.size} entries link to no chain's first entry"}]
        for p in problems:
            chain.ok = False
            r = next((r for e, r in scan.ordered(chain) if e.get("seq") == p["seq"]), None)
            report.add("ledger_chain", False, _entry_id(chain, p["seq"], named),
                       f"{_in(chain, named)}{p['problem']}: {p['detail']}",
                       r.warc_file if r else None, r.offset if r else None, group=_group(chain, named))
        if chain.size and chain.ok:
            report.add("ledger_chain", True, f"ledger:{chain.writer}/{str(chain.id)[:12]}" if named else "ledger",
                       f"{_in(chain, named)}{chain.size} entries linked from the first to the head "
                       f"{scan.hash_at(chain, chain.size) or None}")
        for entry, where_rec in scan.ordered(chain):
            kind, subject, d = entry.get("kind"), entry.get("subject"), entry.get("digests") or {}
            problem, file, offset = _vouch_problem(store, scan, kind, subject, d)
            if kind == "capture" and subject:   # an entry naming nothing vouches for nothing
                scan.vouch(subject)
            elif kind == "citation":
                scan.vouch(f"citation:{subject}")
            elif kind == "seal" and subject:
                sealed.add(subject)
            if problem:
                bad += 1
                report.add("ledger_vouch", False, subject or f"ledger:{entry.get('seq')}",
                           f"{_in(chain, named)}ledger entry {entry.get('seq')} ({kind} {subject}): {problem}",
                           file, offset)
    if chains and not bad:
        report.add("ledger_vouch", True, "ledger", "every entry's digests match the bytes it names")
    _check_cover(store, scan, report, sealed)


def _vouch_problem(store: "Journal", scan: _Scan, kind, subject, d: dict) -> tuple[str, str | None, int | None]:
    if kind == "capture":
        recs = scan.with_id(warc_record_id(subject) or "")
        if subject and "#" in subject:   # a repeated id, indexed by its file and offset
            where = subject.strip("<>").split("#", 1)[1]
            recs = [r for r in recs if f"{r.warc_file}@{r.offset}" == where]
        if not recs:
            return f"record {subject} is not in any WARC file", d.get("warc_file"), d.get("offset")
        # An id in more than one imported file (the same crawl twice): the copy vouched for.
        rec = next((r for r in recs if (r.warc_file, r.offset) == (d.get("warc_file"), d.get("offset"))),
                   recs[0])
        if rec.block_sha256 != d.get("block_sha256"):
            return (f"block sha256 is {rec.block_sha256}, the ledger vouched for {d.get('block_sha256')}",
                    rec.warc_file, rec.offset)
        if d.get("payload_sha256") and rec.payload_sha256 and rec.payload_sha256 != d["payload_sha256"]:
            return (f"payload sha256 is {rec.payload_sha256}, the ledger vouched for {d['payload_sha256']}",
                    rec.warc_file, rec.offset)
        if (rec.warc_file, rec.offset, rec.length) != (d.get("warc_file"), d.get("offset"), d.get("length")):
            return (f"record moved: now {rec.warc_file} @ {rec.offset} ({rec.length} bytes), vouched at "
                    f"{d.get('warc_file')} @ {d.get('offset')} ({d.get('length')} bytes)", rec.warc_file, rec.offset)
        return "", None, None
    if kind == "citation":
        cited = scan.citation(subject) if isinstance(subject, str) else None
        if cited is None:
            return "the citation record is not in any WARC file", d.get("warc_file"), d.get("offset")
        if cited.block_sha256 != d.get("block_sha256"):
            return (f"citation record sha256 is {cited.block_sha256}, the ledger vouched for "
                    f"{d.get('block_sha256')}", cited.warc_file, cited.offset)
        if (cited.warc_file, cited.offset) != (d.get("warc_file"), d.get("offset")):
            return (f"citation record moved to {cited.warc_file} @ {cited.offset}", cited.warc_file, cited.offset)
        return "", None, None
    if kind == "seal":
        if subject not in scan.sizes:
            return "the sealed file is missing", subject, None
        if scan.sizes[subject] != d.get("size"):
            return f"file is {scan.sizes[subject]} bytes, sealed at {d.get('size')}", subject, None
        sha = scan.sha256_of(store, subject)
        if sha != d.get("sha256"):
            return f"file sha256 is {sha}, sealed as {d.get('sha256')}", subject, None
        return "", None, None
    if kind == "text":
        return "", None, None   # derived rows: checked against the index built again (_check_derived)
    return f"unknown entry kind {kind!r}", None, None


def _check_cover(store: "Journal", scan: _Scan, report: _Report, sealed: set[str]) -> None:
    """Every capture and citation record in ``warcs/`` is vouched for by the ledger.

    A record nothing vouches for fails, whether the index shows it (it slipped in since)
    or not (no acknowledged write made it: appended or spliced into a file by hand, or a
    crash orphan recovery could not prove). The one exemption is an imported file's
    records, vouched for as a whole by the file's seal entry (each capture the import
    indexed is vouched for on its own too). A file a writer holds now is checked up to
    the end the index has acknowledged.
    """
    files = {r["name"]: r for r in store.conn.execute("SELECT name, size, origin FROM warc_files")}
    for file, offset, record_id, record_type, key in scan.unvouched():
        if file in sealed and file.startswith("import-"):
            continue
        if key.startswith("citation:") and record_type not in ledger.CAPTURE_TYPES:
            indexed = store.conn.execute("SELECT 1 FROM citations WHERE id=? AND warc_file=? AND offset=?",
                                         (key[len("citation:"):], file, offset)).fetchone() is not None
        else:
            indexed = store.conn.execute("SELECT 1 FROM captures WHERE warc_file=? AND offset=? LIMIT 1",
                                         (file, offset)).fetchone() is not None
        row = files.get(file)
        if not indexed and row is not None and offset >= (row["size"] or 0) and store.warcs.is_locked(file):
            continue   # being written now: not acknowledged yet
        if indexed:
            why = "is indexed but not vouched for by the ledger (slipped into the index, or written " \
                  "before the ledger existed)"
        else:
            why = "is in the file but no acknowledged write made it: it is not indexed and the ledger " \
                  "does not vouch for it (appended or spliced in by hand?)"
        report.add("ledger_cover", False, record_id, f"{record_type} record {record_id} {why}", file, offset)


# -- signatures ---------------------------------------------------------------------------------------

def _head_seq(h: dict) -> int:
    given = h.get("seq")
    return given if isinstance(given, int) else 0


def _roots_wanted(scan: _Scan, chains: list[_Chain]) -> dict[str, dict[int, str]]:
    """Per chain (by key), the Merkle root of its first ``seq`` entries for every ``seq``
    a signed head or root names, in one pass over each chain's hashes."""
    sizes: dict[str, set[int]] = {c.key: set() for c in chains}
    by_id = {c.id: c for c in chains if c.id is not None}
    for rec in scan.roots:
        listed = (rec.body or {}).get("chains")
        for item in listed if isinstance(listed, list) else []:
            h: dict = item if isinstance(item, dict) else {}
            chain = by_id.get(str(h.get("chain")))
            if chain is not None:
                sizes[chain.key].add(_head_seq(h))
    for rec in scan.heads:
        for chain in chains:   # which chain a head signs is decided later: ask all of them
            sizes[chain.key].add(_head_seq(rec.body or {}))
    return {c.key: scan.merkle_roots(c, sizes[c.key]) for c in chains}


def _check_roots(scan: _Scan, report: _Report, public_key: "Ed25519PublicKey | None",
                 chains: list[_Chain], roots: dict[str, dict[int, str]],
                 outside: set[str] | frozenset[str] = frozenset()) -> dict[str, tuple[int, str]]:
    """Every root verifies and names heads the chains hold; with several chains, each is
    covered by a root (but the chains ``outside`` this index, in files other writers put
    in the bucket that it has not imported: reported as covered where a root covers them,
    not asked for). Returns, per chain id, the longest prefix a valid root covers and
    when that root was signed."""
    by_id: dict[str, _Chain] = {c.id: c for c in chains if c.id is not None}
    covered: dict[str, tuple[int, str]] = {}
    root_keys: dict[str, str] = {}   # signed_at -> key id of the root
    for rec in scan.roots:
        root = rec.body or {}
        at = str(root.get("signed_at"))
        ok, why = ledger.check_root_signature(root, public_key)
        if not ok:
            report.add("ledger_root", False, f"root:{at}", f"root signed at {at}: {why}", rec.warc_file, rec.offset)
            continue
        root_keys[at] = str(root.get("key_id"))
        listed = root.get("chains")
        heads: list = listed if isinstance(listed, list) else []
        good: list[tuple[str, int]] = []
        for item in heads:
            h: dict = item if isinstance(item, dict) else {}
            chain = by_id.get(str(h.get("chain")))
            seq = _head_seq(h)
            name = ledger.chain_label(h)
            if chain is None:
                problem = f"names {name}, which no WARC file holds (removed from the bucket, or never imported?)"
            elif not 1 <= seq <= chain.size:
                problem = f"covers entries 1..{seq} of {name}, the WARC files hold {chain.size}"
            elif scan.hash_at(chain, seq) != h.get("entry_hash") or roots[chain.key][seq] != h.get("merkle_root"):
                problem = (f"signed head {seq} of {name} is {str(h.get('entry_hash'))[:16]}… with Merkle root "
                           f"{str(h.get('merkle_root'))[:16]}…, the WARC files give {scan.hash_at(chain, seq)[:16]}… "
                           f"and {roots[chain.key][seq][:16]}…: the chain was rewritten")
            else:
                good.append((str(chain.id), seq))
                continue
            report.add("ledger_root", False, f"root:{at}", f"root signed at {at} {problem}",
                       rec.warc_file, rec.offset, group=f"root:{at}:{h.get('chain')}")
        # A head that matches still vouches for its chain when another head of the same
        # root does not (that one is reported above).
        for cid, seq in good:
            if seq >= covered.get(cid, (0, ""))[0]:
                covered[cid] = (seq, at)
    if len(set(by_id) - outside) > 1 or scan.roots:
        for cid, chain in by_id.items():
            got = covered.get(cid)
            n = chain.size
            if got is None and cid in outside:
                continue   # reported as not imported (not_imported)
            if got is None:
                report.add("ledger_root", False, f"chain:{chain.writer}/{cid[:12]}",
                           f"{chain.label()} ({n} entries) is not covered by a signed root: the archive's key "
                           "holder has not vouched for it (if it is one of this archive's writers, check it "
                           "and run `archive keys sign`)", chain.first_file, group=f"chain:{cid}")
            else:
                tail = f"; entries {got[0] + 1}..{n} came after it" if got[0] < n else ""
                kid = root_keys.get(got[1], "?")[:16]
                if public_key is None:
                    report.add("ledger_root", None, f"chain:{chain.writer}/{cid[:12]}",
                               f"{chain.label()} covered up to entry {got[0]} by the root signed at {got[1]} "
                               f"by key {kid}…, not pinned: the root's signature matches the key it declares, "
                               f"which says nothing of who signed; pass --public-key (or ARCHIVE_PUBLIC_KEY) to "
                               f"check it is the archive's key{tail}", group=f"chain:{cid}")
                else:
                    report.add("ledger_root", True, f"chain:{chain.writer}/{cid[:12]}",
                               f"{chain.label()} covered up to entry {got[0]} by the root signed at {got[1]}, "
                               f"verified with the pinned key {kid}…{tail}")
    return covered


def _check_signatures(scan: _Scan, report: _Report, public_key: "Ed25519PublicKey | None",
                      chains: list[_Chain], covered: dict[str, tuple[int, str]],
                      roots: dict[str, dict[int, str]]) -> None:
    named = len(chains) > 1
    best: dict[str | None, int] = {c.id: covered.get(c.id or "", (0, ""))[0] for c in chains}
    for rec in scan.heads:
        h = rec.body or {}
        seq = _head_seq(h)
        # The chain the head signs: the one whose entry ``seq`` it names.
        chain = next((c for c in chains if 1 <= seq <= c.size
                      and scan.hash_at(c, seq) == h.get("entry_hash")), None)
        if chain is None and len(chains) == 1:
            chain = chains[0]
        ok, why = ledger.check_head_signature(h, public_key)
        if ok:
            size = chain.size if chain is not None else 0
            root = roots[chain.key].get(seq, "") if chain is not None else ""
            if chain is None:
                ok, why = False, f"its entry {seq} ({str(h.get('entry_hash'))[:16]}…) is in no chain the WARC files hold"
            elif seq > size:
                ok, why = False, f"signed head covers {seq} entries, the WARC files hold {size}"
            elif root != h.get("merkle_root") or scan.hash_at(chain, seq if seq >= 1 else size) != h.get("entry_hash"):
                ok, why = False, (f"the entries 1..{seq} in the store have Merkle root {root[:16]}…, "
                                  f"the signed head {str(h.get('merkle_root'))[:16]}…: the ledger was rewritten")
        if ok and chain is not None:
            best[chain.id] = max(best.get(chain.id, 0), seq)
        else:
            where = _in(chain, named) if chain is not None else ""
            report.add("signature", False, f"head:{seq}", f"{where}signed head {seq}: {why}", rec.warc_file, rec.offset)
    if report.any_failed("signature"):
        return
    kids = sorted({str((r.body or {}).get("key_id"))[:16] + "…" for r in scan.heads + scan.roots})
    if public_key is not None:
        trusted = "the pinned key"
    else:
        # Without a pinned key a match says only that the signed heads are unchanged.
        trusted = (f"key {', '.join(kids)}, not pinned (the signatures match the keys they declare, which "
                   "says nothing of who signed; pass --public-key or ARCHIVE_PUBLIC_KEY to check they are "
                   "the archive's)")
    if not scan.heads and not scan.roots:
        if public_key is not None and any(c.size for c in chains):
            report.add("signature", False, "ledger", "no signed ledger head in the store: nothing "
                       "proves this history is the one the key holder signed")
        return
    for chain in chains:
        n = chain.size
        if not n:
            continue
        upto = best.get(chain.id, 0)
        cid = f"ledger:{chain.writer}/{str(chain.id)[:12]}" if named else "ledger"
        if upto < n:
            report.add("signature", None, cid,
                       f"{_in(chain, named)}signatures by {trusted} cover entries 1..{upto}; entries "
                       f"{upto + 1}..{n} are not signed yet", group=cid)
        elif public_key is not None:
            report.add("signature", True, cid, f"{_in(chain, named)}all {n} entries signed; verified with {trusted}")
        else:
            report.add("signature", None, cid, f"{_in(chain, named)}all {n} entries signed by {trusted}", group=cid)


def _check_quarantine(store: "Journal", report: _Report) -> None:
    """What recovery moved to ``warcs/quarantine/``: a ``.partial`` tail is what a crash
    left of a write never acknowledged (reported, not a failure); a ``.foreign`` one held
    well-formed records no acknowledged write made, and fails until someone looks at it
    and removes it."""
    qdir = store.warcs_dir / "quarantine"
    if not qdir.is_dir():
        return
    for p in sorted(qdir.iterdir()):
        stem, _, kind = p.name.rpartition(".")
        if kind not in ("partial", "foreign"):
            continue
        base, _, offset = stem.rpartition(".")
        at = int(offset) if offset.isdigit() else None
        if kind == "partial":
            report.add("quarantine", True, p.name,
                       f"recovered: a crash left {p.stat().st_size} unacknowledged bytes at the end of {base}; "
                       "they were moved here and are not part of the archive", base, at)
        else:
            report.add("quarantine", False, p.name,
                       f"{p.stat().st_size} bytes of records no acknowledged write made were found after the "
                       f"acknowledged end of {base} and moved here, unindexed: look at them, then delete "
                       f"{p}", base, at, group=p.name)


# -- one citation's proof chain -------------------------------------------------------------------------

def proof_for_citation(store: "Journal", cid: str, public_key: "Ed25519PublicKey | None" = None,
                       remembered: bool = False) -> dict:
    """The evidence behind one citation, each part with its own outcome.

    ``record``: the cited bytes re-read and re-hashed; ``file_seal``: the file's recorded
    seal and the ledger entry vouching for it; ``ledger``: the capture and citation
    entries with inclusion proofs against the current Merkle root; ``signature``: the
    newest signed head covering them, its signature and an inclusion proof against it.
    ``remembered`` (the citation page): the record is hashed again only if its file changed
    since it was last hashed in this process (:mod:`archive.provenance.hashed`).
    """
    from archive.provenance.hashed import hashed_record

    conn = store.conn
    row = conn.execute("SELECT * FROM citations WHERE id=?", (cid,)).fetchone()
    if row is None:
        raise UsageError(f"no citation {cid!r} in {store.db_path}")
    out: dict = {"id": cid, "citation": {k: row[k] for k in CITATION_FIELDS}}
    cap = store.capture_row(row["record_id"])
    try:
        orig = store.original_of(cap) if cap is not None else None
    except ArchiveError:
        orig = None
    own = ledger.own_chain(store)   # asked once: every entry_for below would ask again
    record: dict = {"record_id": row["record_id"], "ok": False}
    if orig is not None:
        record.update(record_id=orig["record_id"], warc_file=orig["warc_file"], offset=orig["offset"],
                      length=orig["length"])
        try:
            rec, _ = hashed_record(store.warcs.source(orig["warc_file"]), orig["offset"], orig["length"],
                                   fresh=not remembered)
            block, payload = rec.block_sha256, rec.payload_sha256
            record.update(block_sha256=block, payload_sha256=payload,
                          declared_block_digest=rec.header("WARC-Block-Digest"),
                          declared_block_sha256=(digest_hex(rec.header("WARC-Block-Digest"))
                                                 if digest_algo(rec.header("WARC-Block-Digest")) == "sha256"
                                                 else None),
                          fixity=rec.fixity)
            record["ok"] = (rec.record_id == warc_record_id(orig["record_id"]) and block == orig["block_sha256"]
                            and payload == row["snapshot_sha256"] and record["fixity"] != "failed")
            if remembered:
                record["hashed_at"] = rec.hashed_at_iso
        except ArchiveError as exc:
            record["detail"] = str(exc)
    else:
        record["detail"] = "the cited capture is not in the index"
    out["record"] = record
    out["citation_record"] = {"record_id": row["citation_record_id"], "warc_file": row["warc_file"],
                              "offset": row["offset"], "length": row["length"]}
    seal = None
    if orig is not None:
        f = conn.execute("SELECT * FROM warc_files WHERE name=?", (orig["warc_file"],)).fetchone()
        if f is not None:
            seal_entry = ledger.entry_for(store, "seal", f["name"], own)
            seal = {"warc_file": f["name"], "sealed_at": f["sealed_at"], "sha256": f["sha256"],
                    "size": f["size"], "ledger_seq": seal_entry["seq"] if seal_entry else None}
    out["file_seal"] = seal
    trees: dict[str | None, ledger.ChainTree] = {}

    def tree_of(chain: str | None) -> ledger.ChainTree:
        if chain not in trees:
            trees[chain] = ledger.ChainTree(conn, chain)
        return trees[chain]

    entries: dict[str, dict[str, Any]] = {}
    vouched = [("capture", orig["record_id"] if orig is not None else row["record_id"]), ("citation", cid)]
    text = conn.execute("SELECT extractor_version FROM texts WHERE sha256=?", (row["text_sha256"],)).fetchone()
    subject = ledger.text_subject(row["snapshot_sha256"], text[0]) if text else None
    if subject and ledger.entry_for(store, "text", subject, own):   # texts extracted before there were none
        vouched.append(("text", subject))
    for kind, subject in vouched:
        e = ledger.entry_for(store, kind, subject, own)
        if e is None:
            entries[kind] = {"ok": None, "detail": f"no ledger entry for this {kind}"}
            continue
        tree = tree_of(e["chain"])
        if not 1 <= e["seq"] <= tree.size:
            entries[kind] = {"ok": False, "entry": e, "detail": f"entry {e['seq']} links to no chain of the ledger"}
            continue
        proof = _proof(tree, e["seq"], tree.size)
        ok = ledger.verify_proof(proof) and ledger.entry_hash(e) == e["entry_hash"]
        if kind == "capture" and record.get("block_sha256"):
            ok = ok and e["digests"].get("block_sha256") == record["block_sha256"]
        entries[kind] = {"ok": ok, "entry": e, "inclusion_proof": proof}
    # The head of the chain the citation is in (the capture's may be another machine's).
    chain = next((v["entry"]["chain"] for k, v in sorted(entries.items()) if "entry" in v), own)
    tree = tree_of(chain)
    out["head"] = {"seq": tree.size, "merkle_root": tree.root(tree.size).hex(), "chain": chain}
    out["ledger"] = entries
    out["signature"] = _signature_for(store, entries, tree_of, public_key)
    parts = [record["ok"]] + [v["ok"] for v in entries.values()] + [out["signature"]["ok"]]
    out["ok"] = all(p is True for p in parts)
    return out


def _proof(tree: ledger.ChainTree, seq: int, size: int) -> dict:
    size = min(size, tree.size)
    if not 1 <= seq <= size:   # rows deleted from the ledger table: a proof that fails
        return {"seq": seq, "entry_hash": "", "leaf_index": seq - 1, "tree_size": size, "path": [],
                "root": tree.root(size).hex()}
    return {"seq": seq, "entry_hash": tree.entry_hash(seq - 1), "leaf_index": seq - 1, "tree_size": size,
            "path": [p.hex() for p in tree.path(seq - 1, size)], "root": tree.root(size).hex()}


def _sig_status(ok: bool, public_key: "Ed25519PublicKey | None") -> str:
    """``valid`` (verified with the pinned key), ``unpinned`` (matches the key the signed
    record declares, no key pinned) or ``invalid``."""
    return "invalid" if not ok else "valid" if public_key is not None else "unpinned"


def _signature_for(store: "Journal", entries: dict, tree_of, public_key: "Ed25519PublicKey | None") -> dict:
    """The newest signature covering the entries: a signed head of their chain when they
    are in one, else (or when no head covers them) a root naming each of their chains."""
    held = {k: v["entry"] for k, v in entries.items() if "inclusion_proof" in v}
    if not held:
        return {"ok": None, "status": "unsigned", "detail": "nothing in the ledger to sign"}
    from archive.provenance.keys import key_id

    pinned = key_id(public_key) if public_key is not None else None
    needed: dict[str | None, int] = {}
    for e in held.values():
        needed[e["chain"]] = max(needed.get(e["chain"], 0), e["seq"])
    if len(needed) == 1:
        [(chain, seq)] = needed.items()
        tree = tree_of(chain)
        # With a pinned key, what it signed is the proof; a head by another key only
        # where there is none (and it then fails: not the archive's key).
        covering = [h for h in ledger.signed_heads(store, chain) if seq <= h["seq"] <= tree.size]
        covering.sort(key=lambda h: pinned is None or h["key_id"] == pinned)
        if covering:
            h = covering[-1]
            ok, why = ledger.check_head_signature(h, public_key)
            root = tree.root(h["seq"]).hex()
            if ok and root != h["merkle_root"]:
                ok, why = False, "the signed Merkle root does not match the ledger: it was rewritten"
            proofs = {k: _proof(tree, e["seq"], h["seq"]) for k, e in held.items()}
            return {"ok": ledger.pinned_outcome(ok, public_key), "status": _sig_status(ok, public_key),
                    "trusted_key": public_key is not None,
                    "detail": why, "head": {k: h[k] for k in ("seq", "entry_hash", "merkle_root", "signed_at",
                                                             "key_id", "signature", "public_key")},
                    "inclusion_proofs": proofs}
    roots = ledger.signed_roots(store)
    roots.sort(key=lambda r: pinned is None or r["key_id"] == pinned)   # stable: newest last
    for root in reversed(roots):
        heads = {c.get("chain"): c for c in root["chains"] if isinstance(c, dict)}
        if not all(ch in heads and heads[ch].get("seq", 0) >= seq for ch, seq in needed.items()):
            continue
        ok, why = ledger.check_root_signature(root, public_key)
        proofs = {}
        for k, e in held.items():
            h = heads[e["chain"]]
            tree = tree_of(e["chain"])
            if h["seq"] > tree.size or tree.root(h["seq"]).hex() != h.get("merkle_root"):
                ok, why = False, f"the root's head of {ledger.chain_label(h)} does not match the ledger: it was rewritten"
                break
            proofs[k] = _proof(tree, e["seq"], h["seq"])
        mine = heads[held.get("citation", next(iter(held.values())))["chain"]]
        return {"ok": ledger.pinned_outcome(ok, public_key), "status": _sig_status(ok, public_key),
                "trusted_key": public_key is not None,
                "detail": why, "head": {"seq": mine["seq"], "entry_hash": mine["entry_hash"],
                                        "merkle_root": mine["merkle_root"], "signed_at": root["signed_at"],
                                        "key_id": root["key_id"], "signature": root["signature"],
                                        "public_key": root["public_key"]},
                "root": {k: root[k] for k in ("chains", "signed_at", "key_id", "signature", "public_key")},
                "inclusion_proofs": proofs}
    return {"ok": None, "status": "unsigned",
            "detail": ("no head or root signed by the pinned key covers " if pinned is not None
                       else "no signed head or root covers ") + ", ".join(
                f"entry {seq} of {ledger.chain_label({'chain': ch, 'writer': ''})}" for ch, seq in needed.items())
            + " yet"}


# -- every row a reader sees, derived again from the WARC files --------------------------------

# table -> its key columns. Every column of these tables is compared, except those in
# NOT_DERIVED (with the reason they need not be).
DERIVED_TABLES: dict[str, tuple[str, ...]] = {
    "warc_files": ("name",),
    "captures": ("record_id",),
    "snapshots": ("sha256",),
    "pages": ("url",),
    "texts": ("sha256",),
    "quotes": ("text_sha256", "n"),
    "figures": ("text_sha256", "n"),
    "versions": ("page_url", "version"),
    "changes": ("page_url", "to_version", "n"),
    "diffs": ("page_url", "to_version"),
    "citations": ("id",),
    "ledger": ("warc_file", "offset", "seq"),
    "ledger_heads": ("warc_file", "offset"),
    "ledger_roots": ("warc_file", "offset"),
    "facet_counts": ("table_name", "column_name", "value"),
    "facet_pairs": ("table_name", "column_name", "value", "other_column", "other_value"),
}
NOT_DERIVED: dict[tuple[str, str], str] = {
    ("warc_files", "created_at"): "bookkeeping of the writer; a reader learns nothing of the archive from it",
    ("warc_files", "sealed_at"): "bookkeeping of the writer; the seal itself (sha256, size) is checked "
                                 "against the file and the ledger by file_seal and ledger_vouch",
    ("warc_files", "sha256"): "checked against the file's bytes and the ledger's seal entry by file_seal "
                              "and ledger_vouch",
    ("warc_files", "state"): "whether a writer holds the file now: changes with every command",
    ("warc_files", "stored_at"): "bookkeeping of the uploader: when it verified the upload (where the file "
                                 "is kept, `stored`, is compared)",
}
# Columns filled by extraction: not comparable while a snapshot waits in the queue (a
# reader's page extracts it first). Those of an older extractor are compared where the
# ledger vouches for them (:func:`_adopt_older_extractions`), and named where it does not.
EXTRACTION_COLUMNS = {
    "snapshots": ("text_sha256", "extract_status", "extract_error", "extractor_version"),
    "pages": ("title", "versions"),
}


def _check_derived(store: "Journal", report: _Report, keep: Callable[[str], bool] | None = None) -> None:
    """Build the index again from ``warcs/`` (the files ``keep`` keeps: not other
    writers' files this index has not imported) into a scratch database and compare every row of
    every table a reader sees (see ``DERIVED_TABLES``) with it."""
    import tempfile
    from pathlib import Path

    from archive.index.versions import process_pending
    from archive.text.extract import EXTRACTOR_VERSION

    def derive(fresh: "Journal") -> None:
        process_pending(fresh, all_pages=True)
        _adopt_older_extractions(store, fresh, EXTRACTOR_VERSION, report)

    with tempfile.TemporaryDirectory(prefix=".audit-", dir=_scratch_dir(store)) as tmp:
        target = Path(tmp) / "derived.db"
        store.build_index(target, after=derive, keep=keep)
        conn = sqlite3.connect(f"file:{store.db_path}?mode=ro", uri=True)
        conn.execute("ATTACH DATABASE ? AS derived", (f"file:{target}?mode=ro",))
        try:
            _stale_extraction(conn)
            for table, keys in DERIVED_TABLES.items():
                _compare_table(conn, table, keys, report)
        finally:
            conn.close()
        _check_text_entries(store, target, EXTRACTOR_VERSION, report)


def _check_text_entries(store: "Journal", target, version: str, report: _Report) -> None:
    """Every ``text`` entry of this extractor vouches for what the WARC bytes give: the
    snapshot's text and the digest of that text's rows in the index built again."""
    from archive.index.versions import rows_sha256

    derived = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    n = bad = 0
    try:
        for row in store.conn.execute("SELECT seq, subject, digests FROM ledger WHERE kind='text' ORDER BY seq"):
            d = json.loads(row["digests"] or "{}")
            if d.get("extractor_version") != version:
                continue
            n += 1
            snap = derived.execute("SELECT text_sha256 FROM snapshots WHERE sha256=?",
                                   (d.get("snapshot_sha256"),)).fetchone()
            if snap is None or snap[0] != d.get("text_sha256"):
                problem = (f"the WARC files give snapshot {d.get('snapshot_sha256')} text "
                           f"{snap[0] if snap else None}, the entry vouches for {d.get('text_sha256')}")
            elif rows_sha256(derived, snap[0]) != d.get("rows_sha256"):
                problem = f"the rows the WARC files give for text {snap[0]} are not those it vouches for"
            else:
                continue
            bad += 1
            report.add("ledger_vouch", False, row["subject"], f"ledger entry {row['seq']} (text): {problem}")
    finally:
        derived.close()
    if n and not bad:
        report.add("ledger_vouch", True, "texts", f"{n} text entries vouch for what the WARC files give")


# A text's rows: its own, its quotes' and its figures', each table with its key column.
_TEXT_TABLES = (("quotes", "text_sha256"), ("figures", "text_sha256"), ("texts", "sha256"))
_OLDER_TEXT_COLUMNS = ("text_sha256", "extract_status", "extract_error", "extractor_version")


def _adopt_older_extractions(store: "Journal", fresh: "Journal", version: str, report: _Report) -> None:
    """Rows another extractor version wrote (before an upgrade, until ``archive extract
    --all``) cannot be derived again by this one. They are taken into the rebuilt index
    ``fresh`` only where a ``text`` entry of the ledger vouches for them — the snapshot's
    text and the digest of that text's rows, as that extractor wrote them — and the
    versions and changes of their pages are rebuilt from them there, so that the comparison
    then checks every row of those pages like any other. A row no entry vouches for
    (an edited ``extractor_version`` among them) is named here, with the command that
    extracts it again; the comparison names the rows that differ."""
    from archive.index.versions import pages_of_snapshots, rebuild_versions, rows_sha256

    live = sqlite3.connect(f"file:{store.db_path}?mode=ro", uri=True)
    live.row_factory = sqlite3.Row
    again = f"this extractor ({version}) cannot derive it again: run `archive extract --all`"
    adopted_texts: set[str] = set()

    def vouched_text(text_sha: str, by: str, snapshot: str | None) -> bool:
        """Whether a text entry of extractor ``by`` vouches for the live rows of ``text_sha``."""
        if snapshot is not None:
            rows = live.execute("SELECT digests FROM ledger WHERE kind='text' AND subject=?",
                                (ledger.text_subject(snapshot, by),)).fetchall()
        else:   # by the text
            _text_entries(live)
            rows = live.execute("SELECT digests FROM temp.text_entries WHERE text_sha256=? AND by=?",
                                (text_sha, by)).fetchall()
        wanted = None
        for (digests,) in rows:
            d = json.loads(digests or "{}")
            if d.get("text_sha256") != text_sha or d.get("extractor_version") != by:
                continue
            wanted = wanted or rows_sha256(live, text_sha)
            if d.get("rows_sha256") == wanted:
                return True
        return False

    # (the statements copying a text's rows, one pair per table, made once)
    copy = []
    for table, key in _TEXT_TABLES:
        cols = [r[1] for r in live.execute(f"PRAGMA table_info({table})")]
        names = ", ".join(f'"{c}"' for c in cols)
        copy.append((f'DELETE FROM {table} WHERE "{key}" = ?',
                     f'SELECT {names} FROM {table} WHERE "{key}" = ?',
                     f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))})"))

    def adopt_text(conn: sqlite3.Connection, text_sha: str) -> None:
        if text_sha in adopted_texts:
            return
        adopted_texts.add(text_sha)
        for delete, select, insert in copy:
            conn.execute(delete, (text_sha,))
            conn.executemany(insert, [tuple(r) for r in live.execute(select, (text_sha,))])

    try:
        cur = live.execute("SELECT sha256, text_sha256, extract_status, extract_error, extractor_version "
                           "FROM snapshots WHERE extract_status IS NOT 'pending' AND extractor_version IS NOT NULL "
                           "AND extractor_version != ?", (version,))
        while chunk := cur.fetchmany(500):
            adopted: list[str] = []
            with fresh.transaction() as conn:
                for row in chunk:
                    sha, by = row["sha256"], row["extractor_version"]
                    if row["extract_status"] in ("ok", "truncated"):
                        if not (row["text_sha256"] and vouched_text(row["text_sha256"], by, sha)):
                            report.add("derived_row", False, f"snapshots:{sha}",
                                       f"snapshots row {sha}: extracted by {by}, and no ledger entry vouches for "
                                       f"its text and rows; {again}", group="snapshots")
                            continue
                        adopt_text(conn, row["text_sha256"])
                    else:   # failed or not HTML then: adopted only if it still is
                        now = conn.execute("SELECT extract_status, text_sha256 FROM snapshots WHERE sha256=?",
                                           (sha,)).fetchone()
                        if now is None or now[0] != row["extract_status"] or now[1] is not None:
                            continue
                    conn.execute(f"UPDATE snapshots SET {', '.join(f'{c}=?' for c in _OLDER_TEXT_COLUMNS)} "
                                 "WHERE sha256=?", [row[c] for c in _OLDER_TEXT_COLUMNS] + [sha])
                    adopted.append(sha)
                for page in pages_of_snapshots(conn, adopted):
                    rebuild_versions(conn, page)
        with fresh.transaction() as conn:
            # This extractor's texts of the snapshots that kept their older ones are no
            # longer anyone's: out, as `archive extract` would leave them out.
            for table, key in _TEXT_TABLES:
                conn.execute(f'DELETE FROM {table} WHERE "{key}" NOT IN '
                             "(SELECT text_sha256 FROM snapshots WHERE text_sha256 IS NOT NULL)")
            # Texts of an older extractor no snapshot points at any more (a later extraction
            # gave another text): kept, and searchable, only as a ledger entry vouches for them.
            for row in live.execute("SELECT sha256, extractor_version FROM texts "
                                    "WHERE extractor_version IS NOT ?", (version,)):
                if row["sha256"] in adopted_texts:
                    continue
                if conn.execute("SELECT 1 FROM snapshots WHERE text_sha256=? LIMIT 1", (row["sha256"],)).fetchone():
                    continue   # this extractor gives this text too: the comparison checks the row
                if row["extractor_version"] is not None and vouched_text(row["sha256"], row["extractor_version"], None):
                    adopt_text(conn, row["sha256"])
                else:
                    report.add("derived_row", False, f"texts:{row['sha256']}",
                               f"texts row {row['sha256']}: extracted by {row['extractor_version']}, and no ledger "
                               f"entry vouches for it; {again}", group="texts")
    finally:
        live.close()


def _stale_extraction(conn: sqlite3.Connection) -> None:
    """What the live index has not extracted yet, as temporary tables of ``conn`` (a
    million queued snapshots are not held in memory): snapshots still queued, and the
    pages holding them. (Rows of an older extractor were taken into the rebuilt index
    where the ledger vouches for them, :func:`_adopt_older_extractions`, and are compared.)
    A queued snapshot holds no extraction yet: one that does is compared, and named."""
    conn.executescript("""
        CREATE TEMP TABLE IF NOT EXISTS stale_snapshots (key TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TEMP TABLE IF NOT EXISTS stale_texts (key TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TEMP TABLE IF NOT EXISTS stale_pages (key TEXT PRIMARY KEY) WITHOUT ROWID;
        DELETE FROM temp.stale_snapshots; DELETE FROM temp.stale_texts; DELETE FROM temp.stale_pages;
    """)
    conn.execute("INSERT OR IGNORE INTO temp.stale_snapshots SELECT sha256 FROM main.snapshots WHERE sha256 IS NOT NULL "
                 "AND extract_status = 'pending' AND text_sha256 IS NULL AND extract_error IS NULL "
                 "AND extractor_version IS NULL")
    conn.execute("INSERT OR IGNORE INTO temp.stale_pages SELECT DISTINCT c.page_url FROM temp.stale_snapshots s "
                 "JOIN main.captures c ON c.payload_sha256 = s.key WHERE c.page_url IS NOT NULL")


# table -> (when a row of the live index may be stale, as SQL over it (``l``), and the
# columns not to compare in a stale row; None: skip the whole row).
_ANY_STALE = "(EXISTS (SELECT 1 FROM temp.stale_snapshots) OR EXISTS (SELECT 1 FROM temp.stale_texts))"
STALE: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "snapshots": ('l."sha256" IN temp.stale_snapshots', EXTRACTION_COLUMNS["snapshots"]),
    "pages": ('l."url" IN temp.stale_pages', EXTRACTION_COLUMNS["pages"]),
    "texts": ('l."sha256" IN temp.stale_texts', None),
    "quotes": ('l."text_sha256" IN temp.stale_texts', None),
    "figures": ('l."text_sha256" IN temp.stale_texts', None),
    "versions": ('l."page_url" IN temp.stale_pages', None),
    "changes": ('l."page_url" IN temp.stale_pages', None),
    "diffs": ('l."page_url" IN temp.stale_pages', None),
    # Counts of what extraction writes are what it gives only once nothing waits for it.
    "facet_counts": ("(l.table_name IN ('versions', 'quotes', 'figures', 'changes') OR "
                     f"(l.table_name = 'snapshots' AND l.column_name = 'extract_status')) AND {_ANY_STALE}", None),
}


def _compare_table(conn: sqlite3.Connection, table: str, keys: tuple[str, ...], report: _Report) -> None:
    have = [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]
    if not have or not [r for r in conn.execute(f"PRAGMA derived.table_info({table})")]:
        return
    cols = [c for c in have if (table, c) not in NOT_DERIVED]
    sel = ", ".join([f'l."{c}"' for c in cols] + [f'f."{c}"' for c in cols])
    on = " AND ".join(f'l."{k}" = f."{k}"' for k in keys)
    stale, stale_skip = STALE.get(table, ("0", ()))
    n = bad = skipped = 0
    cur = conn.execute(f'SELECT {sel}, {stale}, f."{keys[0]}" IS NULL FROM main."{table}" AS l '
                       f'LEFT JOIN derived."{table}" AS f ON {on}')
    while chunk := cur.fetchmany(1000):
        for values in chunk:
            n += 1
            live = dict(zip(cols, values[:len(cols)]))
            derived = dict(zip(cols, values[len(cols):2 * len(cols)]))
            key = ":".join(str(live[k]) for k in keys)
            skip = stale_skip if values[-2] else ()
            if skip is None:
                skipped += 1
                continue
            if values[-1]:
                bad += 1
                report.add("derived_row", False, f"{table}:{key}",
                           f"{table} row {key}: the WARC files give no such row (inserted into the index?)",
                           group=table)
                continue
            diff = [c for c in cols if c not in skip and live[c] != derived[c]]
            if table == "warc_files" and diff and set(diff) <= {"size", "records"} \
                    and _unacknowledged_tail(conn, live, derived):
                diff = []
            if diff:
                bad += 1
                c = diff[0]
                report.add("derived_row", False, f"{table}:{key}",
                           f"{table} row {key}: {c} is {_short(live[c])}, the WARC files give "
                           f"{_short(derived[c])}" + (f" (also {', '.join(diff[1:])})" if diff[1:] else ""),
                           group=table)
    if not bad and n:
        note = f"; {skipped} not extracted yet (queued)" if skipped else ""
        report.add("derived_row", True, table,
                   f"{n} {table} rows are what the WARC files give{note}")


def _unacknowledged_tail(conn: sqlite3.Connection, live: dict, derived: dict) -> bool:
    """A file of ours still open to writers may hold complete records past its
    acknowledged end (a request written just before a kill): the index rightly says
    less than the file. Allowed when nothing indexed lies past that end."""
    sealed = conn.execute("SELECT sealed_at FROM main.warc_files WHERE name = ?", (live["name"],)).fetchone()
    if (sealed and sealed[0]) or live["origin"] != "capture" or (live["size"] or 0) > (derived["size"] or 0):
        return False
    for table in ("captures", "citations", "ledger"):
        if conn.execute(f"SELECT 1 FROM main.{table} WHERE warc_file = ? AND offset >= ? LIMIT 1",
                        (live["name"], live["size"] or 0)).fetchone():
            return False
    return True


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"
