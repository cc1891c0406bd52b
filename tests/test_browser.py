"""What only a browser can show: highlighted passages, and that archived HTML stays inert.

Real headless Chromium (Debian's, through Playwright's Python API) against a real Datasette
server started on 127.0.0.1 with the project's metadata and plugin. Screenshots go to
``test-artifacts/screenshots`` (git-ignored); the path is printed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from archive.provenance.cite import cite
from archive.web.serve import datasette_args
from archive.site import SiteServer, publish_edition
from archive.store import Store

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "screenshots"
PASSAGE = "More than 2,300 homes were evacuated overnight"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

if sync_playwright is None or not Path(CHROMIUM).exists():
    pytest.skip("needs headless Chromium: `apt-get install chromium` (for /usr/bin/chromium) and "
                "`pip install playwright`", allow_module_level=True)


def hostile_page(canary: str) -> str:
    """Archived HTML that tries everything: scripts, handlers, refresh, forms, frames, fetches."""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Hostile page</title>
<meta http-equiv="refresh" content="1; url={canary}/refresh">
<base href="{canary}/base/">
<link rel="stylesheet" href="{canary}/style.css">
<style>body {{ background: url({canary}/css-background.png); }}</style>
<script src="{canary}/script.js"></script>
<script>
  document.title = "pwned";
  try {{ top.document.title = "pwned-top"; }} catch (e) {{}}
  try {{ top.location = "{canary}/top"; }} catch (e) {{}}
  document.documentElement.setAttribute("data-script-ran", "yes");
  fetch("{canary}/fetch", {{mode: "no-cors"}});
  new Image().src = "{canary}/beacon.png";
</script>
</head>
<body onload="fetch('{canary}/onload')">
<h1>Council closes the library</h1>
<p>The council voted on Tuesday to close the library branch on Elm Street, the mayor said,
and about 1,200 residents had signed a petition against it.</p>
<img src="{canary}/external.png" alt="">
<img src="x" onerror="document.documentElement.setAttribute('data-onerror-ran', 'yes'); fetch('{canary}/onerror')">
<form action="{canary}/form" method="get"><input name="q" value="x"><button id="go">Go</button></form>
<iframe src="{canary}/iframe"></iframe>
<svg><image href="{canary}/svg-image.png"/></svg>
</body></html>"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A store built by the real flow, served by a real Datasette on 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("browser")
    db, warcs = tmp / "archive.db", tmp / "warcs"
    with SiteServer() as canary, SiteServer() as site:
        canary.pages.clear()
        urls = publish_edition(site, 0)
        hostile = site.set("/news/hostile", hostile_page(canary.base_url))
        with Store(db, warcs) as store:
            results = store.capture(urls + [hostile])
            c = cite(store, urls[0], PASSAGE)
            publish_edition(site, 1)
            store.capture([urls[0]])
            hostile_capture = next(r for r in results if r["url"] == hostile)
        canary.requests.clear()  # capturing never touches the canary; the browser must not either
        port = free_port()
        env = dict(os.environ, ARCHIVE_WARCS=str(warcs), ARCHIVE_DB=str(db))
        proc = subprocess.Popen(datasette_args(str(db), "127.0.0.1", port, str(ROOT / "metadata.yml")),
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        out = proc.stdout.read().decode() if proc.poll() is not None else ""
                        pytest.fail(f"Datasette did not start on {base}: {out}")
                    time.sleep(0.2)
            yield {"base": base, "citation": c, "canary": canary, "hostile": hostile_capture}
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SHOTS}")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    p = context.new_page()
    p.console_messages = []  # type: ignore[attr-defined]
    p.on("console", lambda m: p.console_messages.append(f"{m.type}: {m.text}"))  # type: ignore[attr-defined]
    try:
        yield p
    finally:
        context.close()


def test_citation_page_highlights_the_passage(page, served):
    cid = served["citation"]["id"]
    page.goto(f"{served['base']}/-/cite/{cid}")
    mark = page.locator("mark#passage")
    assert mark.inner_text() == PASSAGE
    assert "passage" in mark.get_attribute("class")
    assert "Intact" in page.locator("#verification").inner_text()
    # the copy script (same-origin file) ran under the strict CSP and revealed the buttons
    assert page.locator("button[data-copy='form-bibtex']").is_visible()
    assert "@misc{" + cid in page.locator("#form-bibtex").inner_text()
    # our own page raises no CSP violation: Datasette's inline menu script is allowed by hash
    assert not [m for m in page.console_messages if "Content Security Policy" in m], page.console_messages
    mark.scroll_into_view_if_needed()
    path = SHOTS / "citation.png"
    page.screenshot(path=str(path), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(SHOTS / "citation-print.png"), full_page=True)
    print(f"citation screenshot: {path}")


def test_diff_link_shows_the_figure_change(page, served):
    page.goto(f"{served['base']}/-/cite/{served['citation']['id']}")
    page.click("#diff-link")
    page.wait_for_load_state()
    assert "/-/diff?" in page.url
    assert page.locator("li.change-figure del.figure").first.inner_text() == "2,300"
    assert page.locator("li.change-figure ins.figure").first.inner_text() == "3,100"
    assert page.locator("svg.figure-chart").count() >= 1
    page.screenshot(path=str(SHOTS / "diff.png"), full_page=True)
    page.click("text=Show side by side")
    page.wait_for_load_state()
    assert page.locator(".side-by-side ins.figure").first.inner_text() == "3,100"
    page.screenshot(path=str(SHOTS / "diff-side-by-side.png"), full_page=True)


def test_replayed_archived_page_is_inert(page, served):
    record = served["hostile"]["record_id"].strip("<>")
    canary = served["canary"]
    canary.requests.clear()
    page.goto(f"{served['base']}/-/replay/{record}")
    title = page.title()
    assert title.startswith("Archived copy of")
    frame_el = page.locator("iframe.archived-frame")
    assert frame_el.get_attribute("sandbox") == ""
    frame = frame_el.element_handle().content_frame()
    assert frame is not None
    frame.wait_for_load_state()
    # The archived text is there, inert.
    assert "Council closes the library" in frame.locator("h1").inner_text()
    # Give a meta refresh (1 s), onload, onerror and any fetch time to fire if they could.
    page.wait_for_timeout(2500)
    assert page.title() == title, "archived script changed the app's title"
    assert page.url.endswith(f"/-/replay/{record}"), "archived page navigated the top window"
    assert frame.url.endswith(f"/-/replay-raw/{record}"), "archived page navigated its frame"
    html_el = frame.locator("html")
    assert html_el.get_attribute("data-script-ran") is None, "an archived inline script ran"
    assert html_el.get_attribute("data-onerror-ran") is None, "an archived event handler ran"
    assert frame.title() == "Hostile page"
    # Submitting the archived form goes nowhere either.
    try:
        frame.locator("#go").click(timeout=2000, no_wait_after=True)
    except Exception:
        pass
    page.wait_for_timeout(800)
    assert canary.requests == [], f"archived page reached the network: {canary.requests}"
    path = SHOTS / "replay-hostile.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"replay screenshot: {path}")
