"""From WARC records to index rows: one idempotent function for capture, import and reindex.

Because a live capture indexes the record it just wrote by reading it back through the
same :func:`index_record` that ``archive reindex`` uses, a rebuilt index equals the live
one by construction (tests compare them table by table).

Records of our own kinds are ``metadata`` records told apart by their ``Content-Type``:
citations and ledger entries are user data and live in the WARC files, the index only
mirrors them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3

from archive.index.metadata import HANDLERS as METADATA_HANDLERS
from archive.index.schema import FacetTally, existing_rows
from archive.times import iso_date
from archive.urls import canonical_url
from archive.warc.digests import digest_algo, digest_hex
from archive.warc.http import EXTRACTABLE_TYPES, mime_of
from archive.warc.record import ParsedRecord, http_head_end, http_header

CAPTURE_TYPES = ("response", "revisit", "resource")   # records that become capture rows
INDEXED_TYPES = CAPTURE_TYPES + ("metadata",)          # records index_record writes rows for


def repeat_key(record_id: str, warc_file: str, offset: int) -> str:
    """The index key of a capture whose ``WARC-Record-ID`` is already taken by another
    record (wget repeats ids): the id with the record's file and offset, which no other
    record shares, so both records are indexed and each key resolves to its own bytes.

    >>> repeat_key("<urn:uuid:a9c5>", "import-0a1b-crawl.warc.gz", 784)
    '<urn:uuid:a9c5#import-0a1b-crawl.warc.gz@784>'
    >>> warc_record_id(repeat_key("<urn:uuid:a9c5>", "f.warc", 7))
    '<urn:uuid:a9c5>'
    """
    inner = record_id.strip().strip("<>")
    return f"<{inner}#{warc_file}@{offset}>"


def warc_record_id(index_key: str | None) -> str | None:
    """The ``WARC-Record-ID`` a capture row's key stands for (see :func:`repeat_key`)."""
    if not index_key or "#" not in index_key:
        return index_key
    return "<" + index_key.strip("<>").split("#", 1)[0] + ">"


def fixity_of(rec: ParsedRecord) -> str:
    """``ok``, ``failed`` or ``unverifiable`` for the digests the record declares.

    A record with no digest, a digest in an unknown algorithm or encoding, or a
    revisit's payload digest (which names another record's payload) is *unverifiable*:
    never counted as a pass.
    """
    return _fixity(rec, rec.headers_by_name(), _Digests(rec))


def _fixity(rec: ParsedRecord, headers: dict[str, str], digests: "_Digests") -> str:
    results = []
    for name in ("warc-block-digest", "warc-payload-digest"):
        label = headers.get(name)
        if not label:
            continue
        if name == "warc-payload-digest" and headers.get("warc-type") == "revisit":
            continue
        algo, want = digest_algo(label), _digest_hex(label)
        if algo is None or want is None:
            results.append("unverifiable")
            continue
        if name == "warc-block-digest":
            parts: tuple[str, ...] = ("block",)
        else:
            # Writers disagree on whether the payload keeps its chunked transfer-coding
            # (warcio, wget, Heritrix) or not (the WARC 1.1 text): either may be declared.
            parts = ("payload", "raw_body")
        ok = any(digests.hexdigest(algo, part) == want for part in parts)
        results.append("ok" if ok else "failed")
    if "failed" in results:
        return "failed"
    if not results or "unverifiable" in results:
        return "unverifiable"
    return "ok"


class _Digests:
    """The digests of one record's block, payload and raw HTTP body, each computed at
    most once: indexing needs the SHA-256 of the block and payload for its rows and
    again to check the declared digests, and hashing is most of what a record costs."""

    __slots__ = ("rec", "_hex")

    def __init__(self, rec: ParsedRecord) -> None:
        self.rec = rec
        self._hex: dict[tuple[str, str], str | None] = {}

    def hexdigest(self, algo: str, part: str) -> str | None:
        """Hex digest of ``part`` (``block``, ``payload`` or ``raw_body``), or None when
        the record has no such part."""
        key = (algo, part)
        if key in self._hex:
            return self._hex[key]
        rec = self.rec
        if part == "payload" and rec.payload is rec.block:
            value = self.hexdigest(algo, "block")   # a resource: the payload is the block
        elif algo == "sha256" and part in rec.known_sha256:
            value = rec.known_sha256[part]   # hashed by the reader, for exactly these bytes
        elif (algo, part) in rec.known_digests:
            value = rec.known_digests[(algo, part)]
        else:
            data = rec.block if part == "block" else rec.payload if part == "payload" \
                else _raw_http_body(rec)
            value = None if data is None else hashlib.new(algo, data).hexdigest()
        self._hex[key] = value
        return value


