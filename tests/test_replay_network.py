"""Nothing in a replay reaches any network (issue 14): real headless Chromium opens every
surface that shows an archived page (the replay wrapper and its frame, the Memento URLs,
the snapshot and citation pages, the replay origin's page, link and cited views) of a page
whose iframe, frames, images, styles, fonts, scripts, fetches, resource hints, objects,
forms and links all point off the archive, at a second server on 127.0.0.1 that counts
the TCP connections it accepts. It must accept none (the issue: Chromium connected to the
host of an archived ``<iframe>`` that the CSP then refused, which for a real host is a DNS
lookup and a connection that reveal the reader to the page's author).

The off-archive host is named (``leak.example``, which Chromium resolves to 127.0.0.1
through ``--host-resolver-rules``) and given as an address; a first look at the live page
in the same browser proves that the counter sees what the page asks for.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from archive.capture.http import Fetcher
from archive.provenance.cite import cite
from archive.site import SiteServer
from archive.store import Store
from archive.web.replay import wayback_stamp

from .test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, sync_playwright

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]


class ConnectionCounter:
    """A listening socket on 127.0.0.1 that accepts, notes and closes every connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(0.3)
            try:
                first = conn.recv(120)   # what it asked for, if it sent anything at all
            except OSError:
                first = b""
            self.accepted.append(first.split(b"\r\n", 1)[0] or b"(connected, sent nothing)")
            conn.close()

    def close(self) -> None:
        self.sock.close()


def leaky_page(*hosts: str) -> str:
    """An article whose every way of loading something points at each of ``hosts``."""
    head, body = zip(*(_leaks(h) for h in hosts))
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Leaky article</title>{''.join(head)}"
            f"</head><body background=\"{hosts[0]}/body-background.png\"><h1>Leaky article</h1>\n"
            "<p>More than 2,300 homes were evacuated overnight, the mayor said on Tuesday.</p>"
            f"{''.join(body)}</body></html>")


def _leaks(h: str) -> tuple[str, str]:
    return f"""
<meta http-equiv="refresh" content="1; url={h}/refresh">
<link rel="preconnect" href="{h}/preconnect"><link rel="dns-prefetch" href="{h}/dns-prefetch">
<link rel="prefetch" href="{h}/prefetch"><link rel="preload" as="image" href="{h}/preload.png">
<link rel="stylesheet" href="{h}/style.css"><link rel="icon" href="{h}/favicon.ico">
<style>@import url({h}/import.css); body {{ background: url({h}/background.png); }}
@font-face {{ font-family: leak; src: url({h}/font.woff); }} p {{ font-family: leak, serif; }}</style>
<script src="{h}/script.js"></script>
<script>fetch("{h}/fetch", {{mode: "no-cors"}}); new Image().src = "{h}/beacon.png";</script>
<script type="speculationrules">{{"prefetch": [{{"source": "list", "urls": ["{h}/speculation"]}}]}}</script>
""", f"""<iframe src="{h}/iframe"></iframe>
<iframe srcdoc="&lt;img src='{h}/srcdoc.png'&gt;"></iframe>
<img src="{h}/image.png" alt=""><img srcset="{h}/srcset.png 2x" alt="">
<picture><source srcset="{h}/source.png"><img src="{h}/picture.png" alt=""></picture>
<video poster="{h}/poster.png" src="{h}/video.mp4"></video><audio src="{h}/audio.mp3"></audio>
<object data="{h}/object"></object><embed src="{h}/embed">
<input type="image" src="{h}/input.png" alt="">
<svg><image href="{h}/svg-image.png"/></svg>
<p style="background: url({h}/inline-style.png)"><a class="out" href="{h}/link" ping="{h}/ping">elsewhere</a></p>
<form action="{h}/form"><button class="go">Go</button></form>
"""


def _wait_for(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return   # it answers
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"archive serve did not answer at {url}")
            time.sleep(0.3)


