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

Reading rules: a pointer is ``(file, offset, length)``. :func:`read_record_bytes` reads
exactly that slice and :func:`parse_record` decompresses and parses it, checking that the
block is as long as its ``Content-Length`` says (warcio does not, see warcio #138).
"""

from __future__ import annotations

import base64
import binascii
import errno
import fcntl
import hashlib
import io
import os
import re
import secrets
import socket
import threading
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

try:   # ISA-L: twice zlib's speed inflating, nine times deflating; same API and format
    from isal import isal_zlib as zlib_fast
except ImportError:   # pragma: no cover - isal is a dependency; zlib still works
    zlib_fast = zlib  # type: ignore[assignment]

from . import SOFTWARE
from .errors import StoreError, WarcFormatError

DEFAULT_MAX_SIZE = 1024 ** 3
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


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def warc_date(dt: datetime) -> str:
    """WARC 1.1 date with microseconds, e.g. ``2026-11-25T03:36:57.123456Z``."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def encode_records(records: list) -> list[EncodedRecord]:
    """Serialise warcio records to gzip members without touching any file.

    Done by the capturing thread, outside the store's lock, so compression of several
    captures runs in parallel (ISA-L and zlib release the GIL); the lock then only covers
    the write itself.
    """
    out = []
    for rec in records:
        buf = io.BytesIO()
        Sha256WARCWriter(buf, gzip=False, warc_version=WARC_VERSION).write_record(rec)
        raw = buf.getvalue()
        # One gzip member per record, as warcio's writer makes them. ISA-L at level 3
        # compresses 1,000 bench pages in 0.10 s of CPU where zlib at level 6 takes
        # 0.93 s, for 3.9% more bytes: compression was half of a capture's CPU.
        comp = _compressobj()
        out.append(EncodedRecord(
            record_id=rec.rec_headers.get_header("WARC-Record-ID"), record_type=rec.rec_type,
            raw=raw, member=comp.compress(raw) + comp.flush(),
            block_sha256=digest_hex(rec.rec_headers.get_header("WARC-Block-Digest") or "")))
    return out


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
    ):
        self.root = Path(root)
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
        # pid + random token + sequence: unique across processes and across restarts.
        return f"{self.prefix}-{stamp}-{os.getpid()}-{self._token}-{self._seq:05d}.warc.gz"

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
        _fsync_dir(self.root)
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
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_file() and (p.name.endswith(".warc.gz") or p.name.endswith(".warc")))

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


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    return os.strerror(exc.errno) if exc.errno else str(exc)


def _fsync_dir(path: Path) -> None:
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


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# -- digests --------------------------------------------------------------------------

def digest_hex(label: str | None) -> str | None:
    """The hex of a ``WARC-*-Digest`` value in any encoding the WARC 1.1 spec allows.

    Returns ``None`` when the value cannot be decoded (unknown algorithm or bad
    encoding): such a digest is *unverifiable*, never a pass.

    >>> digest_hex("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ")
    'da39a3ee5e6b4b0d3255bfef95601890afd80709'
    """
    if not label or ":" not in label:
        return None
    algo, _, value = label.strip().partition(":")
    algo = algo.lower().replace("-", "")
    sizes = {"sha1": 20, "sha256": 32, "sha512": 64, "md5": 16}
    size = sizes.get(algo)
    if size is None:
        return None
    value = value.strip()
    fast = _b32_hex(value, size)
    if fast is not None:
        return fast
    for decode in (_b32, _b16, _b64, _b64url):
        raw = decode(value)
        if raw is not None and len(raw) == size:
            return raw.hex()
    return None


def digest_algo(label: str | None) -> str | None:
    if not label or ":" not in label:
        return None
    algo = label.split(":", 1)[0].lower().replace("-", "")
    return algo if algo in ("sha1", "sha256", "sha512", "md5") else None


_B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_AS_INT = str.maketrans(_B32_ALPHABET + _B32_ALPHABET.lower(), "0123456789abcdefghijklmnopqrstuv" * 2)
_B32_VALUE = re.compile(r"[A-Za-z2-7]+=*")


def _b32_hex(v: str, size: int) -> str | None:
    """Base32 of ``size`` bytes as hex, by way of ``int(..., 32)``: ten times quicker than
    ``base64.b32decode``, which an import calls for every record's two digests."""
    if not _B32_VALUE.fullmatch(v):
        return None
    v = v.rstrip("=")
    extra = len(v) * 5 - size * 8   # padding bits of the last character, always zero
    if not 0 <= extra < 5:
        return None
    n = int(v.translate(_B32_AS_INT), 32)
    if n & ((1 << extra) - 1):
        return None
    return format(n >> extra, f"0{size * 2}x")


def _b32(v: str) -> bytes | None:
    try:
        padded = v.upper() + "=" * (-len(v) % 8)
        return base64.b32decode(padded)
    except (binascii.Error, ValueError):
        return None


def _b16(v: str) -> bytes | None:
    try:
        return bytes.fromhex(v)
    except ValueError:
        return None


