"""Hostile servers and hostile URLs (RELIABILITY.md cases 1-12).

Every server here listens on 127.0.0.1 and is started by the test; names that must look
public or private are given to :class:`Fetcher` through an injected resolver, so nothing
ever leaves the machine.
"""

from __future__ import annotations

import gzip
import resource
import socket
import sqlite3
import time
import zlib

import pytest

from archive.capture.http import Fetcher
from archive.provenance.cite import cite
from archive.errors import UsageError
from archive.warc.http import decode_content
from archive.warc.record import load_record

from .helpers_faults import RawServer

ARTICLE = ("<!DOCTYPE html><html><head><title>Flood</title></head><body><article>"
           "<h1>Flood update</h1>" + "<p>More than 2,300 homes were evacuated on Tuesday as the "
           "river rose. Officials said the water would recede by Friday.</p>" * 6 +
           "</article></body></html>")


def capture_rows(store) -> list[sqlite3.Row]:
    return store.conn.execute("SELECT * FROM captures WHERE record_type != 'request'").fetchall()


def record_of(store, row):
    return load_record(store.warcs.path_of(row["warc_file"]), row["offset"], row["length"])


def fixed(head: bytes, body: bytes = b""):
    """A handler that writes ``head`` + ``body`` and closes."""
    def handler(conn, _req):
        conn.sendall(head + body)
    return handler


# -- bodies that are too big, too slow or cut short --------------------------------------

def test_body_beyond_max_size_is_truncated_and_never_citable(store, site):
    url = site.set("/big", ARTICLE + "<!--" + "x" * 300_000 + "-->")
    (res,) = store.capture([url], Fetcher(max_body=100_000, timeout=5))
    assert res.get("truncated") == "length"
    (row,) = capture_rows(store)
    rec = record_of(store, row)
    assert rec.header("WARC-Truncated") == "length"
    assert len(rec.payload) == 100_000
    snap = store.conn.execute("SELECT truncated FROM snapshots WHERE sha256=?", (row["payload_sha256"],)).fetchone()
    assert snap["truncated"] == "length"
    with pytest.raises(UsageError, match="no complete"):
        cite(store, url, "2,300 homes")


def test_endless_chunked_body_stops_at_the_cap(store):
    def endless(conn, _req):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"<p>" + b"a" * 4000 + b"</p>"
        while True:
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    with RawServer(endless) as srv:
        (res,) = store.capture([srv.url("/")], Fetcher(max_body=200_000, timeout=5), extract=False)
    assert res.get("truncated") == "length", res
    rec = record_of(store, capture_rows(store)[0])
    assert rec.header("WARC-Truncated") == "length"
    assert len(rec.payload) == 200_000


def slow_handler(conn, _req):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(60):
        try:
            conn.sendall(b"<")
        except OSError:
            return
        time.sleep(1)


def test_slow_server_is_bounded_by_the_deadline(store):
    with RawServer(slow_handler) as srv:
        (res,) = store.capture([srv.url("/")], Fetcher(timeout=2, deadline=3), extract=False)
    if "error" in res and not res.get("record_id"):
        assert res["code"] in ("timeout",)
    else:
        assert res["truncated"] == "time"
        rec = record_of(store, capture_rows(store)[0])
        assert rec.header("WARC-Truncated") == "time"


def test_many_slow_servers_do_not_starve_the_workers(store, site):
    fast = site.set("/fast", ARTICLE)
    servers = [RawServer(slow_handler).__enter__() for _ in range(6)]
    try:
        urls = [s.url("/") for s in servers] + [fast]
        results = store.capture(urls, Fetcher(timeout=2, deadline=3), workers=8, extract=False)
    finally:
        for s in servers:
            s.__exit__(None, None, None)
    by_url = {r["url"]: r for r in results}
    assert by_url[fast].get("status") == 200 and not by_url[fast].get("truncated")
    for s in servers:
        r = by_url[s.url("/")]
        assert r.get("truncated") == "time" or r.get("code") == "timeout", r


