"""A deterministic corpus of news-like pages, as a WARC file and as a live local site.

Page ``i`` of seed ``s`` depends only on ``(s, i)``, so the 2,000-page corpus is a prefix
of the 20,000-page one. Each page is 30–80 KB of HTML laid out like a news article: a
navigation bar, a ticker, a headline and byline, a photo caption, paragraphs with
quotations (“...,” said Name) and figures (“more than 2,300 homes”, “12.5%”, “$4.2
million”), a “most popular” sidebar, related links, a JSON-LD block and a footer.

The WARC has one gzip member per record (a ``warcinfo``, then a request and a response per
page), written with warcio with SHA-256 block and payload digests, like ours.
Generated files are cached under ``bench/out/`` (git-ignored).

Run::

    python bench/corpus.py --pages 2000          # build (or reuse) and print the path
    python bench/corpus.py --pages 2000 --algo sha1   # the same pages, SHA-1 digests
    python bench/corpus.py serve --pages 1000    # serve pages on 127.0.0.1, print base URL
"""

from __future__ import annotations

import argparse
import html
import io
import json
import os
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

OUT = Path(__file__).resolve().parent / "out"
DEFAULT_SEED = 1
BASE_DATE = datetime(2026, 3, 1, 6, 0, 0, tzinfo=timezone.utc)

WORDS = """
the of and to a in that is was for on with as by at from his her their it this be are have
has had were said will would not but which who they been more after over than about into
one two three new year years people city officials government council residents police
report state federal county water fire homes families workers school students hospital
health budget plan project program company market prices costs million billion percent
week month day night morning evening river bridge road highway storm flood rain wind
heat power outage service services public private local national regional community
according statement announced told reporters meeting vote election mayor governor
minister president director spokesperson agency department court judge lawyer case
investigation evidence data study research survey results analysis experts scientists
university center support funding increase decrease rise fall drop growth decline
recovery damage emergency response crews teams volunteers shelter evacuation order
warning residents neighborhood district area region coast valley north south east west
during before since until while where when although because however despite also still
already only just even nearly almost about around least most many several some few
early late last next first second third final major minor key senior former current
""".split()

FIRST = ("Maria Daniel Amina Kenji Sofia Lucas Priya Omar Elena Thomas Grace Mateo Hana "
         "Samuel Leila Victor Nadia Jonah Irene Felix Chloe Ahmed Rosa Martin").split()
LAST = ("Alvarez Brennan Chen Okafor Duarte Fischer Haddad Ivanova Kowalski Lindqvist "
        "Moreau Nakamura Oyelaran Petrov Quinn Rossi Santos Takahashi Umarov Vance Weber "
        "Yilmaz Zhang Forte").split()
ROLES = ["the city's fire chief", "a spokesperson for the county", "the mayor",
         "a senior economist at the bank", "the agency's director", "a local resident",
         "the school board president", "a professor of hydrology", "the union's treasurer",
         "a deputy police commissioner"]
NOUNS = ["homes", "residents", "workers", "students", "patients", "vehicles", "acres",
         "households", "businesses", "jobs", "flights", "trees", "beds", "tonnes"]
