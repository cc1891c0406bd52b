"""Exports other archive tools can load: a CDXJ index (pywb) and a WACZ package (ReplayWeb.page).

CDXJ lines are ``<SURT key> <14-digit timestamp> {json}`` with the fields pywb's
``cdxj-indexer`` writes (``url``, ``mime``, ``status``, ``digest``, ``length``, ``offset``,
``filename``), for the same records (response, revisit, resource and metadata), sorted.

A WACZ (1.1.1) holds ``archive/*.warc.gz``, ``indexes/index.cdx``, ``pages/pages.jsonl``,
``datapackage.json`` (SHA-256 and size of every file) and ``datapackage-digest.json``
(the SHA-256 of ``datapackage.json``, with ``signedData`` as the WACZ signing spec defines
it when a signer is given: see :mod:`archive.provenance.waczauth`). The whole
store exports its files unchanged; ``--page`` and ``--citation`` export only the records
needed, by copying their exact gzip members (independent members concatenate into a
valid WARC) after a new ``warcinfo`` record, so every digest and ledger entry still
matches byte for byte. A citation export also carries ``provenance/proof.json``: the
record digests, ledger entries, inclusion proofs and signed head behind the citation.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import socket
import struct
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, TextIO
from urllib.parse import quote_from_bytes, unquote_to_bytes

from archive import SOFTWARE
from archive.errors import ArchiveError, UsageError
from archive.times import cdx_timestamp, warc_date
from archive.index.metadata import is_own_metadata
from archive.warc.http import mime_of
from archive.warc.reader import Found, iter_records
from archive.warc.record import http_head_end, read_record_bytes

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

    from archive.storage import Blob
    from archive.store import Store

# Makes ``signedData`` for the package hash ("sha256:<hex>") and its ``created`` date:
# archive.provenance.waczauth.AnonymousSigner or DomainSigner.
WaczSigner = Callable[[str, str], dict]

WACZ_VERSION = "1.1.1"
INDEX_RECORD_TYPES = ("response", "revisit", "resource", "metadata")


# -- SURT, as pywb and cdxj-indexer compute it ---------------------------------------------------

_ESCAPE_SAFE = b"!\"$&'()*+,-./:;<=>?@[\\]^_`{|}~"
_WWW = re.compile(rb"^www\d*\.")
_DEFAULT_PORTS = {b"http": 80, b"https": 443}


def _unescape_repeatedly(value: bytes) -> bytes:
    while True:
        un = unquote_to_bytes(value)
        if un == value:
            return value
        value = un


def _escape_once(value: bytes) -> bytes:
    return quote_from_bytes(value, safe=_ESCAPE_SAFE).encode("ascii") if value else value


def _normalize_path(path: bytes) -> bytes:
    if not path:
        return b"/"
    kept: list[bytes] = []
    for p in path.split(b"/")[1:]:
        if p == b".":
            continue
        if p == b".." and kept:
            kept.pop()
        else:
            kept.append(p)
    if not kept:
        return b"/"
    return b"/" + b"".join(p + b"/" for p in kept[:-1] if p) + kept[-1]


def _reorder_query(query: bytes) -> bytes:
    # Sorted as (name, value) pairs, keeping a bare "name" distinct from "name=".
    pairs = sorted(tuple(a.split(b"=", 1)) for a in query.split(b"&"))
    return b"&".join(b"=".join(p) for p in pairs)


def surt_key(url: str) -> str:
    """The SURT key pywb's indexers use (Internet Archive canonicalisation).

    Host reversed and comma-joined, ``www``/``www2`` dropped, default port, user info and
    fragment dropped, percent-escapes normalised, dot segments resolved, path and query
    lower-cased, query arguments sorted, a trailing slash dropped; non-hierarchical URIs
    (``dns:``, ``urn:``) are only lower-cased.

    >>> surt_key("https://WWW2.Example.com:443/A/./B/?b=2&a=1#frag")
    'com,example)/a/b?a=1&b=2'
    >>> surt_key("http://example.com/%7Efoo/")
    'com,example)/~foo'
    >>> surt_key("http://127.0.0.1:8000/news/a")
    '1,0,0,127:8000)/news/a'
    >>> surt_key("urn:X-wpull:log")
    'urn:x-wpull:log'
    """
    raw = url.strip().encode("utf-8")
    if not raw:
        return "-"
    if raw.startswith(b"filedesc"):
        return url
    raw = raw.replace(b"\t", b"").replace(b"\r", b"").replace(b"\n", b"")
    m = re.match(rb"^([a-zA-Z][a-zA-Z0-9+.-]*):", raw)
    scheme = m.group(1).lower() if m else b""
    rest = raw[m.end():] if m else raw
    if not rest.startswith(b"//"):
        if scheme and scheme not in _DEFAULT_PORTS:
            return raw.lower().decode("utf-8", "replace")
        rest = b"//" + rest  # "example.com/a" with no scheme
    rest = rest[2:]
    rest = rest.split(b"#", 1)[0]
    cut = min([i for i in (rest.find(b"/"), rest.find(b"?")) if i >= 0], default=len(rest))
    authority, rest = rest[:cut], rest[cut:]
    path, _, query = rest.partition(b"?")
    authority = authority.rpartition(b"@")[2]
    host, port = authority, None
    pm = re.match(rb"^(.*):(\d*)$", authority)
    if pm and not authority.endswith(b"]"):
        host, port = pm.group(1), (int(pm.group(2)) if pm.group(2) else None)
    host = _unescape_repeatedly(host).strip(b"[]")  # pywb writes IPv6 hosts bare
    try:
        host.decode("ascii")
    except UnicodeDecodeError:
        try:
            host = host.decode("utf-8", "ignore").encode("idna")
        except UnicodeError:
            pass
    host = host.replace(b"..", b".").strip(b".")
    if host.isdigit():
        host = socket.inet_ntoa(struct.pack(">L", int(host) & 0xFFFFFFFF)).encode("ascii")
    else:
        host = _escape_once(host.lower())
    host = _WWW.sub(b"", host, count=1)
    if port is not None and port == _DEFAULT_PORTS.get(scheme):
        port = None
    path = _escape_once(_normalize_path(_unescape_repeatedly(path))).lower()
    if len(path) > 1 and path.endswith(b"/"):
        path = path[:-1]
    if query:
        query = _reorder_query(_escape_once(_unescape_repeatedly(query)).lower())
    key = b",".join(reversed(host.split(b".")))
    if port is not None:
        key += b":" + str(port).encode()
    key += b")" + path
    if query:
        key += b"?" + query  # an empty query ("a?") is dropped
    return key.decode("utf-8", "replace")


# -- CDXJ ----------------------------------------------------------------------------------------


def _payload_digest(rec) -> str:
    label = rec.header("WARC-Payload-Digest")
    if label:
        return label
    # As cdxj-indexer (warcio) does for records without one: SHA-1 of the bytes after
    # the HTTP headers, before any transfer-decoding.
    body = rec.block
    if rec.http_headers or rec.http_status is not None:
        body = body[http_head_end(body)[1]:]
    import base64

    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def cdxj_line(item: Found, filename: str, plain_warc: bool = False) -> str | None:
    """The CDXJ line of a record, or None for records a CDXJ index leaves out.

    In an uncompressed WARC the length stops at the end of the block, before the
    CRLF CRLF that separates records, as pywb counts it.
    """
    rec = item.record
    rtype = rec.record_type
    if rtype not in INDEX_RECORD_TYPES:
        return None
    if rtype in ("resource", "metadata") and (rec.header("Content-Type") or "") == "application/warc-fields":
        return None
    url = rec.header("WARC-Target-URI") or ""
    if is_own_metadata(rtype, rec.header("Content-Type")) and not url.startswith("urn:"):
        # A citation or watch record of a store written before they had urn: targets:
        # indexed under the page's URL it would replay as a capture of the page.
        return None
    fields: dict[str, str] = {"url": url}
    mime: str | None
    if rtype == "revisit":
        mime = "warc/revisit"
    elif rtype == "response":
        mime = next((v for k, v in rec.http_headers if k.lower() == "content-type"), None)
    else:
        mime = rec.header("Content-Type")
    if mime:
        mime = re.split(r"[;\s]", mime.strip(), maxsplit=1)[0].strip()
        fields["mime"] = mime
    if rtype in ("response", "revisit") and rec.http_status is not None:
        fields["status"] = str(rec.http_status)
    fields["digest"] = _payload_digest(rec)
    fields["length"] = str(item.length - 4 if plain_warc else item.length)
    fields["offset"] = str(item.offset)
    fields["filename"] = filename
    return f"{surt_key(url)} {cdx_timestamp(rec.header('WARC-Date'))} {json.dumps(fields)}"


def cdxj_lines(paths: Iterable[tuple[Path | Blob, str]]) -> list[str]:
    """Sorted CDXJ lines for files (or stored blobs) given as (path, name written in ``filename``)."""
    from archive.warc.reader import sniff

    lines = []
    for path, name in paths:
        plain = sniff(path) == "warc"
        for item in iter_records(path):
            if isinstance(item, Found):
                line = cdxj_line(item, name, plain)
                if line:
                    lines.append(line)
    lines.sort()
    return lines


def export_cdxj(store: "Store", out: TextIO) -> int:
    """Write the CDXJ index of every file in the store; returns the number of lines."""
    lines = cdxj_lines((store.warcs.source(n), n) for n in store.warcs.all_files())
    for line in lines:
        out.write(line + "\n")
    return len(lines)


# -- WACZ ----------------------------------------------------------------------------------------

@dataclass
class _Member:
    warc_file: str
    offset: int
    length: int


def _members_for_captures(store: "Store", rows: list) -> list[_Member]:
    """The records a replay of these captures needs: each capture, its request, a
    revisit's original (and its request)."""
    conn = store.conn
    seen: dict[str, _Member] = {}

    def add(row) -> None:
        if row is None or row["record_id"] in seen:
            return
        seen[row["record_id"]] = _Member(row["warc_file"], row["offset"], row["length"])
        req = row["request_record_id"]
        if req:
            found = _find_record(store, row["warc_file"], req, row["offset"])
            if found is not None:
                seen[req] = found
        if row["record_type"] == "revisit":
            try:
                add(store.original_of(row))
            except ArchiveError:
                pass

    for row in rows:
        add(row)
    del conn
    return list(seen.values())


