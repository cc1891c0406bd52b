"""Browser capture in real headless Chromium against sites on 127.0.0.1.

What only a browser capture can do: record what scripts fetch and render, what scrolling
loads, a screenshot and the rendered DOM; and the limits that must hold for every request
a page makes (``--public-only``, the time budget).
"""

from __future__ import annotations

import json
import sqlite3
import time
from http.server import BaseHTTPRequestHandler

import pytest

from archive.capture.browser import BrowserCapturer, browser_available
from archive.provenance.cite import cite, verify_citation
from archive.site import publish_scripted, scripted_story
from archive.store import Store
from archive.warc.reader import Found, iter_records
from archive.warc.record import load_record

pytestmark = pytest.mark.browser

_why = browser_available()
if _why:
    pytest.skip(f"browser capture unavailable: {_why}", allow_module_level=True)

LOOPBACK_ONLY = "127.0.0.1"


def only_loopback(ip: str) -> bool:
    """The address policy for these tests: the test site's 127.0.0.1 counts as public,
    every other address (127.0.0.2 included) as private. The real rule is
    :func:`archive.capture.http.is_public_address`, tested on its own."""
    return ip == LOOPBACK_ONLY


@pytest.fixture
def scripted(site):
    return publish_scripted(site)


def urls_of(store, page_url=None) -> dict[str, dict]:
    rows = store.conn.execute("SELECT * FROM captures ORDER BY offset").fetchall()
    return {r["url"]: dict(r) for r in rows}


def test_script_rendered_article_is_captured_and_cited(store, site, scripted):
    story = scripted_story()
    with BrowserCapturer(budget=20) as b:
        [out] = store.capture_browser([scripted], b)
    assert "error" not in out, out
    assert out["settled"] is True and out["status"] == 200
    caps = urls_of(store)
    # Every request of the load is a record: the shell, its script and stylesheet, the JSON
    # the script fetched, the image it inserted and the stylesheet's background image.
    for path in ("/static/app.js", "/static/site.css", f"/api/story/{story['slug']}.json",
                 "/static/hero.png", "/static/masthead.png"):
        assert site.url(path) in caps, path
        assert caps[site.url(path)]["status"] == 200
    shot = caps[f"urn:screenshot:{scripted}"]
    dom = caps[f"urn:dom:{scripted}"]
    assert shot["record_type"] == dom["record_type"] == "resource"
    # Both are tied to the page's response record.
    assert shot["request_record_id"] == dom["request_record_id"] == out["record_id"]
    png = load_record(store.warcs.path_of(shot["warc_file"]), shot["offset"], shot["length"]).payload
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # The served HTML holds no article; the text comes from the rendered DOM, and says so.
    served = load_record(store.warcs.path_of(caps[scripted]["warc_file"]), caps[scripted]["offset"],
                         caps[scripted]["length"]).payload
    assert story["paragraphs"][0].encode() not in served
    version = store.conn.execute("SELECT * FROM versions WHERE page_url=?", (scripted,)).fetchone()
    assert version["text_source"] == "rendered_dom"
    c = cite(store, scripted, "More than 2,300 homes were evacuated on Tuesday")
    assert c["url"] == scripted
    assert c["record_id"] == dom["record_id"] and c["snapshot_sha256"] == dom["payload_sha256"]
    assert verify_citation(store, c["id"])["ok"]


def test_second_article_of_a_site_stores_only_its_own_bytes(store, site):
    first = publish_scripted(site)
    second = publish_scripted(site, slug="river-flood-day-two")
    with BrowserCapturer(budget=20) as b:
        one, two = store.capture_browser([first, second], b)
    assert one["resources_revisited"] == 0
    # Script, stylesheet and images are the same bytes: revisits of the first page's records.
    revisits = {r["url"] for r in store.conn.execute(
        "SELECT url FROM captures WHERE record_type='revisit'")}
    for path in ("/static/app.js", "/static/site.css", "/static/hero.png"):
        assert site.url(path) in revisits
    assert two["resources_revisited"] >= 3


