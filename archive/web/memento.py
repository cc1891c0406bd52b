"""Memento (RFC 7089) over the index: TimeMaps, a TimeGate and Wayback-style URLs.

    /-/timemap/link/<url>, /-/timemap/json/<url>   TimeMap
    /-/timegate/<url>                              TimeGate (Accept-Datetime)
    /-/web/<timestamp>/<url>                       302 to the capture closest to the time
    /-/web/<timestamp>id_/<url>                    the archived bytes of the capture at that time
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from datasette.utils.asgi import Response

from archive.errors import UsageError
from archive.index.queries import resolve_page
from archive.store import Store
from archive.times import http_date, parse_iso, timestamp_datetime
from archive.web.pages import (
    TIMESTAMP_RE,
    _json,
    _Links,
    _memento_link,
    _Busy,
    _mementos,
    _NotFound,
    _only_get,
    _page_headers,
    _render,
    _target_url,
    _versions,
    _with_store,
    raw_memento,
    url_in_path,
    wayback_stamp,
)


def page_mementos(store: Store, url: str) -> tuple[str, list[dict]]:
    try:
        page_url = resolve_page(store.conn, url)
    except UsageError as exc:
        raise _NotFound(str(exc)) from None
    mementos = _mementos(store.conn, page_url)
    if not mementos:
        raise _NotFound(f"{url} has no captures")
    return page_url, mementos


def closest(mementos: list[dict], when: datetime) -> dict:
    """The memento nearest in time to ``when``; on a tie, the earlier one."""
    return min(mementos, key=lambda m: (abs(((parse_iso(m["captured_at"]) or when) - when).total_seconds()),
                                        m["captured_at"]))


async def timemap_view(datasette, request) -> Response:
    if not _only_get(request):
        return Response.text("read-only", status=405, headers={"Allow": "GET, HEAD"})
    fmt = request.url_vars["fmt"]
    url = _target_url(request)
    try:
        page_url, mementos = await _with_store(datasette, page_mementos, url)
    except _NotFound as exc:
        return Response.text(str(exc), status=404, headers=_page_headers())
    except _Busy as exc:
        return Response.text(str(exc), status=503, headers=_page_headers({"Retry-After": "60"}))
    u = _Links(datasette)

    def abs_(p: str) -> str:
        return datasette.absolute_url(request, p)

    original = mementos[-1]["url"] or page_url
    if fmt == "link" and wants_html(request.headers.get("accept", "")):
        # A browser following a "history" link gets a page; a Memento client, which asks for
        # application/link-format (or anything), gets the link format below.
        versions = await _with_store(datasette, lambda store: _versions(store.conn, page_url))
        return await _render(datasette, request, "archive_timemap.html", {
            "page_url": page_url, "original": original, "versions": versions,
            "mementos": list(reversed(mementos)), "timemap_link": u.timemap(url)},
            headers={"Vary": "Accept"})
    self_url = abs_(u.timemap(url)) if fmt == "link" else abs_(
        datasette.urls.path("/-/timemap/json/" + url_in_path(url)))
    if fmt == "json":
        return _json({
            "original_uri": original, "timegate_uri": abs_(u.timegate(original)),
            "timemap_uri": {"link_format": abs_(u.timemap(url)), "json_format": self_url},
            "mementos": {
                "first": {"datetime": mementos[0]["captured_at"], "uri": abs_(u.replay(mementos[0]["record_id"]))},
                "last": {"datetime": mementos[-1]["captured_at"], "uri": abs_(u.replay(mementos[-1]["record_id"]))},
                "list": [{"datetime": m["captured_at"], "http_date": http_date(m["captured_at"]),
                          "uri": abs_(u.replay(m["record_id"])), "status": m["status"]} for m in mementos],
            },
        })
    lines = [f'<{url_in_path(original)}>; rel="original"',
             f'<{abs_(u.timegate(original))}>; rel="timegate"',
             f'<{self_url}>; rel="self"; type="application/link-format"; '
             f'from="{http_date(mementos[0]["captured_at"])}"; until="{http_date(mementos[-1]["captured_at"])}"']
    for n, m in enumerate(mementos):
        rel = "memento"
        if n == 0:
            rel = "first memento"
        if n == len(mementos) - 1:
            rel = "last memento" if n else "first last memento"
        lines.append(f'<{abs_(u.replay(m["record_id"]))}>; rel="{rel}"; datetime="{http_date(m["captured_at"])}"')
    return Response(",\n".join(lines) + "\n", headers=_page_headers(), content_type="application/link-format")


def wants_html(accept: str) -> bool:
    """Whether an Accept header asks for a web page rather than the link format.

    >>> wants_html("text/html,application/xhtml+xml,*/*;q=0.8")
    True
    >>> wants_html("application/link-format"), wants_html("*/*"), wants_html("")
    (False, False, False)
    """
    accept = accept.lower()
    return "text/html" in accept and "application/link-format" not in accept


async def _redirect_to_closest(datasette, request, when: datetime, mode: str = "timegate",
                               stamp: str = "") -> Response:
    """Answer with the memento closest to ``when``.

    ``timegate``: the TimeGate of RFC 7089 pattern 2.3, a 302 to the memento with
    ``Vary: accept-datetime`` and the ``Link`` to the original, the TimeMap and the
    memento, and never a ``Memento-Datetime`` (that header marks a memento, and with it
    Memento clients decide this is not a TimeGate). ``web``: the Wayback URL, a 302 to
    the memento's page. ``id_``: the archived bytes themselves when ``stamp`` is the
    memento's own timestamp (as pywb serves them), else a 302 to that exact URL.
    """
    url = _target_url(request)
    try:
        _, mementos = await _with_store(datasette, page_mementos, url)
    except _NotFound as exc:
        return Response.text(str(exc), status=404, headers=_page_headers())
    except _Busy as exc:
        return Response.text(str(exc), status=503, headers=_page_headers({"Retry-After": "60"}))
    best = closest(mementos, when)
    if mode == "id_":
        # A memento whose own 14-digit timestamp is the one asked for is served, even when
        # one in the previous second lies nearer to its first instant (no redirect loop).
        exact = [m for m in mementos if wayback_stamp(m["captured_at"]) == stamp]
        if exact:
            best = closest(exact, when)
    u = _Links(datasette)

    def abs_(p: str) -> str:
        return datasette.absolute_url(request, p)

    best_stamp = wayback_stamp(best["captured_at"])
    if mode == "id_":
        if stamp == best_stamp:
            return await raw_memento(datasette, request, best["record_id"])
        target = u.web(best_stamp, best["url"] or url, "id_")
    else:
        target = u.replay(best["record_id"])
    link = _memento_link(u, abs_, best["url"] or url)
    rel = "memento"
    if best is mementos[0]:
        rel = "first memento"
    if best is mementos[-1]:
        rel = "last memento" if len(mementos) > 1 else "first last memento"
    link += f', <{abs_(target)}>; rel="{rel}"; datetime="{http_date(best["captured_at"])}"'
    headers = {"Location": abs_(target), "Link": link}
    if mode == "timegate":
        headers["Vary"] = "accept-datetime"
    return Response("", status=302, headers=_page_headers(headers))


async def web_view(datasette, request) -> Response:
    if not _only_get(request):
        return Response.text("read-only", status=405, headers={"Allow": "GET, HEAD"})
    stamp = request.url_vars["ts"]
    if not TIMESTAMP_RE.fullmatch(stamp):
        return Response.text("timestamp must be 4 to 14 digits (YYYYMMDDhhmmss)", status=400,
                             headers=_page_headers())
    try:
        when = timestamp_datetime(stamp)
    except ValueError:
        return Response.text(f"not a valid timestamp: {stamp}", status=400, headers=_page_headers())
    mode = "id_" if request.url_vars.get("mod") == "id_" else "web"
    return await _redirect_to_closest(datasette, request, when, mode=mode, stamp=stamp)


async def timegate_view(datasette, request) -> Response:
    if not _only_get(request):
        return Response.text("read-only", status=405, headers={"Allow": "GET, HEAD"})
    wanted = request.headers.get("accept-datetime")
    when = datetime.now(timezone.utc)
    if wanted:
        try:
            when = parsedate_to_datetime(wanted)
        except (TypeError, ValueError):
            return Response.text("Accept-Datetime must be an RFC 1123 date", status=400, headers=_page_headers())
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
    return await _redirect_to_closest(datasette, request, when)