def _b64(v: str) -> bytes | None:
    try:
        return base64.b64decode(v + "=" * (-len(v) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _b64url(v: str) -> bytes | None:
    # warcio accepts URL-safe base64 (its example-digest.warc uses it).
    try:
        return base64.urlsafe_b64decode(v + "=" * (-len(v) % 4))
    except (binascii.Error, ValueError):
        return None


def sha256_label(hexdigest: str) -> str:
    return "sha256:" + base64.b32encode(bytes.fromhex(hexdigest)).decode()


# -- reading by pointer ---------------------------------------------------------------

@dataclass
class ParsedRecord:
    """A record read back from its exact bytes."""

    warc_headers: list[tuple[str, str]]
    block: bytes
    declared_length: int
    version: str = ""
    http_status: int | None = None
    http_headers: list[tuple[str, str]] = field(default_factory=list)
    http_reason: str = ""
    payload: bytes = b""
    # Where block and payload lie in the bytes parsed: (block start, block end, payload
    # start); payload start is -1 when the payload is not a slice of them (de-chunked).
    spans: tuple[int, int, int] | None = field(default=None, repr=False, compare=False)
    # SHA-256 hex of "block" / "payload" computed by whoever read the bytes (the import
    # reader hashes on its own thread) for exactly the spans above.
    known_sha256: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _by_name: dict[str, str] | None = field(default=None, repr=False, compare=False)

    def headers_by_name(self) -> dict[str, str]:
        """The WARC headers by lower-case name, the first of repeated ones winning."""
        if self._by_name is None:
            by_name: dict[str, str] = {}
            for k, v in self.warc_headers:
                by_name.setdefault(k.lower(), v)
            self._by_name = by_name
        return self._by_name

    def header(self, name: str) -> str | None:
        """The first WARC header called ``name`` (any case), or None."""
        return self.headers_by_name().get(name.lower())

    @property
    def record_type(self) -> str | None:
        return self.header("WARC-Type")

    @property
    def record_id(self) -> str | None:
        return self.header("WARC-Record-ID")


MAX_RECORD_READ = 1 << 31


def read_record_bytes(path: str | Path, offset: int, length: int) -> bytes:
    """The raw (compressed) bytes of a record; raises if the file is shorter."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(length)
    except FileNotFoundError:
        raise StoreError(f"WARC file missing: {path}") from None
    if len(data) != length:
        raise WarcFormatError(
            f"record extends past end of file ({len(data)} of {length} bytes present)",
            str(path), offset)
    return data


def decompress_member(data: bytes, path: str = "", offset: int = 0) -> bytes:
    """Decompress one gzip member exactly; trailing bytes or a cut member are errors."""
    if data[:2] != b"\x1f\x8b":
        return data  # uncompressed WARC
    d = zlib_fast.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data)
    except (zlib.error, zlib_fast.error) as exc:
        raise WarcFormatError(f"corrupt gzip member ({exc})", path, offset) from None
    if not d.eof:
        raise WarcFormatError("truncated_record: gzip member is cut short", path, offset)
    if d.unused_data:
        raise WarcFormatError("pointer length covers more than one gzip member", path, offset)
    return out


def parse_record(raw: bytes, path: str = "", offset: int = 0) -> ParsedRecord:
    """Parse decompressed record bytes into headers, block and HTTP payload."""
    head_end = raw.find(b"\r\n\r\n")
    if head_end < 0:
        raise WarcFormatError("WARC headers not terminated", path, offset)
    lines = raw[:head_end].decode("utf-8", "replace").split("\r\n")
    version = lines[0].strip()
    if not version.startswith("WARC/"):
        raise WarcFormatError(f"not a WARC record (first line {version[:40]!r})", path, offset)
    headers = []
    for line in lines[1:]:
        if ":" not in line:
            raise WarcFormatError(f"malformed WARC header line {line[:60]!r}", path, offset)
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    rec = ParsedRecord(warc_headers=headers, block=b"", declared_length=-1, version=version)
    for required in ("WARC-Type", "WARC-Record-ID", "WARC-Date", "Content-Length"):
        if rec.header(required) is None:
            raise WarcFormatError(f"missing mandatory header {required}", path, offset)
    try:
        clen = int(rec.header("Content-Length"))
        if clen < 0:
            raise ValueError
    except ValueError:
        raise WarcFormatError(f"bad Content-Length {rec.header('Content-Length')!r}", path, offset) from None
    rec.declared_length = clen
    block = raw[head_end + 4:head_end + 4 + clen]
    if len(block) < clen:
        raise WarcFormatError(
            f"truncated_record: block has {len(block)} of {clen} bytes", path, offset)
    rec.block = block
    start = head_end + 4
    ctype = (rec.header("Content-Type") or "").lower()
    if rec.record_type in ("response", "revisit", "request") and "application/http" in ctype:
        body_at = _parse_http(rec, path, offset)
        rec.spans = (start, start + clen, start + body_at if body_at >= 0 else -1)
    else:
        rec.payload = block
        rec.spans = (start, start + clen, start)
    return rec


def _parse_http(rec: ParsedRecord, path: str, offset: int) -> int:
    """Fill in the HTTP status, headers and payload; returns where the payload starts in
    the block, or -1 when it is not a slice of the block (chunked transfer-coding)."""
    block = rec.block
    end = block.find(b"\r\n\r\n")
    sep = 4
    if end < 0:
        end = block.find(b"\n\n")
        sep = 2
    if end < 0:
        # Requests and revisits are often written as headers alone, with no blank line.
        end, sep = len(block), 0
    lines = block[:end].decode("iso-8859-1").replace("\r\n", "\n").split("\n")
    status_line = lines[0]
    parts = status_line.split(" ", 2)
    if rec.record_type != "request" and len(parts) >= 2 and parts[1].isdigit():
        rec.http_status = int(parts[1])
        rec.http_reason = parts[2] if len(parts) > 2 else ""
    for line in lines[1:]:
        if ":" in line:
            k, _, v = line.partition(":")
            rec.http_headers.append((k.strip(), v.strip()))
    body = block[end + sep:]
    te = ",".join(v for k, v in rec.http_headers if k.lower() == "transfer-encoding").lower()
    if "chunked" in te:
        rec.payload = dechunk(body)
        return -1
    rec.payload = body
    return end + sep


def dechunk(body: bytes) -> bytes:
    """Remove HTTP chunked transfer-coding; a malformed body is returned as it is."""
    out = io.BytesIO()
    pos = 0
    try:
        while True:
            eol = body.index(b"\r\n", pos)
            size = int(body[pos:eol].split(b";")[0].strip(), 16)
            pos = eol + 2
            if size == 0:
                return out.getvalue()
            out.write(body[pos:pos + size])
            pos += size + 2
    except ValueError:
        return body if out.tell() == 0 else out.getvalue()


def http_header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    low = name.lower()
    for k, v in headers:
        if k.lower() == low:
            return v
    return None


def is_arc_path(path: str | Path) -> bool:
    name = str(path).lower()
    return name.endswith(".arc") or name.endswith(".arc.gz")


def arc_record_id(path: str | Path, offset: int, raw: bytes) -> str:
    """A stable WARC-Record-ID for an ARC record (ARC records have none of their own).

    Derived from the file name (ours embed the file's SHA-256), the offset and the
    record bytes, so an import and a later ``reindex`` give the same id and citations
    that name it keep resolving. warcio makes a random one on every read.
    """
    import uuid

    key = f"arc:{Path(str(path)).name}:{offset}:{hashlib.sha256(raw).hexdigest()}"
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}>"


def parse_arc_record(raw: bytes, path: str = "", offset: int = 0) -> ParsedRecord:
    """Parse one (decompressed) ARC v1/v2 record into the shape of a WARC record.

    The header line is ``URL IP DATE MIME [... v2 fields] LENGTH``; the block is the next
    LENGTH bytes, kept exactly as stored (an HTTP response for http(s) URLs). The file
    header (``filedesc://``) becomes a ``warcinfo`` record.
    """
    body_start = raw.find(b"\n")
    if body_start < 0:
        raise WarcFormatError("ARC header line not terminated", path, offset)
    line = raw[:body_start].strip().decode("latin-1")
    fields = line.split(" ")
    if len(fields) < 5:
        raise WarcFormatError(f"invalid ARC header line {line[:80]!r}", path, offset)
    url, ip, date, mime, declared = fields[0], fields[1], fields[2], fields[3], fields[-1]
    if not declared.isdigit():
        raise WarcFormatError(f"invalid ARC record: length field {declared[:20]!r} is not a "
                              "byte count", path, offset)
    clen = int(declared)
    block = raw[body_start + 1:body_start + 1 + clen]
    if len(block) < clen:
        raise WarcFormatError(f"truncated_record: block has {len(block)} of {clen} bytes",
                              path, offset)
    from .index import iso_date

    is_info = url.startswith("filedesc://")
    is_http = not is_info and url.lower().startswith(("http:", "https:")) and block.startswith(b"HTTP/")
    headers = [("WARC-Type", "warcinfo" if is_info else "response"),
               ("WARC-Record-ID", arc_record_id(path, offset, raw))]
    if not is_info:
        headers.append(("WARC-Target-URI", url))
    date_iso = iso_date(date) or date
    headers += [("WARC-Date", date_iso), ("WARC-IP-Address", ip),
                ("Content-Type", "application/http; msgtype=response" if is_http else mime),
                ("Content-Length", str(clen))]
    rec = ParsedRecord(warc_headers=headers, block=block, declared_length=clen, version="ARC")
    if is_http:
        _parse_http(rec, path, offset)
    else:
        rec.payload = block
    return rec


def load_record(path: str | Path, offset: int, length: int) -> ParsedRecord:
    """Read, decompress and parse the record at a pointer (WARC, or ARC by file name)."""
    data = read_record_bytes(path, offset, length)
    raw = decompress_member(data, str(path), offset)
    if is_arc_path(path) and not raw.startswith(b"WARC/"):
        return parse_arc_record(raw, str(path), offset)
    return parse_record(raw, str(path), offset)
