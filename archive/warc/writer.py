"""Append-only WARC files: writing records durably and reading them back by pointer.

Writing rules (DESIGN.md principle 3):

* each process writes its own file, named from time, pid and a random token, held under
  an exclusive ``flock`` while open, so concurrent processes never interleave bytes and
  names never collide;
* every file starts with a ``warcinfo`` record; every record is one gzip member;
* a batch of records (a request and its response) is flushed and ``fsync``-ed before
  :meth:`WarcStore.append` returns; if any write fails (disk full, I/O error) the file is
  truncated back to where the batch began and the error is raised: nothing half-written
  stays in the live file;
* a file is rotated out at ``max_size`` and *sealed*: its SHA-256 and size are recorded.

Reading a record back by its pointer is :mod:`archive.warc.record`'s job.
"""

from __future__ import annotations

import errno
import fcntl
import io
import os
import secrets
import socket
import threading
import types
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Protocol

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

zlib_fast: types.ModuleType
try:   # ISA-L: twice zlib's speed inflating, nine times deflating; same API and format
    from isal import isal_zlib as zlib_fast
except ImportError:   # pragma: no cover - isal is a dependency; zlib still works
    zlib_fast = zlib

from archive import SOFTWARE
from archive.errors import StoreError
from archive.storage import Blob
from archive.storage.local import LocalBlob, list_warcs
from archive.times import utcnow, warc_date
from archive.warc.digests import WRITER_MAC_HEADER, digest_hex, file_sha256, writer_mac

DEFAULT_MAX_SIZE = 1024 ** 3
# Every kind of file the store accepts and keeps in its directory: our own WARCs and the
# WARC and ARC files imported (a WACZ is unpacked into these). Reindex, verify and export
# all walk this list, so a kind missing here is a kind whose captures vanish.
STORE_SUFFIXES = (".warc.gz", ".warc", ".arc.gz", ".arc")
GZIP_LEVEL = 3   # ISA-L's highest; zlib's level 6 when isal is missing
WARC_VERSION = "WARC/1.1"
CHUNK = 1 << 16


def _compressobj():
    if zlib_fast is zlib:   # pragma: no cover - isal is a dependency
        return zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return zlib_fast.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)


class Sha256WARCWriter(WARCWriter):
    """warcio's writer with SHA-256 block and payload digests (it defaults to SHA-1)."""

    @staticmethod
    def _create_digester():
        return Digester("sha256")


class WireStatusAndHeaders(StatusAndHeaders):
    """HTTP headers serialised as the bytes that came over the wire.

    warcio percent-encodes any non-ASCII header value (``¡`` becomes ``%C2%A1``), so the
    record would no longer hold what the server sent. :mod:`http.client` decodes header
    bytes as ISO-8859-1, so encoding them back the same way restores them exactly.
    """

    def compute_headers_buffer(self, header_filter=None):
        text = self.to_str(header_filter)
        try:
            self.headers_buff = text.encode("iso-8859-1") + b"\r\n"
        except UnicodeEncodeError:  # not from the wire: a caller's own header value
            self.headers_buff = text.encode("utf-8") + b"\r\n"


class Sha256RecordBuilder(RecordBuilder):
    @staticmethod
    def _create_digester():
        return Digester("sha256")

    def create_warc_record(self, uri, record_type, payload=None, length=None,
                           warc_content_type="", warc_headers_dict=None, warc_headers=None,
                           http_headers=None):
        if http_headers is not None and type(http_headers) is StatusAndHeaders:
            http_headers.__class__ = WireStatusAndHeaders
        return super().create_warc_record(uri, record_type, payload=payload, length=length,
                                          warc_content_type=warc_content_type,
                                          warc_headers_dict=warc_headers_dict,
                                          warc_headers=warc_headers, http_headers=http_headers)


class RemoteStore(Protocol):
    """What the writer needs of a remote backend (:class:`archive.storage.s3.S3Backend`)."""

    def list(self) -> list[str]: ...

    def blob(self, name: str) -> Blob: ...


def new_record_id() -> str:
    import uuid

    return f"<urn:uuid:{uuid.uuid4()}>"


@dataclass
class RecordPointer:
    """Where a record's bytes are: enough to re-read it without scanning."""

    warc_file: str
    offset: int
    length: int
    record_id: str
    record_type: str
    block_sha256: str | None = None


@dataclass
class _OpenFile:
    name: str
    path: Path
    fh: io.BufferedWriter
    size: int
    records: int = 0
    synced: int = 0            # bytes known to be on disk (fsynced)
    failed: bool = False       # an fsync failed: nothing past ``synced`` may be acked
    sync_lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class EncodedRecord:
    """A record serialised ahead of time: its uncompressed bytes and its gzip member."""

    record_id: str
    record_type: str
    raw: bytes
    member: bytes
    block_sha256: str | None