# A record's digest labels are read by index_record, fixity_of and record_issues in turn;
# decoding base32 is slow enough to be worth remembering for the last few records.
_HEX_CACHE: dict[str, str | None] = {}


def _digest_hex(label: str) -> str | None:
    try:
        return _HEX_CACHE[label]
    except KeyError:
        pass
    if len(_HEX_CACHE) >= 256:
        _HEX_CACHE.clear()
    value = _HEX_CACHE[label] = digest_hex(label)
    return value


def _raw_http_body(rec: ParsedRecord) -> bytes | None:
    """The block after the HTTP headers, transfer-coding left as it was sent."""
    if not rec.http_headers and rec.http_status is None:
        return None
    return rec.block[http_head_end(rec.block)[1]:]


BROWSER_RESOURCE_PREFIXES = ("urn:screenshot:", "urn:dom:")   # resources a browser capture adds to a page


def page_key(url: str) -> str:
    """The page a record's target URI belongs to: the canonical URL of an http(s) URI,
    and of the page a browser capture's screenshot or rendered DOM was taken of.

    >>> page_key("urn:dom:HTTP://Example.org/a#top")
    'http://example.org/a'
    >>> page_key("urn:x-wpull:log")
    'urn:x-wpull:log'
    """
    low = url.lower()
    for prefix in BROWSER_RESOURCE_PREFIXES:
        if low.startswith(prefix) and low[len(prefix):].startswith(("http:", "https:")):
            url, low = url[len(prefix):], low[len(prefix):]
            break
    return canonical_url(url) if low.startswith(("http:", "https:")) else url


def resource_target(url: str) -> str:
    """The page URL a browser capture's resource was taken of (other URIs unchanged).

    >>> resource_target("urn:dom:https://example.org/a")
    'https://example.org/a'
    """
    for prefix in BROWSER_RESOURCE_PREFIXES:
        if url.lower().startswith(prefix):
            return url[len(prefix):]
    return url


