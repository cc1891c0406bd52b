"""``archive check``: recapture a cited page and say what became of the passage.

It captures through the store (so the new capture is durable, indexed and vouched for),
extracts it, then compares it with the citation: ``unchanged``, ``present``, ``changed``,
``removed`` or ``gone``. Drift is recorded in the ``checks`` and ``drift`` tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.errors import UsageError
from archive.provenance.cite import passage_state
from archive.store import Store
from archive.times import iso_date, warc_date

if TYPE_CHECKING:
    from archive.capture.browser import LazyBrowser
    from archive.capture.http import Fetcher


def check_citation(store: "Store", cid: str, fetcher: "Fetcher | None" = None,
                   browser: "LazyBrowser | None" = None) -> dict:
    """Recapture the cited page and say what became of the passage.

    A page captured with a browser is recaptured with one (``browser``, when Chromium is
    there), so that a script-rendered article is compared with what it renders now.
    """
    from archive.capture.http import Fetcher
    from archive.index.queries import page_captures
    from archive.index.versions import process_pending

    conn = store.conn
    row = conn.execute("SELECT * FROM citations WHERE id=?", (cid,)).fetchone()
    if row is None:
        raise UsageError(f"no citation {cid!r} in {store.db_path}")
    capturer = browser.get() if browser is not None and store.browser_captured(row["page_url"]) else None
    error = None
    if capturer is not None:
        got = store.capture_browser([row["url"]], capturer, extract=False)[0]
        rows = [got] if "error" not in got else []
        error = got.get("error")
    else:
        fetcher = fetcher or Fetcher()
        result = fetcher.fetch(row["url"])
        try:
            rows = store.store_fetch(result)
        finally:
            result.close()
        error = str(result.error) if result.error is not None else None
    now_at = iso_date(warc_date(store.clock()))
    out = {"id": cid, "url": row["url"], "exact": row["exact"], "checked_at": now_at}
    if capturer is not None:
        out["browser"] = True
    final = rows[-1] if rows else None
    if error is not None or final is None or final.get("status") in (404, 410) \
            or (final.get("status") or 0) >= 400:
        why = error or f"HTTP {final.get('status') if final else '?'}"
        out.update(status="gone", now=None, detail=why, record_id=final.get("record_id") if final else None)
    else:
        process_pending(store)
        # The capture's text as the page's versions read it (a browser capture's may come
        # from its rendered DOM).
        cap = next((c for c in page_captures(conn, row["page_url"])
                    if final["record_id"] in (c["record_id"], c.get("response_record_id"))), None)
        sha = cap["payload_sha256"] if cap else final["payload_sha256"]
        snap = conn.execute("SELECT text_sha256 FROM snapshots WHERE sha256=?", (sha,)).fetchone()
        out["record_id"] = cap["record_id"] if cap else final["record_id"]
        out.update(passage_state(conn, row, sha, cap["text_sha256"] if cap else
                                 (snap["text_sha256"] if snap else None)))
        if out["status"] == "changed":
            out["figures"] = _figure_changes(row["exact"], out.get("now") or "")
    with store.transaction() as c:
        c.execute("INSERT OR REPLACE INTO checks (citation_id, checked_at, status, record_id, now, detail) "
                  "VALUES (?,?,?,?,?,?)", (cid, now_at, out["status"], out.get("record_id"),
                                           out.get("now"), out.get("detail")))
        if out["status"] in ("changed", "removed", "gone"):
            c.execute("INSERT OR REPLACE INTO drift (citation_id, detected_at, status, before, now, record_id) "
                      "VALUES (?,?,?,?,?,?)", (cid, now_at, out["status"], row["exact"], out.get("now"),
                                                out.get("record_id")))
    return out


def _figure_changes(before: str, after: str) -> list[dict]:
    from archive.text.figures import find_figures

    a, b = find_figures(before), find_figures(after)
    out = []
    for fa, fb in zip(a, b):
        if fa["value"] != fb["value"]:
            out.append({"before": fa["text"], "after": fb["text"], "counts": fb.get("counts") or fa.get("counts"),
                        "before_value": fa["value"], "after_value": fb["value"]})
    return out


def check(store: "Store", ids: list[str] | None = None, fetcher: "Fetcher | None" = None,
          browser: "LazyBrowser | None" = None) -> list[dict]:
    if not ids:
        ids = [r[0] for r in store.conn.execute("SELECT id FROM citations ORDER BY created_at, id")]
    return [check_citation(store, i, fetcher, browser) for i in ids]
