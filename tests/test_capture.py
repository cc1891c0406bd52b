"""Capture: real HTTP from 127.0.0.1 into WARC files other tools accept."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import subprocess
import sys

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.capture.http import Fetcher
from archive.demo import warcio_check
from archive.site import demo_content, publish_edition, render_article
from archive.store import Store
from archive.warc.record import load_record

from .conftest import invoke


def _records(path):
    with open(path, "rb") as f:
        return [(r.rec_type, dict(r.rec_headers.headers)) for r in ArchiveIterator(f)]


def test_capture_writes_warc_11_with_sha256_that_warcio_checks(store, site):
    url = site.set("/a", "<html><head><title>T</title></head><body><p>Hello 2,300 homes.</p></body></html>")
    [r] = store.capture([url], Fetcher(timeout=5))
    assert r["status"] == 200 and not r["revisit"]
    path = store.warcs.path_of(r["warc_file"])
    store.warcs.close()
    recs = _records(path)
    # warcinfo heads the file; the ledger entry vouching for the capture follows it, then
    # the one vouching for the text, quotes and figures extracted from it;
    # the response before its request (as pywb, warcio and wget write them), so the
    # request's WARC-Concurrent-To names a record already written (issue 15)
    assert [t for t, _ in recs] == ["warcinfo", "response", "request", "metadata", "metadata"]
    assert recs[2][1]["WARC-Concurrent-To"] == recs[1][1]["WARC-Record-ID"]
    assert recs[3][1]["Content-Type"].startswith("application/vnd.archive-store.ledger+json")
    assert recs[4][1]["Content-Type"].startswith("application/vnd.archive-store.ledger+json")
    for _, h in recs:
        assert h["WARC-Record-ID"]
    resp = recs[1][1]
    assert resp["WARC-Block-Digest"].startswith("sha256:")
    assert resp["WARC-Payload-Digest"].startswith("sha256:")
    info = recs[0][1]
    assert info["WARC-Filename"] == path.name
    # every record is its own gzip member: each pointer slice decompresses alone
    row = store.capture_row(r["record_id"])
    with open(path, "rb") as f:
        f.seek(row["offset"])
        member = f.read(row["length"])
    assert gzip.decompress(member).startswith(b"WARC/1.1\r\n")
    ok, out = warcio_check([path])
    assert ok, out
    # the index row names the payload by its SHA-256
    body = load_record(path, row["offset"], row["length"]).payload
    assert hashlib.sha256(body).hexdigest() == r["payload_sha256"]


def test_warcio_check_cli_accepts_store_files(store, site):
    url = site.set("/b", "<p>x</p>")
    store.capture([url, url], Fetcher(timeout=5))
    store.warcs.close()
    files = [str(p) for p in store.warcs_dir.glob("*.warc.gz")]
    proc = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", *files],
                          capture_output=True, text=True)
    if "No module named warcio.cli" in proc.stderr:
        proc = subprocess.run([sys.executable, "-c", "from warcio.cli import main; main()", "check", "-v", *files],
                              capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "digest pass" in proc.stdout


def test_unchanged_recapture_is_a_revisit_and_stores_one_payload(store, site):
    body = "<html><body>" + "<p>Same words, 48,000 residents.</p>" * 1500 + "</body></html>"
    url = site.set("/same", body)
    first = store.capture([url], Fetcher(timeout=5))[0]
    size_before = sum(p.stat().st_size for p in store.warcs_dir.glob("*.warc.gz"))
    second = store.capture([url], Fetcher(timeout=5))[0]
    size_after = sum(p.stat().st_size for p in store.warcs_dir.glob("*.warc.gz"))
    assert not first["revisit"] and second["revisit"]
    assert second["payload_sha256"] == first["payload_sha256"]
    assert store.conn.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 1
    rev = store.capture_row(second["record_id"])
    assert rev["record_type"] == "revisit" and rev["refers_to"] == first["record_id"]
    # a revisit holds headers only: far smaller than the 60 KB page
    assert size_after - size_before < 2048
    path = store.warcs.path_of(rev["warc_file"])
    rec = load_record(path, rev["offset"], rev["length"])
    assert rec.header("WARC-Profile").endswith("/revisit/identical-payload-digest")
    assert rec.header("WARC-Refers-To") == first["record_id"]
    # reading the revisit's payload resolves to the original bytes
    data, orig = store.payload(second["record_id"])
    assert orig["record_id"] == first["record_id"] and data == body.encode()


def test_edited_page_gets_a_new_snapshot(store, site):
    url = site.set("/edit", "<p>2,300 homes</p>")
    a = store.capture([url], Fetcher(timeout=5))[0]
    site.set("/edit", "<p>3,100 homes</p>")
    b = store.capture([url], Fetcher(timeout=5))[0]
    assert a["payload_sha256"] != b["payload_sha256"] and not b["revisit"]


def test_redirect_hops_are_each_recorded(store, site):
    target = site.set("/final", "<p>arrived</p>")
    site.set("/start", "", status=301, headers=[("Location", "/middle")])
    site.set("/middle", "", status=302, headers=[("Location", target)])
    [r] = store.capture([site.url("/start")], Fetcher(timeout=5))
    assert r["final_url"] == target and r["status"] == 200
    assert [h["status"] for h in r["redirects"]] == [301, 302]
    rows = store.conn.execute("SELECT url, status, redirect_to FROM captures ORDER BY captured_at").fetchall()
    assert [x["status"] for x in rows] == [301, 302, 200]
    assert rows[0]["redirect_to"] == "/middle"


def test_max_size_truncates_and_marks_the_record(store, site):
    url = site.set("/big", "<p>" + "x" * 100_000 + "</p>")
    [r] = store.capture([url], Fetcher(timeout=5, max_body=10_000))
    assert r["truncated"] == "length"
    row = store.capture_row(r["record_id"])
    rec = load_record(store.warcs.path_of(row["warc_file"]), row["offset"], row["length"])
    assert rec.header("WARC-Truncated") == "length" and len(rec.payload) == 10_000
    snap = store.conn.execute("SELECT truncated FROM snapshots WHERE sha256=?", (r["payload_sha256"],)).fetchone()
    assert snap["truncated"] == "length"


def test_rotation_at_size_limit_seals_files(tmp_path, site):
    def page(i: int) -> str:   # hex digits: about 3 KB once gzipped, so files fill up
        return f"<p>{i} " + "".join(hashlib.sha256(f"{i}-{j}".encode()).hexdigest() for j in range(80)) + "</p>"

    url = site.set("/r", page(0))
    with Store(tmp_path / "a.db", tmp_path / "w", max_file_size=4000) as s:
        for i in range(4):
            site.set("/r", page(i))
            s.capture([url], Fetcher(timeout=5), extract=False)
        files = s.conn.execute("SELECT * FROM warc_files ORDER BY name").fetchall()
    assert len(files) >= 3
    sealed = [f for f in files if f["sealed_at"]]
    assert len(sealed) >= len(files) - 1
    for f in sealed:
        assert hashlib.sha256((tmp_path / "w" / f["name"]).read_bytes()).hexdigest() == f["sha256"]
    # each file starts with its own warcinfo
    for f in files:
        assert _records(tmp_path / "w" / f["name"])[0][0] == "warcinfo"


def test_concurrent_workers_capture_every_url(store, site):
    content = demo_content()
    urls = [site.set(f"/n/{i}", render_article(content["site"], {**content["articles"][0]["editions"][0],
                                                                  "headline": f"Story {i}"}, []))
            for i in range(24)]
    results = store.capture(urls, Fetcher(timeout=5), workers=8, extract=False)
    assert all("error" not in r for r in results)
    assert store.conn.execute("SELECT count(*) FROM captures WHERE record_type='response'").fetchone()[0] == 24


def test_capture_cli_json_has_the_contract_keys(runner, tmp_path, site):
    url = site.set("/c", "<p>hello</p>")
    res = invoke(runner, tmp_path, "capture", url, "--json")
    assert res.exit_code == 0, res.output
    obj = json.loads(res.output.strip().splitlines()[-1])
    for key in ("url", "captured_at", "status", "payload_sha256", "warc_file", "offset", "length",
                "record_id", "revisit"):
        assert key in obj


def test_unreachable_url_is_a_clear_error_and_stores_nothing(runner, tmp_path):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    res = invoke(runner, tmp_path, "capture", f"http://127.0.0.1:{port}/gone")
    assert res.exit_code == 2
    assert "connection refused" in res.output and "Traceback" not in res.output
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s2:
        assert s2.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 0


@pytest.mark.parametrize("bad", ["file:///etc/passwd", "javascript:alert(1)", "data:text/html,hi",
                                 "ftp://example.com/", "http://user:pw@127.0.0.1/"])
def test_odd_schemes_and_credentials_are_refused(runner, tmp_path, bad):
    res = invoke(runner, tmp_path, "capture", bad)
    assert res.exit_code == 2 and "Error:" in res.output
    # refused before anything is written: no record, and so no credentials, anywhere
    for p in (tmp_path / "warcs").glob("*.warc*"):
        data = gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes()
        assert b"pw@" not in data and b"user:pw" not in data
        assert b"WARC-Type: response" not in data and b"WARC-Type: request" not in data
    db = tmp_path / "archive.db"
    if db.exists():
        assert sqlite3.connect(db).execute("SELECT count(*) FROM captures").fetchone()[0] == 0


def test_show_prints_payload_by_record_id_and_by_sha(runner, tmp_path, site):
    url = site.set("/s", "<p>show me</p>")
    out = json.loads(invoke(runner, tmp_path, "capture", url, "--json").output.strip())
    by_id = invoke(runner, tmp_path, "show", out["record_id"])
    by_sha = invoke(runner, tmp_path, "show", out["payload_sha256"])
    assert by_id.output == by_sha.output == "<p>show me</p>"
    missing = invoke(runner, tmp_path, "show", "0" * 64)
    assert missing.exit_code == 2 and "no capture or snapshot" in missing.output


def test_demo_site_editions_differ_as_described(site):
    urls = publish_edition(site, 0)
    first = site.pages["/news/wildfire-evacuations"].body
    publish_edition(site, 1)
    second = site.pages["/news/wildfire-evacuations"].body
    assert b"2,300" in first and b"3,100" in second and b"Tom Reyes" in first and b"Tom Reyes" not in second
    assert len(urls) == 3


def test_a_new_process_continues_the_last_cleanly_closed_file(tmp_path, site):
    """One WARC file per store until it is full, not one per command; sealed when full."""
    url = site.set("/c1", "<p>first</p>")
    with Store(tmp_path / "a.db", tmp_path / "w") as s:
        s.capture([url], Fetcher(timeout=5))
    first = sorted((tmp_path / "w").glob("*.warc.gz"))
    size_after_first = first[0].stat().st_size
    site.set("/c1", "<p>second</p>")
    with Store(tmp_path / "a.db", tmp_path / "w") as s:
        r = s.capture([url], Fetcher(timeout=5))[0]
        state = s.conn.execute("SELECT state, size FROM warc_files WHERE name=?", (r["warc_file"],)).fetchone()
    files = sorted((tmp_path / "w").glob("*.warc.gz"))
    assert files == first and r["warc_file"] == first[0].name and r["offset"] >= size_after_first
    assert state["size"] == files[0].stat().st_size
    recs = _records(files[0])
    assert [t for t, _ in recs].count("warcinfo") == 1
    ok, out = warcio_check(files)
    assert ok, out


def test_a_file_changed_after_a_clean_close_is_not_continued(tmp_path, site):
    url = site.set("/c2", "<p>x</p>")
    with Store(tmp_path / "a.db", tmp_path / "w") as s:
        s.capture([url], Fetcher(timeout=5))
    [f] = list((tmp_path / "w").glob("*.warc.gz"))
    with open(f, "ab") as fh:
        fh.write(b"\x1f\x8b\x08\x00garbage")  # appended behind the store's back
    with Store(tmp_path / "a.db", tmp_path / "w") as s:
        assert any(r.get("quarantined") for r in s.recovered)  # repaired first...
        s.capture([url], Fetcher(timeout=5))
    ok, out = warcio_check(sorted((tmp_path / "w").glob("*.warc.gz")))
    assert ok, out


def test_keep_alive_reuses_a_connection_per_worker(store, site):
    urls = [site.set(f"/k/{i}", f"<p>page {i}</p>") for i in range(6)]
    fetcher = Fetcher(timeout=5)
    results = store.capture(urls, fetcher, extract=False)
    fetcher.close()
    assert all("error" not in r for r in results)
    clients = {r["client"] for r in site.requests if r["path"].startswith("/k/")}
    assert len(clients) == 1  # six pages over one connection
    assert all("close" not in r["headers"].get("Connection", "") for r in site.requests)


def test_a_connection_the_server_dropped_is_retried_fresh(store):
    """A server that closes after every response without saying so: the idle
    connection is dead when reused, and the capture still succeeds."""
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                continue
            with c:
                c.recv(65536)
                body = b"<p>one response per connection</p>"
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                          + str(len(body)).encode() + b"\r\n\r\n" + body)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        fetcher = Fetcher(timeout=5)
        urls = [f"http://127.0.0.1:{port}/a", f"http://127.0.0.1:{port}/b", f"http://127.0.0.1:{port}/c"]
        results = store.capture(urls, fetcher, extract=False)
        fetcher.close()
    finally:
        stop.set()
        t.join()
        srv.close()
    assert [r.get("status") for r in results] == [200, 200, 200], results
