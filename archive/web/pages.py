"""The plugin's pages and the data behind them: citation, snapshot, diff, replay (the
routes are listed in :mod:`archive.web`, which registers them).

Archived bytes are hostile input (RELIABILITY.md, "Serving archived HTML"): pages show the
extracted *text*, always escaped by Jinja's autoescape; archived HTML is only ever served by
``/-/replay-raw`` with a ``sandbox`` CSP into an ``<iframe sandbox>`` that grants nothing,
and to a browser only with everything that could fetch or connect taken out first
(:func:`archive.web.replay.inert_html`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import hashlib
import json
import os
import re
import sqlite3
import threading
from datetime import timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, unquote, urlencode, urljoin, urlsplit

from datasette.utils.asgi import Response

from archive.config import check_base_url, read_config
from archive.errors import ArchiveError, UsageError
from archive.index.queries import load_version, resolve_page, stored_changes, version_of
from archive.index.versions import pending_snapshots
from archive.provenance.cite import citation_output, verify_citation
from archive.provenance.derived import row_problems
from archive.store import Store
from archive.text.changekinds import KINDS as CHANGE_KINDS
from archive.text.changekinds import noise_summary, organize, select
from archive.text.diff import compare, text_diff, word_diff
from archive.text.passage import relocate
from archive.times import http_date, iso_date, parse_iso, warc_date
from archive.warc.http import HTML_TYPES, decode_content, mime_of
from archive.web.capture_view import browser_view, replay_origin, screenshot_bytes
from archive.web.citepage import archived_state, figure_changes, hashed_ago, live_state, plain_checks
from archive.web.replay import inert_html

PLUGIN = "archive"
HERE = Path(__file__).resolve().parent

# The archived bytes run nowhere: no script, no network except data: images, no forms, no
# base-URL tricks, and only the app itself may frame them (RELIABILITY.md, serving 3).
RAW_CSP = ("sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
           "form-action 'none'; base-uri 'none'; frame-ancestors 'self'")
RAW_HEADERS = {
    "Content-Security-Policy": RAW_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}

SHA256_RE = re.compile(r"[0-9a-f]{64}")
CITATION_RE = re.compile(r"c-[0-9a-f]{20}")
RECORD_RE = re.compile(r"<?(urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[^\s<>\"']+?)>?")
TIMESTAMP_RE = re.compile(r"\d{4,14}")
# Markers the "search" canned query puts around matches in snippet(); render_cell turns
# them into <mark> after escaping everything else.
SNIPPET_OPEN, SNIPPET_CLOSE = "⟦", "⟧"
# Texts longer than this (both versions together) are not compared within a request:
# comparing them costs seconds of CPU (issue 14), the page shows the stored changes.
MAX_LIVE_DIFF_CHARS = 40_000

# Hashes of the inline scripts Datasette's own base template emits, so that the strict CSP
# of our pages allows exactly those and nothing an escaping bug could smuggle in.
base_script_hashes: list[str] = []
_local = threading.local()


# -- configuration and the store -----------------------------------------------------------

def _archive_db(datasette) -> Any:
    """The Datasette database holding the index."""
    config = datasette.plugin_config(PLUGIN) or {}
    if config.get("database"):
        return datasette.get_database(config["database"])
    dbs = [db for db in datasette.databases.values() if db.path and not db.is_memory]
    if not dbs:
        raise UsageError("no database file is being served")
    env_db = os.environ.get("ARCHIVE_DB")
    for db in dbs:
        if env_db and _resolved(db.path) == _resolved(env_db):
            return db
    for db in dbs:
        if db.name == "archive":
            return db
    return dbs[0]


@functools.lru_cache(maxsize=64)
def _resolved(path: str) -> Path:
    """A served database's path with its links resolved, once per process (it was four
    ``realpath`` calls of every page)."""
    return Path(path).resolve()


def _paths(datasette) -> tuple[Path, str | Path]:
    """(database path, warcs directory or s3:// URL) per the rules in the module docstring."""
    db_path = Path(_archive_db(datasette).path)
    config = datasette.plugin_config(PLUGIN) or {}
    warcs = os.environ.get("ARCHIVE_WARCS") or config.get("warcs") or db_path.parent / "warcs"
    if str(warcs).startswith("s3://"):
        return db_path, warcs   # a bucket: records are read from it by byte range
    return db_path, Path(warcs)


def _store(db_path: Path, warcs: str | Path) -> Store:
    """A Store per worker thread: sqlite connections are not shared between threads."""
    stores = getattr(_local, "stores", None)
    if stores is None:
        stores = _local.stores = {}
    key = (str(db_path), str(warcs))
    store = stores.get(key)
    if store is None:
        # Read-only: a reader never writes the index nor touches files a capture may be writing.
        store = stores[key] = Store(db_path, warcs, readonly=True)
    return store


class _PagePool:
    """The worker threads that build our pages, apart from Datasette's SQL threads and from
    asyncio's default executor, so a slow page can starve neither Datasette nor itself.

    * Identical requests in flight share one computation (six readers opening the same
      diff cost one diff, not six).
    * A waiter gives up after ``timeout`` seconds (the view answers 503 with Retry-After);
      the computation finishes on its own, its thread held meanwhile.
    * The threads are daemons: a computation under way never delays the exit of the
      server after SIGTERM (``concurrent.futures`` would join its threads at exit).
    """

    def __init__(self, workers: int) -> None:
        import queue

        self._queue: "queue.SimpleQueue" = queue.SimpleQueue()
        self._workers = workers
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._inflight: dict[tuple, "concurrent.futures.Future"] = {}

    def _run(self) -> None:
        while True:
            fut, fn = self._queue.get()
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn())
            except BaseException as exc:  # handed to whoever waits for this page
                fut.set_exception(exc)

    def submit(self, key: tuple, fn: Callable[[], Any]) -> "concurrent.futures.Future":
        import concurrent.futures

        with self._lock:
            fut = self._inflight.get(key)
            if fut is not None:
                return fut
            fut = self._inflight[key] = concurrent.futures.Future()
            fut.add_done_callback(lambda _f: self._forget(key, _f))
            if len(self._threads) < self._workers:
                t = threading.Thread(target=self._run, name=f"archive-page-{len(self._threads)}", daemon=True)
                t.start()
                self._threads.append(t)
        self._queue.put((fut, fn))
        return fut

    def _forget(self, key: tuple, fut: Any) -> None:
        with self._lock:
            if self._inflight.get(key) is fut:
                del self._inflight[key]


