"""A small news site served on 127.0.0.1: the demo's example and the tests' web server.

:class:`SiteServer` serves whatever its ``pages`` mapping holds (path → status, headers,
body), in a background thread on a port the OS picks. Tests and the demo edit pages
between captures by replacing entries. :func:`render_article` lays an article out the way
news sites do, with the boilerplate an extractor must leave out: navigation, a photo
caption, a "most popular" sidebar with its own numbers, a comment count and a footer.
"""

from __future__ import annotations

import html
import json
import ssl
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Callable, Sequence


@dataclass
class Page:
    body: bytes
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=lambda: [("Content-Type", "text/html; charset=utf-8")])


Handler = Callable[[BaseHTTPRequestHandler], None]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up or refuses our certificate is not a server error."""
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            super().handle_error(request, client_address)


class SiteServer:
    """A threaded HTTP server on 127.0.0.1 serving ``pages`` (or custom handlers)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None):
        self.tls = tls
        self.pages: dict[str, Page | Handler] = {}
        self.requests: list[dict] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test and demo output quiet
                pass

            def do_GET(self):
                server.requests.append({"path": self.path, "headers": dict(self.headers),
                                        "client": self.client_address})
                entry = server.pages.get(self.path)
                if entry is None:
                    entry = Page(b"<html><body><h1>Not found</h1></body></html>", 404)
                if callable(entry):
                    entry(self)
                    return
                self.send_response(entry.status)
                names = {k.lower() for k, _ in entry.headers}
                for k, v in entry.headers:
                    self.send_header(k, v)
                if "content-length" not in names and "transfer-encoding" not in names:
                    self.send_header("Content-Length", str(len(entry.body)))
                self.end_headers()
                self.wfile.write(entry.body)

        self.httpd = _QuietServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        if tls is not None:  # HTTPS: each accepted connection does its handshake in its thread
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def set(self, path: str, body: str | bytes, status: int = 200,
            content_type: str = "text/html; charset=utf-8", headers: list[tuple[str, str]] | None = None) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        hdrs = [("Content-Type", content_type)] + list(headers or [])
        self.pages[path] = Page(data, status, hdrs)
        return self.url(path)

    def start(self) -> "SiteServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "SiteServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def demo_content() -> dict:
    """The built-in example site: articles, some with several editions."""
    text = resources.files("archive").joinpath("demo_site/articles.json").read_text("utf-8")
    return json.loads(text)


def render_article(site: str, article: dict, popular: list[str], others: Sequence[tuple[str, str]] = ()) -> str:
    """A news article page with realistic boilerplate around the article body."""
    e = html.escape
    paras = "\n".join(f"      <p>{e(p)}</p>" for p in article["paragraphs"])
    pop = "\n".join(f'        <li><a href="/popular/{i}">{e(t)}</a></li>' for i, t in enumerate(popular, 1))
    more = "\n".join(f'        <li><a href="{e(href)}">{e(title)}</a></li>' for href, title in others)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{e(article['headline'])} | {e(site)}</title>
  <meta name="author" content="{e(article['author'])}">
  <meta property="article:published_time" content="{e(article['published'])}">
  <meta property="article:modified_time" content="{e(article['modified'])}">
  <meta property="og:title" content="{e(article['headline'])}">
  <meta property="og:site_name" content="{e(site)}">
</head>
<body>
  <header class="site-header">
    <nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/sports">Sports</a> | <a href="/weather">Weather: 31°C</a></nav>
    <div class="ticker">Markets: Dow up 1.2% · Gas $3.89 · 5 day forecast</div>
  </header>
  <main>
    <article>
      <h1>{e(article['headline'])}</h1>
      <p class="byline">By <span class="author">{e(article['author'])}</span> · <time datetime="{e(article['published'])}">{e(article['published'][:10])}</time></p>
      <figure><img src="/img/photo.jpg" alt=""><figcaption>{e(article['caption'])}</figcaption></figure>
{paras}
    </article>
    <div class="comments"><a href="#comments">{article['comments']} comments</a></div>
  </main>
  <aside class="sidebar">
    <h2>Most popular</h2>
    <ol class="popular">
{pop}
    </ol>
    <h2>More news</h2>
    <ul>
{more}
    </ul>
  </aside>
  <footer>© 2026 {e(site)} · 1200 Main Street · Subscribe for $1 a week</footer>
