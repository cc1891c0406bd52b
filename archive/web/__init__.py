"""The Datasette plugin: citation, snapshot, diff, replay and Memento pages over the index.

Registered through the ``datasette`` entry point (``archive.web``), so ``archive serve`` and
plain ``datasette archive.db`` both load it; its ``templates/`` and ``static/`` load by
Datasette's plugin convention (static files under ``/-/static-plugins/archive-store/``).
Every page has a ``.json`` twin and works without JavaScript.

Routes (all read-only; anything but GET/HEAD gets 405)::

    /-/cite/<citation id>[.json]        passage, provenance, verification done now
    /-/cite/<citation id>.wacz          the evidence package (WACZ) of the citation
    /-/snapshot/<payload sha256>[.json] extracted text with quotes and figures marked
    /-/diff[.json]?page=URL&from=N&to=M two versions of a page, figure changes marked
    /-/replay/<record id|sha256>[.json] wrapper page around a sandboxed frame
    /-/replay-raw/<record id|sha256>    the archived bytes (to a browser: made inert), CSP sandbox
    /-/screenshot/<record id>           a browser capture's screenshot (PNG)
    /-/timemap/link/<url>, /-/timemap/json/<url>   RFC 7089 TimeMap
    /-/timegate/<url>                   RFC 7089 TimeGate (Accept-Datetime)
    /-/web/<timestamp>/<url>            Wayback-style URL: 302 to the closest capture

Modules: :mod:`~archive.web.pages` (the pages and their data), :mod:`~archive.web.memento`,
:mod:`~archive.web.guard` (the ASGI middleware), :mod:`~archive.web.serve` (``archive serve``).

Where the WARCs are: env ``ARCHIVE_WARCS`` (set by ``archive serve``), else plugin config
``plugins: archive: warcs:``, else a ``warcs`` directory next to the database file.
"""

from __future__ import annotations

import base64
import hashlib
import re
from contextvars import ContextVar

from datasette import hookimpl
from markupsafe import Markup, escape

from archive.web import citepage, facets, guard, memento, pages

SHA256_RE = re.compile(r"[0-9a-f]{64}")
CITATION_RE = re.compile(r"c-[0-9a-f]{20}")


@hookimpl
def register_routes():
    return [
        (r"^/-/cite/(?P<id>c-[0-9a-f]{20})(?P<fmt>\.json)?$", pages.cite_view),
        (r"^/-/cite/(?P<id>c-[0-9a-f]{20})\.wacz$", pages.cite_wacz_view),
        (r"^/-/snapshot/(?P<sha>[0-9a-fA-F]{64})(?P<fmt>\.json)?$", pages.snapshot_view),
        (r"^/-/diff(?P<fmt>\.json)?$", pages.diff_view),
        (r"^/-/replay/(?P<key>[^/]+?)(?P<fmt>\.json)?$", pages.replay_view),
        (r"^/-/replay-raw/(?P<key>[^/]+)$", pages.replay_raw_view),
        (r"^/-/screenshot/(?P<key>[^/]+)$", pages.screenshot_view),
        (r"^/-/timemap/(?P<fmt>link|json)/(?P<url>.+)$", memento.timemap_view),
        (r"^/-/timegate/(?P<url>.+)$", memento.timegate_view),
        (r"^/-/web/(?P<ts>\d+)(?P<mod>[a-z]{2}_)?/(?P<url>.+)$", memento.web_view),
    ]


@hookimpl
def register_facet_classes():
    # Facets of large tables counted as rows are written (metadata.yml: {counted: column}).
    return [facets.CountedFacet]


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["human_time"] = citepage.human_time
    # Templates are read once per process: Jinja's default stats every template a page
    # uses (base, macros, includes) on every render to see whether it changed, which was
    # a tenth of a citation page's CPU under load (issue 19). A server picks up changed
    # templates when it restarts (``datasette --reload`` restarts it on changes).
    env.auto_reload = False
    # Archived URLs are shown as links only when they are http(s): an imported record may
    # name a javascript: or data: URI, which a click would run.
    env.tests["linkable"] = pages.linkable
    # Our pages' strict CSP allows exactly the inline scripts of Datasette's own base
    # template (by hash), and nothing an escaping bug could smuggle in.
    pages.base_script_hashes.clear()
    try:
        source = env.loader.get_source(env, "_close_open_menus.html")[0]
    except Exception:  # a Datasette without that template: nothing to allow
        return
    for script in re.findall(r"<script>(.*?)</script>", source, re.S):
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
        pages.base_script_hashes.append(f"sha256-{digest}")


def _link(href: str, label: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, label)


#: Columns whose values are long JSON or article text: shown cut, the whole one click away.
LONG_COLUMNS = {"http_headers", "digests", "detail", "ops", "text", "sentence", "inclusion_proof", "extract_error"}
LONG_AT = 160
#: Whether the request being answered lists rows (a table, a query): set for each request
#: by the ASGI wrapper. A listing shows at most ``truncate_cells_html`` characters (the
#: Datasette setting, 2,048 by default) of a long value inside its folded cell, where a
#: row's own page shows all of it: a page of 20 texts was 880 KB of whole articles.
_LISTING: ContextVar[bool] = ContextVar("archive_listing", default=False)
#: Hash columns with no page of their own: shown short, the whole one click away.
HASH_COLUMNS = {"block_sha256", "text_sha256", "entry_hash", "prev_hash", "sha256", "root", "signature"}


def _row_get(row, key: str):
    try:
        return row[key]
    except (KeyError, IndexError, TypeError):
        return None