def encode_records(records: list, mac_key: bytes | None = None) -> list[EncodedRecord]:
    """Serialise warcio records to gzip members without touching any file.

    Done by the capturing thread, outside the store's lock, so compression of several
    captures runs in parallel (ISA-L and zlib release the GIL); the lock then only covers
    the write itself. With ``mac_key`` each record carries the writer's mark
    (``WARC-Archive-Writer-MAC``, see :func:`archive.warc.digests.writer_mac`): the proof
    recovery asks of a record it finds written but not indexed.
    """
    out = []
    for rec in records:
        buf = io.BytesIO()
        Sha256WARCWriter(buf, gzip=False, warc_version=WARC_VERSION).write_record(rec)
        raw = buf.getvalue()
        if mac_key is not None:
            raw = _with_mark(raw, mac_key)
        # One gzip member per record, as warcio's writer makes them. ISA-L at level 3
        # compresses 1,000 bench pages in 0.10 s of CPU where zlib at level 6 takes
        # 0.93 s, for 3.9% more bytes: compression was half of a capture's CPU.
        comp = _compressobj()
        out.append(EncodedRecord(
            record_id=rec.rec_headers.get_header("WARC-Record-ID"), record_type=rec.rec_type,
            raw=raw, member=comp.compress(raw) + comp.flush(),
            block_sha256=digest_hex(rec.rec_headers.get_header("WARC-Block-Digest") or "")))
    return out


def mark_record(rec, key: bytes) -> None:
    """Add the writer's mark to a warcio record about to be streamed to a file: its
    digests are computed first (as writing would), then the mark is added as a header."""
    Sha256WARCWriter(io.BytesIO(), gzip=False, warc_version=WARC_VERSION).ensure_digest(rec, block=True, payload=True)
    if rec.content_type:
        rec.rec_headers.replace_header("Content-Type", rec.content_type)
    rec.rec_headers.add_header(WRITER_MAC_HEADER, f"hmac-sha256:{writer_mac(key, rec.rec_headers.headers)}")


def _with_mark(raw: bytes, key: bytes) -> bytes:
    """``raw`` (one record, uncompressed) with the writer's mark added as its last header."""
    head_end = raw.find(b"\r\n\r\n")
    lines = raw[:head_end].decode("utf-8", "replace").split("\r\n")[1:]
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines)]
    mark = f"\r\n{WRITER_MAC_HEADER}: hmac-sha256:{writer_mac(key, headers)}".encode()
    return raw[:head_end] + mark + raw[head_end:]


