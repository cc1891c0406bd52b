"""A browser capture, exported as WACZ, replays in ReplayWeb.page (issue 16).

ReplayWeb.page is the replay tool of Browsertrix users and of WACZ itself. The test runs
its released bundle (``ui.js`` and the service worker ``sw.js`` from the npm package
``replaywebpage``, fetched by ``make replaywebpage``) in real headless Chromium, embedded
as its documentation describes, over a WACZ our export wrote: the script-rendered article
must appear with its text, its stylesheet and its images, every byte coming from the
package — the live site, still running, must see no request during the replay.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archive.export import export_wacz
from archive.site import publish_scripted

pytestmark = pytest.mark.browser

BUNDLE = Path(__file__).resolve().parent.parent / ".cache" / "replaywebpage" / "package"


@pytest.fixture(scope="module")
def bundle():
    if not (BUNDLE / "ui.js").is_file() or not (BUNDLE / "sw.js").is_file():
        pytest.skip(f"ReplayWeb.page is not at {BUNDLE}: run `make replaywebpage` (npm)")
    from archive.capture.browser import browser_available
    why = browser_available()
    if why:
        pytest.skip(f"headless Chromium unavailable: {why}")
    return BUNDLE


class _Static(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser dropped a range request it no longer needed


def _serve(directory: Path) -> ThreadingHTTPServer:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Static, directory=str(directory)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def _replay_frame(page, marker: str, seconds: float = 60):
    """The frame in which ReplayWeb.page renders the archived page, once it shows ``marker``."""
    from playwright.sync_api import Error as PlaywrightError

    waited = 0.0
    while waited < seconds:
        for frame in page.frames:
            if "mp_/" not in frame.url:
                continue
            try:
                text = frame.evaluate("document.body ? document.body.innerText : ''")
            except PlaywrightError:  # the frame navigated while we asked
                continue
            if marker in text:
                return frame, text
        page.wait_for_timeout(250)
        waited += 0.25
    return None, ""


def test_browser_capture_exported_as_wacz_replays_in_replaywebpage(bundle, store, site, tmp_path):
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from archive.capture.browser import BrowserCapturer, find_chromium

    url = publish_scripted(site)
    with BrowserCapturer(budget=20) as b:
        [out] = store.capture_browser([url], b)
    assert "error" not in out, out

    web = tmp_path / "web"
    (web / "replay").mkdir(parents=True)
    export_wacz(store, web / "archive.wacz", page=url)
    for name, dest in (("ui.js", web / "ui.js"), ("ui.js", web / "replay" / "ui.js"),
                       ("sw.js", web / "replay" / "sw.js")):
        dest.write_bytes((bundle / name).read_bytes())
    (web / "index.html").write_text(
        '<!doctype html><html><head><meta charset="utf-8"><script src="ui.js"></script></head><body>'
        f'<replay-web-page style="display:block;height:900px" source="archive.wacz" url="{url}" '
        'replayBase="./replay/" embed="replayonly"></replay-web-page></body></html>', "utf-8")
    httpd = _serve(web)
    live_before = len(site.requests)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/index.html")
                frame, text = _replay_frame(page, "More than 2,300 homes were evacuated on Tuesday")
                assert frame is not None, "ReplayWeb.page did not render the archived article"
                # The article's script ran inside the replay and fetched its JSON from the
                # package: the headline and the byline are written by it.
                assert "River bursts its banks" in text
                # The stylesheet applied (the masthead's colours come from it) and the image
                # the script inserted decoded from the archived bytes.
                assert frame.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(244, 239, 230)"
                masthead = frame.evaluate("getComputedStyle(document.querySelector('.masthead')).backgroundImage")
                assert "/static/masthead.png" in masthead, masthead
                # The image may still be loading when the text is there: wait until the browser
                # is done with it (loaded or failed), then ask what it got.
                heroes = "[...document.images].filter(i => i.src.endsWith('/static/hero.png'))"
                try:
                    frame.wait_for_function(f"{heroes}.length > 0 && {heroes}.every(i => i.complete)",
                                            timeout=30_000)
                except PlaywrightError:
                    pass  # the assertion below says what was there
                hero = frame.evaluate(f"{heroes}.map(i => i.complete && i.naturalWidth)")
                assert hero == [320], hero
                page.screenshot(path=str(tmp_path / "replaywebpage.png"))
            finally:
                browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    # Nothing of the replay came from the live site.
    assert site.requests[live_before:] == []