def _find_record(store: "Store", warc_file: str, record_id: str, near: int) -> _Member | None:
    """A record that has no index row of its own (a request), found in its file."""
    for item in iter_records(store.warcs.source(warc_file)):
        if isinstance(item, Found) and item.record.record_id == record_id:
            return _Member(warc_file, item.offset, item.length)
        if isinstance(item, Found) and item.offset > near + (1 << 20):
            break
    return None


def _warcinfo(store: "Store", filename: str, description: str) -> bytes:
    info = {"software": SOFTWARE, "format": "WARC File Format 1.1",
            "description": description}
    rec = store.warcs.builder.create_warcinfo_record(filename, info)
    rec.rec_headers.replace_header("WARC-Record-ID", store.id_factory())
    rec.rec_headers.replace_header("WARC-Date", warc_date(store.clock()))
    from archive.warc.writer import Sha256WARCWriter

    buf = io.BytesIO()
    Sha256WARCWriter(buf, gzip=True, warc_version="WARC/1.1").write_record(rec)
    return buf.getvalue()


def _member_bytes(store: "Store", m: _Member) -> bytes:
    data = read_record_bytes(store.warcs.source(m.warc_file), m.offset, m.length)
    if data[:2] != b"\x1f\x8b":
        data = gzip.compress(data, mtime=0)  # a plain .warc record becomes its own member
    return data