#: Threads building plugin pages at once, and how long a request waits for its page.
PAGE_WORKERS = 8
PAGE_TIMEOUT_S = 60.0
_pool = _PagePool(PAGE_WORKERS)


class _Busy(Exception):
    """The page took longer than :data:`PAGE_TIMEOUT_S` to build: try again later."""


async def _with_store(datasette, fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(store, *args)`` on the page pool (WARC reads, hashing and text work
    block), sharing the work with identical requests in flight; :class:`_Busy` after
    :data:`PAGE_TIMEOUT_S`."""
    db_path, warcs = _paths(datasette)

    def call() -> Any:
        return fn(_store(db_path, warcs), *args)

    key = (getattr(fn, "__module__", ""), getattr(fn, "__qualname__", repr(fn)), str(db_path), str(warcs),
           repr(args))
    fut = _pool.submit(key, call)
    try:
        # shield: a waiter that gives up must not cancel the page for those still waiting.
        return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fut)), PAGE_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise _Busy(f"this page took more than {PAGE_TIMEOUT_S:.0f} s to build; "
                    "try again in a minute") from None


class _NotFound(Exception):
    """Nothing in the archive under that name."""


class _BadRequest(Exception):
    """The request's parameters cannot be read."""


class _Queued(Exception):
    """The page's text is still in the extraction queue: the page waits for it rather
    than show it as empty (its view retries, then answers 503 with Retry-After)."""

    def __init__(self, page_url: str) -> None:
        super().__init__(page_url)
        self.page_url = page_url


#: How long a page waits for the extraction drainer before answering 503.
QUEUE_WAIT_S = 20.0
_drainer_started = 0.0
_drainer_lock = threading.Lock()


def _ensure_extracted(store: Store, page_url: str | None) -> None:
    """Raise :class:`_Queued` while snapshots of the page wait to be extracted."""
    if page_url and pending_snapshots(store.conn, page_url):
        raise _Queued(page_url)


def _start_drainer(store: Store) -> bool:
    """Ask for a background drainer (a process that writes the index, never this one);
    at most one start per few seconds from this server. Returns whether work is pending."""
    global _drainer_started
    import time

    with _drainer_lock:
        if time.monotonic() - _drainer_started < 5.0:
            return True
        _drainer_started = time.monotonic()
    return store.extract_in_background() is not None


# -- small pure helpers ---------------------------------------------------------------------

def linkable(url: object) -> bool:
    """Whether an archived URL may be a link on our pages: http(s) only.

    >>> linkable("https://example.org/"), linkable("javascript:alert(1)"), linkable(" data:text/html,x")
    (True, False, False)
    """
    return isinstance(url, str) and url.strip().lower().startswith(("http://", "https://"))


def record_key(record_id: str | None) -> str:
    """A record id as it appears in our URLs: without the angle brackets.

    >>> record_key("<urn:uuid:5dca7202-eed5-400a-8b7a-3e2db0a29f74>")
    'urn:uuid:5dca7202-eed5-400a-8b7a-3e2db0a29f74'
    """
    return (record_id or "").strip().strip("<>")


def url_in_path(url: str) -> str:
    """An archived URL made safe to append to one of our paths (Wayback style).

    Characters that would end a URL in a Link header or HTML attribute are escaped.

    >>> url_in_path('http://example.org/a b?q="x"')
    'http://example.org/a%20b?q=%22x%22'
    """
    return quote(url, safe=":/?&=%@+,;~!$'()*#[]")


def wayback_stamp(iso: str | None) -> str:
    """ISO 8601 capture time as a 14-digit Wayback timestamp.

    >>> wayback_stamp("2026-11-25T03:48:29.411644Z")
    '20261125034829'
    """
    dt = parse_iso(iso)
    return dt.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S") if dt else ""


def highlight_segments(text: str, spans: list[dict]) -> list[dict]:
    """Cut ``text`` where spans start or end; each piece lists the spans covering it.

    ``spans`` are ``{"start", "end", "cls", "title"}``; overlapping spans (a figure inside
    a quote) mark the overlap with both classes. The template escapes every piece.

    >>> [(s["text"], s["cls"]) for s in highlight_segments("ab cd", [{"start": 3, "end": 5, "cls": "fig"}])]
    [('ab ', ''), ('cd', 'fig')]
    """
    n = len(text)
    good = [s for s in spans if isinstance(s.get("start"), int) and isinstance(s.get("end"), int)
            and 0 <= s["start"] < s["end"] <= n]
    points = sorted({0, n, *(s["start"] for s in good), *(s["end"] for s in good)})
    # A sweep over the cut points: spans open at their start and close at their end, so a
    # text with thousands of quotes and figures costs O((n + k) log k), not segments × spans.
    opening: dict[int, list[int]] = {}
    closing: dict[int, list[int]] = {}
    for k, sp in enumerate(good):
        opening.setdefault(sp["start"], []).append(k)
        closing.setdefault(sp["end"], []).append(k)
    live: dict[int, None] = {}   # open spans, in the order given (titles keep that order)
    out = []
    for a, b in zip(points, points[1:]):
        for k in closing.get(a, ()):
            live.pop(k, None)
        for k in opening.get(a, ()):
            live[k] = None
        cover = [good[k] for k in sorted(live)]
        out.append({
            "text": text[a:b],
            "cls": " ".join(sorted({s["cls"] for s in cover})),
            "title": "; ".join(dict.fromkeys(s["title"] for s in cover if s.get("title"))),
            "id": next((s["id"] for s in cover if s.get("id") and s["start"] == a), None),
        })
    return out


def figure_series(changes: list[dict], versions: list[dict]) -> list[dict]:
    """Values over versions for each figure that changed, chained through the changes.

    A change ``2,300 → 3,100`` (v1→v2) followed by ``3,100 → 3,400`` (v2→v3) of the same
    ``counts`` is one series of three points.
    """
    when = {v["version"]: v["first_captured_at"] for v in versions}
    series: list[dict] = []
    for ch in changes:
        if ch["kind"] != "figure" or ch["op"] != "changed":
            continue
        bv, av = ch.get("before_value"), ch.get("after_value")
        if not isinstance(bv, (int, float)) or not isinstance(av, (int, float)):
            continue
        label = ch.get("counts") or ""
        for s in series:
            last = s["points"][-1]
            if s["label"] == label and last["version"] == ch["from_version"] and last["value"] == bv:
                break
        else:
            s = {"label": label, "points": [{"version": ch["from_version"], "value": bv,
                                             "text": ch.get("before") or "",
                                             "at": when.get(ch["from_version"])}]}
            series.append(s)
        s["points"].append({"version": ch["to_version"], "value": av, "text": ch.get("after") or "",
                            "at": when.get(ch["to_version"])})
    return series


def chart_geometry(series: dict, n_versions: int, width: int = 280, height: int = 96) -> dict:
    """Coordinates of a small line chart (x: version, y: value) for the SVG template."""
    pad_x, pad_top, pad_bottom = 28, 18, 20
    values = [p["value"] for p in series["points"]]
    lo, hi = min(values), max(values)
    span_v = (hi - lo) or 1.0
    span_x = max(n_versions - 1, 1)
    pts = []
    for p in series["points"]:
        x = pad_x + (width - 2 * pad_x) * (p["version"] - 1) / span_x
        y = (pad_top + (height - pad_top - pad_bottom) / 2 if hi == lo
             else pad_top + (height - pad_top - pad_bottom) * (hi - p["value"]) / span_v)
        pts.append({**p, "x": round(x, 1), "y": round(y, 1)})
    return {"width": width, "height": height, "points": pts, "baseline": height - pad_bottom + 4,
            "polyline": " ".join(f"{p['x']},{p['y']}" for p in pts), "label": series["label"]}


def _mark_figure_ops(ops: list[dict], changes: list[dict]) -> list[dict]:
    """Flag word-diff pieces that are changed figures, so the diff can mark them."""
    before = {c["before"] for c in changes if c["kind"] == "figure" and c.get("before")}
    after = {c["after"] for c in changes if c["kind"] == "figure" and c.get("after")}
    for op in ops:
        op["figure"] = op["op"] != "equal" and (op["before"].strip() in before or op["after"].strip() in after)
    return ops


# -- building pages (sync, run in a worker thread with a Store) --------------------------

def _versions(conn: sqlite3.Connection, page_url: str) -> list[dict]:
    rows = conn.execute("SELECT * FROM versions WHERE page_url=? ORDER BY version", (page_url,)).fetchall()
    counts = {r[0]: r[1] for r in conn.execute(
        "SELECT to_version, count(*) FROM changes WHERE page_url=? GROUP BY to_version", (page_url,))}
    return [{**dict(r), "changes": counts.get(r["version"], 0)} for r in rows]


def _history(conn: sqlite3.Connection, page_url: str) -> dict:
    """Timeline of versions and the charts of figures that changed."""
    versions = _versions(conn, page_url)
    series = figure_series(stored_changes(conn, page_url), versions)
    return {"versions": versions,
            "figures": [{**s, "chart": chart_geometry(s, len(versions))} for s in series]}


def _capture_for_key(store: Store, key: str) -> sqlite3.Row:
    """The capture named by a record id (with or without <>) or a snapshot SHA-256."""
    key = unquote(key).strip()
    row = store.capture_row(key) or store.capture_row(f"<{record_key(key)}>")
    if row is None and SHA256_RE.fullmatch(key.lower()):
        snap = store.conn.execute("SELECT record_id FROM snapshots WHERE sha256=?", (key.lower(),)).fetchone()
        if snap:
            row = store.capture_row(snap[0])
    if row is None:
        raise _NotFound(f"no capture or snapshot {key!r} in the archive")
    return row


def _verify(store: Store, cid: str) -> dict:
    try:
        return verify_citation(store, cid, vouched=True, remembered=True)
    except Exception as exc:  # a broken store must read as a failed check, not a 500
        return {"id": cid, "ok": False, "where": {},
                "checks": [{"check": "verify", "ok": False, "detail": f"{type(exc).__name__}: {exc}"}],
                "failed": [f"verify: {type(exc).__name__}: {exc}"]}


def _pinned_key():
    """The archive's public key, pinned by the server's operator (``ARCHIVE_PUBLIC_KEY``,
    as for `archive verify`): only against it does a signature say who signed."""
    from archive import PUBLIC_KEY_ENV

    path = os.environ.get(PUBLIC_KEY_ENV)
    return _load_pinned(path) if path else None


@functools.lru_cache(maxsize=4)
def _load_pinned(path: str):
    from archive.provenance.keys import load_public_key

    return load_public_key(path)


def _proof_summary(proof: dict) -> dict:
    """The proof chain of a citation, link by link, for the page (the JSON keeps it all)."""
    rec, seal, ledger_entries, sig = proof["record"], proof.get("file_seal"), proof["ledger"], proof["signature"]
    links = [{"name": "Record digests", "ok": rec.get("ok"),
              "detail": (f"block sha256 {rec.get('block_sha256')}, payload sha256 {rec.get('payload_sha256')}, "
                         f"declared digests {rec.get('fixity')}") if rec.get("block_sha256") else rec.get("detail", "")}]
    if seal:
        links.append({"name": "File seal", "ok": True if seal.get("sha256") else None,
                      "detail": (f"{seal['warc_file']} sealed {seal.get('sealed_at') or '(still open)'}, "
                                 f"sha256 {seal.get('sha256') or '-'}, {seal.get('size')} bytes, "
                                 f"ledger entry {seal.get('ledger_seq') or '-'}")})
    for kind, e in ledger_entries.items():
        if "entry" in e:
            p = e["inclusion_proof"]
            detail = (f"entry {e['entry']['seq']} ({e['entry']['entry_hash'][:16]}…), included in the "
                      f"Merkle tree of {p['tree_size']} entries with a {len(p['path'])}-hash proof, "
                      f"root {p['root'][:16]}…")
        else:
            detail = e.get("detail", "")
        links.append({"name": f"Ledger: {kind}", "ok": e.get("ok"), "detail": detail})
    links.append({"name": "Signature", "ok": sig.get("ok") if sig.get("status") != "unsigned" else None,
                  "detail": (f"{sig['status']}: head {sig['head']['seq']} signed {sig['head']['signed_at']} "
                             f"by key {sig['head']['key_id']}" + (", verified with the pinned key"
                                                                   if sig.get("trusted_key") and sig.get("ok") else
                             "" if sig.get("trusted_key") else
                             ", not pinned: the signature matches the key the signed record declares, which "
                             "says nothing of who signed (pin the archive's key with ARCHIVE_PUBLIC_KEY for "
                             "`archive serve`, or pass it to `archive verify --public-key`)"))
                  if sig.get("head") else sig.get("detail", ""),
                  # what the summary line says of it when it is neither a pass nor a failure
                  "unchecked": "signed by a key that is not pinned"
                  if sig.get("head") and not sig.get("trusted_key") else "nothing to check"})
    return {"ok": proof["ok"], "links": links, "full": proof}


def build_cite(store: Store, cid: str, base_url: str) -> dict:
    """Everything the citation page shows; cited content only if verification allows."""
    conn = store.conn
    row = conn.execute("SELECT * FROM citations WHERE id=?", (cid,)).fetchone()
    if row is None:
        raise _NotFound(f"no citation {cid!r} in the archive")
    _ensure_extracted(store, row["page_url"])
    ver = _verify(store, cid)
    # The page shows the text, title and figures rows: they must be what the WARC bytes
    # give, as the ledger vouches (verify checked that already when it found the passage
    # in them), else as a fresh extraction gives them.
    vouched = any(c["check"] == "derived_rows" and c["ok"] is True for c in ver["checks"])
    problems = (row_problems(store, row["text_sha256"], row["snapshot_sha256"])
                if row["text_sha256"] and not vouched else [])
    if problems:
        ver = {**ver, "ok": False, "checks": list(ver["checks"]) + [
            {"check": "index_rows", "ok": False, "detail": "; ".join(problems)}],
            "failed": list(ver.get("failed") or []) + [f"index_rows: {'; '.join(problems)}"]}
    status = archived_state(ver)  # unverified: nothing failed, but something could not be checked
    show = status != "failed"
    capture = store.capture_row(row["record_id"])
    try:
        source = store.original_of(capture) if capture is not None else None
    except ArchiveError:
        source = None
    provenance = {
        "url": row["url"], "page_url": row["page_url"], "captured_at": row["captured_at"],
        "host": urlsplit(row["url"]).hostname or row["url"],
        "snapshot_sha256": row["snapshot_sha256"], "text_sha256": row["text_sha256"],
        "record_id": row["record_id"],
        "warc_file": source["warc_file"] if source is not None else None,
        "offset": source["offset"] if source is not None else None,
        "length": source["length"] if source is not None else None,
        "source_record_id": source["record_id"] if source is not None else None,
        "citation_record_id": row["citation_record_id"], "citation_warc_file": row["warc_file"],
        "citation_offset": row["offset"], "created_at": row["created_at"], "note": row["note"],
    }
    cited_version = version_of(conn, row["page_url"], row["text_sha256"])
    history = _history(conn, row["page_url"])
    from archive.provenance.audit import proof_for_citation

    checks = [dict(r) for r in conn.execute(
        "SELECT * FROM checks WHERE citation_id=? ORDER BY checked_at DESC", (cid,))]
    verified_at = iso_date(warc_date(store.clock()))
    hashed_at = ver.get("hashed_at")
    out: dict = {"id": cid, "archived": status, "archived_checked_at": verified_at,
                 # When the archived bytes were last read and hashed: now, or (their file
                 # unchanged since, by its stat) by an earlier request of this process.
                 "archived_hashed_at": hashed_at,
                 "hashed": {"at": hashed_at, "ago": hashed_ago(hashed_at, verified_at),
                            "remembered": bool(ver.get("hashed_from_memory"))} if hashed_at else None,
                 "current": "not checked", "current_checked_at": None,
                 "status": status, "verification": {**ver, "checks": plain_checks(ver["checks"])},
                 "provenance": provenance,
                 "proof": _proof_summary(proof_for_citation(store, cid, _pinned_key(), remembered=True)),
                 "version": cited_version, "versions": history["versions"],
                 "checks": checks[:10]}
    cited_at = row["captured_at"]
    if not show:
        # The live state without the words: what the page said is not shown when the
        # archived copy cannot prove it.
        live = live_state(cited_at, cited_version, history["versions"],
                          _later(conn, row, cited_version, history["versions"]), checks)
        out.update(current=live["status"], current_checked_at=live["checked_at"],
                   live={k: live[k] for k in ("status", "checked_at", "since", "source")})
        return out
    text_row = conn.execute("SELECT title, author, text FROM texts WHERE sha256=?", (row["text_sha256"],)).fetchone()
    text = text_row["text"] if text_row else ""
    out["title"] = text_row["title"] if text_row else None
    out["author"] = text_row["author"] if text_row else None
    out["passage"] = {"exact": row["exact"], "prefix": row["prefix"], "suffix": row["suffix"],
                      "start": row["start"], "end": row["end"]}
    out["segments"] = highlight_segments(text, [{"start": row["start"], "end": row["end"],
                                                 "cls": "passage", "id": "passage"}])
    cited = citation_output(store, row, base_url)
    out["forms"] = cited["forms"]
    out["permalink"] = cited["permalink"]
    out["author"] = ", ".join(cited["authors"]) or None
    out["site_name"] = cited["site_name"]
    out["published"] = cited["published"]
    # A browser capture: its screenshot with the passage's place, and the faithful replay.
    out["browser"] = browser_view(store, row["record_id"], row["exact"], cid)
    out["figures"] = history["figures"]
    later = _later(conn, row, cited_version, history["versions"])
    out["later"] = later
    live = live_state(cited_at, cited_version, history["versions"], later, checks)
    if live.get("now"):
        live["ops"] = word_diff(row["exact"], live["now"])
        live["figures"] = figure_changes(row["exact"], live["now"])
    out.update(current=live["status"], current_checked_at=live["checked_at"], live=live)
    out["diff_to"] = later[-1]["version"] if later else None
    return out


# Versions after the cited one in which a passage that is not there word for word is
# looked for fuzzily (the newest ones): each such search is linear in the page's text but
# not cheap, and a page may have hundreds of versions.
FUZZY_LATER = 3


def _later(conn: sqlite3.Connection, row: sqlite3.Row, cited_version: int | None,
           versions: list[dict]) -> list[dict]:
    """Where the cited passage stands in each version of the page after the cited one.

    The words themselves are looked for in every version (a substring search); where they
    are missing, only the newest ``FUZZY_LATER`` versions are searched for what replaced
    them, the others say "not compared" (their diff pages show the change)."""
    selector = {k: row[k] for k in ("exact", "prefix", "suffix", "start", "end")}
    after = [v for v in versions if cited_version is not None and v["version"] > cited_version]
    fuzzy = {v["version"] for v in after[-FUZZY_LATER:]}
    later = []
    for v in after:
        vt = conn.execute("SELECT text FROM texts WHERE sha256=?", (v["text_sha256"],)).fetchone()
        text = vt["text"] if vt else ""
        if v["version"] in fuzzy or (row["exact"] and row["exact"] in text):
            found = relocate(text, selector)
        else:
            found = {"status": "not compared", "now": None}
        later.append({"version": v["version"], "first_captured_at": v["first_captured_at"],
                      "last_captured_at": v["last_captured_at"],
                      "snapshot_sha256": v["snapshot_sha256"], "text_sha256": v["text_sha256"],
                      "status": found["status"], "now": found.get("now"),
                      "ops": word_diff(row["exact"], found["now"]) if found.get("now") else []})
    return later


def _snapshot_fixity(store: Store, sha: str) -> dict:
    """Re-read the snapshot's bytes by offset and re-hash them, now."""
    try:
        payload, orig = store.payload(sha)
    except Exception as exc:  # unreadable bytes are a failed check, shown as such
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    got = hashlib.sha256(payload).hexdigest()
    return {"ok": got == sha, "detail": f"payload sha256 {got} read from {orig['warc_file']} @ {orig['offset']}"}


def build_snapshot(store: Store, sha: str) -> dict:
    conn = store.conn
    snap = conn.execute("SELECT * FROM snapshots WHERE sha256=?", (sha,)).fetchone()
    if snap is None:
        raise _NotFound(f"no snapshot {sha} in the archive")
    captures = [dict(r) for r in conn.execute(
        "SELECT record_id, record_type, url, page_url, captured_at, status, content_type, warc_file, "
        "offset, length, fixity FROM captures WHERE payload_sha256=? ORDER BY captured_at", (sha,))]
    if snap["extract_status"] == "pending" and captures:
        raise _Queued(captures[0]["page_url"])
    fixity = _snapshot_fixity(store, sha)
    if fixity["ok"] and snap["text_sha256"]:
        problems = row_problems(store, snap["text_sha256"], sha)
        if problems:
            fixity = {"ok": False, "detail": "; ".join(problems)}
    out: dict = {"sha256": sha, "snapshot": dict(snap), "captures": captures, "fixity": fixity,
                 "page_url": captures[0]["page_url"] if captures else None}
    if out["page_url"]:
        history = _history(conn, out["page_url"])
        out["versions"] = history["versions"]
        out["figures"] = history["figures"] if fixity["ok"] else []
    else:
        out["versions"], out["figures"] = [], []
    out["version"] = (version_of(conn, out["page_url"], snap["text_sha256"])
                      if out["page_url"] and snap["text_sha256"] else None)
    if fixity["ok"] and captures:
        out["browser"] = browser_view(store, captures[0]["record_id"])
    if not fixity["ok"] or not snap["text_sha256"]:
        return out
    t = conn.execute("SELECT * FROM texts WHERE sha256=?", (snap["text_sha256"],)).fetchone()
    if t is None:
        return out
    out["text"] = {k: t[k] for k in ("sha256", "title", "author", "published", "modified", "language",
                                     "charset", "extractor_version", "truncated")}
    quotes = [dict(r) for r in conn.execute("SELECT * FROM quotes WHERE text_sha256=? ORDER BY n", (t["sha256"],))]
    figures = [dict(r) for r in conn.execute("SELECT * FROM figures WHERE text_sha256=? ORDER BY n", (t["sha256"],))]
    # ids: the figures and quotes queries link to a figure or quote at its place (#figure-3).
    spans = [{"start": q["start"], "end": q["end"], "cls": "quote", "id": f"quote-{q['n']}",
              "title": f"quote: {q['speaker']}" if q["speaker"] else "quote"} for q in quotes]
    spans += [{"start": f["start"], "end": f["end"], "cls": "figure", "id": f"figure-{f['n']}",
               "title": "figure: " + " ".join(x for x in (f["qualifier"], f["text"], f["counts"]) if x)}
              for f in figures]
    out["segments"] = highlight_segments(t["text"] or "", spans)
    out["quotes"], out["figures_in_text"] = quotes, figures
    return out


def _text_and_title(conn: sqlite3.Connection, text_sha: str) -> dict:
    t = conn.execute("SELECT title, text FROM texts WHERE sha256=?", (text_sha,)).fetchone()
    return {"title": t["title"] if t else None, "text": (t["text"] if t else "") or ""}


def build_diff(store: Store, page: str, from_v: str | None, to_v: str | None,
               kinds: tuple[str, ...] = ()) -> dict:
    conn = store.conn
    try:
        page_url = resolve_page(conn, page)
    except UsageError as exc:
        raise _NotFound(str(exc)) from None
    _ensure_extracted(store, page_url)
    versions = _versions(conn, page_url)
    if len(versions) < 2:
        raise _NotFound(f"{page} has only {len(versions)} version(s): nothing to compare")
    try:
        to_n = int(to_v) if to_v else versions[-1]["version"]
        from_n = int(from_v) if from_v else to_n - 1
    except ValueError:
        raise _BadRequest("from and to are version numbers (1, 2, ...)") from None
    by_n = {v["version"]: v for v in versions}
    if from_n not in by_n or to_n not in by_n or from_n == to_n:
        raise _BadRequest(f"versions must be two different numbers from 1 to {len(versions)}")
    a, b = by_n[from_n], by_n[to_n]
    unknown = set(kinds) - set(CHANGE_KINDS)
    if unknown:
        raise _BadRequest(f"kind must be one of {', '.join(CHANGE_KINDS)}, not {', '.join(sorted(unknown))}")
    ta, tb = _text_and_title(conn, a["text_sha256"]), _text_and_title(conn, b["text_sha256"])
    stored = conn.execute("SELECT ops FROM diffs WHERE page_url=? AND from_version=? AND to_version=?",
                          (page_url, from_n, to_n)).fetchone() if to_n == from_n + 1 else None
    script = None
    if stored is not None:
        # Consecutive versions: both the changes and the edit script were computed once,
        # at extraction; the page only reads them.
        changes = [c for c in stored_changes(conn, page_url) if c["to_version"] == to_n]
        script = json.loads(stored["ops"])
    elif len(ta["text"]) + len(tb["text"]) > MAX_LIVE_DIFF_CHARS:
        # Too long to compare within a request (bounded, but seconds of CPU for the
        # longest texts): consecutive versions show their stored changes, others are refused.
        if to_n != from_n + 1:
            raise _BadRequest(f"versions {from_n} and {to_n} are too long to compare on the fly; "
                              "compare consecutive versions, whose changes are stored")
        changes = [c for c in stored_changes(conn, page_url) if c["to_version"] == to_n]
    else:
        # Any other pair (or a page extracted before diffs were stored): computed now, by
        # the same bounded algorithm.
        changes = compare(load_version(conn, a["text_sha256"]), load_version(conn, b["text_sha256"]))
        script = text_diff(ta["text"], tb["text"])
    # Figures and quotes first, then the title and sentences; noise collapsed and counted
    # (the texts tell mis-decoded quotations apart; skipped for the longest texts).
    small = len(ta["text"]) + len(tb["text"]) <= MAX_LIVE_DIFF_CHARS
    organized = organize(changes, ta["text"] if small else None, tb["text"] if small else None)
    changes = select(organized, kinds) if kinds else organized["changes"]
    noise = [] if kinds else organized["noise"]
    for ch in changes + noise:
        if ch["op"] not in ("edited", "changed"):
            ch["ops"] = []
        elif (ch.get("detail") or {}).get("ops") is not None:
            ch["ops"] = ch["detail"]["ops"]
        else:
            ch["ops"] = word_diff(ch.get("before") or "", ch.get("after") or "")
    ops = None if script is None else _mark_figure_ops(
        [{"op": op, "before": ta["text"][b0:b1], "after": tb["text"][a0:a1]} for op, b0, b1, a0, a1 in script],
        changes)
    va, vb = ta, tb
    history = _history(conn, page_url)
    return {"page_url": page_url, "from": a, "to": b, "versions": versions, "changes": changes,
            "noise": noise, "noise_counts": organized["counts"], "noise_summary": noise_summary(organized["counts"]),
            "kinds": list(kinds), "ops": ops, "figures": history["figures"],
            "title_before": va["title"], "title_after": vb["title"]}


FOUND_BY = {   # how a revisit's original was found (Journal.find_original)
    "refers_to": "found by its WARC-Refers-To",
    "payload_sha256": "found by payload SHA-256",
    "digest": "found by its payload digest, whatever the URL's scheme",
}


def build_replay(store: Store, key: str) -> dict:
    row = _capture_for_key(store, key)
    try:
        orig, found_by = store.find_original(row)
    except ArchiveError as exc:
        raise _NotFound(str(exc)) from None
    headers = json.loads(row["http_headers"]) if row["http_headers"] else []
    mementos = _mementos(store.conn, row["page_url"])
    i = next((n for n, m in enumerate(mementos) if m["record_id"] == row["record_id"]), None)
    return {
        "record_id": row["record_id"], "key": record_key(row["record_id"]), "url": row["url"],
        "page_url": row["page_url"], "captured_at": row["captured_at"], "status": row["status"],
        "record_type": row["record_type"], "content_type": row["content_type"],
        "payload_sha256": row["payload_sha256"], "warc_file": orig["warc_file"], "offset": orig["offset"],
        "length": orig["length"], "source_record_id": orig["record_id"], "truncated": row["truncated"],
        "original_found_by": found_by, "original_url": orig["url"],
        "original_found_by_text": FOUND_BY.get(found_by, found_by) + (
            f" at {orig['url']}" if orig["url"] != row["url"] else ""),
        "fixity": row["fixity"], "is_html": mime_of(orig["content_type"]) in HTML_TYPES,
        "archived_headers": headers,
        "previous": mementos[i - 1] if i else None,
        "next": mementos[i + 1] if i is not None and i + 1 < len(mementos) else None,
    }


def read_raw(store: Store, key: str) -> tuple[bytes, sqlite3.Row, str, sqlite3.Row]:
    """Payload bytes of a capture, content-decoded, with a fixity verdict: ``(bytes, the
    record holding them (a revisit's original), verdict, the capture asked for)``."""
    row = _capture_for_key(store, key)
    try:
        payload, orig = store.payload(row["record_id"])
    except ArchiveError as exc:
        return b"", row, f"failed: {exc}", row
    want = orig["payload_sha256"]
    if not want:
        verdict = "unverifiable"
    else:
        verdict = "ok" if hashlib.sha256(payload).hexdigest() == want else "failed: payload sha256 differs"
    headers = json.loads(orig["http_headers"]) if orig["http_headers"] else []
    # Content-Encoding is undone here because archived headers are never passed on.
    data, _ = decode_content(payload, headers)
    return data, orig, verdict, row


# -- HTTP plumbing ----------------------------------------------------------------------------

def _page_csp() -> str:
    scripts = " ".join(f"'{h}'" for h in base_script_hashes)
    replay = replay_origin()   # the faithful replay, framed from its own origin
    return ("default-src 'self'; script-src 'self' " + scripts + "; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-src 'self'" + (f" {replay}" if replay else "") +
            "; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'self'")


def _page_headers(extra: dict | None = None) -> dict:
    headers = {"Content-Security-Policy": _page_csp(), "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "same-origin", "X-Frame-Options": "SAMEORIGIN"}
    headers.update(extra or {})
    return headers


def _json(data: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=2, default=str), status=status,
                    headers=_page_headers(headers), content_type="application/json; charset=utf-8")


async def _error(datasette, request, status: int, message: str, as_json: bool,
                 headers: dict | None = None) -> Response:
    if as_json:
        return _json({"ok": False, "error": message, "status": status}, status=status, headers=headers)
    body = await datasette.render_template("archive_error.html", {"status": status, "message": message,
                                                                  **_common(datasette)}, request=request)
    return Response.html(body, status=status, headers=_page_headers(headers))


def _common(datasette) -> dict:
    urls = datasette.urls
    return {
        "archive_css": urls.static_plugins("archive-store", "archive.css"),
        "copy_js": urls.static_plugins("archive-store", "copy.js"),
        "u": _Links(datasette),
    }


class _Links:
    """URL builders for templates; everything goes through ``datasette.urls``."""

    def __init__(self, datasette):
        self.urls = datasette.urls
        self._datasette = datasette

    @property
    def db(self) -> str:
        return _archive_db(self._datasette).name

    def cite(self, cid: str) -> str:
        return self.urls.path(f"/-/cite/{quote(cid, safe='')}")

    def snapshot(self, sha: str) -> str:
        return self.urls.path(f"/-/snapshot/{quote(sha, safe='')}")

    def replay(self, record_id: str) -> str:
        return self.urls.path(f"/-/replay/{quote(record_key(record_id), safe=':')}")

    def screenshot(self, record_id: str) -> str:
        return self.urls.path(f"/-/screenshot/{quote(record_key(record_id), safe=':')}")

    def raw(self, record_id: str) -> str:
        return self.urls.path(f"/-/replay-raw/{quote(record_key(record_id), safe=':')}")

    def diff(self, page_url: str, a: int | None = None, b: int | None = None, view: str | None = None,
             kind: str | None = None) -> str:
        params: dict = {"page": page_url}
        if a is not None:
            params["from"] = a
        if b is not None:
            params["to"] = b
        if view:
            params["view"] = view
        if kind:
            params["kind"] = kind
        return self.urls.path("/-/diff") + "?" + urlencode(params)

    def timemap(self, url: str) -> str:
        return self.urls.path("/-/timemap/link/" + url_in_path(url))

    def history(self, url: str) -> str:
        """A page's history for a reader: the TimeMap, which a browser gets as HTML."""
        return self.timemap(url)

    def timegate(self, url: str) -> str:
        return self.urls.path("/-/timegate/" + url_in_path(url))

    def web(self, stamp: str, url: str, mode: str = "") -> str:
        """``/-/web/<stamp><mode>/<url>``: ``mode`` ``id_`` for the archived bytes."""
        return self.urls.path(f"/-/web/{stamp}{mode}/" + url_in_path(url))

    def row(self, table: str, pk: str) -> str:
        return self.urls.row(self.db, table, quote(pk, safe=""))

    def table(self, table: str) -> str:
        return self.urls.table(self.db, table)


def _only_get(request) -> bool:
    return request.method in ("GET", "HEAD")


def _target_url(request) -> str:
    """The archived URL at the end of a Memento path, with its query string."""
    url = unquote(request.url_vars["url"])
    # Some proxies merge '//' into '/'; put the scheme's slashes back.
    url = re.sub(r"^(https?):/(?!/)", r"\1://", url, flags=re.I)
    if request.query_string:
        url += "?" + request.query_string
    return url


def public_base_url(datasette) -> str | None:
    """The public address configured for links and citation forms (``archive serve
    --base-url``: env ``ARCHIVE_BASE_URL``, plugin config ``base_url``, or the store's
    settings file), or None to use the address each request came to."""
    configured = (os.environ.get("ARCHIVE_BASE_URL") or (datasette.plugin_config(PLUGIN) or {}).get("base_url")
                  or _store_config(_paths(datasette)[0]).get("base_url"))
    return check_base_url(configured) if configured else None


_configs: dict[str, tuple[tuple, dict]] = {}


def _store_config(db_path: Path) -> dict:
    """:func:`archive.config.read_config`, read again only when the settings file's stat
    changes (it was opened and parsed for every page)."""
    from archive.config import config_path

    path = config_path(db_path)
    try:
        st = os.stat(path)
        state: tuple = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    except OSError:
        state = ()
    kept = _configs.get(str(path))
    if kept is not None and kept[0] == state:
        return kept[1]
    config = read_config(db_path)
    _configs[str(path)] = (state, config)
    return config


def _base_url(datasette, request) -> str:
    return public_base_url(datasette) or datasette.absolute_url(request, datasette.urls.instance()).rstrip("/")


async def _render(datasette, request, template: str, context: dict, headers: dict | None = None,
                  status: int = 200) -> Response:
    body = await datasette.render_template(template, {**context, **_common(datasette)}, request=request)
    return Response.html(body, status=status, headers=_page_headers(headers))


def _page(builder: Callable[..., dict], template: str, args: Callable[[Any, Any], tuple],
          decorate: Callable[[Any, dict], None] | None = None) -> Callable:
    """A GET view with HTML and ``.json`` forms, built by ``builder(store, *args)``;
    ``decorate(request, data)`` adds what only the HTML form needs."""

    async def view(datasette, request) -> Response:
        as_json = bool(request.url_vars.get("fmt"))
        if not _only_get(request):
            return Response.text("read-only", status=405, headers={"Allow": "GET, HEAD"})
        try:
            data = await _built_when_extracted(datasette, builder, args(datasette, request))
        except _Queued as exc:
            return await _error(datasette, request, 503,
                                f"the text of {exc.page_url} is still being extracted (queued); "
                                "reload in a few seconds", as_json, headers={"Retry-After": "5"})
        except _NotFound as exc:
            return await _error(datasette, request, 404, str(exc), as_json)
        except _BadRequest as exc:
            return await _error(datasette, request, 400, str(exc), as_json)
        except _Busy as exc:
            return await _error(datasette, request, 503, str(exc), as_json, headers={"Retry-After": "60"})
        if as_json:
            return _json(data)
        if decorate is not None:
            decorate(request, data)
        return await _render(datasette, request, template, data)

    return view


async def _built_when_extracted(datasette, builder: Callable[..., dict], args: tuple) -> dict:
    """``builder(store, *args)``, once the page it shows has nothing left in the
    extraction queue: waits (without holding a thread) for a drainer, for up to
    :data:`QUEUE_WAIT_S`, then lets :class:`_Queued` through."""
    import time

    deadline = time.monotonic() + QUEUE_WAIT_S
    delay = 0.05
    while True:
        try:
            return await _with_store(datasette, builder, *args)
        except _Queued:
            if time.monotonic() > deadline:
                raise
            await _with_store(datasette, _start_drainer)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)


