"""Attacks on the served archive from issue 14 (low): file paths through SQL, recursive
queries that hold Datasette's SQL threads, error pages that print tracebacks."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

import pytest

from tests.test_datasette import archive, datasette_for  # noqa: F401  (the fixture)

RECURSIVE = "with recursive c(x) as (select 1 union all select x+1 from c) select count(*) from c"


def test_anonymous_sql_cannot_show_the_servers_file_paths(archive):  # noqa: F811
    ds = datasette_for(archive["db"])
    for sql in ("select * from pragma_database_list", "select file from pragma_database_list()",
                'select "file" from "PRAGMA_DATABASE_LIST"'):
        r = asyncio.run(ds.client.get("/archive.json?sql=" + quote(sql)))
        assert r.status_code == 403, (sql, r.status_code)
        assert str(archive["db"]) not in r.text and str(archive["db"].parent) not in r.text
    # Other read-only SQL still works.
    r = asyncio.run(ds.client.get("/archive.json?sql=" + quote("select count(*) as n from captures")))
    assert r.status_code == 200 and r.json()["rows"]


def test_recursive_queries_do_not_hold_up_the_table_pages(archive):  # noqa: F811
    """Eight queries that each run until sql_time_limit_ms stops them, and a table page
    asked for meanwhile: the page is answered before the second query is even stopped
    (the queries run one at a time; each takes the whole time limit)."""
    ds = datasette_for(archive["db"])
    ended: dict[str, float] = {}

    async def get(name: str, path: str, delay: float = 0.0) -> int:
        await asyncio.sleep(delay)
        r = await ds.client.get(path)
        ended[name] = time.monotonic()
        return r.status_code

    async def main() -> list[int]:
        await ds.client.get("/archive/captures")   # warm up
        return await asyncio.gather(
            *[get(f"q{k}", "/archive.json?sql=" + quote(RECURSIVE)) for k in range(8)],
            get("page", "/archive/captures", delay=0.2))

    statuses = asyncio.run(main())
    assert statuses[:8] == [400] * 8 and statuses[8] == 200
    queries = sorted(ended[f"q{k}"] for k in range(8))
    assert ended["page"] < queries[1]


def test_error_pages_print_no_traceback(archive, capfd):  # noqa: F811
    """With rich installed, Datasette printed every 404 and every stopped query as a rich
    traceback with the frames' locals (metadata, paths), on the event loop."""
    pytest.importorskip("rich")
    ds = datasette_for(archive["db"])

    async def main() -> list[int]:
        out = []
        for path in ("/archive/no_such_table", "/no-such-database", "/-/static-plugins/archive-store/none.css",
                     "/archive.json?sql=" + quote(RECURSIVE)):
            out.append((await ds.client.get(path)).status_code)
        return out

    assert asyncio.run(main()) == [404, 404, 404, 400]
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert str(archive["db"]) not in captured.out + captured.err


def test_citing_a_page_that_served_the_same_bytes_as_another_pins_its_own_capture(tmp_path, site):
    """`archive cite URL_B …` returned the citation of URL_A when both served identical
    bytes (the snapshot is shared; the citation must name URL_B and its capture)."""
    from archive.provenance.cite import cite, verify_citation
    from archive.store import Store

    body = ("<html><head><title>Same</title></head><body><article><p>The council said 2,300 homes "
            "were evacuated on Tuesday after the river rose.</p></article></body></html>")
    a, b = site.set("/a", body), site.set("/b", body)
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        s.capture([a, b])
        ca = cite(s, a, "2,300 homes")
        cb = cite(s, b, "2,300 homes")
        assert ca["snapshot_sha256"] == cb["snapshot_sha256"]
        assert cb["url"] == b and cb["id"] != ca["id"]
        rec_b = s.conn.execute("SELECT record_id FROM captures WHERE url=?", (b,)).fetchone()[0]
        assert cb["record_id"] == rec_b
        assert cite(s, b, "2,300 homes")["id"] == cb["id"]   # the same citation again
        assert cite(s, a, "2,300 homes")["id"] == ca["id"]
        assert verify_citation(s, cb["id"])["ok"] is True


def _response_record(uri: str, n: int) -> bytes:
    import gzip

    body = b"<html><head><title>t</title></head><body><p>A page with enough words to be read as text.</p></body></html>"
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    head = (f"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-{n:012d}>\r\n"
            f"WARC-Date: 2020-01-0{n}T00:00:00Z\r\nWARC-Target-URI: {uri}\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(block)}\r\n\r\n")
    return gzip.compress(head.encode() + block + b"\r\n\r\n", mtime=0)


def test_javascript_and_data_targets_are_kept_but_never_links(tmp_path, runner):
    """``javascript:`` and ``data:`` target URIs were accepted on import and rendered as
    links; a URL ending in ``>`` was indexed without it."""
    from tests.conftest import invoke

    path = tmp_path / "odd.warc.gz"
    path.write_bytes(_response_record("javascript:alert(document.domain)", 1)
                     + _response_record("data:text/html,<script>alert(1)</script>", 2)
                     + _response_record("http://example.org/a>", 3))
    r = invoke(runner, tmp_path, "import", str(path), "--json")
    assert "javascript: URI" in r.output and "data: URI" in r.output
    import sqlite3

    con = sqlite3.connect(tmp_path / "archive.db")
    urls = {u: rid for u, rid in con.execute("SELECT url, record_id FROM captures")}
    con.close()
    assert "http://example.org/a>" in urls and "javascript:alert(document.domain)" in urls
    ds = datasette_for(tmp_path / "archive.db")
    for url, rid in urls.items():
        page = asyncio.run(ds.client.get(f"/-/replay/{rid.strip('<>')}")).text
        assert 'href="javascript:' not in page.lower() and 'href="data:' not in page.lower(), url


def test_a_watch_refused_by_public_only_is_not_reported_as_robots(tmp_path, site):
    """A watch of a loopback page with --public-only was reported as "robots.txt
    unavailable"; it is refused for its address, and says so."""
    from archive.capture.http import Fetcher
    from archive.store import Store
    from archive.watch import Watcher, add_watch

    url = site.set("/news/local", "<html><body><p>Local news of the day.</p></body></html>")
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        add_watch(s, url)
        results = Watcher(s, Fetcher(timeout=5, public_only=True), host_delay=0).run_once()
    [r] = [r for r in results if r["url"] == url]
    assert r["outcome"] == "error"
    assert "public-only" in r.get("detail", "") + r.get("error", "") + str(r)
    assert "robots" not in str(r).lower()
