"""One WARC (or ARC) record read back from its exact bytes.

A pointer is ``(file, offset, length)``. :func:`read_record_bytes` reads exactly that
slice and :func:`parse_record` decompresses and parses it, checking that the block is as
long as its ``Content-Length`` says (warcio does not, see warcio #138).
"""

from __future__ import annotations

import hashlib
import io
import types
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from archive.errors import StoreError, WarcFormatError
from archive.storage import Blob, as_blob

zlib_fast: types.ModuleType
try:   # ISA-L: twice zlib's speed inflating, nine times deflating; same API and format
    from isal import isal_zlib as zlib_fast
except ImportError:   # pragma: no cover - isal is a dependency; zlib still works
    zlib_fast = zlib


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
    # Likewise in the other algorithms a record's digests declare: (algorithm, part) -> hex.
    known_digests: dict[tuple[str, str], str] = field(default_factory=dict, repr=False, compare=False)
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


def read_record_bytes(path: "str | Path | Blob", offset: int, length: int) -> bytes:
    """The raw (compressed) bytes of a record, from a path or a stored blob (one ranged
    read either way); raises if the file is shorter."""
    source = as_blob(path)
    try:
        data = source.read_range(offset, length)
    except FileNotFoundError:
        raise StoreError(f"WARC file missing: {source}") from None
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


_MANDATORY = {"warc-type": "WARC-Type", "warc-record-id": "WARC-Record-ID", "warc-date": "WARC-Date",
              "content-length": "Content-Length"}


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
    by_name: dict[str, str] = {}   # headers_by_name(), filled here in the same pass
    for line in lines[1:]:
        k, sep, v = line.partition(":")
        if not sep:
            raise WarcFormatError(f"malformed WARC header line {line[:60]!r}", path, offset)
        k = k.strip()
        v = v.strip()
        headers.append((k, v))
        low = k.lower()
        if low not in by_name:
            by_name[low] = v
    rec = ParsedRecord(warc_headers=headers, block=b"", declared_length=-1, version=version, _by_name=by_name)
    for required in ("warc-type", "warc-record-id", "warc-date", "content-length"):
        if required not in by_name:
            raise WarcFormatError(f"missing mandatory header {_MANDATORY[required]}", path, offset)
    try:
        clen = int(by_name["content-length"])
        if clen < 0:
            raise ValueError
    except ValueError:
        raise WarcFormatError(f"bad Content-Length {by_name['content-length']!r}", path, offset) from None
    rec.declared_length = clen
    block = raw[head_end + 4:head_end + 4 + clen]
    if len(block) < clen:
        raise WarcFormatError(
            f"truncated_record: block has {len(block)} of {clen} bytes", path, offset)
    rec.block = block
    start = head_end + 4
    if _holds_http(rec):
        body_at = _parse_http(rec, path, offset)
        rec.spans = (start, start + clen, start + body_at if body_at >= 0 else -1)
    else:
        rec.payload = block
        rec.spans = (start, start + clen, start)
    return rec


def _holds_http(rec: ParsedRecord) -> bool:
    """Whether a record's block is an HTTP message, as warcio decides it: a response,
    request or revisit whose content type says ``application/http``, or that declares
    no content type at all and whose target is an http(s) URL."""
    if rec.record_type not in ("response", "revisit", "request"):
        return False
    ctype = rec.header("Content-Type")
    if ctype is not None and ctype.strip():
        return "application/http" in ctype.lower()
    return (rec.header("WARC-Target-URI") or "").strip("<> ").lower().startswith(("http:", "https:"))


def http_head_end(block: bytes) -> tuple[int, int]:
    r"""``(end of the HTTP header lines, start of the body)`` in an HTTP message: the first
    blank line ends the headers, whether lines end in CRLF or in LF alone (as warcio
    reads them, line by line). Without a blank line the message is all headers.

    >>> http_head_end(b"HTTP/1.1 200 OK\nA: b\n\n<p>x</p>\r\n\r\n")
    (21, 22)
    >>> http_head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody")
    (23, 25)
    >>> http_head_end(b"GET / HTTP/1.1\r\nHost: x\r\n")
    (25, 25)
    """
    crlf = block.find(b"\n\r\n")
    lf = block.find(b"\n\n", 0, crlf if crlf >= 0 else len(block))
    if lf >= 0:
        return lf + 1, lf + 2
    if crlf >= 0:
        return crlf + 1, crlf + 3
    # Requests and revisits are often written as headers alone, with no blank line.
    return len(block), len(block)


def _parse_http(rec: ParsedRecord, path: str, offset: int) -> int:
    """Fill in the HTTP status, headers and payload; returns where the payload starts in
    the block, or -1 when it is not a slice of the block (chunked transfer-coding)."""
    block = rec.block
    end, body_at = http_head_end(block)
    lines = block[:end].decode("iso-8859-1").replace("\r\n", "\n").split("\n")
    status_line = lines[0]
    parts = status_line.split(" ", 2)
    if rec.record_type != "request" and len(parts) >= 2 and parts[1].isdigit():
        rec.http_status = int(parts[1])
        rec.http_reason = parts[2] if len(parts) > 2 else ""
    headers = rec.http_headers
    for line in lines[1:]:
        k, sep, v = line.partition(":")
        if sep:
            headers.append((k.strip(), v.strip()))
    body = block[body_at:]
    te = ",".join(v for k, v in rec.http_headers if k.lower() == "transfer-encoding").lower()
    if "chunked" in te:
        rec.payload = dechunk(body)
        return -1
    rec.payload = body
    return body_at


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
    from archive.times import iso_date

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


def load_record(path: "str | Path | Blob", offset: int, length: int) -> ParsedRecord:
    """Read, decompress and parse the record at a pointer (WARC, or ARC by file name)."""
    data = read_record_bytes(path, offset, length)
    raw = decompress_member(data, str(path), offset)
    if is_arc_path(str(path)) and not raw.startswith(b"WARC/"):
        return parse_arc_record(raw, str(path), offset)
    return parse_record(raw, str(path), offset)