class WarcStore:
    """The ``warcs/`` directory: appends records, rotates and seals files.

    ``clock`` and ``id_factory`` are injectable so tests can write byte-identical files.
    ``on_seal(name, sha256, size)`` is called when a file is rotated out or sealed,
    ``on_close(name, size)`` when it is closed cleanly without sealing; ``adoptable()``
    names a cleanly closed file (and its size) that new batches may continue.
    """

    def __init__(
        self,
        root: str | Path,
        max_size: int = DEFAULT_MAX_SIZE,
        prefix: str = "archive",
        clock: Callable[[], datetime] = utcnow,
        id_factory: Callable[[], str] = new_record_id,
        on_open: Callable[[str, str], None] | None = None,
        on_seal: Callable[[str, str, int], None] | None = None,
        on_close: Callable[[str, int], None] | None = None,
        adoptable: Callable[[], tuple[str, int] | None] | None = None,
        remote: "RemoteStore | None" = None,
    ):
        """``remote``, when given, is where sealed files go (an S3 bucket): ``root`` is then
        the local staging directory that files are written in until they are uploaded."""
        self.root = Path(root)
        self.remote = remote
        self.max_size = max_size
        self.prefix = prefix
        self.clock = clock
        self.id_factory = id_factory
        self.on_open = on_open
        self.on_seal = on_seal
        self.on_close = on_close
        self.adoptable = adoptable
        self.builder = Sha256RecordBuilder(warc_version=WARC_VERSION)
        self._lock = threading.RLock()
        self._current: _OpenFile | None = None
        self._seq = 0
        self._token = secrets.token_hex(3)

    # -- naming -----------------------------------------------------------------------
    def _new_name(self) -> str:
        self._seq += 1
        stamp = self.clock().strftime("%Y%m%d%H%M%S")
        # machine + pid + random token + sequence: unique across machines writing to one
        # bucket, across processes and across restarts.
        return f"{self.prefix}-{stamp}-{machine_name()}-{os.getpid()}-{self._token}-{self._seq:05d}.warc.gz"

    def path_of(self, name: str) -> Path:
        """The path of a store file, refusing names that would escape ``root``."""
        if not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
            raise StoreError(f"not a store file name: {name!r}")
        path = (self.root / name).resolve()
        if path.parent != self.root.resolve():
            raise StoreError(f"not a store file name: {name!r}")
        return path

    # -- writing ----------------------------------------------------------------------
    def _file_for(self, size_needed: int) -> _OpenFile:
        """The file the next batch goes to: the current one, a cleanly closed one to
        continue, or a new one; a file that would grow past ``max_size`` is sealed."""
        of = self._current
        if of is not None and of.size > 0 and of.size + size_needed > self.max_size and of.records > 1:
            self._seal(of)
            of = None
        if of is None:
            of = self._adopt(size_needed) or self._open_new()
        return of

    def _adopt(self, size_needed: int) -> _OpenFile | None:
        """Continue the file a previous process closed cleanly, instead of starting a
        file (and a warcinfo record) per command. Only if it is exactly as long as the
        index says it was left, and no one else holds it."""
        candidate = self.adoptable() if self.adoptable else None
        if candidate is None:
            return None
        name, size = candidate
        try:
            path = self.path_of(name)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        except (OSError, StoreError):
            return None
        fh = os.fdopen(fd, "ab")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return None
        actual = os.fstat(fh.fileno()).st_size
        if actual != size or actual + size_needed > self.max_size:
            fh.close()
            return None
        of = _OpenFile(name=name, path=path, fh=fh, size=actual, records=2, synced=actual)
        self._current = of
        if self.on_open:
            self.on_open(name, "")
        return of

    def _open_new(self) -> _OpenFile:
        self.root.mkdir(parents=True, exist_ok=True)
        name = self._new_name()
        path = self.root / name
        # Created under a hidden name, locked, then renamed: a file is never visible
        # under its final name unlocked, so another process's recovery cannot take a
        # file that is being born for a dead one (the lock follows the inode).
        hidden = self.root / f".{name}.new"
        fd = os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        fh = os.fdopen(fd, "ab")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(hidden, path)
        except OSError:
            fh.close()
            hidden.unlink(missing_ok=True)
            raise StoreError(f"cannot create and lock a new WARC file in {self.root}") from None
        fsync_dir(self.root)
        of = _OpenFile(name=name, path=path, fh=fh, size=0)
        info = {
            "software": SOFTWARE,
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            "ip": _local_ip(),
            "operator": os.environ.get("ARCHIVE_OPERATOR", ""),
            "description": "provenance-preserving archive store; one gzip member per record; SHA-256 digests",
        }
        rec = self.builder.create_warcinfo_record(name, info)
        rec.rec_headers.replace_header("WARC-Record-ID", self.id_factory())
        rec.rec_headers.replace_header("WARC-Date", warc_date(self.clock()))
        self._current = of
        try:
            self._write_batch(of, [rec])
        except BaseException:
            self._current = None
            fh.close()
            path.unlink(missing_ok=True)
            raise
        if self.on_open:
            self.on_open(name, warc_date(self.clock()))
        return of

    def append(self, records: list, expected_size: int = 0) -> list[RecordPointer]:
        """Write ``records`` (warcio ArcWarcRecords) durably and return their pointers.

        The batch lands in one file. On failure nothing of the batch remains and the
        exception (a :class:`StoreError`) says what went wrong.
        """
        with self._lock:
            return self._write_batch(self._file_for(expected_size), records)

    def append_encoded(self, encoded: list[EncodedRecord]) -> list[RecordPointer]:
        """Write pre-encoded records and return once they are on disk.

        The write holds the store's lock; the fsync does not: one fsync covers every
        batch written before it started (group commit), so concurrent captures share
        it. On failure nothing of the batch is acknowledged.
        """
        total = sum(len(e.member) for e in encoded)
        with self._lock:
            of = self._file_for(total)
            start = of.size
            pointers = []
            try:
                offset = start
                for e in encoded:
                    of.fh.write(e.member)
                    pointers.append(RecordPointer(warc_file=of.name, offset=offset, length=len(e.member),
                                                  record_id=e.record_id, record_type=e.record_type,
                                                  block_sha256=e.block_sha256))
                    offset += len(e.member)
                of.fh.flush()
            except OSError as exc:
                self._rollback(of, start)
                raise StoreError(f"could not write to {of.path}: {_reason(exc)}; nothing was "
                                 "stored from this capture") from None
            of.size = start + total
            of.records += len(encoded)
            end = of.size
        self._sync(of, end)
        return pointers

    def _sync(self, of: _OpenFile, end: int) -> None:
        with of.sync_lock:
            if of.synced >= end:
                return  # another thread's fsync already covered these bytes
            if of.failed:
                raise StoreError(f"{of.path} could not be synced to disk; nothing was stored "
                                 "from this capture")
            target = of.size  # every batch whose write has completed so far
            try:
                os.fsync(of.fh.fileno())
            except (OSError, ValueError) as exc:
                of.failed = True
                with self._lock:
                    if self._current is of:
                        self._retire(of)
                why = _reason(exc) if isinstance(exc, OSError) else str(exc)
                raise StoreError(f"could not sync {of.path} to disk: {why}; nothing was stored "
                                 "from this capture") from None
            of.synced = target

    def _retire(self, of: _OpenFile) -> None:
        """Stop writing to a suspect file; recovery checks its tail later."""
        try:
            of.fh.close()
        except OSError:
            pass
        self._current = None

    def _write_batch(self, of: _OpenFile, records: list) -> list[RecordPointer]:
        writer = Sha256WARCWriter(of.fh, gzip=True, warc_version=WARC_VERSION)
        start = of.size
        pointers = []
        try:
            for rec in records:
                offset = of.fh.tell()
                writer.write_record(rec)
                of.fh.flush()
                end = of.fh.tell()
                block = rec.rec_headers.get_header("WARC-Block-Digest") or ""
                pointers.append(RecordPointer(
                    warc_file=of.name, offset=offset, length=end - offset,
                    record_id=rec.rec_headers.get_header("WARC-Record-ID"),
                    record_type=rec.rec_type, block_sha256=digest_hex(block)))
            os.fsync(of.fh.fileno())
        except OSError as exc:
            self._rollback(of, start)
            raise StoreError(f"could not write to {of.path}: {_reason(exc)}; nothing was stored "
                             "from this capture") from None
        of.size = of.fh.tell()
        of.synced = of.size
        of.records += len(records)
        return pointers

    def _rollback(self, of: _OpenFile, start: int) -> None:
        """Cut a failed batch off the live file; if even that fails, retire the file."""
        try:
            try:
                of.fh.flush()
            except OSError:
                pass
            os.ftruncate(of.fh.fileno(), start)
            of.fh.seek(start)
            os.fsync(of.fh.fileno())
            of.size = start
        except OSError:
            # The file is suspect: stop writing to it. Recovery will check its tail.
            try:
                of.fh.close()
            except OSError:
                pass
            self._current = None

    def _seal(self, of: _OpenFile) -> None:
        with of.sync_lock:
            of.fh.flush()
            os.fsync(of.fh.fileno())
            of.synced = of.size
            of.fh.close()
        self._current = None
        if self.on_seal:
            self.on_seal(of.name, file_sha256(of.path), of.path.stat().st_size)

    def close(self, seal: bool = False) -> None:
        """Close the current file; ``seal`` also records its SHA-256 (no more appends)."""
        with self._lock:
            of = self._current
            if of is None:
                return
            if seal:
                self._seal(of)
            else:
                with of.sync_lock:
                    of.fh.flush()
                    os.fsync(of.fh.fileno())
                    of.fh.close()
                self._current = None
                if self.on_close:
                    self.on_close(of.name, of.size)

    @property
    def current_file(self) -> str | None:
        return self._current.name if self._current else None

    def list_files(self) -> list[str]:
        """The store's archive files in the local directory (with a remote: those not yet
        uploaded), by name: every kind of :data:`STORE_SUFFIXES`, but
        not the hidden temporary copies an import is still making (``.import-…``)."""
        return list_warcs(self.root, STORE_SUFFIXES)

    def all_files(self) -> list[str]:
        """Every WARC file of the store: local ones and, with a remote, those in the bucket."""
        names = set(self.list_files())
        if self.remote is not None:
            names.update(self.remote.list())
        return sorted(names)

    def source(self, name: str) -> Blob:
        """Where to read a file from: the local copy while there is one, else the remote
        object (read by byte range)."""
        path = self.path_of(name)
        if self.remote is not None and not path.exists():
            return self.remote.blob(name)
        return LocalBlob(path)

    def is_locked(self, name: str) -> bool:
        """True if another live process holds the file open for writing."""
        if self._current is not None and self._current.name == name:
            return True
        try:
            fd = os.open(self.path_of(name), os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)


def machine_name() -> str:
    """This capture machine's name in file names: ``$ARCHIVE_MACHINE`` or the host name,
    reduced to letters, digits and dots (at most 40).

    >>> import os; os.environ["ARCHIVE_MACHINE"] = "crawler 7/eu"; machine_name()
    'crawler7eu'
    >>> del os.environ["ARCHIVE_MACHINE"]
    """
    raw = os.environ.get("ARCHIVE_MACHINE") or socket.gethostname() or "host"
    return "".join(c for c in raw if c.isascii() and (c.isalnum() or c == "."))[:40] or "host"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    return os.strerror(exc.errno) if exc.errno else str(exc)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _local_ip() -> str:
    return "127.0.0.1"