def test_early_close_is_a_disconnect_and_digest_is_of_stored_bytes(store):
    sent = b"<html>" + b"d" * 10_000

    def early(conn, _req):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1048576\r\n\r\n" + sent)
        conn.shutdown(socket.SHUT_RDWR)

    with RawServer(early) as srv:
        (res,) = store.capture([srv.url("/")], Fetcher(timeout=5), extract=False)
    assert res["truncated"] == "disconnect"
    row = capture_rows(store)[0]
    rec = record_of(store, row)
    assert rec.header("WARC-Truncated") == "disconnect"
    assert rec.payload == sent
    import hashlib
    assert row["payload_sha256"] == hashlib.sha256(sent).hexdigest()


# -- content encodings -------------------------------------------------------------------

def _bomb(size: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(b"<html><body>")]
    zeros = b"\0" * (1 << 20)
    for _ in range(size >> 20):
        out.append(c.compress(zeros))
    out.append(c.flush())
    return b"".join(out)


def test_gzip_bomb_is_stored_raw_and_extraction_stops_at_the_cap(store):
    bomb = _bomb(300 << 20)            # 300 MB of zeros in about 300 KB
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n" % len(bomb))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with RawServer(fixed(head, bomb)) as srv:
        (res,) = store.capture([srv.url("/")], Fetcher(timeout=5), extract=True)
    assert res.get("status") == 200
    row = capture_rows(store)[0]
    rec = record_of(store, row)
    assert rec.payload == bomb                       # the raw on-wire bytes
    data, truncated = decode_content(rec.payload, rec.http_headers, cap=1 << 20)
    assert truncated and len(data) <= 1 << 20
    snap = store.conn.execute("SELECT extract_status FROM snapshots WHERE sha256=?",
                              (row["payload_sha256"],)).fetchone()
    assert snap["extract_status"] in ("truncated", "not_html", "failed")
    grew_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert grew_kb < 250 * 1024, f"RSS grew by {grew_kb} KB"


def test_stacked_encodings_are_capped():
    inner = _bomb(50 << 20)
    twice = gzip.compress(inner)
    data, truncated = decode_content(twice, [("Content-Encoding", "gzip, gzip")], cap=1 << 20)
    assert truncated and len(data) <= 1 << 20
    data, truncated = decode_content(b"not gzip at all", [("Content-Encoding", "gzip, br")], cap=1 << 20)
    assert data == b"not gzip at all"


# -- redirects ---------------------------------------------------------------------------

def test_redirect_loop_and_long_chain(store, site):
    a = site.url("/a")
    b = site.url("/b")
    site.set("/a", "", status=302, headers=[("Location", b)])
    site.set("/b", "", status=302, headers=[("Location", a)])
    for i in range(50):
        site.set(f"/c{i}", "", status=302, headers=[("Location", f"/c{i + 1}")])
    site.set("/c50", ARTICLE)
    results = store.capture([a, site.url("/c0")], Fetcher(timeout=5), extract=False)
    assert [r["code"] for r in results] == ["too_many_redirects", "too_many_redirects"]
    # Hops fetched before the limit are recorded; the chain stopped at the limit.
    assert len(capture_rows(store)) <= 2 + 11


# -- malformed HTTP ----------------------------------------------------------------------

@pytest.mark.parametrize("head", [
    b"HTTP/9 abc\r\n\r\n",
    b"HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nhi",
    b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * (1 << 20) + b"\r\nContent-Length: 2\r\n\r\nhi",
    b"HTTP/1.1 200 OK\r\nX-Nul: a\x00b\r\nContent-Length: 2\r\n\r\nhi",
    b"HTTP/1.1 200 OK\r\nX-Cr: a\rWARC-Type: injected\r\nContent-Length: 2\r\n\r\nhi",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nhi",
    b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(500)) + b"\r\nhi",
    b"\r\n\r\n",
    b"",
])
def test_malformed_http_is_bad_response_without_injection(store, head):
    with RawServer(fixed(head)) as srv:
        (res,) = store.capture([srv.url("/")], Fetcher(timeout=3), extract=False)
    assert res.get("code") in ("bad_response", "connection_failed"), res
    # A response we cannot parse is not stored as a capture at all, so nothing of it
    # (an injected header least of all) reaches a WARC record or the index.
    assert capture_rows(store) == []
    for path in store.warcs_dir.glob("*.warc.gz"):
        data = gzip.decompress(path.read_bytes())
        assert b"injected" not in data and b"WARC-Type: response" not in data


