"""Replay of archived pages with their styles and images, on an origin of its own.

``archive serve`` starts this small ASGI app on a second port (and host name: the app is
on ``127.0.0.1``, replay on ``localhost``, so that no cookie, storage or script access is
shared, as pywb and Perma.cc separate their playback host). The Datasette pages frame it.

Routes (GET and HEAD only)::

    /page/<record key>[?cite=<citation id>]   the archived page, rewritten; the cited
                                             passage marked <mark id="cited">
    /res/<14-digit timestamp>/<url>           an archived style sheet, image or font: the
                                             capture of that URL closest to the time
    /go/<14-digit timestamp>/<url>            a link followed: the archived page, or a
                                             "not archived" notice (never the live web)

What is served is inert and local: scripts are removed and a CSP ``sandbox`` without
``allow-scripts`` stops any that remain; ``default-src 'none'`` allows images, styles,
fonts and media from this origin only, so nothing is ever requested from the live web;
``frame-ancestors`` names the app. A page captured with a browser is replayed from its
rendered DOM (what the reader saw after scripts ran), else from the HTML as served. Every
payload is re-hashed when read; one that does not match its digest is not served.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, quote, unquote, urljoin

from lxml import etree
from lxml import html as lxml_html

from archive.errors import ArchiveError
from archive.index.rows import resource_target
from archive.store import Store
from archive.times import iso_date
from archive.warc.http import decode_content, mime_of

STAMP_RE = re.compile(r"^\d{14}$")
SAFE_TYPES = ("text/css", "image/", "font/", "application/font", "application/x-font", "audio/", "video/",
              "application/vnd.ms-fontobject")
CSS_URL_RE = re.compile(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.I)
MARK_STYLE = ("mark.archive-cited{background:#ffe066;color:inherit;outline:3px solid #e0a800;"
              "box-shadow:0 0 0 6px rgba(224,168,0,.25)}")
# Elements whose text is not page text (for finding the passage) or not rendered.
_NOT_TEXT = {"script", "style", "noscript", "template", "head", "title"}


def wayback_stamp(iso: str | None) -> str:
    """``2026-03-14T07:30:00Z`` → ``20260314073000``."""
    return re.sub(r"\D", "", iso or "")[:14].ljust(14, "0")


# -- rewriting -------------------------------------------------------------------------------

def rewrite_css(css: str, base: str, stamp: str) -> str:
    """Point every ``url()`` and ``@import`` of a style sheet at the archive.

    >>> rewrite_css("a{background:url('i/b.png')} @import 'x.css';", "http://s.org/c/s.css", "20260101000000")
    "a{background:url('/res/20260101000000/http://s.org/c/i/b.png')} @import '/res/20260101000000/http://s.org/c/x.css';"
    """
    def sub(m: re.Match) -> str:
        if m.group(2) is not None:
            q, target = m.group(1), m.group(2)
            return f"url({q}{_res(target, base, stamp)}{q})"
        q, target = m.group(3), m.group(4)
        return f"@import {q}{_res(target, base, stamp)}{q}"
    return CSS_URL_RE.sub(sub, css)


def _res(target: str, base: str, stamp: str, route: str = "res") -> str:
    target = target.strip()
    if not target or target.startswith(("data:", "#")):
        return target
    absolute = urljoin(base, target)
    if not absolute.lower().startswith(("http:", "https:")):
        return "about:blank"
    return f"/{route}/{stamp}/{quote(absolute, safe=':/?&=%#;,+@!$~*()')}"


def rewrite_html(data: bytes, base: str, stamp: str, rendered: bool) -> etree._Element:
    """Parse an archived page and make it inert and local: scripts and handlers removed,
    every resource URL pointed at ``/res/``, links at ``/go/``. ``rendered`` (the page is a
    DOM after scripts ran) also drops ``<noscript>``, which a scriptless replay would show."""
    root = lxml_html.document_fromstring(data)
    base_el = root.find(".//base[@href]")
    if base_el is not None:
        base = urljoin(base, base_el.get("href") or "")
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue   # comments and processing instructions: never rendered
        tag = el.tag.lower()
        if tag in ("script", "base", "object", "embed", "applet") or (rendered and tag == "noscript"):
            el.drop_tree()
            continue
        if tag == "meta" and (el.get("http-equiv") or "").lower() in ("refresh", "content-security-policy", "set-cookie"):
            el.drop_tree()
            continue
        for name in list(el.attrib):
            low = name.lower()
            if low.startswith("on") or low in ("integrity", "nonce", "ping"):
                del el.attrib[name]
        if tag == "link":
            rel = (el.get("rel") or "").lower()
            if el.get("href") and any(r in rel for r in ("stylesheet", "icon")):
                el.set("href", _res(el.get("href"), base, stamp))
            elif el.get("href"):
                del el.attrib["href"]   # preload, prefetch, manifest…: nothing to fetch
        elif tag in ("a", "area") and el.get("href"):
            href = el.get("href")
            if not href.startswith("#"):
                el.set("href", _res(href, base, stamp, route="go"))
            el.attrib.pop("target", None)
        elif tag in ("iframe", "frame"):
            el.set("src", "about:blank")
            el.attrib.pop("srcdoc", None)
        elif tag == "form":
            el.attrib.pop("action", None)
        for attr in ("src", "poster", "background"):
            if el.get(attr) and tag not in ("iframe", "frame"):
                el.set(attr, _res(el.get(attr), base, stamp))
        if tag in ("image", "use") and (el.get("href") or el.get("{http://www.w3.org/1999/xlink}href")):
            for attr in ("href", "{http://www.w3.org/1999/xlink}href"):
                if el.get(attr):
                    el.set(attr, _res(el.get(attr), base, stamp))
        for attr in ("srcset", "imagesrcset"):
            if el.get(attr):
                el.set(attr, ", ".join(
                    " ".join([_res(part.split()[0], base, stamp)] + part.split()[1:])
                    for part in el.get(attr).split(",") if part.strip()))
        if el.get("style"):
            el.set("style", rewrite_css(el.get("style"), base, stamp))
        if tag == "style" and el.text:
            el.text = rewrite_css(el.text, base, stamp)
    head = root.find("head")
    if head is None:
        head = etree.Element("head")
        root.insert(0, head)
    style = etree.SubElement(head, "style")
    style.text = MARK_STYLE
    return root


def highlight(root: etree._Element, exact: str, prefix: str = "") -> bool:
    """Wrap the first occurrence of ``exact`` (whitespace-insensitive; the one after
    ``prefix`` when there are several) in ``<mark class="archive-cited">``, the first with
    ``id="cited"``. Returns whether the passage was found.

    >>> doc = lxml_html.document_fromstring("<p>More than <b>2,300</b> homes were evacuated.</p>")
    >>> highlight(doc, "2,300 homes")
    True
    >>> lxml_html.tostring(doc.find('.//p')).decode()
    '<p>More than <b><mark class="archive-cited" id="cited">2,300</mark></b><mark class="archive-cited"> homes</mark> were evacuated.</p>'
    """
    words = exact.split()
    if not words:
        return False
    nodes: list[tuple[etree._Element, str, int]] = []   # (element, "text"|"tail", start offset)
    parts: list[str] = []
    size = 0

    def walk(el: etree._Element) -> None:
        nonlocal size
        if not isinstance(el.tag, str) or el.tag.lower() in _NOT_TEXT:
            return
        if el.text:
            nodes.append((el, "text", size))
            parts.append(el.text)
            size += len(el.text)
        for child in el:
            walk(child)
            if child.tail:
                nodes.append((child, "tail", size))
                parts.append(child.tail)
                size += len(child.tail)

    body = root.find("body")
    walk(body if body is not None else root)
    text = "".join(parts)
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    matches = list(pattern.finditer(text))
    if not matches:
        return False
    chosen = matches[0]
    pre = " ".join(prefix.split())
    if pre and len(matches) > 1:
        for m in matches:
            if " ".join(text[max(0, m.start() - len(prefix) - 40):m.start()].split()).endswith(pre):
                chosen = m
                break
    start, end = chosen.span()
    first = True
    for el, slot, offset in nodes:
        value = el.text if slot == "text" else el.tail
        a, b = max(start, offset), min(end, offset + len(value))
        if a >= b:
            continue
        before, mid, after = value[:a - offset], value[a - offset:b - offset], value[b - offset:]
        mark = etree.Element("mark")
        mark.set("class", "archive-cited")
        if first:
            mark.set("id", "cited")
            first = False
        mark.text, mark.tail = mid, after
        if slot == "text":
            el.text = before
            el.insert(0, mark)
        else:
            el.tail = before
            parent = el.getparent()
            parent.insert(parent.index(el) + 1, mark)
    return True


# -- archived HTML for a browser on the app's origin ----------------------------------------------

# Elements that load or run something and show nothing of the article without it.
_INERT_DROP = {"script", "base", "object", "embed", "applet", "portal", "fencedframe"}
# Attributes that make a browser fetch, ping or navigate by themselves.
_INERT_URL_ATTRS = ("src", "srcset", "imagesrcset", "poster", "background", "data", "lowsrc", "dynsrc",
                    "longdesc", "ping", "formaction", "action", "manifest", "codebase", "archive",
                    "xlink:href", "{http://www.w3.org/1999/xlink}href")
_CSS_URL_OR_IMPORT_RE = re.compile(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)|@import\s+[^;]+;?""", re.I)


