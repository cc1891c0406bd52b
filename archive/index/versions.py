"""Extraction of snapshots, versions of pages and the changes between them.

Runs after indexing, never inside it: an import indexes at reader speed and the text,
quotes and figures of new snapshots are computed here, with a process pool when many
are pending.

* A snapshot's text is stored once in ``texts``, named by the SHA-256 of its UTF-8 bytes;
  quotes and figures hang off that text hash.
* A *version* is a distinct extracted text of a page, numbered in order of first capture;
  a capture whose text is already a version of the page counts towards it (first and
  last seen, number of captures).
* *Changes* are computed between consecutive versions by :func:`archive.text.diff.compare`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Callable

from archive.errors import NotExtractable
from archive.index.drain import queue_lock
from archive.index.gate import db_identity
from archive.index.metadata import text_subject
from archive.index.queries import load_version, page_captures
from archive.text.extract import EXTRACTOR_VERSION, Article, extract
from archive.warc.http import decode_content
from archive.warc.record import load_record
from archive.workers import process_pool

if TYPE_CHECKING:
    from archive.index.journal import Journal


def _extract_one(args: tuple[bytes, str | None, str | None]) -> tuple[str, Article | str]:
    payload, ctype, url = args
    try:
        return "ok", extract(payload, ctype, url)
    except NotExtractable as exc:
        return "not_html", exc.reason
    except Exception as exc:  # the extractor must never stop a capture
        return "failed", f"{type(exc).__name__}: {exc}"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _text_row(sha: str, article: Article) -> tuple:
    return (sha, article.title, article.text, article.author, article.published, article.modified,
            article.language, article.charset, EXTRACTOR_VERSION, int(article.truncated))


def _quote_rows(sha: str, article: Article) -> list[tuple]:
    return [(sha, q["n"], q.get("statement"), q["text"], q.get("speaker"), int(bool(q.get("is_term"))),
             q["start"], q["end"], q.get("exact"), q.get("prefix"), q.get("suffix")) for q in article.quotes]


def _figure_rows(sha: str, article: Article) -> list[tuple]:
    return [(sha, f["n"], f.get("value"), f["text"], f.get("kind"), f.get("unit"), f.get("counts"),
             f.get("qualifier"), f.get("sentence"), f["start"], f["end"], f.get("exact"),
             f.get("prefix"), f.get("suffix")) for f in article.figures]


TEXT_COLUMNS = ("sha256", "title", "text", "author", "published", "modified", "language", "charset",
                "extractor_version", "truncated")
QUOTE_COLUMNS = ("text_sha256", "n", "statement", "text", "speaker", "is_term", "start", "end",
                 "exact", "prefix", "suffix")
FIGURE_COLUMNS = ("text_sha256", "n", "value", "text", "kind", "unit", "counts", "qualifier", "sentence",
                  "start", "end", "exact", "prefix", "suffix")


def _plain(value: object) -> object:
    # SQLite gives a REAL column's 2300 back as 2300.0, an INTEGER's True as 1: numbers are
    # compared as floats (exact for every integer a row holds).
    if isinstance(value, (bool, int, float)):
        return float(value)
    return value


def _rows_sha256(text_row: tuple | None, quotes: list[tuple], figures: list[tuple]) -> str:
    body = {"texts": [_plain(v) for v in text_row] if text_row is not None else None,
            "quotes": [[_plain(v) for v in r] for r in quotes],
            "figures": [[_plain(v) for v in r] for r in figures]}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, separators=(",", ":"))
                          .encode("utf-8", "surrogatepass")).hexdigest()


def article_rows_sha256(sha: str, article: Article) -> str:
    """The digest of the ``texts``, ``quotes`` and ``figures`` rows an extraction gives
    (what the ledger vouches for, see :func:`rows_sha256`)."""
    return _rows_sha256(_text_row(sha, article), _quote_rows(sha, article), _figure_rows(sha, article))


def rows_sha256(conn: sqlite3.Connection, sha: str) -> str:
    """The digest of the ``texts``, ``quotes`` and ``figures`` rows the index holds for the
    text ``sha``: SHA-256 of their values as JSON, column by column in the order of
    ``TEXT_COLUMNS``, ``QUOTE_COLUMNS`` and ``FIGURE_COLUMNS``, quotes and figures in order
    of ``n``. Equal to :func:`article_rows_sha256` of the extraction that wrote them."""
    return rows_digest(index_rows(conn, sha))


def index_rows(conn: sqlite3.Connection, sha: str) -> tuple:
    """The ``texts`` row and the ``quotes`` and ``figures`` rows of the text ``sha``, as
    :func:`rows_sha256` hashes them (two equal results hash alike)."""
    cur = conn.cursor()
    cur.row_factory = None   # plain tuples, whatever the connection's row factory
    row = cur.execute(f"SELECT {', '.join(TEXT_COLUMNS)} FROM texts WHERE sha256=?", (sha,)).fetchone()
    return (row,
            *[cur.execute(f"SELECT {', '.join(f'{chr(34)}{c}{chr(34)}' for c in cols)} FROM {table} "
                          "WHERE text_sha256=? ORDER BY n", (sha,)).fetchall()
              for table, cols in (("quotes", QUOTE_COLUMNS), ("figures", FIGURE_COLUMNS))])


def rows_digest(rows: tuple) -> str:
    """:func:`rows_sha256` of rows read by :func:`index_rows`."""
    return _rows_sha256(*rows)


def store_article(conn: sqlite3.Connection, article: Article) -> str:
    """Write a text with its quotes and figures (once per text hash); return the hash."""
    return _store_article(conn, article)[0]


def _store_article(conn: sqlite3.Connection, article: Article) -> tuple[str, bool]:
    """:func:`store_article`, and whether it wrote the rows (False: they were there)."""
    sha = text_sha256(article.text)
    exists = conn.execute("SELECT extractor_version FROM texts WHERE sha256=?", (sha,)).fetchone()
    if exists and exists[0] == EXTRACTOR_VERSION:
        return sha, False
    conn.execute("DELETE FROM texts WHERE sha256=?", (sha,))
    conn.execute(f"INSERT INTO texts ({', '.join(TEXT_COLUMNS)}) VALUES ({', '.join('?' * len(TEXT_COLUMNS))})",
                 _text_row(sha, article))
    conn.execute("DELETE FROM quotes WHERE text_sha256=?", (sha,))
    conn.execute("DELETE FROM figures WHERE text_sha256=?", (sha,))
    conn.executemany(
        f"INSERT INTO quotes ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in QUOTE_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(QUOTE_COLUMNS))})", _quote_rows(sha, article))
    conn.executemany(
        f"INSERT INTO figures ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in FIGURE_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(FIGURE_COLUMNS))})", _figure_rows(sha, article))
    return sha, True


def text_row_problems(store: "Journal", text_sha: str) -> list[str]:
    """How the ``texts``, ``quotes`` and ``figures`` rows of a text differ from what its
    snapshot's WARC bytes give when extracted again now (empty: they are what the bytes
    give). Pages and commands that show these rows ask first, so that an edited row is
    never shown as archived; :func:`extract_snapshot` remembers recent extractions, so
    asking again for the same bytes is cheap. A text extracted by another extractor
    version cannot be extracted again by this one: its rows must be those a ``text`` entry
    of the ledger vouches for (what that extractor gave), or they are named a problem.
    """
    conn = store.conn
    row = conn.execute("SELECT * FROM texts WHERE sha256=?", (text_sha,)).fetchone()
    if row is not None and row["extractor_version"] != EXTRACTOR_VERSION:
        return older_text_problems(conn, text_sha, row["extractor_version"])
    snap = conn.execute("SELECT sha256, extract_status FROM snapshots WHERE text_sha256=? AND "
                        "extract_status IN ('ok', 'truncated') ORDER BY first_captured_at LIMIT 1",
                        (text_sha,)).fetchone()
    if snap is None:
        return [f"no snapshot in the index gives text {text_sha}"]
    try:
        article = extract_snapshot(store, snap["sha256"])
    except Exception as exc:   # unreadable or no longer extractable bytes: a failed check
        return [f"snapshot {snap['sha256']} cannot be extracted again: {exc}"]
    if snap["extract_status"] == "truncated":
        article.truncated = True
    if text_sha256(article.text) != text_sha:
        return [f"snapshot {snap['sha256']} gives text {text_sha256(article.text)}, not {text_sha}"]
    problems = []
    if row is None:
        problems.append(f"texts row {text_sha} is missing")
    else:
        want = dict(zip(TEXT_COLUMNS, _text_row(text_sha, article)))
        bad = [c for c in TEXT_COLUMNS if row[c] != want[c]]
        if bad:
            problems.append(f"texts row {text_sha}: {', '.join(bad)} differ from the WARC bytes")
    for table, cols, rows in (("quotes", QUOTE_COLUMNS, _quote_rows(text_sha, article)),
                              ("figures", FIGURE_COLUMNS, _figure_rows(text_sha, article))):
        have = [tuple(r) for r in conn.execute(
            f"SELECT {', '.join(f'{chr(34)}{c}{chr(34)}' for c in cols)} FROM {table} WHERE text_sha256=? ORDER BY n",
            (text_sha,))]
        if have != rows:
            n = next((h[1] for h, w in zip(have, rows) if h != w), None)
            where = f"row {text_sha}:{n}" if n is not None else f"rows of {text_sha} ({len(have)} held, {len(rows)} given)"
            problems.append(f"{table} {where} differ from the WARC bytes")
    return problems


def older_text_problems(conn: sqlite3.Connection, text_sha: str, version: str | None) -> list[str]:
    """For a text another extractor ``version`` wrote: empty if a ``text`` entry of the
    ledger (the ``ledger`` table, checked against its chain by ``verify``) vouches, for a
    snapshot of that text and that version, for exactly the rows the index holds now."""
    snaps = [r[0] for r in conn.execute("SELECT sha256 FROM snapshots WHERE text_sha256=? AND extractor_version IS ?",
                                        (text_sha, version))]
    have = None
    for snap in snaps:
        for (digests,) in conn.execute("SELECT digests FROM ledger WHERE kind='text' AND subject=?",
                                       (text_subject(snap, version),)):
            d = json.loads(digests or "{}")
            if d.get("text_sha256") == text_sha and d.get("extractor_version") == version:
                have = have or rows_sha256(conn, text_sha)
                if d.get("rows_sha256") == have:
                    return []
    return [f"texts row {text_sha} was written by extractor {version}, which this one ({EXTRACTOR_VERSION}) "
            "cannot run again, and no ledger entry vouches for its rows: `archive extract --all` extracts it again"]


def read_snapshot(store: "Journal", sha256: str) -> tuple[bytes, str | None, str | None, bool]:
    """Payload (content-decoded, capped), content type, URL and truncation of a snapshot."""
    snap = store.conn.execute("SELECT record_id FROM snapshots WHERE sha256=?", (sha256,)).fetchone()
    if snap is None:
        raise LookupError(f"snapshot {sha256} is not in the index")
    row = store.capture_row(snap[0])
    if row is None:
        raise LookupError(f"the record {snap[0]} of snapshot {sha256} is not in the index")
    rec = load_record(store.warcs.source(row["warc_file"]), row["offset"], row["length"])
    headers = json.loads(row["http_headers"]) if row["http_headers"] else []
    data, truncated = decode_content(rec.payload, headers)
    return data, row["content_type"], row["url"], truncated or bool(row["truncated"])


_EXTRACTED: "OrderedDict[tuple, Article]" = OrderedDict()
_EXTRACTED_MAX = 64


def extract_snapshot(store: "Journal", sha256: str, text_only: bool = False) -> Article:
    """Re-extract a snapshot from its WARC bytes (used by verify).

    The bytes are read from the WARC file every time; what is remembered (the last
    ``_EXTRACTED_MAX`` results in this process) is the extraction of those exact bytes,
    keyed by their SHA-256, content type and URL: extraction is a pure function of them,
    so several citations of one snapshot in a verify run extract it once, and nothing the
    index says is trusted. ``text_only`` skips quotes, figures and metadata other than the
    title (see :func:`archive.text.extract.extract`).
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


