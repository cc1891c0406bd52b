"""The fetcher's own HTTP/1.1 client: framing, interim responses, strict header lines,
keep-alive after each kind of body, and the request record being the bytes sent."""

from __future__ import annotations

import time

import pytest

from archive.capture.http import Fetcher

from .helpers_faults import RawServer

BODY = b"<html><body><p>More than 2,300 homes were evacuated.</p></body></html>"


def fixed(response: bytes):
    def handler(conn, _req):
        conn.sendall(response)
    return handler


def fetch(url: str, **kw):
    result = Fetcher(timeout=3, **kw).fetch(url)
    try:
        hop = result.final
        return result.error, hop, (hop.body.read() if hop else None)
    finally:
        result.close()


def test_interim_100_and_103_are_skipped():
    head = (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY))
    with RawServer(fixed(head + BODY)) as srv:
        err, hop, body = fetch(srv.url("/"))
    assert err is None and hop.status == 200 and body == BODY
    assert hop.headers == [("Content-Length", str(len(BODY)))]


@pytest.mark.parametrize("line", [
    b"No colon here",
    b" folded: continuation",
    b"Bad Name: v",
    b"Caf\xe9: v",
    b": empty name",
])
def test_header_lines_that_are_not_name_value_are_bad_response(line):
    head = b"HTTP/1.1 200 OK\r\nX-A: 1\r\n" + line + b"\r\nContent-Length: 2\r\n\r\nhi"
    with RawServer(fixed(head)) as srv:
        err, hop, _ = fetch(srv.url("/"))
    assert hop is None and err.code == "bad_response", err


def test_values_keep_their_bytes_and_duplicates_their_order():
    head = (b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Sp:   padded  \r\nSet-Cookie: b=2\r\n"
            b"X-Latin: caf\xe9\r\nContent-Length: 2\r\n\r\nhi")
    with RawServer(fixed(head)) as srv:
        err, hop, body = fetch(srv.url("/"))
    assert err is None and body == b"hi"
    assert hop.headers == [("Set-Cookie", "a=1"), ("X-Sp", "padded  "), ("Set-Cookie", "b=2"),
                           ("X-Latin", "caf\xe9"), ("Content-Length", "2")]


def test_chunked_body_with_extensions_and_trailer_then_keep_alive():
    served = []

    def handler(conn, req):
        for n in range(3):
            if n:
                req = b""
                while b"\r\n\r\n" not in req:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    req += chunk
            served.append(req)
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")

    with RawServer(handler) as srv:
        f = Fetcher(timeout=3)
        for _ in range(3):
            result = f.fetch(srv.url("/c"))
            assert result.error is None
            hop = result.final
            assert hop.body.read() == b"hello world" and hop.truncated is None
            assert ("X-Archive-Orig-Transfer-Encoding", "chunked") in hop.headers
            result.close()
        f.close()
    assert srv.connections == 1 and len(served) == 3


def test_request_record_is_the_bytes_sent():
    received = []

    def handler(conn, req):
        received.append(req)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")

    with RawServer(handler) as srv:
        err, hop, _ = fetch(srv.url("/caf\u00e9?q=\u00fc%20x"))
    assert err is None
    assert received == [hop.request_head]
    assert hop.request_head.startswith(b"GET /caf%C3%A9?q=%C3%BC%20x HTTP/1.1\r\n")


def test_head_dribbled_byte_by_byte_is_bounded_by_the_deadline():
    def dribble(conn, _req):
        for b in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 100:
            try:
                conn.sendall(bytes([b]))
            except OSError:
                return
            time.sleep(0.5)

    with RawServer(dribble) as srv:
        t0 = time.monotonic()
        err, hop, _ = fetch(srv.url("/"), deadline=2)
        elapsed = time.monotonic() - t0
    assert hop is None and err.code == "timeout", err
    assert elapsed < 4


@pytest.mark.parametrize("head", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\nhi",
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhi",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nhi",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2",                      # cut inside the head
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX: a\x00\r\n\r\nhi",
])
def test_bad_framing_is_bad_response(head):
    with RawServer(fixed(head)) as srv:
        err, hop, _ = fetch(srv.url("/"))
    assert hop is None and err.code == "bad_response", err


def test_content_length_listed_twice_with_one_value():
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nhi"
    with RawServer(fixed(head)) as srv:
        err, hop, body = fetch(srv.url("/"))
    assert err is None and body == b"hi" and hop.truncated is None


def test_body_until_close_and_http_10():
    head = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
    with RawServer(fixed(head + BODY)) as srv:
        err, hop, body = fetch(srv.url("/"))
    assert err is None and hop.http_version == "HTTP/1.0" and body == BODY and hop.truncated is None


def test_body_of_exactly_max_body_is_not_truncated_and_one_more_byte_is():
    for extra, expect in ((b"", None), (b"x", "length")):
        data = b"a" * 1000 + extra
        head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data)
        with RawServer(fixed(head + data)) as srv:
            err, hop, body = fetch(srv.url("/"), max_body=1000)
        assert err is None and body == b"a" * 1000 and hop.truncated == expect
