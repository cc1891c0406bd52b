"""Streaming iteration over WARC and ARC files with exact offsets and strict checks.

:func:`iter_records` yields, for each record of a file, either a :class:`Found` (offset,
compressed length, parsed record) or a :class:`Problem` (offset, reason) and then carries
on with the next readable record: a malformed record never stops an import.

Stricter than warcio where it matters for provenance: a gzip member cut short, a block
shorter than its ``Content-Length``, a whole-file gzip (several records in one member),
missing mandatory headers and garbage between records are all reported with the byte
offset where they are.
"""

from __future__ import annotations

import hashlib
import re
import threading
import zlib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Generator, Iterator, Union

from archive.errors import WarcFormatError
from archive.storage import Blob, as_blob
from archive.warc.record import (
    ParsedRecord,
    parse_arc_record,
    parse_record,
    zlib_fast,
)

CHUNK = 1 << 20
FEED = 64 * 1024          # gzip input per decompress call (see _inflate_members)
READ_AHEAD = 2 << 20      # inflated bytes the reader thread may hold ahead of the parser
MAX_RECORD_BYTES = 512 * 1024 * 1024   # a decompressed record larger than this is refused
MAX_HEADER_BYTES = 1 << 20   # WARC headers (or an ARC header line) longer than this are refused
# A record that inflates more than BOMB_RATIO times, past BOMB_FROM bytes, is a bomb: the
# bodies we store (HTML, images) compress 3-10 times; zeros compress 1,000 times.
BOMB_RATIO = 200
BOMB_FROM = 32 << 20
TRIM_EVERY = 32 << 20     # inflated bytes between returns of freed heap to the system
GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_START = re.compile(rb"(?:^|\n)WARC/\d")
_NOT_A_BREAK = re.compile(rb"[^\r\n]")


@dataclass
class Found:
    """A readable record. ``warnings`` name departures from the standard that did not
    stop the read (e.g. a record not ended by CRLF CRLF): its digests decide the rest."""

    offset: int
    length: int
    record: ParsedRecord
    warnings: list[str] = field(default_factory=list)


@dataclass
class Problem:
    offset: int
    reason: str


Item = Union[Found, Problem]


def sniff(path: "str | Path | Blob") -> str:
    """``warc.gz``, ``warc``, ``arc``, ``arc.gz``, ``wacz`` or ``unknown``, by content."""
    return sniff_bytes(as_blob(path).read_range(0, 4096))


def sniff_bytes(head: bytes) -> str:
    """:func:`sniff` of a file's first 4096 bytes ``head``."""
    if head.startswith(b"PK\x03\x04"):
        return "wacz"
    if head.startswith(b"\x1f\x8b"):
        try:
            d = zlib.decompressobj(31)
            start = d.decompress(head, 64)
        except zlib.error:
            return "unknown"
        if start.startswith(b"WARC/"):
            return "warc.gz"
        if start.startswith(b"filedesc://"):
            return "arc.gz"
        if len(start) < 11 and not d.eof and len(head) < 4096:
            # A gzip member cut before its first bytes of text (a crash while a file's
            # first record was written): read it as WARC so the cut is reported as
            # truncated_record at its offset, not as "not a WARC file".
            return "warc.gz"
        return "unknown"
    if head.lstrip(b"\r\n").startswith(b"WARC/"):
        return "warc"
    if head.startswith(b"filedesc://"):
        return "arc"
    return "unknown"


def iter_records(path: "str | Path | Blob") -> Iterator[Item]:
    """Every record of the file at ``path`` (or of a stored blob, streamed), or a problem
    where one cannot be read."""
    source = as_blob(path)
    if source.size() == 0:
        return  # an empty file holds no records (a crash right after it was created)
    kind = sniff(source)
    if kind == "warc.gz":
        with source.open() as f:
            yield from _iter_gzip(f, str(source))
    elif kind == "warc":
        with source.open() as f:
            yield from _iter_plain(f, str(source))
    elif kind in ("arc", "arc.gz"):
        yield from _iter_arc(source)
    elif kind == "wacz":
        raise WarcFormatError("is a WACZ package: import it with `archive import` (it is unpacked)",
                              str(path), 0)
    else:
        raise WarcFormatError("not a WARC or ARC file (no WARC/ or filedesc:// header, "
                              "gzip or plain)", str(path), 0)