def _cite_links(request, data: dict) -> None:
    data["wacz_url"] = request.path + ".wacz"


cite_view = _page(build_cite, "archive_cite.html",
                  lambda ds, req: (req.url_vars["id"], _base_url(ds, req)), decorate=_cite_links)


def build_cite_wacz(store: Store, cid: str) -> bytes:
    """The evidence package of a citation: a WACZ of the records behind it and its proof
    (what ``archive export wacz --citation`` writes), made in a temporary directory."""
    import tempfile

    from archive.export import export_wacz

    if store.conn.execute("SELECT 1 FROM citations WHERE id=?", (cid,)).fetchone() is None:
        raise _NotFound(f"no citation {cid!r} in the archive")
    with tempfile.TemporaryDirectory(prefix="archive-wacz-") as tmp:
        target = Path(tmp) / f"citation-{cid}.wacz"
        try:
            export_wacz(store, target, citation=cid)
        except ArchiveError as exc:
            raise _NotFound(f"the evidence package of {cid} cannot be made: {exc}") from None
        return target.read_bytes()


async def cite_wacz_view(datasette, request) -> Response:
    if not _only_get(request):
        return Response.text("read-only", status=405, headers={"Allow": "GET, HEAD"})
    cid = request.url_vars["id"]
    try:
        data = await _with_store(datasette, build_cite_wacz, cid)
    except _NotFound as exc:
        return await _error(datasette, request, 404, str(exc), False)
    return Response(data, status=200, content_type="application/zip", headers=_page_headers({
        "Content-Disposition": f'attachment; filename="citation-{cid}.wacz"'}))