def _with_page_loads(store: "Store", rows: list) -> list:
    """``rows`` plus, for each browser capture among them, every response of its page load
    (styles, scripts, images…), its screenshot and rendered DOM: what a replay of the page
    needs. The load's log record names its responses."""
    from archive.index.queries import browser_capture_for
    from archive.warc.record import load_record

    out = list(rows)
    seen = {r["record_id"] for r in rows}
    done: set[str] = set()
    for r in rows:
        bc = browser_capture_for(store.conn, r["record_id"])
        if bc is None or bc["record_id"] in done:
            continue
        done.add(bc["record_id"])
        try:
            log = json.loads(load_record(store.warcs.source(bc["warc_file"]), bc["offset"], bc["length"]).block)
        except (ArchiveError, OSError, ValueError):
            log = {}
        for rid in [bc["record_id"], bc["screenshot_record_id"], bc["dom_record_id"],
                    *(log.get("response_record_ids") or [])]:
            if rid and rid not in seen:
                row = store.capture_row(rid)
                if row is not None:
                    out.append(row)
                    seen.add(rid)
    return out


def _log_members(store: "Store", rows: list) -> list["_Member"]:
    """The log records of the browser captures among ``rows``."""
    ids = {r["record_id"] for r in rows}
    return [_Member(b["warc_file"], b["offset"], b["length"])
            for b in store.conn.execute("SELECT * FROM browser_captures").fetchall() if b["record_id"] in ids]