def _inert_css(css: str) -> str:
    """Every ``url()`` of a style that is not a ``data:`` URL emptied, every ``@import`` removed.

    >>> _inert_css("a{background:url('http://x.example/b.png')} @import 'y.css'; i{b:url(data:,z)}")
    "a{background:url('')}  i{b:url(data:,z)}"
    """
    def sub(m: re.Match) -> str:
        if m.group(2) is None:
            return ""
        q, target = m.group(1), m.group(2)
        return m.group(0) if target.strip().lower().startswith("data:") else f"url({q}{q})"
    return _CSS_URL_OR_IMPORT_RE.sub(sub, css)


def inert_html(data: bytes, base: str, link: Callable[[str], str]) -> bytes:
    """Archived HTML as a browser may render it on the app's own origin: nothing in it
    loads, runs or connects, whatever the browser does before it applies the CSP (Chromium
    opens a connection to the host of an ``<iframe src>`` its ``frame-src`` then refuses).

    Frames are emptied (``about:blank``, no ``srcdoc``); scripts, objects, embeds and
    ``<base>`` are removed, and so are event handlers, refreshes and every attribute that
    fetches (``src``, ``srcset``, ``poster``, ``ping``, ``action``…; ``data:`` images
    stay); ``<link>`` keeps no ``href``; styles keep no URL but ``data:``. A link to the
    http(s) link is pointed by ``link(absolute url)`` into the archive; any other loses its
    ``href``.

    >>> print(inert_html(b'<p>Hi<iframe src="http://x.example/"></iframe><a href="/a">a</a>'
    ...                  b'<img src="http://x.example/i.png"><img src="data:,x"></p>',
    ...                  "http://s.example/p", lambda u: "/web/" + u).decode())
    <!DOCTYPE html>
    <html><body><p>Hi<iframe src="about:blank"></iframe><a href="/web/http://s.example/a">a</a><img><img src="data:,x"></p></body></html>
    """
    root = lxml_html.document_fromstring(data)
    base_el = root.find(".//base[@href]")
    if base_el is not None:
        base = urljoin(base, base_el.get("href") or "")
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag in _INERT_DROP:
            el.drop_tree()
            continue
        if tag == "meta" and (el.get("http-equiv") or "").lower() in ("refresh", "content-security-policy",
                                                                     "set-cookie", "link"):
            el.drop_tree()
            continue
        for name in list(el.attrib):
            low = name.lower()
            if low.startswith("on") or low in ("integrity", "nonce", "srcdoc", "target", "download"):
                del el.attrib[name]
        for attr in _INERT_URL_ATTRS:
            value = el.get(attr)
            if value is not None and not (attr == "src" and value.strip().lower().startswith("data:")):
                del el.attrib[attr]
        if tag in ("iframe", "frame"):
            el.set("src", "about:blank")
        elif tag == "link":
            el.attrib.pop("href", None)
        elif tag in ("a", "area") and el.get("href") is not None:
            href = el.get("href").strip()
            absolute = urljoin(base, href)
            if href.startswith("#"):
                pass
            elif absolute.lower().startswith(("http:", "https:")):
                el.set("href", link(absolute))
            else:
                del el.attrib["href"]   # javascript:, data:, mailto:…
        elif el.get("href") is not None and tag not in ("a", "area"):
            del el.attrib["href"]   # svg <image>, <use>…
        if el.get("style"):
            el.set("style", _inert_css(el.get("style")))
        if tag == "style" and el.text:
            el.text = _inert_css(el.text)
    return b"<!DOCTYPE html>\n" + lxml_html.tostring(root, encoding="utf-8")


