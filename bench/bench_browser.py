"""Browser capture: ``capture --browser`` against ``wget --page-requisites --warc-file``.

A site on 127.0.0.1 serves N article pages (default 100) built like the demo's
script-rendered article, each with about 30 resources: a style sheet (with a background
image), a script, 20 site-wide icons and 4 photos of its own named in the HTML, and —
loaded only by the script — the article's JSON, the hero image, three more photos and a
map below the fold that loads when scrolled into view. Both tools fetch the same URL
list, one page at a time, from the same server.

Printed: pages per minute for each, the ratio; the URLs wget's WARC lacks that ours has
(what only running the page's scripts and scrolling finds), counted per kind; and the
storage per page of the browser capture with requisite deduplication (the store as
written: a resource already stored becomes a revisit record) and without it (each
revisit counted at the size of the full record it stands for).

    .venv/bin/python bench/bench_browser.py [--pages 100]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.capture.browser import BrowserCapturer, browser_available  # noqa: E402
from archive.site import SiteServer, _png  # noqa: E402
from archive.store import Store  # noqa: E402

ICONS = 20
PHOTOS = 4
SCRIPT_PHOTOS = 3

APP_JS = """(function () {
  var root = document.getElementById("story");
  fetch(root.getAttribute("data-src")).then(function (r) { return r.json(); }).then(function (s) {
    var art = document.createElement("article");
    var h = document.createElement("h1"); h.textContent = s.headline; art.appendChild(h);
    s.images.forEach(function (src) { var i = document.createElement("img"); i.src = src; art.appendChild(i); });
    s.paragraphs.forEach(function (t) { var p = document.createElement("p"); p.textContent = t; art.appendChild(p); });
    root.appendChild(art);
  });
  var io = new IntersectionObserver(function (es) { es.forEach(function (e) {
    if (e.isIntersecting) { e.target.src = e.target.getAttribute("data-lazy"); io.unobserve(e.target); } }); });
  document.querySelectorAll("img[data-lazy]").forEach(function (i) { io.observe(i); });
})();"""

CSS = """body { font: 18px Georgia, serif; background: #f4efe6 url(/static/paper.png); }
.icons img { width: 24px; height: 24px; } .below { height: 4000px; }"""


def build_site(server: SiteServer, pages: int) -> list[str]:
    server.set("/static/app.js", APP_JS, content_type="text/javascript")
    server.set("/static/site.css", CSS, content_type="text/css")
    server.set("/static/paper.png", _png(16, 16, lambda x, y: (244, 239, 230 - (x ^ y) % 8)), content_type="image/png")
    for i in range(ICONS):
        server.set(f"/static/icon-{i}.png", _png(24, 24, lambda x, y, i=i: (i * 12 % 256, x * 10, y * 10)),
                   content_type="image/png")
    urls = []
    for n in range(pages):
        slug = f"story-{n:03d}"
        for k in range(PHOTOS + SCRIPT_PHOTOS + 2):
            server.set(f"/img/{slug}/p{k}.png",
                       _png(160, 90, lambda x, y, n=n, k=k: ((n * 7 + x) % 256, (k * 40 + y) % 256, 120)),
                       content_type="image/png")
        story = {"headline": f"Story {n}: the river keeps rising",
                 "images": [f"/img/{slug}/p{PHOTOS + k}.png" for k in range(SCRIPT_PHOTOS)] +
                           [f"/img/{slug}/p{PHOTOS + SCRIPT_PHOTOS}.png"],
                 "paragraphs": [f"Paragraph {p} of story {n}: more than {2000 + n} homes were evacuated, "
                                "officials said on Tuesday, as crews reinforced the barriers." for p in range(6)]}
        server.set(f"/api/{slug}.json", json.dumps(story), content_type="application/json")
        icons = "".join(f'<img src="/static/icon-{i}.png" alt="">' for i in range(ICONS))
        photos = "".join(f'<img src="/img/{slug}/p{k}.png" alt="">' for k in range(PHOTOS))
        html = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Story {n}</title>'
                f'<link rel="stylesheet" href="/static/site.css"></head><body>'
                f'<div class="icons">{icons}</div><div id="story" data-src="/api/{slug}.json"></div>'
                f'<div class="photos">{photos}</div><div class="below"></div>'
                f'<img data-lazy="/img/{slug}/p{PHOTOS + SCRIPT_PHOTOS + 1}.png" width="160" height="90" alt="map">'
                f'<script src="/static/app.js"></script></body></html>')
        urls.append(server.set(f"/news/{slug}", html))
    return urls


def warc_urls(paths: list[Path]) -> set[str]:
    from warcio.archiveiterator import ArchiveIterator

    out = set()
    for p in paths:
        with open(p, "rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type == "response":
                    out.add(rec.rec_headers.get_header("WARC-Target-URI").strip("<>"))
    return out


def kind_of(url: str) -> str:
    if "/api/" in url:
        return "JSON fetched by script"
    if "/img/" in url:
        return "image inserted by script or lazy-loaded"
    return "other"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=100)
    args = ap.parse_args()
    why = browser_available()
    if why:
        sys.exit(f"bench_browser: {why}")
    wget = shutil.which("wget")
    work = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    try:
        with SiteServer() as server:
            urls = build_site(server, args.pages)
            per_page = 1 + 2 + 1 + ICONS + PHOTOS + 1 + (SCRIPT_PHOTOS + 1) + 1
            print(f"{args.pages} pages on {server.base_url}, {per_page} resources each "
                  f"(document, style sheet, script, background, {ICONS} icons, {PHOTOS} photos; by script: "
                  f"JSON, {SCRIPT_PHOTOS + 1} photos, lazy map)")

            store_dir = work / "ours"
            t0 = time.monotonic()
            with Store(store_dir / "archive.db", store_dir / "warcs") as store, BrowserCapturer(budget=30) as b:
                results = store.capture_browser(urls, b, extract=False)
                ours_s = time.monotonic() - t0
                store.warcs.close()
                conn = store.conn
                total = sum(p.stat().st_size for p in (store_dir / "warcs").glob("*.warc.gz"))
                extra = conn.execute(
                    "SELECT coalesce(sum(o.length - r.length), 0) FROM captures r "
                    "JOIN captures o ON o.record_id = r.refers_to WHERE r.record_type = 'revisit'").fetchone()[0]
                revisits = conn.execute("SELECT count(*) FROM captures WHERE record_type='revisit'").fetchone()[0]
            errors = [r for r in results if "error" in r]
            unsettled = [r for r in results if not r.get("settled")]
            ours_urls = warc_urls(sorted((store_dir / "warcs").glob("*.warc.gz")))
            print(f"capture --browser: {ours_s:.1f} s, {60 * args.pages / ours_s:.1f} pages/min, "
                  f"{len(ours_urls)} distinct URLs recorded, {len(errors)} errors, {len(unsettled)} not settled")

            if wget:
                wdir = work / "wget"
                wdir.mkdir()
                (wdir / "urls.txt").write_text("\n".join(urls) + "\n")
                t0 = time.monotonic()
                subprocess.run([wget, "-q", "--page-requisites", "-e", "robots=off", "--warc-file",
                                str(wdir / "crawl"), "-i", str(wdir / "urls.txt"), "-P", str(wdir / "files")],
                               check=False)
                wget_s = time.monotonic() - t0
                wget_urls = warc_urls([wdir / "crawl.warc.gz"])
                missing = ours_urls - wget_urls
                kinds: dict[str, int] = {}
                for u in missing:
                    kinds[kind_of(u)] = kinds.get(kind_of(u), 0) + 1
                print(f"wget --page-requisites: {wget_s:.1f} s, {60 * args.pages / wget_s:.1f} pages/min, "
                      f"{len(wget_urls)} distinct URLs; browser/wget time ratio {ours_s / wget_s:.1f}×")
                print(f"wget misses {len(missing)} URLs ({len(missing) / args.pages:.1f} per page): "
                      + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())))
                wget_size = (wdir / "crawl.warc.gz").stat().st_size
                print(f"wget WARC: {wget_size / args.pages / 1024:.1f} KB per page (no deduplication)")
            else:
                print("wget not installed: the comparison is skipped (apt-get install wget)")
            print(f"storage with requisite deduplication: {total / args.pages / 1024:.1f} KB per page "
                  f"({revisits} revisit records)")
            print(f"storage without deduplication: {(total + extra) / args.pages / 1024:.1f} KB per page "
                  f"(×{(total + extra) / total:.2f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