QUALIFIERS = ["more than", "about", "nearly", "at least", "up to", "fewer than", "roughly", ""]
SECTIONS = ["news", "politics", "business", "science", "world", "local", "climate", "health"]
HOSTS = ["daily-courier.example", "metro-herald.example", "valley-times.example",
         "coastal-post.example", "the-ledger.example"]


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(WORDS, k=n))


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _figure(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        n = rng.choice([rng.randint(2, 99), rng.randint(100, 999), rng.randint(1000, 99999)])
        q = rng.choice(QUALIFIERS)
        return f"{q + ' ' if q else ''}{n:,} {rng.choice(NOUNS)}"
    if kind < 0.65:
        return f"{rng.randint(1, 99)}.{rng.randint(0, 9)}%"
    if kind < 0.85:
        return f"${rng.randint(1, 999)}.{rng.randint(1, 9)} {rng.choice(['million', 'billion'])}"
    return f"{rng.choice(['January', 'March', 'June', 'October'])} {rng.randint(1, 28)}, {rng.randint(1990, 2026)}"


def _sentence(rng: random.Random) -> str:
    r = rng.random()
    body = _words(rng, rng.randint(8, 22))
    if r < 0.18:
        return f"“{body.capitalize()},” said {_name(rng)}, {rng.choice(ROLES)}."
    if r < 0.28:
        return f"{_name(rng)} said: “{body.capitalize()}.”"
    if r < 0.55:
        head = _words(rng, rng.randint(4, 10))
        return f"{head.capitalize()} {_figure(rng)} {_words(rng, rng.randint(3, 10))}."
    return body.capitalize() + "."


def page_path(i: int, seed: int = DEFAULT_SEED) -> str:
    """The path of page ``i`` on its site (also used by the local server)."""
    rng = random.Random(f"path-{seed}-{i}")
    section = rng.choice(SECTIONS)
    slug = "-".join(rng.choices(WORDS[40:], k=5))
    return f"/{section}/2026/{slug}-{i}"


def page_url(i: int, seed: int = DEFAULT_SEED) -> str:
    return f"http://{HOSTS[i % len(HOSTS)]}{page_path(i, seed)}"


def render_page(i: int, seed: int = DEFAULT_SEED) -> bytes:
    """Page ``i`` as UTF-8 HTML, 30–80 KB, the same bytes every time."""
    rng = random.Random(f"page-{seed}-{i}")
    target = rng.randint(30_000, 80_000)
    e = html.escape
    site = HOSTS[i % len(HOSTS)].split(".")[0].replace("-", " ").title()
    headline = _words(rng, rng.randint(6, 12)).title()
    author = _name(rng)
    published = (BASE_DATE - timedelta(days=rng.randint(0, 900), minutes=rng.randint(0, 1440)))
    nav = " | ".join(f'<a href="/{s}">{s.title()}</a>' for s in SECTIONS)
    popular = "\n".join(f'        <li><a href="/popular/{k}">{e(_words(rng, 7).title())}</a> '
                        f'<span class="count">{rng.randint(100, 99999):,} reads</span></li>'
                        for k in range(1, 11))
    more = "\n".join(f'        <li><a href="/{rng.choice(SECTIONS)}/2026/{k}">{e(_words(rng, 9).title())}</a></li>'
                     for k in range(15))
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": headline,
                     "author": {"@type": "Person", "name": author},
                     "datePublished": published.isoformat(), "publisher": site,
                     "keywords": rng.choices(WORDS[40:], k=12)})
    head = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{e(headline)} | {e(site)}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="author" content="{e(author)}">
  <meta property="article:published_time" content="{published.isoformat()}">
  <meta property="og:title" content="{e(headline)}">
  <link rel="stylesheet" href="/static/site.{rng.randint(10**6, 10**7)}.css">
  <script type="application/ld+json">{ld}</script>
</head>
<body class="article-page section-{rng.choice(SECTIONS)}">
  <header class="site-header">
    <div class="brand"><a href="/">{e(site)}</a></div>
    <nav class="primary">{nav}</nav>
    <div class="ticker">Markets: Dow {rng.choice('+-')}{rng.randint(1, 30) / 10}% · Gas ${rng.randint(280, 480) / 100} · Weather: {rng.randint(-5, 38)}°C</div>
  </header>
  <main id="content">
    <article class="story">
      <h1 class="headline">{e(headline)}</h1>
      <p class="byline">By <span class="author">{e(author)}</span> · <time datetime="{published.isoformat()}">{published:%B %d, %Y}</time></p>
      <figure class="lead"><img src="/img/{i}.jpg" alt="" width="1200" height="800"><figcaption>{e(_sentence(rng))} Photo: {e(_name(rng))}</figcaption></figure>
"""
    tail = f"""    </article>
    <div class="comments"><a href="#comments">{rng.randint(0, 2000)} comments</a></div>
  </main>
  <aside class="sidebar">
    <h2>Most popular</h2>
    <ol class="popular">
{popular}
    </ol>
    <h2>More news</h2>
    <ul class="related">
{more}
    </ul>
    <div class="newsletter">Subscribe for ${rng.randint(1, 9)} a week · {rng.randint(10, 900)},000 readers</div>
  </aside>
  <footer>© 2026 {e(site)} · {rng.randint(100, 9999)} Main Street · <a href="/privacy">Privacy</a> · <a href="/terms">Terms</a></footer>
  <script src="/static/app.{rng.randint(10**6, 10**7)}.js" async></script>
</body>
</html>
"""
    parts = [head]
    size = len(head) + len(tail)
    while size < target:
        para = " ".join(_sentence(rng) for _ in range(rng.randint(3, 7)))
        chunk = f"      <p>{e(para, quote=False)}</p>\n"
        if rng.random() < 0.08:
            chunk += f"      <h2>{e(_words(rng, 5).title())}</h2>\n"
        parts.append(chunk)
        size += len(chunk.encode("utf-8"))
    parts.append(tail)
    return "".join(parts).encode("utf-8")


class Sha256WARCWriter(WARCWriter):
    """warcio's writer with SHA-256 digests, as the store writes them."""

    @staticmethod
    def _create_digester():
        return Digester("sha256")