# -- finding what to serve ---------------------------------------------------------------------

class ReplaySource:
    """Read-only access to the archive for the replay app (one store per thread)."""

    def __init__(self, db: str | Path, warcs: str | Path) -> None:
        self.db, self.warcs = Path(db), Path(warcs)
        self._local = threading.local()

    def store(self) -> Store:
        s = getattr(self._local, "store", None)
        if s is None:
            s = self._local.store = Store(self.db, self.warcs, readonly=True)
        return s

    def verified_payload(self, record_id: str) -> tuple[bytes, sqlite3.Row]:
        """The payload (content-decoded) of a capture, after checking its SHA-256."""
        store = self.store()
        payload, orig = store.payload(record_id)
        want = orig["payload_sha256"]
        if want and hashlib.sha256(payload).hexdigest() != want:
            raise ArchiveError(f"integrity check failed for {record_id}: payload sha256 differs")
        headers = json.loads(orig["http_headers"]) if orig["http_headers"] else []
        data, _ = decode_content(payload, headers)
        return data, orig

    def capture(self, key: str) -> sqlite3.Row | None:
        conn = self.store().conn
        rid = key if key.startswith("<") else f"<{key}>"
        return conn.execute("SELECT * FROM captures WHERE record_id=?", (rid,)).fetchone()

    def dom_of(self, row: sqlite3.Row) -> sqlite3.Row | None:
        """The rendered DOM a browser capture keeps beside its page response."""
        return self.store().conn.execute(
            "SELECT * FROM captures WHERE request_record_id=? AND record_type='resource' AND url LIKE 'urn:dom:%'",
            (row["record_id"],)).fetchone()

    def closest(self, url: str, stamp: str, pages_only: bool = False) -> sqlite3.Row | None:
        """The capture of ``url`` nearest in time to ``stamp`` (exact URL first, else its page)."""
        from archive.index.rows import page_key

        conn = self.store().conn
        when = iso_date(stamp) or ""
        types = "('response', 'revisit')"
        order = "ORDER BY abs(julianday(captured_at) - julianday(?)), captured_at LIMIT 1"
        status = "AND status BETWEEN 200 AND 299" if pages_only else "AND status BETWEEN 200 AND 399"
        row = conn.execute(f"SELECT * FROM captures WHERE url=? AND record_type IN {types} {status} {order}",
                           (url, when)).fetchone()
        if row is None:
            row = conn.execute(f"SELECT * FROM captures WHERE page_url=? AND record_type IN {types} {status} {order}",
                               (page_key(url), when)).fetchone()
        return row

    def citation(self, cid: str) -> sqlite3.Row | None:
        return self.store().conn.execute("SELECT * FROM citations WHERE id=?", (cid,)).fetchone()