def _iter_gzip(f: BinaryIO, path: str, start: int = 0) -> Generator[Item, None, None]:
    """The records of a WARC of one gzip member per record, from byte ``start`` of ``f``.

    Inflating and hashing are two thirds of an import's work and both release the GIL,
    so they run on threads of their own, in a pipeline: one inflates members ahead
    (:func:`_inflate_members`, at most ``READ_AHEAD`` bytes of them), the next hashes
    their blocks and payloads (:func:`_hash_spans`) and parses them, while this generator
    hands the records to its caller, which indexes them: the indexing thread, which also
    writes the index, no longer parses. The threads never outlive the generator: ``f``
    stays the caller's to close.
    """
    inflated = _ReadAhead(READ_AHEAD)
    inflater = threading.Thread(target=inflated.fill, args=(_inflate_members(f, start),),
                                name=f"inflate {path}", daemon=True)
    inflater.start()
    ahead = _ReadAhead(READ_AHEAD)
    thread = threading.Thread(target=ahead.fill, args=(_hash_and_parse(inflated, inflater, path),),
                              name=f"hash {path}", daemon=True)
    thread.start()
    try:
        yield from ahead.items()
    finally:
        ahead.stop()
        thread.join()


def _hash_and_parse(inflated: "_ReadAhead", inflater: threading.Thread, path: str) -> Iterator[Item]:
    """The members handed over by ``inflated``, each hashed (:func:`_hash_spans`) and
    parsed; stops the inflating thread when closed."""
    try:
        for item in inflated.items():
            if isinstance(item, Problem):
                yield item
            else:
                offset, length, raw = item
                yield _parse_member(raw, path, offset, length, _hash_spans(raw))
    finally:
        inflated.stop()
        inflater.join()


class _ReadAhead:
    """A hand-off of batches of members from one stage of the reader to the next, bounded
    in bytes (not in items: one record may be hundreds of MB) so memory stays flat."""

    BATCH = 128 * 1024   # hand over this many inflated bytes at a time: fewer wake-ups

    def __init__(self, budget: int) -> None:
        self._cond = threading.Condition()
        self._batches: deque[tuple[list | None, int]] = deque()
        self._held = 0
        self._budget = budget
        self._stopped = False
        self._error: BaseException | None = None

    def fill(self, members: Iterator) -> None:
        """Run by a stage's thread: hand over ``members`` (problems, tuples whose third
        item is the member's bytes, or records found) in batches, then ``None``."""
        batch: list = []
        size = 0
        try:
            for item in members:
                batch.append(item)
                size += _held(item)
                if size >= self.BATCH:
                    if not self._put(batch, size):
                        return
                    batch, size = [], 0
            if batch and not self._put(batch, size):
                return
        except BaseException as exc:   # an OSError reading the file: re-raised by get()
            with self._cond:
                self._error = exc
        finally:
            members.close()   # type: ignore[attr-defined]
            self._put(None, 0, force=True)

    def _put(self, batch: list | None, size: int, force: bool = False) -> bool:
        with self._cond:
            while (not force and not self._stopped and self._held
                   and self._held + size > self._budget):
                self._cond.wait()
            if self._stopped:
                return False
            self._batches.append((batch, size))
            self._held += size
            self._cond.notify_all()
            return True

    def get(self) -> list | None:
        with self._cond:
            while not self._batches:
                self._cond.wait()
            batch, size = self._batches.popleft()
            self._held -= size
            self._cond.notify_all()
            if batch is None and self._error is not None:
                raise self._error
            return batch

    def items(self) -> Iterator:
        """Every item handed over, batch after batch, until the end."""
        while True:
            batch = self.get()
            if batch is None:
                return
            yield from batch

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._batches.clear()
            self._held = 0
            self._cond.notify_all()


