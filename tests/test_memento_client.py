"""Memento (RFC 7089) checked by a Memento client: the Python ``memento_client`` package
walks the TimeGate and TimeMap of a real ``archive serve`` on 127.0.0.1, and Wayback
``id_`` URLs serve the archived bytes (an archived redirect as that redirect)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive.capture.http import Fetcher
from archive.site import SiteServer, publish_edition
from archive.store import Store
from archive.web.pages import wayback_stamp

memento_client = pytest.importorskip("memento_client")
requests = pytest.importorskip("requests")
MementoClient = memento_client.MementoClient


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site_m():
    with SiteServer() as server:
        yield server


@pytest.fixture(scope="module")
def served(tmp_path_factory, site_m):
    """A store with two captures of a page and a captured redirect, served by `archive serve`."""
    site = site_m
    tmp_path = tmp_path_factory.mktemp("memento")
    db, warcs = tmp_path / "archive.db", tmp_path / "warcs"
    urls = publish_edition(site, 0)
    moved = site.set("/old-address", "", status=302, headers=[("Location", urlsplit(urls[0]).path)])
    with Store(db, warcs) as store:
        store.capture(urls[:1] + [moved], Fetcher(timeout=10))
        publish_edition(site, 1)
        store.capture(urls[:1], Fetcher(timeout=10))
        rows = store.conn.execute("SELECT url, captured_at, status, redirect_to, record_id FROM captures "
                                  "ORDER BY captured_at").fetchall()
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "archive"), "serve", "--db", str(db),
                             "--warcs", str(warcs), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180   # a loaded CI machine starts Datasette slowly
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=5)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("archive serve did not start")
                time.sleep(0.2)
        yield base, urls[0], moved, [dict(r) for r in rows]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_memento_client_finds_the_timegate_and_the_closest_memento(served):
    base, url, _, rows = served
    gate = f"{base}/-/timegate/{url}"
    assert MementoClient.is_timegate(gate, accept_datetime="Thu, 01 Jan 1998 00:00:00 GMT")
    client = MementoClient(timegate_uri=f"{base}/-/timegate/", check_native_timegate=False)
    page = [r for r in rows if r["url"] == url]
    info = client.get_memento_info(url, datetime(1998, 1, 1))
    closest = info["mementos"]["closest"]
    assert closest["uri"][0].startswith(f"{base}/-/replay/")
    assert closest["datetime"].replace(tzinfo=timezone.utc) == datetime.fromisoformat(
        page[0]["captured_at"].replace("Z", "+00:00")).replace(microsecond=0)
    assert MementoClient.is_memento(closest["uri"][0])
    late = client.get_memento_info(url, datetime(2999, 1, 1))["mementos"]["closest"]
    # (captures may share a second: the mementos differ, their times need not)
    assert late["datetime"] >= closest["datetime"] and late["uri"] != closest["uri"]


def test_memento_client_walks_the_timemap(served):
    base, url, _, rows = served
    response = requests.get(f"{base}/-/timemap/link/{url}", timeout=10)
    assert response.status_code == 200
    links = MementoClient.parse_link_header(response.text.replace("\n", ""))
    found = MementoClient.get_uri_dt_for_rel(links, ["original", "timegate", "first memento", "last memento"])
    assert found["original"]["uri"] == url
    assert MementoClient.is_timegate(found["timegate"]["uri"])
    mementos = [u for u, rels in links.items() if any("memento" in r for r in rels.get("rel", []))]
    assert len(mementos) == len([r for r in rows if r["url"] == url]) >= 2
    for uri in mementos:
        assert MementoClient.is_memento(uri)


def test_id_urls_serve_the_archived_bytes_and_archived_redirects_as_redirects(served):
    base, url, moved, rows = served
    first = next(r for r in rows if r["url"] == url)
    stamp = wayback_stamp(first["captured_at"])
    raw = requests.get(f"{base}/-/web/{stamp}id_/{url}", allow_redirects=False, timeout=10)
    assert raw.status_code == 200 and raw.headers["Memento-Datetime"].endswith("GMT")
    assert b"2,300 homes" in raw.content or b"<html" in raw.content.lower()
    hop = next(r for r in rows if r["url"] == moved)
    assert hop["status"] == 302
    redirect = requests.get(f"{base}/-/web/{wayback_stamp(hop['captured_at'])}id_/{moved}",
                            allow_redirects=False, timeout=10)
    assert redirect.status_code == 302, redirect.text
    assert redirect.headers["Location"].startswith(f"{base}/-/web/{wayback_stamp(hop['captured_at'])}id_/")
    assert redirect.headers["Location"].endswith(url)
    followed = requests.get(redirect.headers["Location"], timeout=10)
    assert followed.status_code == 200 and b"<html" in followed.content.lower()