def page_document(source: ReplaySource, key: str, cid: str | None = None) -> tuple[bytes, bool]:
    """The replayable HTML of a capture (its rendered DOM when it has one) and whether the
    cited passage was found and marked."""
    row = source.capture(key)
    if row is None:
        raise LookupError(f"no capture {key}")
    dom: sqlite3.Row | None
    if row["record_type"] == "resource" and row["url"].startswith("urn:dom:"):
        dom, page_row = row, source.capture(row["request_record_id"]) or row
    else:
        page_row, dom = row, source.dom_of(row)
    base = resource_target(page_row["url"])
    stamp = wayback_stamp(page_row["captured_at"])
    if dom is not None:
        data, _ = source.verified_payload(dom["record_id"])
    else:
        data, orig = source.verified_payload(page_row["record_id"])
        if mime_of(orig["content_type"]) not in ("text/html", "application/xhtml+xml", ""):
            raise LookupError("this capture is not an HTML page")
    root = rewrite_html(data, base, stamp, rendered=dom is not None)
    found = False
    if cid:
        c = source.citation(cid)
        if c is not None:
            found = highlight(root, c["exact"], c["prefix"] or "")
    return b"<!DOCTYPE html>\n" + lxml_html.tostring(root, encoding="utf-8"), found


def resource(source: ReplaySource, stamp: str, url: str) -> tuple[bytes, str] | None:
    """An archived sub-resource: bytes and the type to serve them as, or None."""
    row = source.closest(url, stamp)
    hops = 0
    while row is not None and row["redirect_to"] and hops < 5:
        row = source.closest(urljoin(row["url"], row["redirect_to"]), stamp)
        hops += 1
    if row is None or (row["status"] or 200) >= 300:
        return None
    data, orig = source.verified_payload(row["record_id"])
    mime = mime_of(orig["content_type"])
    if mime == "text/css":
        text = data.decode(_css_charset(orig["content_type"]), "replace")
        return rewrite_css(text, row["url"], stamp).encode("utf-8"), "text/css; charset=utf-8"
    if mime.startswith(SAFE_TYPES):
        return data, mime
    return None   # scripts, documents, anything else: a replay has no use for them