def _selected_warc(store: "Store", members: list[_Member], name: str, description: str) -> bytes:
    members = sorted({(m.warc_file, m.offset): m for m in members}.values(), key=lambda m: (m.warc_file, m.offset))
    return _warcinfo(store, name, description) + b"".join(_member_bytes(store, m) for m in members)


def _pages(store: "Store", rows: list) -> list[dict]:
    pages = []
    for r in rows:
        if r["record_type"] not in ("response", "revisit") or (r["status"] or 0) != 200:
            continue
        if mime_of(r["content_type"]) not in ("text/html", "application/xhtml+xml", ""):
            continue
        title = None
        snap = store.conn.execute("SELECT t.title FROM snapshots s JOIN texts t ON t.sha256 = s.text_sha256 "
                                  "WHERE s.sha256=?", (r["payload_sha256"],)).fetchone()
        if snap:
            title = snap[0]
        page = {"id": hashlib.sha256(r["record_id"].encode()).hexdigest()[:22], "url": r["url"],
                "ts": r["captured_at"]}
        if title:
            page["title"] = title
        pages.append(page)
    return pages


def export_wacz(store: "Store", target: str | Path, page: str | None = None,
                citation: str | None = None, signer: WaczSigner | None = None,
                title: str | None = None,
                progress: "Callable[[str, int, int], None] | None" = None) -> dict:
    """Write a WACZ of the whole store, one page's captures, or one citation's evidence.
    ``progress(label, done, total)`` is called as each WARC file goes into the package."""
    if page and citation:
        raise UsageError("give --page or --citation, not both")
    conn = store.conn
    extra: dict[str, bytes] = {}
    main_url = main_ts = None
    if citation:
        from archive.provenance import ledger
        from archive.provenance.audit import proof_for_citation

        crow = conn.execute("SELECT * FROM citations WHERE id=?", (citation,)).fetchone()
        if crow is None:
            raise UsageError(f"no citation {citation!r} in {store.db_path}")
        capture = store.capture_row(crow["record_id"])
        if capture is None:
            raise UsageError(f"citation {citation} cites {crow['record_id']}, which is not in the index")
        rows = _with_page_loads(store, [capture])
        members = _members_for_captures(store, rows) + _log_members(store, rows)
        members.append(_Member(crow["warc_file"], crow["offset"], crow["length"]))
        proof = proof_for_citation(store, citation)
        for kind in ("capture", "citation"):
            e = ledger.entry_for(store, kind, crow["record_id"] if kind == "capture" else citation)
            if e is not None:
                lrow = conn.execute("SELECT * FROM ledger WHERE chain IS ? AND seq=? AND subject=?",
                                    (e["chain"], e["seq"], e["subject"])).fetchone()
                members.append(_Member(lrow["warc_file"], lrow["offset"], lrow["length"]))
        signature = proof.get("signature") or {}
        head = signature.get("head")
        if signature.get("root"):
            h = conn.execute("SELECT * FROM ledger_roots WHERE signed_at=? AND signature=?",
                             (signature["root"]["signed_at"], signature["root"]["signature"])).fetchone()
        elif head:
            h = conn.execute("SELECT * FROM ledger_heads WHERE seq=? AND key_id=? AND entry_hash=?",
                             (head["seq"], head["key_id"], head["entry_hash"])).fetchone()
        else:
            h = None
        if h is not None:
            members.append(_Member(h["warc_file"], h["offset"], h["length"]))
        extra["provenance/proof.json"] = json.dumps(proof, indent=2, ensure_ascii=False).encode("utf-8")
        name = f"citation-{citation}.warc.gz"
        warcs: dict[str, bytes | None] = {
            name: _selected_warc(store, members, name, f"records behind citation {citation}")}
        main_url, main_ts = crow["url"], crow["captured_at"]
        title = title or f"Citation {citation}: “{crow['exact'][:80]}”"
    elif page:
        from archive.index.queries import resolve_page

        page_url = resolve_page(conn, page)
        rows = conn.execute("SELECT * FROM captures WHERE page_url=? ORDER BY captured_at", (page_url,)).fetchall()
        if not rows:
            raise UsageError(f"no captures of {page} in {store.db_path}")
        name = "page-" + hashlib.sha256(page_url.encode()).hexdigest()[:16] + ".warc.gz"
        rows = _with_page_loads(store, list(rows))
        warcs = {name: _selected_warc(store, _members_for_captures(store, rows) + _log_members(store, rows),
                                      name, f"captures of {page_url}")}
        main_url, main_ts = rows[-1]["url"], rows[-1]["captured_at"]
        title = title or f"Captures of {page_url}"
    else:
        rows = conn.execute("SELECT * FROM captures ORDER BY captured_at").fetchall()
        warcs = {}
        for n in store.warcs.all_files():
            warcs[n] = None  # copied unchanged, from the disk or the bucket
    return _write_wacz(store, Path(target), warcs, rows, extra, signer, title, main_url, main_ts,
                       progress)