def test_latin1_header_bytes_are_stored_exactly(store):
    body = b"<html><body><p>caf\xe9</p></body></html>"
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Name: Caf\xe9 \xa1ol\xe9!\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    with RawServer(fixed(head, body)) as srv:
        (res,) = store.capture([srv.url("/")], Fetcher(timeout=3), extract=False)
    rec = record_of(store, capture_rows(store)[0])
    assert b"X-Name: Caf\xe9 \xa1ol\xe9!\r\n" in rec.block
    assert rec.payload == body


# -- URLs that must be refused -----------------------------------------------------------

@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/1", "data:text/html,<p>x</p>",
    "javascript:alert(1)", "http://user:pass@127.0.0.1/", "http://user@127.0.0.1/",
    "http:///nohost", "http://127.0.0.1:99999/", "http://127.0.0.1/a b", "http://127.0.0.1/\r\nX: y",
])
def test_unsupported_urls_are_refused_with_no_record(store, url):
    (res,) = store.capture([url], Fetcher(timeout=2), extract=False)
    assert res["code"] == "invalid_url", res
    assert res["error"]
    assert store.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 0
    assert store.warcs.list_files() == []


PRIVATE = ["127.0.0.1", "0.0.0.0", "169.254.169.254", "10.1.2.3", "172.16.5.4", "172.31.255.1",
           "192.168.1.1", "100.64.0.1", "::1", "fc00::1", "fd12::1", "fe80::1", "::ffff:127.0.0.1",
           "::ffff:10.0.0.1", "224.0.0.1", "255.255.255.255"]


class Resolver:
    """Injected DNS: ``answers`` maps a name to addresses; records every lookup."""

    def __init__(self, answers: dict[str, list[str]]):
        self.answers = answers
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.answers:
            raise socket.gaierror(f"unknown host {host}")
        return self.answers[host]


def _no_connect(monkeypatch):
    """Any attempt to open a connection fails the test: refusals happen before it."""
    def refuse(*a, **k):
        raise AssertionError(f"tried to connect: {a}")
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("ip", PRIVATE)
def test_public_only_refuses_private_names(store, monkeypatch, ip):
    _no_connect(monkeypatch)
    resolver = Resolver({"news.example": [ip]})
    (res,) = store.capture(["http://news.example/a"], Fetcher(public_only=True, resolver=resolver),
                           extract=False)
    assert res["code"] == "blocked_address", res
    assert ip in res["error"] or ip.lower() in res["error"].lower()
    assert store.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 0


def test_public_only_refuses_if_any_address_is_private(store, monkeypatch):
    _no_connect(monkeypatch)
    resolver = Resolver({"mixed.example": ["93.184.216.34", "10.0.0.5"]})
    (res,) = store.capture(["http://mixed.example/"], Fetcher(public_only=True, resolver=resolver),
                           extract=False)
    assert res["code"] == "blocked_address"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost/", "http://[::1]/", "http://0.0.0.0/",
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://172.16.0.1/",
    "http://192.168.0.1/", "http://100.64.0.1/", "http://[fc00::1]/", "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/", "http://2130706433/", "http://0x7f.1/", "http://017700000001/",
    "http://127.1/", "http://0/",
])
def test_public_only_refuses_literal_and_odd_spellings(store, monkeypatch, url):
    """Numeric spellings go through the real getaddrinfo (no network for numbers; for
    localhost the hosts file) and the *resolved* address is checked."""
    _no_connect(monkeypatch)
    (res,) = store.capture([url], Fetcher(public_only=True, timeout=2), extract=False)
    assert res["code"] in ("blocked_address", "dns_failed"), res
    assert store.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 0


def test_without_public_only_loopback_is_captured(store, site):
    (res,) = store.capture([site.set("/ok", ARTICLE)], Fetcher(timeout=5), extract=False)
    assert res["status"] == 200