def _held(item: object) -> int:
    """The bytes an item handed over holds: an inflated member's, or a parsed record's
    block and payload (one object for a resource record)."""
    if isinstance(item, tuple):
        return len(item[2])
    if isinstance(item, Found):
        rec = item.record
        return len(rec.block) + (0 if rec.payload is rec.block else len(rec.payload))
    return 0


def _inflate_members(f: BinaryIO, start: int) -> Iterator[Problem | tuple[int, int, bytes]]:
    """``(offset, length, inflated bytes)`` for each gzip member from ``start`` on, or a
    :class:`Problem` where a member cannot be inflated, with the same resync rules as
    ever: garbage is skipped to the next gzip header, a corrupt or oversized member is
    skipped, a member cut by the end of the file ends the read."""
    offset = start
    f.seek(start)
    buf = f.read(CHUNK)
    pos = 0   # buf[pos:] are the file's bytes from ``offset`` on
    inflated = 0
    while True:
        if len(buf) - pos < len(GZIP_MAGIC):
            # Top up, so a gzip header split by the end of a read is not taken for garbage.
            buf = buf[pos:] + f.read(CHUNK)
            pos = 0
            if not buf:
                return
        if not buf.startswith(GZIP_MAGIC, pos):
            rest = buf[pos:]
            if len(rest) < len(GZIP_MAGIC) and GZIP_MAGIC.startswith(rest):
                yield Problem(offset, "truncated_record: the file ends inside a gzip member header")
                return
            skip = _find_magic(f, rest, offset)
            skipped = f"{skip - offset} bytes" if skip >= 0 else "the rest of the file"
            yield Problem(offset, f"bytes between records are not a gzip member (skipped {skipped})")
            if skip < 0:
                return
            offset = skip
            f.seek(offset)
            buf, pos = f.read(CHUNK), 0
            continue
        d = zlib_fast.decompressobj(31)
        view = memoryview(buf)
        parts: list[bytes] = []
        size = 0
        consumed = 0
        failed: str | None = None
        headed = False
        limit = MAX_RECORD_BYTES
        while True:
            if pos >= len(buf):
                buf, pos = f.read(CHUNK), 0
                view = memoryview(buf)
                if not buf:
                    failed = "truncated_record: the file ends inside this gzip member"
                    break
            # Fed a slice at a time: zlib copies the input left after a member's end
            # (unused_data), and copying the rest of a 1 MiB read per record adds up.
            data = view[pos:pos + FEED]
            try:
                out = d.decompress(data, limit + 1 - size)
            except (zlib.error, zlib_fast.error) as exc:
                failed = f"corrupt gzip data ({exc})"
                break
            parts.append(out)
            size += len(out)
            if size > limit:
                failed = (f"record decompresses to more than {limit} bytes "
                          "(a gzip bomb or an oversized record); skipped")
                break
            used = len(data) - len(d.unused_data) - len(d.unconsumed_tail)
            pos += used
            consumed += used
            if not headed and size >= MAX_HEADER_BYTES:
                # The WARC headers end within their first MiB, or this is not a record
                # (a 400 MB "header line" from 400 KB of gzip): refused before it is held.
                headed = True
                if b"\r\n\r\n" not in b"".join(parts)[:MAX_HEADER_BYTES]:
                    failed = f"WARC header block larger than {MAX_HEADER_BYTES} bytes; skipped"
                    break
            if size > BOMB_FROM and size > BOMB_RATIO * consumed:
                failed = (f"record inflates more than {BOMB_RATIO} times from {consumed} bytes "
                          "(a gzip bomb); skipped")
                break
            if d.eof:
                break
        if failed:
            yield Problem(offset, failed)
            if failed.startswith("truncated_record"):
                return
            nxt = _find_magic_from(f, offset + 1)
            if nxt < 0:
                return
            offset = nxt
            f.seek(offset)
            buf, pos = f.read(CHUNK), 0
            continue
        raw = parts[0] if len(parts) == 1 else b"".join(parts)
        inflated += len(raw)
        if inflated >= TRIM_EVERY:
            _trim_heap()
            inflated = 0
        if _NOT_A_BREAK.search(raw):
            yield offset, consumed, raw
        offset += consumed