def _css_charset(content_type: str | None) -> str:
    m = re.search(r"charset=\"?([A-Za-z0-9._-]{1,40})", content_type or "", re.I)
    try:
        import codecs

        return codecs.lookup(m.group(1)).name if m else "utf-8"
    except LookupError:
        return "utf-8"


# -- the ASGI app -----------------------------------------------------------------------------

class ReplayApp:
    """The replay origin. ``frame_ancestors``: the app origin(s) allowed to frame it."""

    def __init__(self, db: str | Path, warcs: str | Path, frame_ancestors: str = "'none'") -> None:
        self.source = ReplaySource(db, warcs)
        self.frame_ancestors = frame_ancestors

    def headers(self, origin: str, content_type: str) -> list[tuple[bytes, bytes]]:
        csp = (f"default-src 'none'; img-src {origin} data:; style-src {origin} 'unsafe-inline'; "
               f"font-src {origin} data:; media-src {origin}; base-uri 'none'; form-action 'none'; "
               f"frame-ancestors {self.frame_ancestors}; sandbox allow-same-origin")
        return [(b"content-type", content_type.encode("latin-1")), (b"content-security-policy", csp.encode()),
                (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                (b"cross-origin-resource-policy", b"same-origin"), (b"cache-control", b"private, max-age=60")]

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        host = dict(scope.get("headers") or []).get(b"host", b"localhost").decode("latin-1")
        origin = f"{scope.get('scheme', 'http')}://{host}"
        import asyncio

        status, body, ctype = await asyncio.get_running_loop().run_in_executor(
            None, self.respond, scope["method"], scope.get("raw_path", b"").decode("latin-1") or scope["path"],
            scope.get("query_string", b"").decode("latin-1"))
        await send({"type": "http.response.start", "status": status,
                    "headers": self.headers(origin, ctype) + [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body if scope["method"] != "HEAD" else b""})

    def respond(self, method: str, path: str, query: str) -> tuple[int, bytes, str]:
        if method not in ("GET", "HEAD"):
            return 405, b"read-only", "text/plain; charset=utf-8"
        path = path.split("?", 1)[0]
        try:
            if path.startswith("/page/"):
                cites = parse_qs(query).get("cite")
                cid = cites[0] if cites else None
                body, _ = page_document(self.source, unquote(path[len("/page/"):]), cid)
                return 200, body, "text/html; charset=utf-8"
            m = re.match(r"^/(res|go)/(\d{14})/(.+)$", path)
            if m:
                route, stamp, url = m.group(1), m.group(2), unquote(m.group(3))
                if query and "?" not in url:
                    url += "?" + query
                if route == "res":
                    found = resource(self.source, stamp, url)
                    if found is None:
                        return 404, b"not archived", "text/plain; charset=utf-8"
                    return 200, found[0], found[1]
                row = self.source.closest(url, stamp, pages_only=True)
                if row is None:
                    return 404, _notice(f"{url} is not in the archive."), "text/html; charset=utf-8"
                body, _ = page_document(self.source, row["record_id"].strip("<>"))
                return 200, body, "text/html; charset=utf-8"
        except LookupError as exc:
            return 404, _notice(str(exc)), "text/html; charset=utf-8"
        except ArchiveError as exc:
            return 409, _notice(str(exc)), "text/html; charset=utf-8"
        return 404, b"not found", "text/plain; charset=utf-8"


def _notice(message: str) -> bytes:
    from markupsafe import escape

    return (f"<!DOCTYPE html><meta charset=utf-8><title>Not archived</title>"
            f"<p style='font:16px sans-serif;padding:2em'>{escape(message)}</p>").encode("utf-8")


def replay_origin_for(app_host: str, port: int) -> str:
    """The replay origin that goes with an app on ``app_host``: another host name for the
    same machine (cookies ignore ports), so the two never share cookies or storage.

    >>> replay_origin_for("127.0.0.1", 8002)
    'http://localhost:8002'
    >>> replay_origin_for("localhost", 8002)
    'http://127.0.0.1:8002'
    """
    other = "127.0.0.1" if app_host in ("localhost", "::1") else "localhost"
    if app_host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):
        other = app_host   # a real deployment sets its own host name (ARCHIVE_REPLAY_ORIGIN)
    return f"http://{other}:{port}"


def main(argv: list[str] | None = None) -> None:
    """``main([DB, WARCS, PORT, FRAME_ANCESTORS, PARENT_PID])`` (or those as the command
    line of ``python -c "from archive.web.replay import main; main()"``): serve
    until the parent process (``archive serve``, which became Datasette) goes away."""
    import time

    import uvicorn

    args = list(argv or sys.argv[1:])
    db, warcs, port, ancestors = args[:4]
    # The parent is named, not read from getppid() once started: it may already be gone
    # by the time this process has imported what it needs.
    parent = int(args[4]) if len(args) > 4 else os.getppid()

    def parent_alive() -> bool:
        if os.getppid() != parent:
            return False
        try:
            os.kill(parent, 0)
        except OSError:
            return False
        return True

    def watch_parent() -> None:
        while parent_alive():
            time.sleep(0.5)
        os._exit(0)

    if not parent_alive():
        return
    threading.Thread(target=watch_parent, daemon=True).start()
    uvicorn.run(ReplayApp(db, warcs, ancestors), host="127.0.0.1", port=int(port), log_level="warning")


if __name__ == "__main__":
    main()