EXTRACT_CHUNK = 256  # snapshots read, extracted and written per step, at most
#: Payload bytes read and extracted per step, at most (one snapshot larger than this is a
#: step of its own). What a step holds in memory is its payloads and their extractions,
#: which are some fifteen times larger than the HTML (every quote and figure with its
#: sentence and context): 256 long pages were 1.6 GB in one drainer, 4 MB is about 60 MB.
EXTRACT_CHUNK_BYTES = 4 << 20


def pending_snapshots(conn: sqlite3.Connection, page_url: str) -> list[str]:
    """Snapshots of a page still waiting in the extraction queue."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT s.sha256 FROM captures c JOIN snapshots s ON s.sha256 = c.payload_sha256 "
        "WHERE c.page_url = ? AND s.extract_status = 'pending'", (page_url,))]


def page_needs_versions(conn: sqlite3.Connection, page_url: str) -> bool:
    """Whether a page has a capture newer than its versions (the one-page form of
    :func:`pages_needing_versions`)."""
    return conn.execute(
        "SELECT 1 FROM pages p WHERE p.url = ? AND (p.last_captured_at > coalesce("
        "(SELECT max(last_captured_at) FROM versions v WHERE v.page_url = p.url), '') "
        "OR p.versions IS NULL OR p.versions = 0)", (page_url,)).fetchone() is not None


def extract_page(store: "Journal", page_url: str) -> int:
    """Do the queued extraction of one page now: its pending snapshots, then its versions
    and changes. Every command that reads a page's text, quotes, figures or changes runs
    this first, so nothing reads as empty because it is still queued; a drainer working
    on the same snapshots meanwhile is harmless (the writes are idempotent).

    Returns the number of snapshots extracted (0 for a read-only store, which only reads).
    """
    if store.readonly:
        return 0
    shas = pending_snapshots(store.conn, page_url)
    if shas:
        _extract_chunk(store, shas, None)
    elif page_needs_versions(store.conn, page_url):
        with store.transaction() as conn:
            rebuild_versions(conn, page_url)
    return len(shas)


def process_pending(store: "Journal", all_pages: bool = False, force: bool = False,
                    workers: int | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    queue_held: bool = False) -> dict:
    """Drain the extraction queue: extract pending snapshots, then rebuild versions and
    changes of affected pages (under :func:`queue_lock`, one drainer at a time, unless the
    caller holds it already: ``queue_held``, see :func:`archive.index.drain.drain_turn`).
    ``progress(done, total)`` is called after each chunk of snapshots."""
    if queue_held:
        return _process_pending(store, all_pages, force, workers, progress)
    with queue_lock(store.db_path):
        return _process_pending(store, all_pages, force, workers, progress)


def _process_pending(store: "Journal", all_pages: bool, force: bool, workers: int | None,
                     progress: Callable[[int, int], None] | None = None) -> dict:
    conn = store.conn
    where = "extract_status IS NOT 'not_html'" if force else "extract_status='pending'"
    total = conn.execute(f"SELECT count(*) FROM snapshots WHERE {where}").fetchone()[0]
    workers = workers or (min(os.cpu_count() or 1, 4) if total >= 16 else 1)
    pool = process_pool(workers) if workers > 1 else None
    rebuilt = extracted = 0
    # An index replaced by renaming (see archive.index.gate.replace_index) was extracted
    # already: a drainer still reading the one it opened would spend its time on a file
    # nobody reads any more.
    index = db_identity(store.db_path)
    replaced = False
    try:
        # The queue is read a chunk at a time in the order it was filled, each from where
        # the last one ended: a million pending snapshots are never held as a list.
        after = 0
        while chunk := conn.execute(f"SELECT rowid, sha256 FROM snapshots WHERE rowid > ? AND {where} "
                                    "ORDER BY rowid LIMIT ?", (after, EXTRACT_CHUNK)).fetchall():
            if db_identity(store.db_path) != index:
                replaced = True
                break
            after = chunk[-1][0]
            rebuilt += len(_extract_chunk(store, [r[1] for r in chunk], pool))
            extracted += len(chunk)
            if progress is not None:
                progress(min(extracted, total), total)
    finally:
        if pool is not None:
            pool.shutdown()
    if replaced:
        return {"extracted": 0, "pages": 0, "replaced": True}
    with store.transaction() as conn:
        if all_pages:
            # Page by page in key order, a batch at a time (not the whole table as a list).
            last, rebuilt = "", 0
            while batch := [r[0] for r in conn.execute("SELECT url FROM pages WHERE url > ? ORDER BY url LIMIT 500",
                                                       (last,))]:
                for page in batch:
                    rebuild_versions(conn, page)
                rebuilt += len(batch)
                last = batch[-1]
        else:
            pages = pages_needing_versions(conn)
            for page in pages:
                rebuild_versions(conn, page)
            rebuilt += len(pages)   # (a page rebuilt in a chunk and again here counts twice)
    return {"extracted": extracted, "pages": rebuilt}


def _extract_chunk(store: "Journal", shas: list[str], pool: ProcessPoolExecutor | None) -> list[str]:
    """Read, extract and store a group of snapshots, in steps of at most
    :data:`EXTRACT_CHUNK_BYTES` of payload (memory stays bounded whatever the pages);
    returns the pages whose versions were rebuilt."""
    pages: dict[str, None] = {}
    # (snapshot, what to extract or None, why it is unreadable or whether it is truncated)
    jobs: list[tuple[str, tuple[bytes, str | None, str | None] | None, str | bool]] = []
    size = 0
    for sha in shas:
        try:
            data, ctype, url, truncated = read_snapshot(store, sha)
        except Exception as exc:  # unreadable bytes: recorded, not fatal
            jobs.append((sha, None, str(exc)))
            continue
        jobs.append((sha, (data, ctype, url), truncated))
        size += len(data)
        if size >= EXTRACT_CHUNK_BYTES:
            pages.update(dict.fromkeys(_extract_step(store, jobs, pool)))
            jobs, size = [], 0
    if jobs:
        pages.update(dict.fromkeys(_extract_step(store, jobs, pool)))
    return list(pages)


def _extract_step(store: "Journal", jobs: list[tuple[str, tuple[bytes, str | None, str | None] | None, str | bool]],
                  pool: ProcessPoolExecutor | None) -> list[str]:
    """Extract and store snapshots already read, and rebuild the versions of their pages in
    the same transaction: a reader never sees a snapshot extracted whose page's versions
    do not count it yet."""
    shas = [j[0] for j in jobs]
    inputs = [j[1] for j in jobs if j[1] is not None]
    outputs = pool.map(_extract_one, inputs, chunksize=8) if pool else map(_extract_one, inputs)
    it = iter(list(outputs))
    extracted: list[dict] = []
    with store.transaction() as conn:
        for sha, args, extra in jobs:
            if args is None:
                conn.execute("UPDATE snapshots SET extract_status='failed', extract_error=? WHERE sha256=?",
                             (extra, sha))
                continue
            status, value = next(it)
            if status == "ok":
                assert isinstance(value, Article)  # what _extract_one returns with "ok"
                article = value
                if extra:
                    article.truncated = True
                tsha, wrote = _store_article(conn, article)
                conn.execute("UPDATE snapshots SET extract_status=?, text_sha256=?, extract_error=NULL, "
                             "extractor_version=? WHERE sha256=?",
                             ("truncated" if article.truncated else "ok", tsha, EXTRACTOR_VERSION, sha))
                digest = article_rows_sha256(tsha, article)
                # Rows another snapshot of the same text wrote are vouched for this one too
                # only if this extraction gives them as well (a page under two titles does not).
                if wrote or rows_sha256(conn, tsha) == digest:
                    extracted.append({"snapshot_sha256": sha, "text_sha256": tsha,
                                      "extractor_version": EXTRACTOR_VERSION, "rows_sha256": digest,
                                      "quotes": len(article.quotes), "figures": len(article.figures)})
            else:
                conn.execute("UPDATE snapshots SET extract_status=?, extract_error=?, text_sha256=NULL, "
                             "extractor_version=? WHERE sha256=?", (status, str(value)[:500], EXTRACTOR_VERSION, sha))
        pages = pages_of_snapshots(conn, shas)
        for page in pages:
            rebuild_versions(conn, page)
    if extracted:
        store.extracted(extracted)
    return pages


def pages_of_snapshots(conn: sqlite3.Connection, shas: list[str]) -> list[str]:
    """The pages with a capture of any of these snapshots."""
    pages: dict[str, None] = {}
    for k in range(0, len(shas), 500):
        part = shas[k:k + 500]
        for (page,) in conn.execute("SELECT DISTINCT page_url FROM captures WHERE payload_sha256 IN "
                                    f"({','.join('?' * len(part))})", part):
            pages[page] = None
    return list(pages)


def pages_needing_versions(conn: sqlite3.Connection) -> list[str]:
    """Pages with a capture newer than their last version bookkeeping."""
    return [r[0] for r in conn.execute(
        "SELECT p.url FROM pages p WHERE p.last_captured_at > coalesce("
        "(SELECT max(last_captured_at) FROM versions v WHERE v.page_url = p.url), '') "
        "OR p.versions IS NULL OR p.versions = 0")]


def rebuild_versions(conn: sqlite3.Connection, page_url: str) -> None:
    caps = page_captures(conn, page_url)
    versions: dict[str, dict] = {}
    for c in caps:
        v = versions.get(c["text_sha256"])
        if v is None:
            versions[c["text_sha256"]] = {
                "page_url": page_url, "version": len(versions) + 1, "text_sha256": c["text_sha256"],
                "snapshot_sha256": c["payload_sha256"], "record_id": c["record_id"], "title": c["title"],
                "first_captured_at": c["captured_at"], "last_captured_at": c["captured_at"], "captures": 1,
                "text_source": c["text_source"]}
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


def rebuild_changes(conn: sqlite3.Connection, page_url: str, text_shas: list[str]) -> None:
    """The changes and the whole-text edit script of each pair of consecutive versions,
    computed here once (bounded in cost, see :mod:`archive.text.diff`) so that the diff
    page and ``archive diff`` only read them."""
    from archive.text.diff import compare, text_diff

    conn.execute("DELETE FROM changes WHERE page_url=?", (page_url,))
    conn.execute("DELETE FROM diffs WHERE page_url=?", (page_url,))
    if not text_shas:
        return
    after = load_version(conn, text_shas[0])
    for i in range(1, len(text_shas)):
        before = after
        after = load_version(conn, text_shas[i])
        conn.execute("INSERT INTO diffs (page_url, from_version, to_version, ops) VALUES (?,?,?,?)",
                     (page_url, i, i + 1, json.dumps(text_diff(before["text"], after["text"]),
                                                     separators=(",", ":"))))
        for n, ch in enumerate(compare(before, after)):
            conn.execute(
                "INSERT INTO changes (page_url, from_version, to_version, n, kind, op, before, after, "
                "before_value, after_value, counts, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (page_url, i, i + 1, n, ch["kind"], ch["op"], ch.get("before"), ch.get("after"),
                 ch.get("before_value"), ch.get("after_value"), ch.get("counts"),
                 json.dumps(ch.get("detail") or {}, ensure_ascii=False)))