_CONTENT_LENGTH = re.compile(rb"\r\nContent-Length:[ \t]*(\d{1,12})[ \t]*\r\n", re.IGNORECASE)
_DECLARED = re.compile(rb"\r\nWARC-(Block|Payload)-Digest:[ \t]*([A-Za-z0-9-]{2,12}):", re.IGNORECASE)
# What the hashing thread computes besides SHA-256 when a record declares it (hashlib
# releases the GIL for each, so this overlaps the parsing and indexing).
_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512, "md5": hashlib.md5}

# (block start, block end, {algorithm: hex} of the block, payload start, {algorithm: hex}
# of the payload or None)
Hashed = tuple[int, int, "dict[str, str]", int, "dict[str, str] | None"]


def _hash_spans(raw: bytes) -> Hashed | None:
    """The digests of what is probably the block and the HTTP payload of a record: SHA-256
    (the store's names for them) and the algorithm of each digest the record declares
    (a ``sha1:`` label is checked against a SHA-1), each part hashed once per algorithm.

    Run on the reader's hashing thread, where hashing (which releases the GIL) overlaps
    the parsing and indexing on the other core. It only guesses where the parts lie;
    :func:`_parse_member` uses a digest only if the parser put that part at exactly the
    same bytes, and otherwise the indexer hashes the part itself.
    """
    head_end = raw.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    m = _CONTENT_LENGTH.search(raw, 0, head_end + 2)
    if m is None:
        return None
    start = head_end + 4
    end = start + int(m.group(1))
    if end > len(raw):
        return None
    block_algos = ["sha256"]
    payload_algos = ["sha256"]
    for d in _DECLARED.finditer(raw, 0, head_end + 2):
        algo = d.group(2).decode("ascii").lower().replace("-", "")
        algos = block_algos if d.group(1)[0] in b"Bb" else payload_algos
        if algo in _ALGORITHMS and algo not in algos:
            algos.append(algo)
    view = memoryview(raw)
    block_view = view[start:end]
    block = {a: _ALGORITHMS[a](block_view).hexdigest() for a in block_algos}
    body_at = raw.find(b"\r\n\r\n", start, end)
    if body_at < 0 or b"application/http" not in raw[:head_end].lower():
        return start, end, block, -1, None
    body_at += 4
    body_view = view[body_at:end]
    return start, end, block, body_at, {a: _ALGORITHMS[a](body_view).hexdigest() for a in payload_algos}


_malloc_trim: Any = None