snapshot_view = _page(build_snapshot, "archive_snapshot.html",
                      lambda ds, req: (req.url_vars["sha"].lower(),))


def _diff_args(datasette, request) -> tuple:
    page = request.args.get("page")
    if not page:
        raise _BadRequest("which page? /-/diff?page=URL&from=1&to=2")
    return page, request.args.get("from"), request.args.get("to"), tuple(request.args.getlist("kind"))


def _diff_layout(request, data: dict) -> None:
    data["view"] = "side" if request.args.get("view") == "side" else "inline"


diff_view = _page(build_diff, "archive_diff.html", _diff_args, decorate=_diff_layout)


async def replay_view(datasette, request) -> Response:
    as_json = bool(request.url_vars.get("fmt"))
    if not _only_get(request):
        return Response.text("read-only", status=405, headers={"Allow": "GET, HEAD"})
    try:
        data = await _with_store(datasette, build_replay, request.url_vars["key"])
    except _NotFound as exc:
        return await _error(datasette, request, 404, str(exc), as_json)
    except _Busy as exc:
        return await _error(datasette, request, 503, str(exc), as_json, headers={"Retry-After": "60"})
    u = _Links(datasette)
    data["web_url"] = u.web(wayback_stamp(data["captured_at"]), data["url"])
    headers = {"Link": _memento_link(u, lambda p: datasette.absolute_url(request, p), data["url"])}
    memento_datetime = http_date(data["captured_at"])
    if memento_datetime:
        headers["Memento-Datetime"] = memento_datetime
    if as_json:
        return _json(data, headers=headers)
    return await _render(datasette, request, "archive_replay.html", data, headers=headers)


