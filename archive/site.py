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
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Callable


@dataclass
class Page:
    body: bytes
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=lambda: [("Content-Type", "text/html; charset=utf-8")])


Handler = Callable[[BaseHTTPRequestHandler], None]


class SiteServer:
    """A threaded HTTP server on 127.0.0.1 serving ``pages`` (or custom handlers)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
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

        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

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


def render_article(site: str, article: dict, popular: list[str], others: list[tuple[str, str]] = ()) -> str:
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
