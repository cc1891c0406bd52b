"""Valid files from other tools import with exit 0 and their quirks as warnings (file and
offset): wget's repeated WARC-Record-IDs, the same crawl imported twice, every valid WARC,
ARC and WACZ of the shared corpus. Only unreadable input is an error."""

from __future__ import annotations

import gzip
import io
import json

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.store import Store

from .conftest import invoke
from .test_interop_digests import PASSAGE, article_html

SHARED_ID = "<urn:uuid:a9c5c23a-0221-11e7-8fe3-0242ac120007>"
FIRST, SECOND = "http://example.org/first", "http://example.org/2026/floods"


def wget_like_warc(path, gz: bool = True) -> None:
    """Two different responses that carry the same WARC-Record-ID, as wget 1.14 wrote them."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gz, warc_version="1.0")
        for url, body in ((FIRST, b"<html><body><p>First page.</p></body></html>"), (SECOND, article_html())):
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                               ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            rec = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                            warc_headers_dict={"WARC-Date": "2026-03-01T09:00:00Z",
                                                               "WARC-Record-ID": SHARED_ID})
            writer.write_record(rec)


def out_lines(result) -> list[dict]:
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_repeated_record_ids_are_a_warning_and_both_records_are_indexed(runner, tmp_path):
    src = tmp_path / "wget.warc.gz"
    wget_like_warc(src)
    result = invoke(runner, tmp_path, "import", str(src), "--json")
    assert result.exit_code == 0, result.output
    report = out_lines(result)[0]
    assert report["errors"] == []
    assert any("repeats" in w["reason"] and w["offset"] > 0 for w in report["warnings"]), report
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        rows = store.conn.execute("SELECT record_id, url FROM captures ORDER BY offset").fetchall()
    assert [r["url"] for r in rows] == [FIRST, SECOND]
    assert rows[0]["record_id"] == SHARED_ID and rows[1]["record_id"] != SHARED_ID
    # the second record is citable, and its citation verifies, before and after a reindex
    cited = out_lines(invoke(runner, tmp_path, "cite", SECOND, PASSAGE, "--json"))[0]
    assert cited["record_id"] == rows[1]["record_id"]
    for _ in range(2):
        verified = invoke(runner, tmp_path, "verify", cited["id"], "--json")
        assert verified.exit_code == 0, verified.output
        assert invoke(runner, tmp_path, "verify", "--all").exit_code == 0
        assert invoke(runner, tmp_path, "reindex").exit_code == 0


def test_ids_repeated_far_apart_are_found_like_neighbours(runner, tmp_path):
    """An id repeated hundreds of records later (past the window of records the import
    looks up at once) is a repeat all the same, for a request as for a response."""
    src = tmp_path / "far.warc.gz"
    request_id = "<urn:uuid:0b0b0b0b-0221-11e7-8fe3-0242ac120007>"
    with open(src, "wb") as f:
        writer = WARCWriter(f, gzip=True, warc_version="1.0")
        for i in range(300):
            rid = SHARED_ID if i in (3, 290) else f"<urn:uuid:00000000-0000-0000-0000-{i:012d}>"
            body = f"<html><body><p>Page {i}.</p></body></html>".encode()
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))],
                                    protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                f"http://example.org/{i}", "response", payload=io.BytesIO(body), http_headers=http,
                warc_headers_dict={"WARC-Date": "2026-03-01T09:00:00Z", "WARC-Record-ID": rid}))
            if i in (5, 280):
                req = StatusAndHeaders(f"GET /{i} HTTP/1.1", [("Host", "example.org")], is_http_request=True)
                writer.write_record(writer.create_warc_record(
                    f"http://example.org/{i}", "request", http_headers=req,
                    warc_headers_dict={"WARC-Date": "2026-03-01T09:00:00Z", "WARC-Record-ID": request_id}))
    result = invoke(runner, tmp_path, "import", str(src), "--json")
    assert result.exit_code == 0, result.output
    repeats = [w for w in out_lines(result)[0]["warnings"] if "repeats" in w["reason"]]
    assert [(request_id in w["reason"], SHARED_ID in w["reason"]) for w in repeats] == [(True, False), (False, True)]
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        first = store.conn.execute("SELECT offset FROM captures WHERE record_id=?", (SHARED_ID,)).fetchone()[0]
        keyed = store.conn.execute("SELECT count(*) FROM captures WHERE record_id LIKE ?",
                                   (SHARED_ID[:-1] + "#%",)).fetchone()[0]
        assert store.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 300
    assert f"first at byte {first})" in repeats[1]["reason"] and keyed == 1


def test_the_same_crawl_imported_twice_is_a_warning(runner, tmp_path):
    """The same records as .warc.gz and as .warc: exit 0, the records indexed once."""
    gz = tmp_path / "crawl.warc.gz"
    wget_like_warc(gz)
    plain = tmp_path / "crawl.warc"
    plain.write_bytes(b"".join(_members(gz.read_bytes())))
    first = invoke(runner, tmp_path, "import", str(gz))
    assert first.exit_code == 0, first.output
    second = invoke(runner, tmp_path, "import", str(plain), "--json")
    assert second.exit_code == 0, second.output
    report = out_lines(second)[0]
    assert report["errors"] == []
    assert any("already indexed" in w["reason"] for w in report["warnings"]), report
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        assert store.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 2
    assert invoke(runner, tmp_path, "verify", "--all").exit_code == 0


def _members(data: bytes):
    """The decompressed bytes of each gzip member, concatenated: the uncompressed WARC."""
    import zlib
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        yield d.decompress(data)
        data = d.unused_data


def test_every_valid_corpus_file_imports_with_exit_0(runner, tmp_path, corpus):
    files = sorted((corpus / "warc").iterdir())
    assert files
    for path in files:
        # ARC files go to a store of their own: reindexing ARC is issue 14's (hostile)
        where = tmp_path / ("arc" if ".arc" in path.name else "warc")
        result = invoke(runner, where, "import", str(path), "--json")
        assert result.exit_code == 0, (path.name, result.output)
        for report in out_lines(result):
            assert report["errors"] == [], (path.name, report["errors"])
            for w in report["warnings"]:
                assert isinstance(w["offset"], int) and w["reason"]
    verified = invoke(runner, tmp_path / "warc", "verify", "--all")
    assert verified.exit_code == 0, verified.output


def test_unreadable_input_is_still_an_error(runner, tmp_path):
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\n"))
    assert invoke(runner, tmp_path, "import", str(bad)).exit_code == 2


def _record(block: bytes, uri: str, rid: int, payload: bytes, ctype: str | None) -> bytes:
    """One gzip member holding a response record with SHA-1 digests, written by hand."""
    import base64
    import hashlib

    def label(data: bytes) -> str:
        return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()

    headers = [("WARC-Type", "response"), ("WARC-Record-ID", f"<urn:uuid:00000000-0000-4000-8000-{rid:012d}>"),
               ("WARC-Date", "2026-01-01T00:00:00Z"), ("WARC-Target-URI", uri)]
    if ctype:
        headers.append(("Content-Type", ctype))
    headers += [("WARC-Block-Digest", label(block)), ("WARC-Payload-Digest", label(payload)),
                ("Content-Length", str(len(block)))]
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return gzip.compress(head.encode() + block + b"\r\n\r\n")


def test_payload_digests_are_checked_where_warcio_checks_them(runner, tmp_path):
    """The HTTP headers end at the first blank line, also when lines end in LF alone, and
    a response with no WARC Content-Type but an http URL is an HTTP message (warcio)."""
    import subprocess
    import sys
    from pathlib import Path

    body = b"<p>one</p>\r\n\r\n<p>two</p>"
    src = tmp_path / "quirks.warc.gz"
    src.write_bytes(
        _record(b"HTTP/1.1 200 OK\nContent-Type: text/html\n\n" + body, "http://x.org/lf", 1, body,
                "application/http; msgtype=response")
        + _record(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body, "http://x.org/no-type", 2,
                  body, None))
    warcio = Path(sys.executable).parent / "warcio"
    checked = subprocess.run([str(warcio), "check", "-v", str(src)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and checked.stdout.count("digest pass") == 2, checked.stdout
    result = invoke(runner, tmp_path, "import", str(src), "--json")
    assert result.exit_code == 0, result.output
    assert out_lines(result)[0]["errors"] == []
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        rows = store.conn.execute("SELECT url, fixity, status FROM captures ORDER BY url").fetchall()
    assert [tuple(r) for r in rows] == [("http://x.org/lf", "ok", 200), ("http://x.org/no-type", "ok", 200)]