async def screenshot_view(datasette, request) -> Response:
    """A browser capture's screenshot (a PNG we made, re-hashed as it is read)."""
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
               "Cache-Control": "private, max-age=3600"}
    if not _only_get(request):
        return Response.text("read-only", status=405, headers={"Allow": "GET, HEAD", **headers})
    try:
        data = await _with_store(datasette, screenshot_bytes, request.url_vars["key"])
    except LookupError as exc:
        return Response.text(str(exc), status=404, headers=headers)
    except ArchiveError as exc:
        return Response.text(str(exc), status=409, headers=headers)
    return Response(data, status=200, headers=headers, content_type="image/png")


#: Fetch Metadata destinations in which a browser renders an HTML response as a document.
_RENDERING_DESTINATIONS = frozenset({"document", "iframe", "frame", "embed", "object", "fencedframe"})


def _rendered_by_a_browser(request) -> bool:
    """Whether the request is a browser's, for a document it will render (``Sec-Fetch-Dest``,
    which Chromium, Firefox and Safari send)."""
    return (request.headers.get("sec-fetch-dest") or "").lower() in _RENDERING_DESTINATIONS


async def replay_raw_view(datasette, request) -> Response:
    if not _only_get(request):
        return Response.text("read-only", status=405, headers={"Allow": "GET, HEAD", **RAW_HEADERS})
    return await raw_memento(datasette, request, request.url_vars["key"])


