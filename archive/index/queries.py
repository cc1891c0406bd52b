"""Read-only questions the CLI, the citation code and the web pages ask of the index:
which page a URL is, which capture was current at a time, a version's text, the stored
changes of a page. Plain SQL over one connection; nothing here writes.
"""

from __future__ import annotations

import json
import sqlite3


# A rendered DOM is read instead of the HTML as served when its text is this much longer:
# the served HTML was a shell that scripts filled in (or held no article at all).
DOM_MIN_GAIN = 200


def page_captures(conn: sqlite3.Connection, page_url: str) -> list[dict]:
    """Successful captures of a page with their text hash, oldest first.

    A browser capture has the DOM after scripts ran beside the HTML as served (a
    ``urn:dom:`` resource ``WARC-Concurrent-To`` the response). Its text is the
    capture's when it holds the article and the served HTML does not (no text, or
    ``DOM_MIN_GAIN`` characters fewer): the row then names the DOM resource
    (``record_id``, ``payload_sha256``), so a citation pins those bytes, and
    ``text_source`` says ``rendered_dom`` instead of ``http``.
    """
    rows = conn.execute(
        "SELECT c.record_id, c.captured_at, c.payload_sha256, s.text_sha256, t.title, "
        "length(t.text) AS n, d.record_id AS dom_record_id, d.payload_sha256 AS dom_sha256, "
        "ds.text_sha256 AS dom_text_sha256, dt.title AS dom_title, length(dt.text) AS dom_n "
        "FROM captures c JOIN snapshots s ON s.sha256 = c.payload_sha256 "
        "LEFT JOIN texts t ON t.sha256 = s.text_sha256 "
        "LEFT JOIN captures d ON d.request_record_id = c.record_id AND d.record_type = 'resource' "
        "  AND d.url LIKE 'urn:dom:%' AND d.page_url = c.page_url "
        "LEFT JOIN snapshots ds ON ds.sha256 = d.payload_sha256 "
        "LEFT JOIN texts dt ON dt.sha256 = ds.text_sha256 "
        "WHERE c.page_url = ? AND c.status BETWEEN 200 AND 299 "
        "AND (c.truncated IS NULL OR c.truncated = '') "
        "ORDER BY c.captured_at, c.record_id", (page_url,)).fetchall()
    out = []
    for r in rows:
        row = {"record_id": r["record_id"], "captured_at": r["captured_at"],
               "payload_sha256": r["payload_sha256"], "text_sha256": r["text_sha256"],
               "title": r["title"], "text_source": "http", "response_record_id": r["record_id"]}
        if r["dom_text_sha256"] is not None and (r["dom_n"] or 0) >= (r["n"] or 0) + DOM_MIN_GAIN:
            row.update(record_id=r["dom_record_id"], payload_sha256=r["dom_sha256"],
                       text_sha256=r["dom_text_sha256"], title=r["dom_title"] or r["title"],
                       text_source="rendered_dom")
        if row["text_sha256"] is not None:
            out.append(row)
    return out


def load_version(conn: sqlite3.Connection, text_sha: str) -> dict:
    """A version in the form :func:`archive.text.diff.compare` takes."""
    t = conn.execute("SELECT title, text FROM texts WHERE sha256=?", (text_sha,)).fetchone()
    quotes = [dict(r) for r in conn.execute("SELECT * FROM quotes WHERE text_sha256=? ORDER BY n", (text_sha,))]
    figures = [dict(r) for r in conn.execute("SELECT * FROM figures WHERE text_sha256=? ORDER BY n", (text_sha,))]
    for q in quotes:
        q["is_term"] = bool(q["is_term"])
    return {"title": t["title"] if t else None, "text": t["text"] if t else "",
            "quotes": quotes, "figures": figures}


def capture_at(conn: sqlite3.Connection, page_url: str, at: str | None) -> dict | None:
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
    from archive.errors import UsageError
    from archive.urls import canonical_url

    key = canonical_url(url) if url.lower().startswith(("http:", "https:")) else url
    if conn.execute("SELECT 1 FROM pages WHERE url=?", (key,)).fetchone():
        return key
    row = conn.execute("SELECT page_url FROM captures WHERE url=? LIMIT 1", (url,)).fetchone()
    if row:
        return row[0]
    raise UsageError(f"{url} is not in the archive (capture it first: archive capture {url})")


def stored_changes(conn: sqlite3.Connection, page_url: str) -> list[dict]:
    """The changes table of a page as :func:`archive.text.diff.compare` dicts, in order."""
    out = []
    for r in conn.execute("SELECT * FROM changes WHERE page_url=? ORDER BY to_version, n", (page_url,)):
        ch = {k: r[k] for k in ("from_version", "to_version", "kind", "op", "before", "after",
                                "before_value", "after_value", "counts")}
        ch["detail"] = json.loads(r["detail"] or "{}")
        out.append(ch)
    return out


def browser_capture_for(conn: sqlite3.Connection, record_id: str) -> sqlite3.Row | None:
    """The browser capture a record belongs to: the page's response itself, or its
    screenshot or rendered DOM (``WARC-Concurrent-To`` the response)."""
    row = conn.execute("SELECT * FROM browser_captures WHERE record_id=?", (record_id,)).fetchone()
    if row is not None:
        return row
    return conn.execute("SELECT * FROM browser_captures WHERE dom_record_id=? OR screenshot_record_id=?",
                        (record_id, record_id)).fetchone()