def test_redirect_to_loopback_is_refused_at_the_hop(store, site, monkeypatch):
    """A 'public' host (injected resolver, really our local server) redirects to
    127.0.0.1: the redirect is recorded, the hop to loopback is refused before connecting."""
    port = int(site.base_url.rsplit(":", 1)[1])
    site.set("/r", "", status=302, headers=[("Location", "http://127.0.0.1:1/secret")])
    resolver = Resolver({"public.example": ["93.184.216.34"], "127.0.0.1": ["127.0.0.1"]})
    real_connect = socket.create_connection
    connected = []

    def connect(addr, *a, **k):
        connected.append(addr)
        if addr[0] == "93.184.216.34":       # the "public" host is our local site
            return real_connect(("127.0.0.1", port), *a, **k)
        raise AssertionError(f"tried to connect to {addr}")

    monkeypatch.setattr(socket, "create_connection", connect)
    fetcher = Fetcher(public_only=True, resolver=resolver, timeout=5)
    (res,) = store.capture([f"http://public.example:{port}/r"], fetcher, extract=False)
    assert res["code"] == "blocked_address", res
    assert connected == [("93.184.216.34", port)]
    rows = capture_rows(store)
    assert [r["status"] for r in rows] == [302]


def test_dns_is_resolved_once_per_hop(site, monkeypatch):
    """DNS rebinding: the address checked is the address connected to (one lookup)."""
    port = int(site.base_url.rsplit(":", 1)[1])
    site.set("/p", ARTICLE)
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    lookups = []

    def rebinding(host, p):
        lookups.append(host)
        return next(answers)

    real_connect = socket.create_connection
    monkeypatch.setattr(socket, "create_connection",
                        lambda addr, *a, **k: real_connect(("127.0.0.1", port), *a, **k)
                        if addr[0] == "93.184.216.34" else pytest.fail(f"connected to {addr}"))
    result = Fetcher(public_only=True, resolver=rebinding, timeout=5).fetch(f"http://rebind.example:{port}/p")
    try:
        assert result.error is None
        assert lookups == ["rebind.example"]
        assert result.final.ip == "93.184.216.34"
    finally:
        result.close()


# -- text that is awkward to decode ------------------------------------------------------

@pytest.mark.parametrize("ctype,body,status", [
    ("text/html", "<html><body><p>Sans charset: café, naïve, 2,300 homes.</p></body></html>".encode("utf-8"), "ok"),
    ("text/html; charset=utf-8", b"<html><body><p>Invalid \xff\xfe UTF-8 \xc3( here, 2,300 homes.</p></body></html>", "ok"),
    ("text/html; charset=klingon", "<html><body><p>Unknown charset, 2,300 homes.</p></body></html>".encode(), "ok"),
    ("text/html; charset=iso-8859-1", "<html><body><p>Déjà vu: 2 300 maisons évacuées.</p></body></html>".encode("utf-8"), "ok"),
    ("text/html; charset=utf-8", "<html dir=rtl><body><p>أكثر من 2300 منزل تم إخلاؤها، وقال المسؤولون "
     "إن المياه ستنحسر. ‏שלום עולם‏ \u202eevil\u202c</p></body></html>".encode("utf-8"), "ok"),
    ("image/png", ARTICLE.encode(), "not_html"),
    ("text/html", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n", "not_html"),
    ("text/html; charset=utf-16", "<html><body><p>UTF-16 page</p></body></html>".encode("utf-16"), "ok"),
])
def test_awkward_text_is_captured_and_extracted_without_error(store, site, ctype, body, status):
    url = site.set("/t", body, content_type=ctype)
    (res,) = store.capture([url], Fetcher(timeout=5))
    assert res["status"] == 200
    row = capture_rows(store)[0]
    assert record_of(store, row).payload == body         # bytes stored verbatim
    snap = store.conn.execute("SELECT extract_status, extract_error FROM snapshots").fetchone()
    # HTML in any charset is read; bytes that are not a page (a PNG by type, a PDF by
    # content) are recorded as such: never "failed", never guessed at.
    assert snap["extract_status"] == status, snap["extract_error"]
