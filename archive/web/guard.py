"""What every response of the app gets: read-only methods, framing and sniffing headers,
no cookies from archived bytes, and no full match count on a texts search.

Archived bytes are hostile input (RELIABILITY.md, "Serving archived HTML").
"""

from __future__ import annotations

import re
from typing import Any, Callable
from urllib.parse import parse_qsl

from datasette.utils.asgi import Response

# Any response of the app: archived content (or anyone else) may not frame it.
APP_FRAME_CSP = "frame-ancestors 'self'"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Logging out writes only a cookie, never the index.
WRITE_ALLOWED = ("/-/logout",)
# A full-text search of the texts table: Datasette counts every match through the base
# table on each page (about 3 ms per 1,000 matches, so 0.6 s for a common word among
# 200,000 texts); these pages skip the count (``_nocount``) and still page through.
# ``_count=1`` asks for the count after all.
FTS_TABLE_PATH = re.compile(r"^/[^/]+/texts(?:\.json)?$")


def _without_search_count(scope: dict) -> dict:
    """``scope`` with ``_nocount=1`` added to a search of the texts table (see FTS_TABLE_PATH).

    >>> _without_search_count({"path": "/archive/texts", "query_string": b"_search=flood"})["query_string"]
    b'_search=flood&_nocount=1'
    >>> _without_search_count({"path": "/archive/texts", "query_string": b"_search=flood&_count=1"})["query_string"]
    b'_search=flood&_count=1'
    >>> _without_search_count({"path": "/archive/texts", "query_string": b"_sort=title"})["query_string"]
    b'_sort=title'
    """
    qs = scope.get("query_string") or b""
    if not FTS_TABLE_PATH.match(scope.get("path", "")):
        return scope
    keys = {k for k, _ in parse_qsl(qs.decode("latin-1"))}
    if "_nocount" in keys or "_count" in keys or not any(k == "_search" or k.startswith("_search_") for k in keys):
        return scope
    return {**scope, "query_string": qs + b"&_nocount=1"}


# Arbitrary SQL from the web may not name the server's files: ``pragma_database_list``
# (and the ``PRAGMA database_list`` Datasette already refuses) lists their paths.
HIDDEN_SQL = re.compile(r"database_list", re.IGNORECASE)
# Arbitrary SQL runs one query at a time: each may hold one of Datasette's few SQL threads
# for the whole of sql_time_limit_ms, so eight recursive queries at once made every table
# page wait for seconds. Others wait here (in the event loop, holding no thread), and give
# up with 503 after ADHOC_SQL_WAIT_S.
ADHOC_SQL_AT_ONCE = 1
ADHOC_SQL_WAIT_S = 10.0


def adhoc_sql(scope: dict) -> str | None:
    """The SQL of a request for an arbitrary query (``?sql=`` on a database), else None.

    >>> adhoc_sql({"path": "/archive.json", "query_string": b"sql=select+1"})
    'select 1'
    >>> adhoc_sql({"path": "/archive/captures", "query_string": b"_size=5"}) is None
    True
    """
    for k, v in parse_qsl((scope.get("query_string") or b"").decode("latin-1"), keep_blank_values=True):
        if k == "sql":
            return v
    return None


def asgi_wrapper() -> Callable[[Any], Any]:
    """The ASGI middleware (returned by the plugin's ``asgi_wrapper`` hook)."""
    import asyncio

    adhoc: dict[int, asyncio.Semaphore] = {}   # per event loop

    def wrap(app):
        async def wrapped(scope, receive, send):
            sql = adhoc_sql(scope) if scope.get("type") == "http" else None
            if sql is None:
                await inner(scope, receive, send)
                return
            if HIDDEN_SQL.search(sql):
                await Response.text("This query is not allowed: it would show the server's files.",
                                    status=403).asgi_send(send)
                return
            loop = id(asyncio.get_running_loop())
            sem = adhoc.setdefault(loop, asyncio.Semaphore(ADHOC_SQL_AT_ONCE))
            try:
                await asyncio.wait_for(sem.acquire(), ADHOC_SQL_WAIT_S)
            except asyncio.TimeoutError:
                await Response.text("Other queries are running; try again in a few seconds.",
                                    status=503, headers={"Retry-After": "5"}).asgi_send(send)
                return
            try:
                await inner(scope, receive, send)
            finally:
                sem.release()

        async def inner(scope, receive, send):
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            path = scope.get("path", "")
            if scope.get("method", "GET") not in SAFE_METHODS and not path.endswith(WRITE_ALLOWED):
                # The index is written by capture processes only; nothing on the web may
                # write, and Datasette 0.65 answers a POST to a read-only query with a 500.
                await Response.text("This archive is read-only.", status=405,
                                    headers={"Allow": "GET, HEAD, OPTIONS"}).asgi_send(send)
                return
            raw = "/-/replay-raw/" in path
            scope = _without_search_count(scope)

            async def send_with_headers(message):
                if message.get("type") == "http.response.start":
                    headers = [(k, v) for k, v in message.get("headers", [])
                               if not (raw and k.lower() == b"set-cookie")]
                    names = {k.lower() for k, _ in headers}
                    if b"content-security-policy" not in names:
                        headers.append((b"content-security-policy", APP_FRAME_CSP.encode()))
                    if b"x-frame-options" not in names:
                        headers.append((b"x-frame-options", b"SAMEORIGIN"))
                    if b"x-content-type-options" not in names:
                        headers.append((b"x-content-type-options", b"nosniff"))
                    message = {**message, "headers": headers}
                await send(message)

            await app(scope, receive, send_with_headers)

        return wrapped

    return wrap