class RowBatch:
    """Capture, snapshot and page rows held back to be written together.

    An import writes thousands of rows; one ``executemany`` per table and batch costs a
    few milliseconds where one ``execute`` per row cost a third of the import (each call
    also hands the GIL to the reader thread and waits to get it back). Rows are written
    in the order they were added, with the same statements, so the result is the same
    as writing each at once. Anything that reads the tables must :meth:`flush` first.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.captures: list[dict] = []
        self.snapshots: list[tuple] = []
        self.pages: list[tuple] = []

    def __len__(self) -> int:
        return len(self.captures)

    def extend(self, other: "RowBatch") -> None:
        """Take ``other``'s rows, to be written after this batch's own."""
        self.captures += other.captures
        self.snapshots += other.snapshots
        self.pages += other.pages

    def flush(self) -> None:
        if not (self.captures or self.snapshots or self.pages):
            return
        tally = self._facets()
        by_columns: dict[tuple[str, ...], list[tuple]] = {}
        for row in self.captures:
            by_columns.setdefault(tuple(row), []).append(tuple(row.values()))
        for columns, values in by_columns.items():
            self.conn.executemany(_insert_capture_sql(columns), values)
        self.conn.executemany(_UPSERT_SNAPSHOT, self.snapshots)
        self.conn.executemany(_TOUCH_PAGE, self.pages)
        tally.write(self.conn)
        self.captures, self.snapshots, self.pages = [], [], []

    def _facets(self) -> FacetTally:
        """What writing the batch does to ``facet_counts`` (asked before it is written): a
        capture replaces the row of its id, a snapshot and a page are new only the first
        time (later ones update columns that are not faceted)."""
        tally = FacetTally()
        held: dict = {r["record_id"]: r for r in existing_rows(
            self.conn, "captures", "record_id", [c["record_id"] for c in self.captures])}
        for row in self.captures:
            old = held.get(row["record_id"])
            if old is not None:
                tally.add("captures", old, -1)
            tally.add("captures", row)
            held[row["record_id"]] = row
        seen = {r["sha256"] for r in existing_rows(self.conn, "snapshots", "sha256", [s[0] for s in self.snapshots])}
        for sha, _, ctype, *_rest, status in self.snapshots:
            if sha not in seen:
                seen.add(sha)
                tally.add("snapshots", {"content_type": ctype, "extract_status": status})
        urls = {r["url"] for r in existing_rows(self.conn, "pages", "url", [p[0] for p in self.pages])}
        for url, host, *_ in self.pages:
            if url not in urls:
                urls.add(url)
                tally.add("pages", {"host": host})
        return tally


def index_record(conn: sqlite3.Connection, warc_file: str, offset: int, length: int,
                 rec: ParsedRecord, batch: RowBatch | None = None, key: str | None = None) -> dict | None:
    """Write the rows for one record. Returns the capture row, or None for other records.

    With ``batch``, the capture, snapshot and page rows are added to it, to be written
    when it is flushed. ``key`` is the capture's index key when its WARC-Record-ID is
    taken (:func:`repeat_key`). Idempotent: indexing the same record twice leaves the
    same rows.
    """
    headers = rec.headers_by_name()
    rtype = headers.get("warc-type")
    pointer = {"warc_file": warc_file, "offset": offset, "length": length}
    if rtype == "metadata":
        ctype = mime_of(headers.get("content-type"))
        handler = METADATA_HANDLERS.get(ctype)
        if handler is not None:
            try:
                body = json.loads(rec.block.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                return None
            if batch is not None:
                batch.flush()   # a handler may read what came before it
            handler(conn, pointer, rec, body)
        return None
    if rtype not in CAPTURE_TYPES:
        return None
    url = unwrap_target(headers.get("warc-target-uri") or "")
    if not url:
        return None
    captured_at = iso_date(headers.get("warc-date"))
    if rtype == "resource":
        content_type = headers.get("content-type")
    else:
        content_type = http_header(rec.http_headers, "Content-Type")
    digests = _Digests(rec)
    payload_sha256 = None
    if rtype == "revisit":
        label = headers.get("warc-payload-digest")
        if digest_algo(label) == "sha256":
            payload_sha256 = _digest_hex(label)  # type: ignore[arg-type]
        else:
            ref = headers.get("warc-refers-to")
            row = None
            if batch is not None:
                batch.flush()   # the original may be in the batch
            if ref:
                row = conn.execute("SELECT payload_sha256 FROM captures WHERE record_id=?", (ref,)).fetchone()
            if row is None:
                ref_uri = (headers.get("warc-refers-to-target-uri") or url).strip("<>")
                ref_date = iso_date(headers.get("warc-refers-to-date"))
                row = conn.execute(
                    "SELECT payload_sha256 FROM captures WHERE url=? AND record_type!='revisit' "
                    "AND (? IS NULL OR captured_at=?) ORDER BY captured_at LIMIT 1",
                    (ref_uri, ref_date, ref_date)).fetchone()
            payload_sha256 = row[0] if row else None
    else:
        payload_sha256 = digests.hexdigest("sha256", "payload")
    block_sha256 = digests.hexdigest("sha256", "block")
    truncated = headers.get("warc-truncated")
    location = http_header(rec.http_headers, "Location") if rec.http_status and 300 <= rec.http_status < 400 else None
    capture = {
        "record_id": key or headers.get("warc-record-id"),
        "record_type": rtype,
        "url": url,
        "page_url": page_key(url),
        "captured_at": captured_at,
        "status": rec.http_status,
        "content_type": content_type,
        "warc_file": warc_file,
        "offset": offset,
        "length": length,
        "payload_sha256": payload_sha256,
        "block_sha256": block_sha256,
        "refers_to": headers.get("warc-refers-to"),
        "request_record_id": headers.get("warc-concurrent-to"),
        "redirect_to": location,
        "truncated": truncated,
        "fixity": _fixity(rec, headers, digests),
        "http_headers": json.dumps(rec.http_headers) if rec.http_headers else None,
    }
    own = batch if batch is not None else RowBatch(conn)
    own.captures.append(capture)
    if rtype != "revisit" and payload_sha256:
        mime = mime_of(content_type)
        status = "pending" if (mime in EXTRACTABLE_TYPES or not mime) else "not_html"
        own.snapshots.append((payload_sha256, len(rec.payload), content_type, capture["record_id"],
                              captured_at, truncated, status))
    page_url = str(capture["page_url"])
    host = page_url.split("/")[2] if page_url.count("/") >= 2 else ""
    own.pages.append((page_url, host, captured_at, captured_at))
    if batch is None:
        own.flush()
    return capture


_UPSERT_SNAPSHOT = (
    "INSERT INTO snapshots (sha256, size, content_type, record_id, first_captured_at, "
    "truncated, extract_status) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(sha256) DO UPDATE SET "
    "  record_id = CASE WHEN excluded.first_captured_at < snapshots.first_captured_at "
    "    THEN excluded.record_id ELSE snapshots.record_id END, "
    "  first_captured_at = min(snapshots.first_captured_at, excluded.first_captured_at)")

_TOUCH_PAGE = (
    "INSERT INTO pages (url, host, first_captured_at, last_captured_at, captures) "
    "VALUES (?, ?, ?, ?, 1) ON CONFLICT(url) DO UPDATE SET "
    "first_captured_at = min(pages.first_captured_at, excluded.first_captured_at), "
    "last_captured_at = max(pages.last_captured_at, excluded.last_captured_at), "
    "captures = (SELECT count(*) FROM captures WHERE page_url = excluded.url)")


@functools.lru_cache(maxsize=4)
def _insert_capture_sql(columns: tuple[str, ...]) -> str:
    cols = ", ".join(f'"{k}"' for k in columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT OR REPLACE INTO captures ({cols}) VALUES ({marks})"


def record_file(conn: sqlite3.Connection, name: str, size: int, records: int,
                origin: str = "capture", created_at: str | None = None) -> None:
    conn.execute(
        "INSERT INTO warc_files (name, created_at, size, records, origin) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET size = excluded.size, records = excluded.records",
        (name, created_at, size, records, origin))


KNOWN_TYPES = {"warcinfo", "response", "resource", "request", "metadata", "revisit", "conversion", "continuation"}


def record_issues(rec: ParsedRecord, fixity: str | None = None) -> list[tuple[str, str]]:
    """What is wrong or odd about a record: ``[("error"|"warning", reason), ...]``.

    Errors are records whose bytes contradict their own headers (digest mismatch);
    warnings are departures from the WARC standard that we can still read.
    """
    issues: list[tuple[str, str]] = []
    headers = rec.headers_by_name()
    fixity = fixity or _fixity(rec, headers, _Digests(rec))
    if fixity == "failed":
        issues.append(("error", "digest mismatch: the record's bytes do not match its declared "
                                "WARC-Block-Digest or WARC-Payload-Digest"))
    for name in ("WARC-Block-Digest", "WARC-Payload-Digest"):
        label = headers.get(name.lower())
        if not label or (name == "WARC-Payload-Digest" and headers.get("warc-type") == "revisit"):
            continue
        if digest_algo(label) is None:
            issues.append(("warning", f"{name} uses an algorithm we cannot check ({label.split(':')[0]!r}); "
                                      "treated as unverified, not as a pass"))
        elif _digest_hex(label) is None:
            issues.append(("error", f"{name} {label!r} is not a valid base32, base16 or base64 "
                                    "digest: the record cannot be verified"))
    if rec.version not in ("WARC/1.0", "WARC/1.1", "ARC"):
        issues.append(("warning", f"non-standard WARC version {rec.version!r}"))
    if headers.get("warc-type") not in KNOWN_TYPES:
        issues.append(("warning", f"non-standard record type {headers.get('warc-type')!r}; "
                                  "stored but not indexed"))
    uri = headers.get("warc-target-uri") or ""
    if uri.startswith("<") and uri.endswith(">"):
        issues.append(("warning", "WARC-Target-URI is wrapped in angle brackets (a wget 1.14 bug); read without them"))
    if " " in uri.strip():
        issues.append(("warning", "WARC-Target-URI contains spaces"))
    scheme = unwrap_target(uri).split(":", 1)[0].strip().lower()
    if scheme in ("javascript", "data", "vbscript"):
        issues.append(("warning", f"WARC-Target-URI is a {scheme}: URI; kept, but never shown as a link"))
    return issues


def unwrap_target(uri: str) -> str:
    """A WARC-Target-URI without the angle brackets wget 1.14 wrapped it in, and only
    those: a URL that merely ends in ``>`` keeps it.

    >>> unwrap_target("<http://example.org/a>"), unwrap_target("http://example.org/a>")
    ('http://example.org/a', 'http://example.org/a>')
    """
    uri = uri.strip()
    if uri.startswith("<") and uri.endswith(">"):
        return uri[1:-1].strip()
    return uri