def test_lazy_image_below_the_fold_is_recorded(store, site, scripted):
    with BrowserCapturer(budget=20) as b:
        [out] = store.capture_browser([scripted], b)
    # The map has no src until the script's observer sees it scrolled into view.
    assert site.url("/static/map.png") in urls_of(store)
    assert out["settled"]


def test_page_that_never_settles_is_cut_at_the_budget(store, site):
    def forever(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", "100000000")
        handler.end_headers()
        try:
            for _ in range(600):
                handler.wfile.write(b"x" * 10)
                handler.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    site.pages["/slow.png"] = forever
    url = site.set("/forever", "<html><head><title>Loading</title></head><body><p>Still loading the "
                               "picture.</p><img src='/slow.png'></body></html>")
    with BrowserCapturer(budget=4, idle_cap=2) as b:
        [out] = store.capture_browser([url], b)
    assert "error" not in out
    assert out["settled"] is False and out["cut"] == "budget"
    slow = urls_of(store)[site.url("/slow.png")]
    assert slow["truncated"] == "time"          # kept as far as it came, and marked
    assert urls_of(store)[f"urn:screenshot:{url}"]


def test_public_only_refuses_a_private_subresource_and_records_it(store, site, tmp_path):
    url = site.set("/mixed", "<html><head><title>Mixed</title>"
                             "<link rel='stylesheet' href='http://127.0.0.2:18080/internal.css'></head>"
                             "<body><p>A page that points at an internal address.</p>"
                             "<img src='http://127.0.0.2:18080/secret.png'></body></html>")
    with BrowserCapturer(public_only=True, address_allowed=only_loopback, budget=15) as b:
        [out] = store.capture_browser([url], b)
    assert "error" not in out and out["status"] == 200
    refused = {r["url"]: r for r in out["refused"]}
    assert refused["http://127.0.0.2:18080/secret.png"]["code"] == "blocked_address"
    assert refused["http://127.0.0.2:18080/internal.css"]["code"] == "blocked_address"
    assert not any("127.0.0.2" in u for u in urls_of(store))
    # The refusal is in the WARC, in the capture log tied to the page.
    found = None
    for path in sorted((tmp_path / "warcs").glob("*.warc.gz")):
        for item in iter_records(path):
            if isinstance(item, Found) and item.record.header("Content-Type") == \
                    "application/vnd.archive-store.browser-log+json":
                found = json.loads(item.record.block)
    assert found is not None
    assert {r["url"] for r in found["refused"]} >= set(refused)


def test_public_only_refuses_the_page_itself(store, site):
    url = site.set("/page", "<html><body><p>hello</p></body></html>")
    with BrowserCapturer(public_only=True, budget=10) as b:   # the real rule: loopback is private
        [out] = store.capture_browser([url], b)
    assert out["code"] == "blocked_address"
    assert store.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 0
    assert not [r for r in site.requests if r["path"] == "/page"]


# -- replay ------------------------------------------------------------------------------------

class ReplayServer:
    """The replay app (archive.web.replay) under uvicorn on 127.0.0.1, in a thread."""

    def __init__(self, db, warcs):
        import socket
        import threading

        import uvicorn

        from archive.web.replay import ReplayApp

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(ReplayApp(db, warcs, "'self'"), host="127.0.0.1",
                                                    port=self.port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


def test_replay_looks_like_the_page_and_stays_on_its_origin(store, site, scripted, tmp_path):
    from playwright.sync_api import sync_playwright

    from archive.capture.browser import find_chromium

    with BrowserCapturer(budget=20) as b:
        [out] = store.capture_browser([scripted], b)
    c = cite(store, scripted, "the water reached 6.4 metres")
    site_requests = len(site.requests)
    with ReplayServer(tmp_path / "archive.db", tmp_path / "warcs") as replay, sync_playwright() as pw:
        origin = f"http://localhost:{replay.port}"
        browser = pw.chromium.launch(executable_path=find_chromium())
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        key = out["record_id"].strip("<>")
        page.goto(f"{origin}/page/{key}?cite={c['id']}", wait_until="load")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_timeout(300)
        page.evaluate("window.scrollTo(0, 0)")
        # The script-rendered article is there (from the rendered DOM), with its styles…
        assert page.locator("h1.headline").inner_text() == scripted_story()["headline"]
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(244, 239, 230)"
        assert page.evaluate("getComputedStyle(document.querySelector('.masthead')).backgroundImage").startswith(
            f'url("{origin}/res/')
        # …its images, the one its script inserted and the lazy one, loaded from the archive…
        for sel in ("figure.hero img", "figure.map img"):
            page.wait_for_function(f"document.querySelector('{sel}').complete", timeout=30_000)
            assert page.evaluate(f"document.querySelector('{sel}').naturalWidth") > 0, sel
        # …the cited passage marked, and no script of the page ran.
        assert page.locator("mark#cited").inner_text() == "the water reached 6.4 metres"
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        shot = tmp_path / "replay.png"
        page.screenshot(path=str(shot), full_page=False)
        browser.close()
    assert requests and all(u.startswith(origin + "/") or u.startswith("data:") for u in requests), requests
    assert len(site.requests) == site_requests   # nothing reached the live site


def test_citation_and_snapshot_pages_show_the_screenshot_and_the_replay(store, site, scripted, tmp_path,
                                                                       monkeypatch):
    from tests.test_datasette import datasette_for, get

    with BrowserCapturer(budget=20) as b:
        [out] = store.capture_browser([scripted], b)
    c = cite(store, scripted, "the water reached 6.4 metres")
    replay = "http://localhost:8999"
    monkeypatch.setenv("ARCHIVE_REPLAY_ORIGIN", replay)
    monkeypatch.setenv("ARCHIVE_WARCS", str(tmp_path / "warcs"))
    ds = datasette_for(tmp_path / "archive.db")
    page = get(ds, f"/-/cite/{c['id']}")
    assert page.status_code == 200
    shot_url = f"/-/screenshot/{out['screenshot_record_id'].strip('<>')}"
    assert f'src="{shot_url}"' in page.text
    key = out["record_id"].strip("<>")
    # The replay is framed from its own origin, at the cited passage, and the app allows
    # exactly that origin to be framed.
    assert f'src="{replay}/page/{key}?cite={c["id"]}#cited"' in page.text
    assert f"frame-src 'self' {replay};" in page.headers["content-security-policy"]
    assert 'class="passage-box"' in page.text
    data = get(ds, f"/-/cite/{c['id']}.json").json()["browser"]
    assert data["box"] is not None and 0 < data["box"]["top"] < 100
    png = get(ds, shot_url)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    snap = get(ds, f"/-/snapshot/{c['snapshot_sha256']}")
    assert snap.status_code == 200 and f'src="{shot_url}"' in snap.text


def test_check_and_watch_recapture_a_browser_captured_page_with_the_browser(store, site, scripted):
    from archive.capture.browser import LazyBrowser
    from archive.check import check_citation
    from archive.watch import Watcher, add_watch

    with BrowserCapturer(budget=20) as b:
        store.capture_browser([scripted], b)
    c = cite(store, scripted, "the water reached 6.4 metres")
    story = scripted_story()
    story["paragraphs"][1] = story["paragraphs"][1].replace("6.4 metres", "7.1 metres")
    site.set(f"/api/story/{story['slug']}.json", json.dumps(story), content_type="application/json")
    lazy = LazyBrowser(budget=20)
    try:
        out = check_citation(store, c["id"], browser=lazy)
        # Over HTTP the recapture is the empty shell: the passage would read as removed.
        assert out["browser"] is True and out["status"] == "changed", out
        assert "7.1 metres" in out["now"]
        story["paragraphs"][0] = story["paragraphs"][0].replace("2,300", "2,900")
        site.set(f"/api/story/{story['slug']}.json", json.dumps(story), content_type="application/json")
        add_watch(store, scripted)
        row = store.conn.execute("SELECT * FROM watches WHERE url=?", (scripted,)).fetchone()
        result = Watcher(store, host_delay=0, ignore_robots=True, browser=lazy).check(row)
        assert result["outcome"] == "new_version", result
    finally:
        lazy.close()
    texts = [r[0] for r in store.conn.execute(
        "SELECT t.text FROM versions v JOIN texts t ON t.sha256 = v.text_sha256 WHERE v.page_url=? "
        "ORDER BY v.version", (scripted,))]
    assert "2,900 homes" in texts[-1]


def test_browser_capture_exports_as_a_valid_wacz_and_passes_warcio_check(store, site, scripted, tmp_path):
    import zipfile

    from archive.demo import warcio_check
    from archive.export import export_wacz
    from tests.test_export import validate

    with BrowserCapturer(budget=20) as b:
        [out] = store.capture_browser([scripted], b)
    c = cite(store, scripted, "the water reached 6.4 metres")
    store.warcs.close()
    ok, report = warcio_check(sorted((tmp_path / "warcs").glob("*.warc.gz")))
    assert ok, report
    for kind, target in (("citation", c["id"]), ("page", scripted)):
        path = tmp_path / f"{kind}.wacz"
        export_wacz(store, path, **{kind: target})
        proc = validate(path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        with zipfile.ZipFile(path) as zf:
            pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()[1:]]
            index = zf.read("indexes/index.cdx").decode()
        assert [p["url"] for p in pages] == [scripted], kind
        # The replay needs the page's requisites and shows its screenshot: all in the package.
        for url in (site.url("/static/site.css"), site.url("/static/hero.png"),
                    site.url("/static/map.png"), f"urn:screenshot:{scripted}"):
            assert f'"url": "{url}"' in index, (kind, url)


def test_reindex_rebuilds_a_browser_capture_identically(tmp_path, site, scripted):
    from tests.test_reindex import dump

    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s, BrowserCapturer(budget=20) as b:
        s.capture_browser([scripted], b)
        cite(s, scripted, "the water reached 6.4 metres")
        s.warcs.close(seal=True)
    con = sqlite3.connect(tmp_path / "archive.db")
    tables = ("browser_captures", "versions", "captures")
    before = {t: con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}
    con.close()
    assert before["browser_captures"] and before["versions"]
    general = dump(tmp_path / "archive.db")
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        s.reindex()
    con = sqlite3.connect(tmp_path / "archive.db")
    for t in tables:
        assert con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() == before[t], t
    con.close()
    assert dump(tmp_path / "archive.db") == general


@pytest.mark.timeout(180)
def test_a_page_whose_script_never_yields_is_ended_and_kept(store, site):
    url = site.set("/spin", "<html><head><title>Spin</title><link rel='stylesheet' href='/s.css'></head>"
                            "<body><p>A page whose script never returns.</p>"
                            "<script>while (true) {}</script><img src='/after.png'></body></html>")
    site.set("/s.css", "body { color: #333 }", content_type="text/css")
    with BrowserCapturer(budget=4, idle_cap=2, grace=3) as b:
        [out] = store.capture_browser([url], b)
        # The session goes on: the next page is captured as usual.
        [nxt] = store.capture_browser([site.set("/calm", "<html><body><p>calm</p></body></html>")], b)
    assert "error" not in out and out["status"] == 200
    assert out["settled"] is False and out["cut"] == "hung"
    assert site.url("/s.css") in urls_of(store)
    assert "error" not in nxt and nxt["settled"] is True


def test_page_size_cap_refuses_what_comes_after_it(store, site):
    for i in range(3):
        site.set(f"/big{i}.png", b"\x89PNG\r\n\x1a\n" + bytes(200_000), content_type="image/png")
    url = site.set("/heavy", "<html><body><p>Heavy page.</p>" + "".join(
        f"<img src='/big{i}.png'>" for i in range(3)) + "</body></html>")
    with BrowserCapturer(budget=15, max_page_bytes=150_000) as b:
        [out] = store.capture_browser([url], b)
    assert "error" not in out
    refused = [r for r in out["refused"] if r["code"] == "page_size_cap"]
    stored = [u for u in urls_of(store) if "/big" in u]
    # The cap is checked before each request: once passed, nothing more is fetched.
    assert refused and len(stored) + len(refused) == 3 and len(stored) < 3