class Sha1WARCWriter(WARCWriter):
    """warcio's writer with its default SHA-1 digests, as wget, warcio and Heritrix write them."""

    @staticmethod
    def _create_digester():
        return Digester("sha1")


WRITERS = {"sha256": Sha256WARCWriter, "sha1": Sha1WARCWriter}


def _record_id(rng: random.Random) -> str:
    return f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}>"


def write_corpus(path: Path, pages: int, seed: int = DEFAULT_SEED, start: int = 0,
                 algo: str = "sha256") -> None:
    """Write pages ``start .. start+pages-1`` as a gzipped WARC at ``path``, with block
    and payload digests in ``algo`` (``sha256`` or ``sha1``)."""
    rng = random.Random(f"ids-{seed}-{start}-{pages}")
    with open(path, "wb") as fh:
        w = WRITERS[algo](fh, gzip=True, warc_version="WARC/1.1")
        info = w.create_warcinfo_record(path.name, {"software": "bench/corpus.py",
                                                    "description": f"synthetic news corpus seed={seed}"})
        info.rec_headers.replace_header("WARC-Record-ID", _record_id(rng))
        info.rec_headers.replace_header("WARC-Date", BASE_DATE.strftime("%Y-%m-%dT%H:%M:%SZ"))
        w.write_record(info)
        for i in range(start, start + pages):
            url = page_url(i, seed)
            host = url.split("/")[2]
            body = render_page(i, seed)
            date = (BASE_DATE + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            resp_id = _record_id(rng)
            http = StatusAndHeaders("200 OK", [
                ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                ("Date", (BASE_DATE + timedelta(seconds=i)).strftime("%a, %d %b %Y %H:%M:%S GMT")),
                ("Server", "nginx"), ("Cache-Control", "max-age=60")], protocol="HTTP/1.1")
            resp = w.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                        http_headers=http,
                                        warc_headers_dict={"WARC-Record-ID": resp_id, "WARC-Date": date,
                                                           "WARC-IP-Address": "192.0.2.10"})
            req_http = StatusAndHeaders(f"GET {page_path(i, seed)} HTTP/1.1", [
                ("Host", host), ("User-Agent", "Mozilla/5.0 (bench corpus)"), ("Accept", "*/*"),
                ("Accept-Encoding", "identity")], is_http_request=True)
            req = w.create_warc_record(url, "request", http_headers=req_http,
                                       warc_headers_dict={"WARC-Record-ID": _record_id(rng), "WARC-Date": date,
                                                          "WARC-Concurrent-To": resp_id})
            w.write_record(req)
            w.write_record(resp)


def corpus_path(pages: int, seed: int = DEFAULT_SEED, start: int = 0, algo: str = "sha256") -> Path:
    """The cached corpus WARC of ``pages`` pages, generated on first use."""
    OUT.mkdir(parents=True, exist_ok=True)
    suffix = f"-from{start}" if start else ""
    tag = "" if algo == "sha256" else f"-{algo}"
    path = OUT / f"corpus-s{seed}-{pages}{suffix}{tag}.warc.gz"
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        print(f"  generating {path.name} ({pages:,} pages)…", file=sys.stderr, flush=True)
        write_corpus(tmp, pages, seed, start, algo)
        os.replace(tmp, path)
    return path


def serve(pages: int, seed: int = DEFAULT_SEED, port: int = 0) -> None:
    """Serve pages ``0..pages-1`` at their paths on 127.0.0.1 until killed.

    Prints the base URL on the first line of stdout once listening. Each response goes out
    in one ``sendall`` with ``TCP_NODELAY``: written as headers then body (as
    ``http.server`` does), Nagle's algorithm and delayed ACKs add ~40 ms to each
    keep-alive request, which would penalise a sequential client such as wget.
    """
    import socket
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    bodies = {page_path(i, seed): render_page(i, seed) for i in range(pages)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args):
            pass

        def do_GET(self):
            body = bodies.get(self.path.split("?", 1)[0])
            status = b"200 OK" if body is not None else b"404 Not Found"
            body = body if body is not None else b"<html><body>Not found</body></html>"
            head = (b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html; charset=utf-8\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\nServer: bench\r\n\r\n")
            self.wfile.write(head + body)

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True
    print(f"http://127.0.0.1:{httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", nargs="?", default="build", choices=["build", "serve"])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--algo", choices=sorted(WRITERS), default="sha256", help="digest algorithm of the WARC")
    args = ap.parse_args(argv)
    if args.command == "serve":
        serve(args.pages, args.seed, args.port)
    else:
        print(corpus_path(args.pages, args.seed, algo=args.algo))


if __name__ == "__main__":
    main()
