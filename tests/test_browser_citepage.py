"""The citation page in real Chromium, as a reader on a laptop and on a phone sees it.

The first screen (1280×800 and 390×844) must answer on its own: the quoted passage and what
the live page says now ("Changed … 2,300 → 3,100"). Nothing may be wider than the screen,
and every link on the page must lead somewhere. Screenshots are kept in
``test-artifacts/screenshots`` (git-ignored).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from tests import test_browser
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, sync_playwright

# The module-scoped store and Datasette of tests/test_browser.py, served again for this module.
served = test_browser.served

pytestmark = pytest.mark.browser

VIEWPORTS = [(1280, 800), (390, 844)]


@pytest.fixture(scope="module")
def chromium():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _within_first_screen(page, selector: str, height: int) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


@pytest.mark.parametrize("width,height", VIEWPORTS)
def test_first_screen_answers_what_was_quoted_and_what_the_page_says_now(chromium, served, width, height):
    page = chromium.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(f"{served['base']}/-/cite/{served['citation']['id']}")
        page.screenshot(path=str(SHOTS / f"citation-first-screen-{width}.png"))
        page.screenshot(path=str(SHOTS / f"citation-full-{width}.png"), full_page=True)
        assert page.locator("#cited-passage").inner_text() == "“More than 2,300 homes were evacuated overnight”"
        assert _within_first_screen(page, "#cited-passage", height)
        current = page.locator("#current .state-head").inner_text()
        assert current.startswith("Changed on") and "2,300 → 3,100" in current
        assert _within_first_screen(page, "#current .state-head", height)
        assert _within_first_screen(page, "#verification .state-head", height)
        assert "Intact" in page.locator("#verification .state-head").inner_text()
        # the proof is one click away, closed by default
        assert page.locator("details#proof").get_attribute("open") is None
        page.click("details#proof summary")
        assert page.locator("details#proof .checks.plain li").count() >= 10
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
            page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    finally:
        page.close()


def test_every_link_on_the_citation_page_resolves(chromium, served):
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    try:
        url = f"{served['base']}/-/cite/{served['citation']['id']}"
        page.goto(url)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        # Datasette's footer credits datasette.io: the only address off this machine, and
        # not one this offline test may fetch.
        footer = set(page.eval_on_selector_all("footer a[href]", "els => els.map(e => e.getAttribute('href'))"))
        hrefs = [h for h in hrefs if not (h in footer and urlsplit(h).hostname not in (None, "127.0.0.1"))]
        assert len(hrefs) > 10
        checked = 0
        for href in dict.fromkeys(hrefs):
            target = urljoin(url, href)
            if href.startswith("#"):
                assert page.locator(f"[id='{href[1:]}']").count() == 1, f"no element for {href}"
                continue
            assert urlsplit(target).hostname == "127.0.0.1", f"a link leaves the machine: {target}"
            r = page.request.get(target, max_redirects=5)
            assert r.status < 400, f"{href} → HTTP {r.status}"
            checked += 1
        assert checked > 5
    finally:
        page.close()
