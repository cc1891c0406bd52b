"""Datasette as a researcher reads it: everything reachable, rows that link to the human
pages, figures and quotes with their article once per run of versions, long cells folded,
a search page that starts empty, and a page's history as a page for a browser."""

from __future__ import annotations

import re
from urllib.parse import quote

import yaml
from markupsafe import escape

from tests import test_datasette
from tests.test_datasette import ROOT, get

archive = test_datasette.archive
ds = test_datasette.ds


def test_every_table_and_canned_query_is_reachable_from_the_database_page(ds, archive):
    meta = yaml.safe_load((ROOT / "metadata.yml").read_text("utf-8"))["databases"]["archive"]
    html = get(ds, "/archive").text
    for name in meta["queries"]:
        assert f'href="/archive/{name}"' in html, name
    for name, t in meta["tables"].items():
        if not t.get("hidden") and not name.endswith("_fts"):
            assert f'href="/archive/{name}"' in html, name
    # the drift table is no longer shadowed by a canned query of the same name
    drift = get(ds, "/archive/drift.json")
    assert drift.status_code == 200 and "detected_at" in drift.json()["columns"]
    assert get(ds, "/archive/drift_feed").status_code == 200


def test_changed_figures_name_the_article_and_link_to_the_diff(ds, archive):
    rows = get(ds, "/archive/changed_figures.json?_shape=array").json()
    row = next(r for r in rows if r["before"] == "2,300")
    assert row["after"] == "3,100" and row["title"] and row["diff"] == "v1 → v2"
    html = get(ds, "/archive/changed_figures").text
    diff = f'href="/-/diff?page={quote(row["page_url"], safe="")}&amp;from=1&amp;to=2"'
    assert diff in html


def test_figures_and_quotes_once_per_run_of_versions_with_page_title_and_position(ds, archive):
    rows = get(ds, "/archive/figures_by_page.json?_shape=array&_size=max").json()
    wildfire = [r for r in rows if r["page_url"] == archive["wildfire"]]
    old = [r for r in wildfire if r["figure"] == "2,300"]
    assert len(old) == 1 and (old[0]["first_version"], old[0]["last_version"]) == (1, 1)
    both = [r for r in wildfire if r["first_version"] == 1 and r["last_version"] == 2]
    assert both, "a figure the edit kept is one row for versions 1-2, not one per version"
    assert len({(r["figure"], r["counts"]) for r in wildfire}) == len(wildfire)
    assert all(r["title"] for r in wildfire)
    html = get(ds, "/archive/figures_by_page").text
    link = re.search(r'href="(/-/snapshot/[0-9a-f]{64}#figure-(\d+))"', html)
    assert link, "a figure links to its place in the snapshot"
    snapshot = get(ds, link.group(1).split("#")[0]).text
    assert f'id="figure-{link.group(2)}"' in snapshot
    quotes = get(ds, "/archive/quotes_by_page.json?_shape=array&_size=max").json()
    keys = [(r["page_url"], r["quote"], r["speaker"]) for r in quotes]
    assert len(keys) == len(set(keys)) and quotes


def test_search_page_starts_empty_without_an_error(ds, archive):
    html = get(ds, "/archive/search").text
    assert "syntax error" not in html and "fts5" not in html.lower().replace("fts5 syntax", "")
    found = get(ds, "/archive/search.json?q=evacuated&_shape=array").json()
    assert found and "⟦" in found[0]["snippet"]


def test_long_json_and_hash_cells_are_folded_one_click_away(ds, archive):
    html = get(ds, "/archive/captures").text
    assert '<details class="long"><summary>' in html      # http_headers
    assert '<details class="hash"><summary>' in html      # block_sha256
    assert "/-/static-plugins/archive-store/collapse.js" in html
    pages = get(ds, "/archive/pages").text
    assert f'href="/-/timemap/link/{archive["wildfire"]}">history</a>' in pages
    assert "latest changes</a>" in pages


def test_a_listing_shows_the_start_of_a_long_text_and_its_row_page_all_of_it(archive):
    # Datasette's truncate_cells_html (2,048 by default) bounds what a page of rows holds
    # of each long value; 120 here, so that the test articles are long by comparison.
    ds = test_datasette.datasette_for(archive["db"], truncate_cells_html=120)
    rows = get(ds, "/archive/texts.json?_shape=array").json()
    long = max(rows, key=lambda r: len(r["text"]))
    assert len(long["text"]) > 400
    html = get(ds, "/archive/texts").text
    shown = f"(120 of {len(long['text']):,} characters shown; the row's own page shows them all)"
    assert shown in html
    assert long["text"][300:360] not in html
    searched = get(ds, "/archive/texts?_search=evacuated").text
    assert "characters shown" in searched
    row = get(ds, f"/archive/texts/{long['sha256']}").text
    assert "characters shown" not in row
    assert str(escape(long["text"][300:360])) in row
    # and the JSON of a listing is never cut
    assert get(ds, "/archive/texts.json?_shape=array").json() == rows


def test_timemap_is_a_page_for_a_browser_and_link_format_for_a_client(ds, archive):
    path = f"/-/timemap/link/{archive['wildfire']}"
    html = get(ds, path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "History of a page" in html.text and "/-/replay/" in html.text
    assert "Accept" in html.headers["vary"].split(", ")
    for accept in ("application/link-format", "*/*", None):
        r = get(ds, path, headers={"Accept": accept} if accept else {})
        assert r.headers["content-type"].startswith("application/link-format"), accept
        assert 'rel="original"' in r.text