def _trim_heap() -> None:
    """Give freed heap memory back to the system (glibc's ``malloc_trim``; elsewhere a
    no-op). Each member gets a new inflate state of 87 KB and the heap fragments around
    them: without this an import's peak RSS grew by 5 MB from a 37 MB file to a 98 MB one."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


def _parse_member(raw: bytes, path: str, offset: int, length: int, hashed: Hashed | None = None) -> Item:
    try:
        rec = parse_record(raw, path, offset)
    except WarcFormatError as exc:
        return Problem(offset, exc.reason)
    if hashed is not None and rec.spans is not None and rec.spans[:2] == hashed[:2]:
        _know(rec, "block", hashed[2])
        if hashed[4] is not None and rec.spans[2] == hashed[3]:
            _know(rec, "payload", hashed[4])
    assert rec.spans is not None   # parse_record always places the block
    rest = raw[rec.spans[1]:]   # after the block
    warnings = []
    if rest != b"\r\n\r\n" and not rest.strip(b"\r\n"):
        warnings.append(_trailer_warning(rest))
    if rest.strip(b"\r\n"):
        if WARC_START.search(rest[:200]):
            return Problem(offset, "several records in one gzip member (a whole-file gzip, "
                                   "not one member per record): recompress it with "
                                   "`warcio recompress` and import the result")
        extra = len(rest.strip(b"\r\n"))
        return Problem(offset, f"Content-Length does not match the record: {extra} bytes "
                               "follow the block")
    return Found(offset, length, rec, warnings)


def _know(rec: ParsedRecord, part: str, digests: dict[str, str]) -> None:
    for algo, hexdigest in digests.items():
        if algo == "sha256":
            rec.known_sha256[part] = hexdigest
        else:
            rec.known_digests[(algo, part)] = hexdigest


def _trailer_warning(trailer: bytes) -> str:
    return (f"record ends with {trailer[:8]!r} instead of CRLF CRLF: its Content-Length may be "
            "off by a line break (the digests tell whether the block is what was written)")


def _find_magic(f: BinaryIO, buf: bytes, offset: int) -> int:
    i = buf.find(GZIP_MAGIC, 1)
    if i >= 0:
        return offset + i
    return _find_magic_from(f, offset + max(1, len(buf) - 2))


def _find_magic_from(f: BinaryIO, pos: int) -> int:
    f.seek(pos)
    while True:
        chunk = f.read(CHUNK)
        if not chunk:
            return -1
        i = chunk.find(GZIP_MAGIC)
        if i >= 0:
            return pos + i
        pos += len(chunk) - 2
        f.seek(pos)
        if len(chunk) < 3:
            return -1


def _iter_plain(f: BinaryIO, path: str) -> Iterator[Item]:
    offset = 0
    f.seek(0)
    while True:
        # Bounded: a file of 2 GiB without a line break is not read into memory whole.
        line = f.readline(MAX_HEADER_BYTES)
        if not line:
            return
        if not line.strip():
            offset += len(line)
            continue
        if not line.startswith(b"WARC/"):
            nxt = _resync_plain(f, offset + len(line))
            yield Problem(offset, f"expected a WARC record, found {line[:40]!r}")
            if nxt < 0:
                return
            offset = nxt
            f.seek(offset)
            continue
        head = [line]
        total = len(line)
        clen = None
        while True:
            hl = f.readline(MAX_HEADER_BYTES + 1)
            if not hl:
                yield Problem(offset, "truncated_record: the file ends inside the WARC headers")
                return
            head.append(hl)
            total += len(hl)
            if hl in (b"\r\n", b"\n"):
                break
            if hl.lower().startswith(b"content-length:"):
                try:
                    clen = int(hl.split(b":", 1)[1].strip())
                except ValueError:
                    clen = -1
            if total > 1 << 20:
                break
        if clen is None or clen < 0 or total > 1 << 20:
            yield Problem(offset, "missing or bad Content-Length" if total <= 1 << 20
                          else "WARC header block larger than 1 MiB")
            nxt = _resync_plain(f, offset + len(line))
            if nxt < 0:
                return
            offset = nxt
            f.seek(offset)
            continue
        if clen > MAX_RECORD_BYTES:
            yield Problem(offset, f"record declares {clen} bytes, more than the limit")
            nxt = _resync_plain(f, offset + total)
            if nxt < 0:
                return
            offset = nxt
            f.seek(offset)
            continue
        block = f.read(clen)
        raw = b"".join(head) + block
        if len(block) < clen:
            yield Problem(offset, f"truncated_record: block has {len(block)} of {clen} bytes")
            return
        trailer = _record_trailer(f, offset + total + clen)
        length = total + len(block) + (trailer[0] if trailer else 0)
        if trailer is None:
            # Content-Length is wrong: report it, then find where the next record starts.
            nxt = _resync_plain(f, offset + total)
            yield Problem(offset, "record not followed by CRLF CRLF: Content-Length is wrong "
                                  "or the record is corrupt")
            if nxt < 0:
                return
            offset = nxt
            f.seek(offset)
            continue
        try:
            rec = parse_record(raw, path, offset)
        except WarcFormatError as exc:
            yield Problem(offset, exc.reason)
        else:
            yield Found(offset, length, rec, [] if trailer[1] is None else [trailer[1]])
        offset += length


def _record_trailer(f: BinaryIO, pos: int) -> tuple[int, str | None] | None:
    """How many bytes of line breaks end the record whose block ends at ``pos``, and a
    warning when they are not the standard CRLF CRLF.

    Some writers put a single CRLF, or an extra LF, before the next record (pywb's and
    ClueWeb's files; warcio reads these silently). That is accepted, with a warning, when
    only line breaks (at most 8) stand between the block and the next ``WARC/`` line or
    the end of the file, so a valid record is never dropped for its trailer alone; its
    digests still say whether the block is what was written. Any other byte there means
    ``Content-Length`` is wrong: ``None``.
    """
    f.seek(pos)
    tail = f.read(4)
    if tail == b"\r\n\r\n":
        return 4, None
    f.seek(pos)
    tail = f.read(8)
    n = len(tail) - len(tail.lstrip(b"\r\n"))
    if n == 0:
        return None
    f.seek(pos + n)
    after = f.read(5)
    f.seek(pos + n)
    if after == b"" or after == b"WARC/":
        return n, _trailer_warning(tail[:n])
    return None


def _resync_plain(f: BinaryIO, pos: int) -> int:
    """Offset of the next ``WARC/x.y`` line at or after ``pos`` (a line start), or -1."""
    start = max(0, pos - 2)   # so a line break just before ``pos`` counts
    f.seek(start)
    carry = b""
    base = start
    while True:
        chunk = f.read(CHUNK)
        if not chunk:
            return -1
        data = carry + chunk
        for m in re.finditer(rb"(?:\r?\n)(WARC/\d\.\d+\r?\n)", data):
            at = base - len(carry) + m.start(1)
            if at >= pos:
                return at
        carry = data[-16:]
        base += len(chunk)


_ARC_HEADER = re.compile(
    rb"(?:filedesc://|[A-Za-z][A-Za-z0-9+.-]*:)\S* \S+ \d{8,14} \S* (?:\S+ )*\d{1,12}\r?\n")
# Where a read resynchronises after a bad record: any line that looks like an attempt at a
# header (a URL and four more fields), so that a bad header there is reported too.
_ARC_HEADER_LIKE = re.compile(rb"(?:filedesc://|[A-Za-z][A-Za-z0-9+.-]*:)\S+ [0-9A-Fa-f.:-]+ \d+ [^\n]*\n")
MAX_ARC_HEADER = 64 * 1024   # an ARC header line longer than this is not one


def _iter_arc(source: Blob) -> Iterator[Item]:
    """ARC files, plain or one gzip member per record. Each record is parsed by
    :func:`~archive.warc.record.parse_arc_record`, the same function
    :func:`~archive.warc.record.load_record` uses, so an index row re-reads to the same
    record (id included). A bad record is reported and the read goes on with the next
    one, as for WARC files: a plain ARC is resynchronised on the next header line, an
    ARC.gz on the next gzip member."""
    path = str(source)   # the name ARC record ids are made from, and errors show
    with source.open() as f:
        if f.read(2) == b"\x1f\x8b":
            yield from _iter_arc_gzip(f, path)
        else:
            yield from _iter_arc_plain(f, path)


def _iter_arc_gzip(f: BinaryIO, path: str) -> Iterator[Item]:
    for item in _inflate_members(f, 0):
        if isinstance(item, Problem):
            yield item
            continue
        offset, length, raw = item
        try:
            yield Found(offset, length, parse_arc_record(raw, path, offset))
        except WarcFormatError as exc:
            yield Problem(offset, exc.reason)


def _iter_arc_plain(f: BinaryIO, path: str) -> Iterator[Item]:
    """Records of an uncompressed ARC: a header line ``URL IP DATE MIME … LENGTH``, then
    LENGTH bytes, then a line break. A record's pointer covers its header line and block
    (the byte ranges warcio gives, so ids of earlier imports stay the same)."""
    offset = 0
    f.seek(0)
    while True:
        line = f.readline(MAX_ARC_HEADER)
        if not line:
            return
        if not line.strip():
            offset += len(line)
            continue
        if not _ARC_HEADER.fullmatch(line):
            what = ("an ARC header line longer than 64 KiB" if len(line) >= MAX_ARC_HEADER
                    and not line.endswith(b"\n") else f"{line[:60]!r}")
            yield Problem(offset, f"invalid ARC record: expected a header line "
                                  f"'URL IP DATE MIME LENGTH', found {what}")
            nxt = _resync_arc(f, offset + 1)
            if nxt < 0:
                return
            offset = nxt
            f.seek(offset)
            continue
        clen = int(line.split()[-1])
        if clen > MAX_RECORD_BYTES:
            yield Problem(offset, f"ARC record declares {clen} bytes, more than the limit")
            nxt = _resync_arc(f, offset + len(line))
            if nxt < 0:
                return
            offset = nxt
            f.seek(offset)
            continue
        block = f.read(clen)
        if len(block) < clen:
            # Cut by the end of the file, or a length field too large: records may follow.
            yield Problem(offset, f"truncated_record: block has {len(block)} of {clen} bytes")
            nxt = _resync_arc(f, offset + len(line))
            if nxt < 0:
                return
            offset = nxt
            f.seek(offset)
            continue
        after = f.read(16)
        breaks = len(after) - len(after.lstrip(b"\r\n"))
        if breaks == 0 and after and not _ARC_HEADER_LIKE.match(after + f.readline(512)):
            # Some writers put no line break between records (Heritrix's dns: records);
            # anything but the next header there means the length field is wrong.
            # The block is not followed by the line break that ends a record: its length
            # field is wrong. Report it, and go on from the next header line.
            yield Problem(offset, "ARC record not followed by a line break: its length field "
                                  "is wrong or the record is corrupt")
            nxt = _resync_arc(f, offset + len(line))
            if nxt < 0:
                return
            offset = nxt
            f.seek(offset)
            continue
        # The pointer takes the line breaks after the block but one, as warcio's reader
        # did when these pointers were first made: record ids hash these bytes.
        length = len(line) + clen + max(breaks - 1, 0)
        warnings = [] if breaks or not after else [
            "ARC record not followed by a line break (the next header starts right after it)"]
        try:
            yield Found(offset, length, parse_arc_record(line + block + after[:max(breaks - 1, 0)],
                                                      path, offset), warnings)
        except WarcFormatError as exc:
            yield Problem(offset, exc.reason)
        offset += len(line) + clen + breaks
        f.seek(offset)


def _resync_arc(f: BinaryIO, pos: int) -> int:
    """Offset of the next line at or after ``pos`` that looks like an ARC header, or -1."""
    f.seek(max(0, pos - 1))
    base = max(0, pos - 1)
    carry = b""
    while True:
        chunk = f.read(CHUNK)
        if not chunk:
            return -1
        data = carry + chunk
        start = base - len(carry)
        for m in re.finditer(rb"\n(?=[A-Za-z])", data):
            at = start + m.end()
            if at < pos:
                continue
            line = data[m.end():m.end() + 512]
            nl = line.find(b"\n")
            if nl < 0 and m.end() + 512 > len(data) and len(chunk) == CHUNK:
                break   # the line runs past this chunk: look at it again with the next one
            if nl >= 0 and _ARC_HEADER_LIKE.fullmatch(line[:nl + 1]):
                return at
        else:
            carry = data[-512:]
            base += len(chunk)
            continue
        carry = data[m.start():]
        base += len(chunk)
