"""Extraction of snapshots, versions of pages and the changes between them.

Runs after indexing, never inside it: an import indexes at reader speed and the text,
quotes and figures of new snapshots are computed here, with a process pool when many
are pending.

* A snapshot's text is stored once in ``texts``, named by the SHA-256 of its UTF-8 bytes;
  quotes and figures hang off that text hash.
* A *version* is a distinct extracted text of a page, numbered in order of first capture;
  a capture whose text is already a version of the page counts towards it (first and
  last seen, number of captures).
* *Changes* are computed between consecutive versions by :func:`archive.diff.compare`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zlib
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from .extract import EXTRACTOR_VERSION, MAX_DECODED_BYTES, Article, NotExtractable, extract
from .warcstore import http_header, load_record

if TYPE_CHECKING:
    from .store import Store


def decode_content(payload: bytes, headers: list[tuple[str, str]] | None,
                   cap: int = MAX_DECODED_BYTES) -> tuple[bytes, bool]:
    """Undo ``Content-Encoding`` (gzip, deflate; stacked), stopping at ``cap`` bytes.

    Returns ``(bytes, truncated)``. The stored payload is never changed: this is only
    for reading the text. A decompression bomb stops at the cap.
    """
    enc = (http_header(headers or [], "Content-Encoding") or "").lower()
    codings = [c.strip() for c in enc.split(",") if c.strip() and c.strip() != "identity"]
    data = payload
    truncated = False
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip", "deflate"):
            wbits = 31 if coding != "deflate" else (15 if data[:1] == b"\x78" else -15)
            d = zlib.decompressobj(wbits)
            try:
                out = d.decompress(data, cap)
            except zlib.error:
                return payload, False  # not really encoded: read the bytes as they are
            if d.unconsumed_tail or (not d.eof and len(out) >= cap):
                truncated = True
            data = out
        else:
            break  # br, zstd, unknown: read as is; extraction will likely refuse it
    if len(data) > cap:
        data, truncated = data[:cap], True
    return data, truncated


def _extract_one(args: tuple[bytes, str | None, str | None]) -> tuple[str, object]:
    payload, ctype, url = args
    try:
        return "ok", extract(payload, ctype, url)
    except NotExtractable as exc:
        return "not_html", exc.reason
    except Exception as exc:  # the extractor must never stop a capture
        return "failed", f"{type(exc).__name__}: {exc}"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_article(conn: sqlite3.Connection, article: Article) -> str:
    """Write a text with its quotes and figures (once per text hash); return the hash."""
    sha = text_sha256(article.text)
    exists = conn.execute("SELECT extractor_version FROM texts WHERE sha256=?", (sha,)).fetchone()
    if exists and exists[0] == EXTRACTOR_VERSION:
        return sha
    conn.execute("DELETE FROM texts WHERE sha256=?", (sha,))
    conn.execute(
        "INSERT INTO texts (sha256, title, text, author, published, modified, language, charset, "
        "extractor_version, truncated) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (sha, article.title, article.text, article.author, article.published, article.modified,
         article.language, article.charset, EXTRACTOR_VERSION, int(article.truncated)))
    conn.execute("DELETE FROM quotes WHERE text_sha256=?", (sha,))
    conn.execute("DELETE FROM figures WHERE text_sha256=?", (sha,))
    conn.executemany(
        'INSERT INTO quotes (text_sha256, n, statement, text, speaker, is_term, start, "end", '
        "exact, prefix, suffix) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [(sha, q["n"], q.get("statement"), q["text"], q.get("speaker"), int(bool(q.get("is_term"))),
          q["start"], q["end"], q.get("exact"), q.get("prefix"), q.get("suffix"))
         for q in article.quotes])
    conn.executemany(
        'INSERT INTO figures (text_sha256, n, value, text, kind, unit, counts, qualifier, sentence, '
        'start, "end", exact, prefix, suffix) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
        [(sha, f["n"], f.get("value"), f["text"], f.get("kind"), f.get("unit"), f.get("counts"),
          f.get("qualifier"), f.get("sentence"), f["start"], f["end"], f.get("exact"),
          f.get("prefix"), f.get("suffix")) for f in article.figures])
    return sha


def read_snapshot(store: "Store", sha256: str) -> tuple[bytes, str | None, str | None, bool]:
    """Payload (content-decoded, capped), content type, URL and truncation of a snapshot."""
    snap = store.conn.execute("SELECT record_id FROM snapshots WHERE sha256=?", (sha256,)).fetchone()
    row = store.capture_row(snap[0])
    rec = load_record(store.warcs.path_of(row["warc_file"]), row["offset"], row["length"])
    headers = json.loads(row["http_headers"]) if row["http_headers"] else []
    data, truncated = decode_content(rec.payload, headers)
    return data, row["content_type"], row["url"], truncated or bool(row["truncated"])


_EXTRACTED: "OrderedDict[tuple, Article]" = OrderedDict()
_EXTRACTED_MAX = 64


def extract_snapshot(store: "Store", sha256: str, text_only: bool = False) -> Article:
    """Re-extract a snapshot from its WARC bytes (used by verify).

    The bytes are read from the WARC file every time; what is remembered (the last
    ``_EXTRACTED_MAX`` results in this process) is the extraction of those exact bytes,
    keyed by their SHA-256, content type and URL: extraction is a pure function of them,
    so several citations of one snapshot in a verify run extract it once, and nothing the
    index says is trusted. ``text_only`` skips quotes, figures and metadata other than the
    title (see :func:`archive.extract.extract`).
    """
    data, ctype, url, _ = read_snapshot(store, sha256)
    key = (hashlib.sha256(data).digest(), ctype, url, text_only, EXTRACTOR_VERSION)
    article = _EXTRACTED.get(key)
    if article is None:
        article = extract(data, ctype, url, text_only=text_only)
        _EXTRACTED[key] = article
        if len(_EXTRACTED) > _EXTRACTED_MAX:
            _EXTRACTED.popitem(last=False)
    else:
        _EXTRACTED.move_to_end(key)
    return article


EXTRACT_CHUNK = 256  # snapshots read, extracted and written per step: memory stays bounded


def process_pending(store: "Store", all_pages: bool = False, force: bool = False,
                    workers: int | None = None) -> dict:
    """Extract pending snapshots, then rebuild versions and changes of affected pages."""
    conn = store.conn
    where = "extract_status IS NOT 'not_html'" if force else "extract_status='pending'"
    pending = [r[0] for r in conn.execute(f"SELECT sha256 FROM snapshots WHERE {where} ORDER BY first_captured_at")]
    workers = workers or (min(os.cpu_count() or 1, 4) if len(pending) >= 16 else 1)
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        for i in range(0, len(pending), EXTRACT_CHUNK):
            _extract_chunk(store, pending[i:i + EXTRACT_CHUNK], pool)
    finally:
        if pool is not None:
            pool.shutdown()
    with store.transaction() as conn:
        if all_pages:
            pages = [r[0] for r in conn.execute("SELECT url FROM pages")]
        else:
            pages = pages_needing_versions(conn)
        for page in pages:
            rebuild_versions(conn, page)
    return {"extracted": len(pending), "pages": len(pages)}


def _extract_chunk(store: "Store", shas: list[str], pool: ProcessPoolExecutor | None) -> None:
    """Read, extract and store one bounded group of snapshots."""
    jobs = []
    for sha in shas:
        try:
            data, ctype, url, truncated = read_snapshot(store, sha)
        except Exception as exc:  # unreadable bytes: recorded, not fatal
            jobs.append((sha, None, str(exc)))
            continue
        jobs.append((sha, (data, ctype, url), truncated))
    inputs = [j[1] for j in jobs if j[1] is not None]
    outputs = pool.map(_extract_one, inputs, chunksize=8) if pool else map(_extract_one, inputs)
    it = iter(list(outputs))
    with store.transaction() as conn:
        for sha, args, extra in jobs:
            if args is None:
                conn.execute("UPDATE snapshots SET extract_status='failed', extract_error=? WHERE sha256=?",
                             (extra, sha))
                continue
            status, value = next(it)
            if status == "ok":
                article: Article = value  # type: ignore[assignment]
                if extra:
                    article.truncated = True
                tsha = store_article(conn, article)
                conn.execute("UPDATE snapshots SET extract_status=?, text_sha256=?, extract_error=NULL, "
                             "extractor_version=? WHERE sha256=?",
                             ("truncated" if article.truncated else "ok", tsha, EXTRACTOR_VERSION, sha))
            else:
                conn.execute("UPDATE snapshots SET extract_status=?, extract_error=?, text_sha256=NULL, "
                             "extractor_version=? WHERE sha256=?", (status, str(value)[:500], EXTRACTOR_VERSION, sha))


def pages_needing_versions(conn: sqlite3.Connection) -> list[str]:
    """Pages with a capture newer than their last version bookkeeping."""
    return [r[0] for r in conn.execute(
        "SELECT p.url FROM pages p WHERE p.last_captured_at > coalesce("
        "(SELECT max(last_captured_at) FROM versions v WHERE v.page_url = p.url), '') "
        "OR p.versions IS NULL OR p.versions = 0")]


def page_captures(conn: sqlite3.Connection, page_url: str) -> list[sqlite3.Row]:
    """Successful captures of a page with their text hash, oldest first."""
    return conn.execute(
        "SELECT c.record_id, c.captured_at, c.payload_sha256, s.text_sha256, t.title "
        "FROM captures c JOIN snapshots s ON s.sha256 = c.payload_sha256 "
        "LEFT JOIN texts t ON t.sha256 = s.text_sha256 "
        "WHERE c.page_url = ? AND c.status BETWEEN 200 AND 299 AND s.text_sha256 IS NOT NULL "
        "AND (c.truncated IS NULL OR c.truncated = '') "
        "ORDER BY c.captured_at, c.record_id", (page_url,)).fetchall()


def rebuild_versions(conn: sqlite3.Connection, page_url: str) -> None:
    caps = page_captures(conn, page_url)
    versions: dict[str, dict] = {}
    for c in caps:
        v = versions.get(c["text_sha256"])
        if v is None:
            versions[c["text_sha256"]] = {
                "page_url": page_url, "version": len(versions) + 1, "text_sha256": c["text_sha256"],
                "snapshot_sha256": c["payload_sha256"], "record_id": c["record_id"], "title": c["title"],
                "first_captured_at": c["captured_at"], "last_captured_at": c["captured_at"], "captures": 1}
        else:
            v["last_captured_at"] = c["captured_at"]
            v["captures"] += 1
    old = [r["text_sha256"] for r in conn.execute(
        "SELECT text_sha256 FROM versions WHERE page_url=? ORDER BY version", (page_url,))]
    new = list(versions)
    conn.execute("DELETE FROM versions WHERE page_url=?", (page_url,))
    for v in versions.values():
        cols = ", ".join(v)
        conn.execute(f"INSERT INTO versions ({cols}) VALUES ({', '.join('?' for _ in v)})", list(v.values()))
    title = caps[-1]["title"] if caps else None
    conn.execute("UPDATE pages SET versions=?, title=coalesce(?, title) WHERE url=?", (len(versions), title, page_url))
    if old != new or not conn.execute("SELECT 1 FROM changes WHERE page_url=? LIMIT 1", (page_url,)).fetchone():
        rebuild_changes(conn, page_url, new)


def load_version(conn: sqlite3.Connection, text_sha: str) -> dict:
    """A version in the form :func:`archive.diff.compare` takes."""
    t = conn.execute("SELECT title, text FROM texts WHERE sha256=?", (text_sha,)).fetchone()
    quotes = [dict(r) for r in conn.execute("SELECT * FROM quotes WHERE text_sha256=? ORDER BY n", (text_sha,))]
    figures = [dict(r) for r in conn.execute("SELECT * FROM figures WHERE text_sha256=? ORDER BY n", (text_sha,))]
    for q in quotes:
        q["is_term"] = bool(q["is_term"])
    return {"title": t["title"] if t else None, "text": t["text"] if t else "",
            "quotes": quotes, "figures": figures}


def rebuild_changes(conn: sqlite3.Connection, page_url: str, text_shas: list[str]) -> None:
    from .diff import compare

    conn.execute("DELETE FROM changes WHERE page_url=?", (page_url,))
    for i in range(1, len(text_shas)):
        before = load_version(conn, text_shas[i - 1])
        after = load_version(conn, text_shas[i])
        for n, ch in enumerate(compare(before, after)):
            conn.execute(
                "INSERT INTO changes (page_url, from_version, to_version, n, kind, op, before, after, "
                "before_value, after_value, counts, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (page_url, i, i + 1, n, ch["kind"], ch["op"], ch.get("before"), ch.get("after"),
                 ch.get("before_value"), ch.get("after_value"), ch.get("counts"),
                 json.dumps(ch.get("detail") or {}, ensure_ascii=False)))


def capture_at(conn: sqlite3.Connection, page_url: str, at: str | None) -> sqlite3.Row | None:
    """The latest successful, extracted capture of a page at or before ``at`` (ISO)."""
    caps = page_captures(conn, page_url)
    if at is not None:
        caps = [c for c in caps if c["captured_at"] <= at]
    return caps[-1] if caps else None


def version_of(conn: sqlite3.Connection, page_url: str, text_sha: str) -> int | None:
    row = conn.execute("SELECT version FROM versions WHERE page_url=? AND text_sha256=?",
                       (page_url, text_sha)).fetchone()
    return row[0] if row else None


def resolve_page(conn: sqlite3.Connection, url: str) -> str:
    """The page key of a URL as given by a user (canonicalised; must be in the store)."""
    from .canonical import canonical_url
    from .errors import UsageError

    key = canonical_url(url) if url.lower().startswith(("http:", "https:")) else url
    if conn.execute("SELECT 1 FROM pages WHERE url=?", (key,)).fetchone():
        return key
    row = conn.execute("SELECT page_url FROM captures WHERE url=? LIMIT 1", (url,)).fetchone()
    if row:
        return row[0]
    raise UsageError(f"{url} is not in the archive (capture it first: archive capture {url})")


def parse_time(value: str | None) -> str | None:
    """A user's time (ISO date/datetime, or a 4–14 digit timestamp) as an inclusive ISO bound.

    A partial time means the end of that period, as in Wayback URLs.

    >>> parse_time("2019")
    '2019-12-31T23:59:59.999999Z'
    >>> parse_time("20190215103000")
    '2019-02-15T10:30:00.999999Z'
    >>> parse_time("2021-04-03")
    '2021-04-03T23:59:59.999999Z'
    """
    import calendar
    from datetime import datetime, timezone

    from .errors import UsageError
    if value is None:
        return None
    v = value.strip()
    try:
        if v.isdigit() and 4 <= len(v) <= 14 and len(v) % 2 == 0:
            full = v + "1231235959"[len(v) - 4:]
            if len(v) < 8:  # no day given: the month's last day
                last = calendar.monthrange(int(full[:4]), int(full[4:6]))[1]
                full = full[:6] + f"{last:02d}" + full[8:]
            dt = datetime.strptime(full, "%Y%m%d%H%M%S")
            return dt.strftime("%Y-%m-%dT%H:%M:%S.999999Z")
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        if len(v) <= 10:  # a date alone means the whole day
            return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT23:59:59.999999Z")
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        raise UsageError(f"cannot read time {value!r}: use ISO 8601 (2026-11-25 or "
                         "2026-11-25T10:00:00Z) or a timestamp like 20261125103000") from None


def stored_changes(conn: sqlite3.Connection, page_url: str) -> list[dict]:
    """The changes table of a page as :func:`archive.diff.compare` dicts, in order."""
    out = []
    for r in conn.execute("SELECT * FROM changes WHERE page_url=? ORDER BY to_version, n", (page_url,)):
        ch = {k: r[k] for k in ("from_version", "to_version", "kind", "op", "before", "after",
                                "before_value", "after_value", "counts")}
        ch["detail"] = json.loads(r["detail"] or "{}")
        out.append(ch)
    return out