def _write_wacz(store: "Store", target: Path, warcs: dict[str, bytes | None], rows: list,
                extra: dict[str, bytes], signer: WaczSigner | None, title, main_url, main_ts,
                progress: "Callable[[str, int, int], None] | None" = None) -> dict:
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    resources = []
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    # Beside the target: a file from the bucket is fetched there, one at a time.
    with tempfile.TemporaryDirectory(prefix=".wacz-", dir=target.parent) as tdir:
        pages = [{"format": "json-pages-1.0", "id": "pages", "title": "Pages"}] + _pages(store, rows)
        pages_bytes = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pages).encode("utf-8")
        lines: list[str] = []
        try:
            with zipfile.ZipFile(tmp, "w") as zf:
                for i, (name, data) in enumerate(warcs.items(), 1):
                    path, temporary = _local_copy(store, name, data, Path(tdir))
                    try:
                        lines.extend(cdxj_lines([(path, name)]))
                        arc = f"archive/{name}"
                        zf.write(path, arc, compress_type=zipfile.ZIP_STORED)
                        resources.append(_resource(arc, path.read_bytes() if path.stat().st_size < (1 << 26)
                                                   else path))
                    finally:
                        if temporary:
                            path.unlink(missing_ok=True)
                    if progress is not None:
                        progress("WARC files", i, len(warcs))
                index = "".join(line + "\n" for line in sorted(lines)).encode("utf-8")
                for arc, data in [("indexes/index.cdx", index), ("pages/pages.jsonl", pages_bytes),
                                  *sorted(extra.items())]:
                    zf.writestr(zipfile.ZipInfo(arc, _zip_time()), data, compress_type=zipfile.ZIP_DEFLATED)
                    resources.append(_resource(arc, data))
                # Dated once the WARC files are in: a timestamp authority's time must fall
                # within minutes of it, however long a large store took to package.
                created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                package = {"profile": "data-package", "resources": resources, "wacz_version": WACZ_VERSION,
                           "created": created, "software": SOFTWARE,
                           "title": title or "archive-store export"}
                if main_url:
                    package["mainPageURL"] = main_url
                    package["mainPageDate"] = main_ts
                package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
                zf.writestr(zipfile.ZipInfo("datapackage.json", _zip_time()), package_bytes,
                            compress_type=zipfile.ZIP_DEFLATED)
                package_hash = "sha256:" + hashlib.sha256(package_bytes).hexdigest()
                digest: dict[str, object] = {"path": "datapackage.json", "hash": package_hash}
                if signer is not None:
                    digest["signedData"] = signer(package_hash, created)
                zf.writestr(zipfile.ZipInfo("datapackage-digest.json", _zip_time()),
                            json.dumps(digest, indent=2).encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return {"path": str(target), "files": [r["path"] for r in resources],
            "records": index.count(b"\n"), "signed": signer is not None}


def _local_copy(store: "Store", name: str, data: bytes | None, tdir: Path) -> tuple[Path, bool]:
    """A local file holding WARC file ``name`` (``data`` when given: a selection made for
    the package), and whether it is a temporary copy. A store file is read where it is;
    one in the bucket is fetched once, streamed by byte range into ``tdir``, so that
    indexing and packing it read the local copy (one WARC file on the disk at a time)."""
    if data is not None:
        path = tdir / name
        path.write_bytes(data)
        return path, True
    from archive.storage.local import LocalBlob

    source = store.warcs.source(name)
    if isinstance(source, LocalBlob):
        return source.path, False
    path = tdir / name
    with source.open() as src, open(path, "wb") as dst:
        for chunk in iter(lambda: src.read(8 << 20), b""):
            dst.write(chunk)
    return path, True


def _zip_time() -> tuple:
    return datetime.now(timezone.utc).timetuple()[:6]


def _resource(arc: str, data: bytes | Path) -> dict:
    """The datapackage.json entry of ``arc``, from its bytes or (when large) its file."""
    if isinstance(data, Path):
        h = hashlib.sha256()
        with open(data, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        size, digest = data.stat().st_size, h.hexdigest()
    else:
        size, digest = len(data), hashlib.sha256(data).hexdigest()
    return {"name": os.path.basename(arc).lower(), "path": arc, "hash": f"sha256:{digest}", "bytes": size}


def verify_wacz_signature(path: str | Path, public_key: "EllipticCurvePublicKey | None" = None) -> dict:
    """Check a WACZ's ``datapackage-digest.json``: its hash of ``datapackage.json``, that
    ``signedData`` signs that hash with the package's ``created`` date, and the signature
    (either form of the WACZ signing spec, see
    :func:`archive.provenance.waczauth.verify_signed_data`; with ``public_key``, an
    anonymous signature must be by that key). Returns the result of ``verify_signed_data``
    with these checks first; a package signed any other way is not ``ok``."""
    from archive.provenance.waczauth import verify_signed_data

    try:
        with zipfile.ZipFile(path) as zf:
            package_bytes = zf.read("datapackage.json")
            digest = json.loads(zf.read("datapackage-digest.json"))
        package = json.loads(package_bytes)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise UsageError(f"{path}: not a readable WACZ with a datapackage-digest.json ({exc})") from None
    hash_ = "sha256:" + hashlib.sha256(package_bytes).hexdigest()
    signed = digest.get("signedData") or {}
    first = [("hash of datapackage.json", digest.get("hash") == hash_),
             ("signedData signs that hash", bool(signed) and signed.get("hash") == hash_),
             ("signedData created is the package's",
              bool(signed) and signed.get("created") == package.get("created"))]
    result = (verify_signed_data(signed, public_key) if signed
              else {"ok": False, "form": None, "checks": [], "signer": {}})
    result["checks"] = first + result["checks"]
    result["ok"] = result["ok"] and all(ok for _, ok in first)
    return result
