"""What the snapshot and citation pages show of a browser capture: the screenshot, where
the cited passage is on it, and the link to the faithful replay on the replay origin.

A browser capture keeps, beside the page's response record, a screenshot and the
rendered DOM (``resource`` records) and a log (``metadata``) that says where each block of
text was on the page; ``browser_captures`` indexes them (see
:mod:`archive.capture.browser`). Everything here is read from those records by offset
and re-hashed; nothing of the archived page runs.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import struct
from typing import Any
from urllib.parse import quote

from archive.errors import ArchiveError
from archive.index.queries import browser_capture_for
from archive.store import Store
from archive.warc.record import load_record

REPLAY_ORIGIN_ENV = "ARCHIVE_REPLAY_ORIGIN"


def replay_origin() -> str | None:
    """Where ``archive serve`` runs the replay app (env ``ARCHIVE_REPLAY_ORIGIN``), if it does."""
    value = os.environ.get(REPLAY_ORIGIN_ENV, "").strip().rstrip("/")
    return value if re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+", value or "") else None


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's header.

    >>> png_size(b"\\x89PNG\\r\\n\\x1a\\n" + b"\\x00\\x00\\x00\\rIHDR" + (1280).to_bytes(4, "big") + (3000).to_bytes(4, "big"))
    (1280, 3000)
    """
    if len(data) < 24 or not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    return struct.unpack(">II", data[16:24])


def passage_box(layout: dict | None, exact: str) -> dict | None:
    """Where the passage is on the screenshot, as percentages of the page: the box of the
    smallest text block that holds it (or holds its first words, when it spans blocks).

    >>> layout = {"width": 1000, "height": 2000, "blocks": [
    ...     {"t": "Title", "x": 0, "y": 0, "w": 1000, "h": 100},
    ...     {"t": "More than 2,300 homes were evacuated.", "x": 100, "y": 500, "w": 800, "h": 50}]}
    >>> passage_box(layout, "2,300 homes")
    {'left': 10.0, 'top': 25.0, 'width': 80.0, 'height': 2.5}
    """
    if not layout or not exact.strip():
        return None
    width, height = layout.get("width") or 0, layout.get("height") or 0
    if width <= 0 or height <= 0:
        return None
    want = " ".join(exact.split())
    head = " ".join(want.split()[:6])
    best = None
    for needle in (want, head):
        for b in layout.get("blocks") or []:
            text = " ".join(str(b.get("t", "")).split())
            if needle and needle in text and (best is None or len(text) < len(best["t"])):
                best = {**b, "t": text}
        if best is not None:
            break
    if best is None:
        return None

    def pct(v: float, whole: float) -> float:
        return round(max(0.0, min(100.0, 100.0 * v / whole)), 2)

    return {"left": pct(best["x"], width), "top": pct(best["y"], height),
            "width": pct(best["w"], width), "height": pct(best["h"], height)}


def crop_around(layout: dict, exact: str, window: int = 640) -> dict | None:
    """A window of the screenshot ``window`` CSS pixels tall centred on the passage, for
    a page that shows it without any script: the window's aspect ratio, the screenshot's
    vertical background position (a percentage) and the passage's box inside it.

    >>> layout = {"width": 1000, "height": 4000, "blocks": [
    ...     {"t": "More than 2,300 homes were evacuated.", "x": 100, "y": 2000, "w": 800, "h": 64}]}
    >>> crop_around(layout, "2,300 homes")
    {'aspect': '1000 / 640', 'position': 50.95, 'box': {'left': 10.0, 'top': 45.0, 'width': 80.0, 'height': 10.0}}
    """
    box = passage_box(layout, exact)
    width, height = layout.get("width") or 0, layout.get("height") or 0
    if box is None or height <= window:
        return None
    top_px = box["top"] * height / 100
    h_px = box["height"] * height / 100
    start = min(max(0.0, top_px + h_px / 2 - window / 2), height - window)
    return {"aspect": f"{width} / {window}", "position": round(100 * start / (height - window), 2),
            "box": {"left": box["left"], "top": round(100 * (top_px - start) / window, 2),
                    "width": box["width"], "height": round(100 * h_px / window, 2)}}


def _log_of(store: Store, bc: sqlite3.Row) -> dict:
    rec = load_record(store.warcs.source(bc["warc_file"]), bc["offset"], bc["length"])
    return json.loads(rec.block.decode("utf-8"))


def browser_view(store: Store, record_id: str, exact: str | None = None, cid: str | None = None,
                 screenshot_url: Any = None) -> dict | None:
    """The data of the screenshot and replay panel for a capture, or None when the
    capture was not made with a browser. ``screenshot_url(record_id)`` builds the link."""
    conn = store.conn
    bc = browser_capture_for(conn, record_id)
    if bc is None:
        return None
    out: dict = {"page_record_id": bc["record_id"], "settled": bool(bc["settled"]), "cut": bc["cut"],
                 "requests": bc["requests"], "refused": bc["refused"], "captured_at": bc["captured_at"],
                 "screenshot_record_id": bc["screenshot_record_id"], "dom_record_id": bc["dom_record_id"]}
    if bc["screenshot_record_id"] and screenshot_url is not None:
        out["screenshot_url"] = screenshot_url(bc["screenshot_record_id"])
    try:
        log = _log_of(store, bc)
    except (ArchiveError, OSError, ValueError):
        log = {}
    out["refused_requests"] = (log.get("refused") or [])[:50]
    layout = log.get("layout")
    if layout:
        out["page_width"], out["page_height"] = layout.get("width"), layout.get("height")
    if exact and layout:
        out["box"] = passage_box(layout, exact)
        out["crop"] = crop_around(layout, exact)
    origin = replay_origin()
    if origin:
        key = quote(bc["record_id"].strip("<>"), safe=":")
        out["replay_origin"] = origin
        out["replay_url"] = f"{origin}/page/{key}" + (f"?cite={cid}#cited" if cid else "")
    return out


def screenshot_bytes(store: Store, key: str) -> bytes:
    """The PNG of a screenshot record, checked against its digest."""
    import hashlib

    rid = key if key.startswith("<") else f"<{key}>"
    row = store.conn.execute("SELECT * FROM captures WHERE record_id=? AND record_type='resource' "
                             "AND url LIKE 'urn:screenshot:%'", (rid,)).fetchone()
    if row is None:
        raise LookupError(f"no screenshot {key}")
    rec = load_record(store.warcs.source(row["warc_file"]), row["offset"], row["length"])
    if hashlib.sha256(rec.payload).hexdigest() != row["payload_sha256"]:
        raise ArchiveError(f"integrity check failed for screenshot {key}")
    return rec.payload
