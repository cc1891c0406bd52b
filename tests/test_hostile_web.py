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