async def raw_memento(datasette, request, key: str) -> Response:
    """The archived bytes of a capture as a Memento (RFC 7089): ``Memento-Datetime`` and
    the ``Link`` to its original, TimeGate and TimeMap. An archived redirect is answered
    as that redirect, its ``Location`` rewritten to the archive at the capture's time."""
    try:
        data, orig, verdict, row = await _with_store(datasette, read_raw, key)
    except _NotFound as exc:
        return Response.text(str(exc), status=404, headers=dict(RAW_HEADERS))
    except _Busy as exc:
        return Response.text(str(exc), status=503, headers={**RAW_HEADERS, "Retry-After": "60"})
    headers = dict(RAW_HEADERS)
    headers["X-Archive-Fixity"] = verdict.split(":")[0]
    if verdict.startswith("failed"):
        # Tampered or unreadable bytes are not served as if they were the archived page.
        return Response.text(f"integrity check failed: {verdict}", status=409, headers=headers)
    u = _Links(datasette)
    abs_ = lambda p: datasette.absolute_url(request, p)  # noqa: E731
    # The memento is the capture asked for (a revisit too), at its own time and status;
    # only its bytes come from the original.
    headers["Link"] = (_memento_link(u, abs_, row["url"]) + f', <{abs_(u.raw(row["record_id"]))}>; '
                       f'rel="memento"; datetime="{http_date(row["captured_at"])}"')
    memento_datetime = http_date(row["captured_at"])
    if memento_datetime:
        headers["Memento-Datetime"] = memento_datetime
    status = row["status"] or orig["status"] or 200
    if 300 <= status < 400 and (row["redirect_to"] or orig["redirect_to"]):
        target = urljoin(row["url"], row["redirect_to"] or orig["redirect_to"])
        headers["Location"] = abs_(u.web(wayback_stamp(row["captured_at"]), target, "id_"))
        return Response(data, status=status, headers=headers, content_type="text/plain")
    mime = mime_of(orig["content_type"])
    if mime in HTML_TYPES:
        m = re.search(r"charset=\"?([A-Za-z0-9._:-]{1,40})", orig["content_type"] or "", re.I)
        ctype = "text/html" + (f"; charset={m.group(1)}" if m else "")
        if _rendered_by_a_browser(request):
            # A browser shows it: what it would fetch or connect to is taken out first, since
            # a CSP is applied too late for some of it (see inert_html). A client that only
            # reads (a Memento client, warcio, curl) gets the archived bytes themselves.
            stamp = wayback_stamp(row["captured_at"])
            data = await asyncio.get_running_loop().run_in_executor(
                None, inert_html, data, row["url"], lambda target: u.web(stamp, target))
            ctype = "text/html; charset=utf-8"
            headers["X-Archive-Rendering"] = "inert"
    else:
        # Never inline anything else from the app origin (SVG, PDF, XML can all script).
        ctype = "application/octet-stream"
        name = f"archived-{(orig['payload_sha256'] or 'payload')[:16]}.bin"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(data, status=200, headers=headers, content_type=ctype)


# -- hooks --------------------------------------------------------------------------------------




def _mementos(conn: sqlite3.Connection, page_url: str) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT record_id, url, captured_at, status FROM captures WHERE page_url=? "
        "AND record_type IN ('response', 'revisit', 'resource') ORDER BY captured_at, record_id",
        (page_url,))]


def _memento_link(u: _Links, abs_: Callable[[str], str], url: str) -> str:
    return (f'<{url_in_path(url)}>; rel="original", <{abs_(u.timegate(url))}>; rel="timegate", '
            f'<{abs_(u.timemap(url))}>; rel="timemap"; type="application/link-format"')
