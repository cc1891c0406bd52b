"""pywb, the reference replay tool, replays every capture of a store made by ``archive demo``.

pywb runs as its own process from its own virtualenv (``make pywb-venv``: it pins older
libraries than ours) over the store's WARC files: ``wb-manager init`` and ``wb-manager
add`` make a collection of them (pywb indexes them with its own indexer), ``wayback``
serves it on 127.0.0.1. Every capture is fetched by its 14-digit timestamp in ``id_``
mode (the archived bytes, unrewritten) and compared byte for byte with the payload the
store reads at the capture's offset; the cited page serves the cited snapshot at the
citation's time and the latest capture after it, never a citation record; and pywb's own
CDX index lists no citation, watch or ledger record under a page's URL.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest

from archive.demo import run_demo
from archive.store import Store
from archive.times import cdx_timestamp

ROOT = Path(__file__).resolve().parents[1]
PYWB_VENV = ROOT / os.environ.get("PYWB_VENV", ".venv-pywb")  # relative to the checkout
PYWB_BIN = PYWB_VENV / "bin"
OWN_TYPES = "application/vnd.archive-store"

# `make test-pywb` names the venv in $PYWB_VENV: there a missing pywb fails, never skips.
pytestmark = pytest.mark.skipif(
    "PYWB_VENV" not in os.environ and not (PYWB_BIN / "wayback").exists(),
    reason=f"pywb is not installed in {PYWB_VENV} (run `make pywb-venv`)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], cwd: Path) -> None:
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    result = run_demo(workdir / "demo", port=_free_port(), serve=False, echo=lambda _s: None)
    return workdir / "demo", result


@pytest.fixture(scope="module")
def pywb(demo, tmp_path_factory):
    """pywb's ``wayback`` serving a collection of the demo's WARC files."""
    demo_dir, _ = demo
    root = tmp_path_factory.mktemp("pywb")
    _run([str(PYWB_BIN / "wb-manager"), "init", "demo"], root)
    warcs = sorted(str(p) for p in (demo_dir / "warcs").glob("*.warc*"))
    assert warcs
    _run([str(PYWB_BIN / "wb-manager"), "add", "demo", *warcs], root)
    port = _free_port()
    log = open(root / "wayback.log", "wb")
    proc = subprocess.Popen([str(PYWB_BIN / "wayback"), "-p", str(port), "-b", "127.0.0.1", "-d", str(root)],
                            cwd=root, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/demo/cdx?url=x", timeout=2).read()
                break
            except urllib.error.HTTPError:
                break  # answering
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("wayback did not start:\n" + (root / "wayback.log").read_text())
                time.sleep(0.2)
        yield base + "/demo"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def fetch(url: str) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def replay_url(coll: str, ts: str, url: str) -> str:
    return f"{coll}/{ts}id_/{url}"


def test_pywb_replays_every_capture_with_the_stored_bytes(demo, pywb):
    demo_dir, _ = demo
    with Store(demo_dir / "archive.db", demo_dir / "warcs", recover=False) as store:
        rows = store.conn.execute("SELECT * FROM captures ORDER BY captured_at").fetchall()
        # Two captures of a URL in the same second share a Wayback URL: no timestamp can
        # tell them apart, in pywb or anywhere. Such a group replays as one of its members.
        groups: dict[tuple[str, str], list[bytes]] = defaultdict(list)
        for row in rows:
            groups[(row["url"], cdx_timestamp(row["captured_at"]))].append(store.payload(row["record_id"])[0])
    assert len(rows) >= 10
    wrong = []
    for (url, ts), payloads in sorted(groups.items()):
        status, body, _ = fetch(replay_url(pywb, ts, url))
        if status != 200 or body not in payloads:
            wrong.append((url, ts, status, len(body), [len(p) for p in payloads], body[:120]))
    assert wrong == [], wrong


def test_pywb_serves_the_cited_snapshot_and_never_a_citation_record(demo, pywb):
    demo_dir, result = demo
    c = result["citation"]
    with Store(demo_dir / "archive.db", demo_dir / "warcs", recover=False) as store:
        cited = store.payload(c["record_id"])[0]
        later = store.conn.execute("SELECT * FROM captures WHERE url=? AND captured_at > ? ORDER BY captured_at",
                                   (c["url"], c["captured_at"])).fetchall()
        latest = store.payload(later[-1]["record_id"])[0] if later else cited
        own_records = store.conn.execute("SELECT count(*) FROM citations").fetchone()[0]
    assert own_records >= 1 and later, "the demo recaptures the cited page after citing it"
    assert latest != cited, "the demo edits the cited page after the citation"

    status, body, headers = fetch(replay_url(pywb, cdx_timestamp(c["captured_at"]), c["url"]))
    assert status == 200 and body == cited
    assert c["exact"].encode() in cited
    # every time from the citation on, "latest" included: the page, never our citation JSON
    for ts in (cdx_timestamp(c["created_at"]) if c.get("created_at") else None,
               cdx_timestamp(later[-1]["captured_at"]), "29991231235959"):
        if ts is None:
            continue
        status, body, headers = fetch(replay_url(pywb, ts, c["url"]))
        assert status == 200, (ts, status)
        assert OWN_TYPES not in headers.get("Content-Type", ""), (ts, headers)
        assert body.lstrip()[:1] != b"{" and body in (cited, latest), (ts, body[:200])
    status, body, _ = fetch(replay_url(pywb, "29991231235959", c["url"]))
    assert body == latest


def test_pywb_indexes_no_citation_watch_or_ledger_record_as_a_capture(demo, pywb):
    demo_dir, _ = demo
    with Store(demo_dir / "archive.db", demo_dir / "warcs", recover=False) as store:
        urls = sorted({r[0] for r in store.conn.execute("SELECT url FROM captures")})
        n_ledger = store.conn.execute("SELECT count(*) FROM ledger").fetchone()[0]
    assert n_ledger > 0
    seen = 0
    for url in urls:
        q = urllib.parse.urlencode({"url": url, "output": "json"})
        status, body, _ = fetch(f"{pywb}/cdx?{q}")
        assert status == 200, (url, status)
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        for line in lines:
            assert not (line.get("mime") or "").startswith(OWN_TYPES), (url, line)
        seen += len(lines)
    assert seen >= len(urls)


@pytest.mark.browser
def test_pywb_renders_the_browser_capture_with_its_script_styles_and_images(demo, pywb):
    """The script-rendered article, replayed by pywb in Chromium (pywb's rewriting mode):
    the article's own script runs and fetches its JSON from the archive, the stylesheet and
    the images come from the WARC files, and no request leaves pywb's origin."""
    from archive.capture.browser import browser_available, find_chromium
    from archive.demo import SCRIPTED_PASSAGE

    _, result = demo
    sc = result["scripted_citation"]
    if sc is None:
        pytest.skip(f"the demo captured no page with a browser: {browser_available()}")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    origin = pywb.rsplit("/", 1)[0]
    elsewhere: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: None if r.url.startswith((origin, "data:", "blob:", "about:"))
                    else elsewhere.append(r.url))
            page.goto(f"{pywb}/{cdx_timestamp(sc['captured_at'])}/{sc['url']}")
            frame = None
            for _ in range(240):  # pywb frames the page under its banner; find the page's frame
                for f in page.frames:
                    try:
                        if "mp_/" in f.url and SCRIPTED_PASSAGE in f.evaluate("document.body ? document.body.innerText : ''"):
                            frame = f
                    except PlaywrightError:  # the frame navigated while we asked
                        pass
                if frame is not None:
                    break
                page.wait_for_timeout(250)
            assert frame is not None, "pywb did not render the script-written article"
            assert frame.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(244, 239, 230)"
            # The image may still be on its way when the text is there: wait until the browser has
            # finished with it (loaded or failed), then ask what it got.
            heroes = "[...document.images].filter(i => i.src.includes('/static/hero.png'))"
            try:
                frame.wait_for_function(f"{heroes}.length > 0 && {heroes}.every(i => i.complete)", timeout=30_000)
            except PlaywrightError:
                pass  # the assertion below says what was there
            hero = frame.evaluate(f"{heroes}.map(i => i.complete && i.naturalWidth)")
            assert hero == [320], hero
            if os.environ.get("PYWB_SHOT"):
                page.screenshot(path=os.environ["PYWB_SHOT"])
        finally:
            browser.close()
    assert elsewhere == [], elsewhere