def _collapsed(summary: str, full: str, cls: str) -> Markup:
    return Markup('<details class="{}"><summary>{}</summary>{}</details>').format(cls, summary, full)


@hookimpl
def render_cell(row, value, column, table, datasette):
    # Called for every cell of every table page (1,800 on a page of 100 captures): the
    # cheap tests on the column come before any regular expression or link builder.
    # A canned query's "diff" column (v1 → v2) opens the diff of that page's two versions.
    if column == "diff" and isinstance(value, str) and _row_get(row, "page_url") \
            and isinstance(_row_get(row, "from_version"), int) and isinstance(_row_get(row, "to_version"), int):
        links = pages._Links(datasette)
        return _link(links.diff(_row_get(row, "page_url"), _row_get(row, "from_version"),
                                _row_get(row, "to_version")), value)
    if not isinstance(value, str):
        return None
    if column == "snippet" and pages.SNIPPET_OPEN in value:
        escaped = str(escape(value))
        return Markup(escaped.replace(pages.SNIPPET_OPEN, "<mark>").replace(pages.SNIPPET_CLOSE, "</mark>"))
    if ((table == "snapshots" and column == "sha256") or column.endswith("snapshot_sha256")
            or column == "payload_sha256") and SHA256_RE.fullmatch(value):
        links = pages._Links(datasette)
        href = links.snapshot(value)
        n = _row_get(row, "n")
        if column == "snapshot_sha256" and isinstance(n, int):
            # A figure or quote row opens the snapshot at that figure or quote.
            kind = "quote" if _row_get(row, "quote") is not None else "figure" if _row_get(row, "figure") is not None else None
            if kind:
                return _link(f"{href}#{kind}-{n}", f"{value[:12]}… ({kind} {n})")
        return _link(href, value)
    if ((table == "citations" and column == "id") or column == "citation_id") and CITATION_RE.fullmatch(value):
        return _link(pages._Links(datasette).cite(value), value)
    # ledger.record_id may name a citation record, which has no replay.
    if column in ("record_id", "refers_to") and table != "ledger" and pages.RECORD_RE.fullmatch(value):
        return _link(pages._Links(datasette).replay(value), value)
    page = value if column in ("page_url", "url") else _row_get(row, "url") if (table, column) == ("pages", "title") else None
    if isinstance(page, str) and page.startswith(("http://", "https://")) \
            and table in (None, "pages", "versions", "changes", "citations", "checks"):
        # A page opens its history (every capture, with links to each version and diff).
        # (pages.url is the row link Datasette draws itself, so its title carries the links.)
        links = pages._Links(datasette)
        label = Markup('{} <span class="page-links">(<a href="{}">history</a>').format(value, links.history(page))
        versions = _row_get(row, "versions")
        if isinstance(versions, int) and versions > 1:
            label += Markup(' · <a href="{}">latest changes</a>').format(links.diff(page))
        return label + Markup(")</span>")
    if column in HASH_COLUMNS and SHA256_RE.fullmatch(value):
        return _collapsed(value[:12] + "…", value, "hash")
    if column in LONG_COLUMNS and len(value) > LONG_AT:
        summary = value[:LONG_AT // 2].rstrip() + "…"
        cut = datasette.setting("truncate_cells_html") if _LISTING.get() else 0
        if cut and len(value) > cut:
            rest = Markup("{}… <em class=\"cut\">({:,} of {:,} characters shown; the row's own page "
                          "shows them all)</em>").format(value[:cut], cut, len(value))
            return _collapsed(summary, rest, "long")
        return _collapsed(summary, value, "long")
    return None


def _is_listing(path: str, base_url: str) -> bool:
    """Whether ``path`` is a page of rows: ``/db`` (a query), ``/db/table`` or
    ``/db/query``, under Datasette's ``base_url``; not a row's page (``/db/table/pk``)
    nor one of ours (``/-/…``).

    >>> _is_listing("/archive/texts", "/"), _is_listing("/x/archive/texts/ab12", "/x/")
    (True, False)
    """
    if base_url and base_url != "/" and path.startswith(base_url):
        path = path[len(base_url) - 1:]
    parts = [p for p in path.split("/") if p]
    return 1 <= len(parts) <= 2 and parts[0] != "-"


def _no_rich_tracebacks() -> None:
    """Datasette's last-resort error handler prints every error it turns into a page (a
    404, a query past sql_time_limit_ms) as a rich traceback with the frames' locals when
    ``rich`` is installed: 170 lines, seconds of CPU on the event loop (every other request
    waits), and the server's metadata and paths in its log. Errors a reader can cause are
    expected failures: they get their page and no traceback.

    Done here, when Datasette builds its app, never at import: importing Datasette's
    modules from this one while Datasette loads its plugins would register this plugin
    before its hooks exist."""
    import sys

    module = sys.modules.get("datasette.handle_exception")
    if module is not None and hasattr(module, "rich"):
        setattr(module, "rich", None)


@hookimpl
def asgi_wrapper(datasette):
    _no_rich_tracebacks()
    guarded = guard.asgi_wrapper()
    base_url = datasette.setting("base_url") or "/"

    def wrap(app):
        inner = guarded(app)

        async def wrapped(scope, receive, send):
            if scope.get("type") == "http":
                _LISTING.set(_is_listing(scope.get("path", ""), base_url))
            await inner(scope, receive, send)
        return wrapped
    return wrap


@hookimpl
def extra_js_urls(datasette):
    # Folds the column descriptions of table pages (a list of up to 18) into one line.
    return [datasette.urls.static_plugins("archive-store", "collapse.js")]


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.static_plugins("archive-store", "tables.css")]