</body>
</html>
"""


def render_index(site: str, links: list[tuple[str, str]]) -> str:
    e = html.escape
    items = "\n".join(f'    <li><a href="{e(h)}">{e(t)}</a></li>' for h, t in links)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{e(site)}</title></head>"
            f"<body><h1>{e(site)}</h1><ul>\n{items}\n</ul></body></html>")


def publish_edition(server: SiteServer, edition: int) -> list[str]:
    """Put the demo site on ``server`` with each article at ``edition`` (or its last)."""
    content = demo_content()
    site, popular = content["site"], content["popular"]
    links = []
    for a in content["articles"]:
        ed = a["editions"][min(edition, len(a["editions"]) - 1)]
        links.append((f"/news/{a['slug']}", ed["headline"]))
    urls = []
    for a in content["articles"]:
        ed = a["editions"][min(edition, len(a["editions"]) - 1)]
        others = [l for l in links if l[0] != f"/news/{a['slug']}"]
        urls.append(server.set(f"/news/{a['slug']}", render_article(site, ed, popular, others)))
    server.set("/", render_index(site, links))
    return urls


def _png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    """A small RGB PNG drawn by ``pixel(x, y)``: the demo's images, made rather than shipped."""
    import struct
    import zlib

    raw = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _hero(x: int, y: int) -> tuple[int, int, int]:
    # Sky over brown flood water, a band of sandbags between.
    if y < 90:
        return (120 + y // 2, 170 + y // 3, 220)
    if y < 110:
        return (196, 170, 110) if (x // 12 + y // 6) % 2 else (160, 135, 85)
    return (110 + (x * 7 + y * 3) % 25, 90 + (x + y) % 20, 60)


def _map(x: int, y: int) -> tuple[int, int, int]:
    # A street grid with the flooded districts in blue.
    if x % 40 < 3 or y % 40 < 3:
        return (250, 250, 245)
    if (x - 200) ** 2 + (y - 120) ** 2 < 90 ** 2 or 300 < x < 420 and y > 150:
        return (60, 120, 200)
    return (225, 215, 190)


def scripted_story() -> dict:
    """The demo's script-rendered article (its text is served only as JSON)."""
    return json.loads(resources.files("archive").joinpath("demo_site/scripted/story.json").read_text("utf-8"))


def publish_scripted(server: SiteServer, slug: str | None = None, prefix: str = "") -> str:
    """Put the script-rendered article on ``server``; returns its URL.

    The HTML as served is a shell: the headline and paragraphs come from a JSON API that
    ``app.js`` fetches; a stylesheet with a background image lays it out; the hero image
    is inserted by the script and the map below the fold loads only when scrolled into
    view. An HTTP capture gets the shell; a browser capture gets the article.
    ``prefix`` puts every path under a directory (to publish many copies on one server).
    """
    story = scripted_story()
    slug = slug or story["slug"]
    files = resources.files("archive").joinpath("demo_site/scripted")
    shell = files.joinpath("shell.html").read_text("utf-8")
    shell = shell.replace("{slug}", html.escape(slug)).replace("{map_caption}", html.escape(story["map_caption"]))
    if prefix:
        shell = shell.replace('"/static/', f'"{prefix}/static/').replace('"/api/', f'"{prefix}/api/')
    server.set(f"{prefix}/api/story/{slug}.json", json.dumps(story, ensure_ascii=False), content_type="application/json")
    if f"{prefix}/static/app.js" not in server.pages:
        server.set(f"{prefix}/static/app.js", files.joinpath("app.js").read_bytes(), content_type="text/javascript")
        css = files.joinpath("site.css").read_text("utf-8")
        if prefix:
            css = css.replace("url(/static/", f"url({prefix}/static/")
        server.set(f"{prefix}/static/site.css", css, content_type="text/css")
        server.set(f"{prefix}/static/hero.png", _png(320, 180, _hero), content_type="image/png")
        server.set(f"{prefix}/static/map.png", _png(480, 270, _map), content_type="image/png")
        server.set(f"{prefix}/static/masthead.png", _png(8, 60, lambda x, y: (11, 61 + y // 3, 92 + y // 2)),
                   content_type="image/png")
    return server.set(f"{prefix}/live/{slug}", shell)