@pytest.fixture(scope="module")
def leaky(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("leaky")
    db, warcs = tmp / "archive.db", tmp / "warcs"
    counter = ConnectionCounter()
    with SiteServer() as site:
        url = site.set("/news/leaky", leaky_page(f"http://leak.example:{counter.port}",
                                                 f"http://127.0.0.1:{counter.port}"))
        with Store(db, warcs) as store:
            [capture] = store.capture([url], Fetcher(timeout=10))
            citation = cite(store, url, "More than 2,300 homes were evacuated overnight")
        assert counter.accepted == [], "capturing the page fetched what it links to"
        port = free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        log = (tmp / "serve.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "serve", "--db", str(db), "--warcs", str(warcs),
                                 "--port", str(port), "--replay-port", str(port + 1)],
                                env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            app, replay = f"http://127.0.0.1:{port}", f"http://localhost:{port + 1}"
            _wait_for(app + "/-/versions.json", proc)
            _wait_for(replay + "/page/none", proc)
            yield {"app": app, "replay": replay, "counter": counter, "url": url, "capture": capture,
                   "citation": citation, "log": tmp / "serve.log"}
        finally:
            log.close()
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            counter.close()


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=CHROMIUM_ARGS + ["--host-resolver-rules=MAP *.example 127.0.0.1"])
        try:
            yield b
        finally:
            b.close()


def _visit(chromium, url: str) -> str:
    """Open ``url`` as a reader would, hover and click the archived link, give refreshes,
    handlers and late loads time; return the text the reader saw (frames included)."""
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    try:
        page.goto(url, wait_until="load", timeout=60_000)
        page.wait_for_timeout(1500)   # the archived refresh is due after 1 s
        seen = []
        for frame in page.frames:
            try:
                seen.append(frame.locator("body").inner_text(timeout=2000))
            except Exception:   # a frame that is about:blank or was refused has no body
                continue
            for selector in ("a.out", "button.go"):
                try:
                    if frame.locator(selector).count():
                        frame.locator(selector).first.hover(timeout=1000)
                        frame.locator(selector).first.click(timeout=1000, no_wait_after=True)
                except Exception:   # inert, refused or gone: nothing to click is fine
                    pass
        page.wait_for_timeout(1000)
        return "\n".join(seen)
    finally:
        context.close()


def test_the_counter_sees_what_the_live_page_asks_for(leaky, chromium):
    """The control: the live page, opened in the same browser, does reach the counter, by
    the host's name and by its address."""
    counter = leaky["counter"]
    counter.accepted.clear()
    _visit(chromium, leaky["url"])
    assert any(b"/iframe" in a for a in counter.accepted), counter.accepted
    assert len(counter.accepted) >= 4, f"the live page reached too little to show a leak: {counter.accepted}"


def test_no_replay_surface_opens_a_connection_off_the_archive(leaky, chromium):
    app, replay, counter, url = leaky["app"], leaky["replay"], leaky["counter"], leaky["url"]
    cap, cid = leaky["capture"], leaky["citation"]["id"]
    key, stamp = cap["record_id"].strip("<>"), wayback_stamp(cap["captured_at"])
    surfaces = {
        "replay wrapper": f"{app}/-/replay/{key}",
        "replay frame": f"{app}/-/replay-raw/{key}",
        "memento": f"{app}/-/web/{stamp}/{url}",
        "raw memento": f"{app}/-/web/{stamp}id_/{url}",
        "snapshot page": f"{app}/-/snapshot/{cap['payload_sha256']}",
        "citation page": f"{app}/-/cite/{cid}",
        "replay origin": f"{replay}/page/{key}",
        "replay origin, cited": f"{replay}/page/{key}?cite={cid}",
        "replay origin, link followed": f"{replay}/go/{stamp}/{url}",
    }
    leaks = {}
    for what, surface in surfaces.items():
        counter.accepted.clear()
        text = _visit(chromium, surface)
        assert "2,300 homes" in text, f"{what}: the archived article is not shown at {surface}"
        if counter.accepted:
            leaks[what] = list(counter.accepted)
    assert not leaks, f"replays reached the off-archive server: {leaks}"


def test_serve_and_its_replay_origin_start_without_warnings(leaky):
    """What `archive serve` (and `make demo`) print on starting is Datasette's and uvicorn's
    log, with no warning or traceback of ours for a reader to wonder about."""
    log = leaky["log"].read_text("utf-8", "replace")
    assert "Application startup complete" in log, log
    assert "Warning" not in log and "Traceback" not in log, log
