"""The Datasette plugin and metadata, through Datasette's in-process client.

The store is built by the real flow against the ``site`` fixture: capture, cite, publish
an edited edition, recapture, check. Tests are sync and drive the async client with
``asyncio.run`` so they need no pytest-asyncio.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from archive.check import check_citation
from archive.provenance.cite import cite
from archive.web.pages import RAW_CSP
from archive.web.serve import SETTINGS, split_metadata
from archive.site import publish_edition, render_article
from archive.store import Store

ROOT = Path(__file__).resolve().parents[1]
XSS = '"><img src=x onerror=alert(1)>'
PASSAGE = "More than 2,300 homes were evacuated overnight"
HOSTILE_HEADERS = [
    ("Set-Cookie", "ds_actor=evil; Domain=.example.org; Path=/"),
    ("Content-Security-Policy", "default-src *"),
    ("Link", "<http://evil.example/x.css>; rel=stylesheet"),
    ("Refresh", "0; url=http://evil.example/"),
    ("Access-Control-Allow-Origin", "*"),
]


def xss_article() -> dict:
    return {
        "headline": f"Council vote {XSS} stuns town",
        "author": f"Reporter {XSS}",
        "published": "2026-03-01T10:00:00Z",
        "modified": "2026-03-01T10:00:00Z",
        "caption": "A caption",
        "comments": 3,
        "paragraphs": [
            f"The council voted 7 to 2 on Tuesday to close the library {XSS} branch on Elm Street.",
            f"“We had no choice {XSS},” said Mayor Ana Ruiz, adding that 40 staff would move.",
            "About 1,200 residents signed a petition against the closure last month.",
        ],
    }


@pytest.fixture
def archive(site, tmp_path):
    """A store built by the real flow, and what a test needs to know about it."""
    db, warcs = tmp_path / "archive.db", tmp_path / "warcs"
    urls = publish_edition(site, 0)
    xss_url = site.set("/news/xss", render_article("Hostile Times", xss_article(), ["one", "two"]))
    hostile_url = site.set("/news/headers", "<html><head><title>h</title></head><body><p>Headers page "
                           "with a long enough paragraph of text to be extracted as an article body "
                           "by the extractor.</p></body></html>", headers=HOSTILE_HEADERS)
    png_url = site.set("/lies.png", "<html><body><script>alert(1)</script>not a png</body></html>",
                       content_type="image/png")
    with Store(db, warcs) as store:
        results = store.capture(urls + [xss_url, hostile_url, png_url])
        by_url = {r["url"]: r for r in results}
        c = cite(store, urls[0], PASSAGE)
        x = cite(store, xss_url, "The council voted 7 to 2")
        publish_edition(site, 1)
        store.capture([urls[0]])
        check_citation(store, c["id"])
    return {"db": db, "warcs": warcs, "wildfire": urls[0], "citation": c, "xss_citation": x,
            "xss_url": xss_url, "hostile": by_url[hostile_url], "png": by_url[png_url],
            "xss_capture": by_url[xss_url]}


def datasette_for(db: Path, **overrides) -> Datasette:
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text("utf-8"))
    # archive serve passes SETTINGS on the command line; the Python API wants typed values.
    settings = {k: int(v) if v.isdigit() else v == "on" for k, v in SETTINGS.items()} | overrides
    # Datasette 1.0 reads canned queries and plugin settings from its config, not metadata.
    metadata, config = split_metadata(metadata)
    if config is None:
        return Datasette([str(db)], metadata=metadata, settings=settings)
    return Datasette([str(db)], metadata=metadata, settings=settings, config=config)


def table_count(data: dict) -> int | None:
    """The filtered row count of a table's JSON: ``filtered_table_rows_count`` on 0.65,
    ``count`` (asked for with ``_extra=count``) on 1.0; None when it was not counted."""
    if "filtered_table_rows_count" in data:
        return data["filtered_table_rows_count"]
    return data.get("count")


@pytest.fixture
def ds(archive):
    return datasette_for(archive["db"])


def get(ds: Datasette, path: str, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


def key(record_id: str) -> str:
    return record_id.strip("<>")


# -- the citation page -----------------------------------------------------------------------

def test_cite_page_shows_verified_passage_and_provenance(ds, archive):
    c = archive["citation"]
    r = get(ds, f"/-/cite/{c['id']}")
    assert r.status_code == 200
    html = r.text
    assert "{% extends" not in html and 'class="content"' in html  # Datasette's base template
    assert "status-verified" in html
    assert re.search(r'<mark class="passage" id="passage">More than 2,300 homes were evacuated overnight</mark>', html)
    for fact in (c["url"], c["captured_at"], c["snapshot_sha256"], c["text_sha256"]):
        assert fact in html
    row = json.loads(get(ds, f"/-/cite/{c['id']}.json").text)
    assert row["provenance"]["warc_file"] in html
    assert f"{row['provenance']['offset']}," in html
    assert "&lt;" + c["record_id"].strip("<>") + "&gt;" in html
    # what the passage became in the edited version
    assert "now reads" in html and "<del>2,300</del><ins>3,100</ins>" in html
    assert "/-/diff?page=" in html and f"/-/replay/{key(c['record_id'])}" in html
    # every citation form, visible without scripts; copy buttons hidden until the script runs
    for form in ("form-text", "form-bibtex", "form-csl_json", "form-robust_link", "form-text_fragment",
                 "form-memento"):
        assert f'<pre id="{form}"' in html
        assert f'data-copy="{form}" hidden' in html
    assert "/-/static-plugins/archive-store/copy.js" in html
    # page history: timeline and the chart of the changed figure, server-rendered SVG
    assert 'class="timeline"' in html and "<svg" in html and "homes: 2,300 → 3,100" in html


def test_cite_json_twin(ds, archive):
    c = archive["citation"]
    data = get(ds, f"/-/cite/{c['id']}.json").json()
    assert data["status"] == "verified"
    assert data["verification"]["ok"] is True
    assert data["passage"]["exact"] == PASSAGE
    assert data["provenance"]["snapshot_sha256"] == c["snapshot_sha256"]
    assert data["later"][0]["status"] == "changed"
    assert data["later"][0]["now"] == "More than 3,100 homes were evacuated overnight"
    assert set(data["forms"]) >= {"text", "bibtex", "csl_json", "robust_link", "text_fragment", "memento"}
    assert data["forms"]["memento"].startswith("http://localhost/-/web/")
    assert [v["version"] for v in data["versions"]] == [1, 2]


def test_cite_page_shows_the_proof_chain(ds, archive):
    c = archive["citation"]
    proof = get(ds, f"/-/cite/{c['id']}.json").json()["proof"]
    names = [link["name"] for link in proof["links"]]
    assert names[:2] == ["Record digests", "File seal"] and "Ledger: capture" in names
    assert "Ledger: citation" in names and names[-1] == "Signature"
    ledger = {link["name"]: link for link in proof["links"]}
    assert ledger["Record digests"]["ok"] is True and ledger["Ledger: capture"]["ok"] is True
    assert ledger["Ledger: citation"]["ok"] is True
    full = proof["full"]["ledger"]["capture"]["inclusion_proof"]
    assert full["root"] and full["tree_size"] >= full["seq"]
    html = get(ds, f"/-/cite/{c['id']}").text
    assert "Proof chain" in html and "Merkle tree" in html


def test_tampered_warc_shows_integrity_failure_not_content(ds, archive):
    c = archive["citation"]
    with Store(archive["db"], archive["warcs"], recover=False) as store:
        cap = store.original_of(store.capture_row(c["record_id"]))
    path = archive["warcs"] / cap["warc_file"]
    data = bytearray(path.read_bytes())
    at = cap["offset"] + cap["length"] // 2
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    r = get(ds, f"/-/cite/{c['id']}")
    assert r.status_code == 200
    assert "integrity check failed" in r.text
    assert "status-failed" in r.text
    assert PASSAGE not in r.text and "2,300 homes" not in r.text
    assert 'class="archived-text"' not in r.text
    data = get(ds, f"/-/cite/{c['id']}.json").json()
    assert data["status"] == "failed"
    failed = [ch["check"] for ch in data["verification"]["checks"] if ch["ok"] is False]
    assert failed  # names the check that failed
    assert any(f.split(":")[0] in r.text for f in data["verification"]["failed"])
    assert "passage" not in data and "forms" not in data and "later" not in data
    # the raw bytes are not served either
    raw = get(ds, f"/-/replay-raw/{key(c['record_id'])}")
    assert raw.status_code == 409
    assert "integrity check failed" in raw.text


def test_unknown_citation_is_404(ds):
    assert get(ds, "/-/cite/c-00000000000000000000").status_code == 404
    assert get(ds, "/-/cite/c-00000000000000000000.json").status_code == 404
    assert get(ds, "/-/snapshot/" + "0" * 64).status_code == 404
    assert get(ds, "/-/replay/urn:uuid:nope").status_code == 404


# -- snapshot and diff --------------------------------------------------------------------------

def test_snapshot_page_marks_quotes_and_figures(ds, archive):
    sha = archive["citation"]["snapshot_sha256"]
    r = get(ds, f"/-/snapshot/{sha}")
    assert r.status_code == 200
    html = r.text
    assert "Bytes verified now" in html
    assert re.search(r'<mark class="figure"[^>]*>2,300</mark>', html)
    assert '<mark class="quote"' in html and "Fire Chief Maria Alvarez" in html
    assert "Captures of these bytes" in html and "/-/replay/" in html
    assert 'class="timeline"' in html and "<svg" in html
    data = get(ds, f"/-/snapshot/{sha}.json").json()
    assert data["sha256"] == sha and data["fixity"]["ok"] is True
    assert data["version"] == 1 and data["captures"]
    assert any(f["text"] == "2,300" for f in data["figures_in_text"])


def test_diff_page_marks_changed_figure(ds, archive):
    from urllib.parse import quote
    page = quote(archive["wildfire"], safe="")
    r = get(ds, f"/-/diff?page={page}&from=1&to=2")
    assert r.status_code == 200
    assert '<del class="figure">2,300</del> → <ins class="figure">3,100</ins>' in r.text
    side = get(ds, f"/-/diff?page={page}&from=1&to=2&view=side")
    assert 'class="side-by-side"' in side.text and '<ins class="figure">3,100</ins>' in side.text
    data = get(ds, f"/-/diff.json?page={page}").json()
    assert data["from"]["version"] == 1 and data["to"]["version"] == 2
    figs = [c for c in data["changes"] if c["kind"] == "figure"]
    assert figs[0]["before"] == "2,300" and figs[0]["after"] == "3,100"
    assert get(ds, f"/-/diff?page={page}&from=1&to=9").status_code == 400
    assert get(ds, "/-/diff").status_code == 400
    assert get(ds, "/-/diff?page=http://nowhere.example/").status_code == 404


# -- replay -------------------------------------------------------------------------------------

def test_replay_wrapper_frames_raw_bytes_in_a_sandbox(ds, archive):
    cap = archive["xss_capture"]
    r = get(ds, f"/-/replay/{key(cap['record_id'])}")
    assert r.status_code == 200
    assert "This is an archived copy, not the live page." in r.text
    assert cap["captured_at"] in r.text and archive["xss_url"] in r.text
    frames = re.findall(r"<iframe[^>]*>", r.text)
    assert len(frames) == 1
    assert 'sandbox=""' in frames[0]
    assert f'src="/-/replay-raw/{key(cap["record_id"])}"' in frames[0]
    for grant in ("allow-scripts", "allow-same-origin", "allow-top-navigation", "allow-forms", "allow-popups"):
        assert grant not in r.text
    assert r.headers["memento-datetime"].endswith("GMT")
    assert 'rel="original"' in r.headers["link"] and 'rel="timemap"' in r.headers["link"]
    by_sha = get(ds, f"/-/replay/{cap['payload_sha256']}.json").json()
    assert by_sha["record_id"] == cap["record_id"] and by_sha["is_html"] is True


def test_replay_raw_headers(ds, archive):
    cap = archive["hostile"]
    r = get(ds, f"/-/replay-raw/{key(cap['record_id'])}")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == RAW_CSP
    assert "sandbox" in RAW_CSP and "default-src 'none'" in RAW_CSP and "frame-ancestors 'self'" in RAW_CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cross-origin-resource-policy"] == "same-origin"
    assert r.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in r.headers
    assert "refresh" not in r.headers
    # the archived Link header is not passed on; ours says which memento this is
    assert "evil.example" not in r.headers["link"] and 'rel="original"' in r.headers["link"]
    assert r.headers["memento-datetime"].endswith(" GMT")
    assert "access-control-allow-origin" not in r.headers
    assert b"Headers page" in r.content
    # the archived headers are shown on the wrapper, as text
    wrapper = get(ds, f"/-/replay/{key(cap['record_id'])}")
    assert "ds_actor=evil" in wrapper.text and "set-cookie" not in wrapper.headers


def test_non_html_payload_is_an_attachment(ds, archive):
    cap = archive["png"]
    r = get(ds, f"/-/replay-raw/{key(cap['record_id'])}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["x-content-type-options"] == "nosniff"
    wrapper = get(ds, f"/-/replay/{key(cap['record_id'])}")
    assert "<iframe" not in wrapper.text and "download" in wrapper.text


# -- Memento ------------------------------------------------------------------------------------

def test_timemap_link_format(ds, archive):
    url = archive["wildfire"]
    r = get(ds, f"/-/timemap/link/{url}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/link-format")
    entries = [e.strip() for e in r.text.strip().split(",\n")]
    assert entries[0] == f'<{url}>; rel="original"'
    assert 'rel="timegate"' in entries[1]
    assert 'rel="self"; type="application/link-format"' in entries[2]
    mementos = [e for e in entries if "memento" in e]
    assert len(mementos) == 3  # first capture, recapture after the edit, the live check
    assert 'rel="first memento"' in mementos[0] and 'rel="last memento"' in mementos[-1]
    for m in mementos:
        assert re.search(r'datetime="\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT"', m)
        assert re.match(r"<http://localhost/-/replay/urn:uuid:[0-9a-f-]+>", m)
    data = get(ds, f"/-/timemap/json/{url}").json()
    assert data["original_uri"] == url and len(data["mementos"]["list"]) == 3
    assert get(ds, "/-/timemap/link/http://nowhere.example/").status_code == 404


def test_wayback_url_redirects_to_closest_capture(ds, archive):
    url = archive["wildfire"]
    data = get(ds, f"/-/timemap/json/{url}").json()
    first, last = data["mementos"]["list"][0], data["mementos"]["list"][-1]
    early = get(ds, f"/-/web/19990101000000/{url}")
    assert early.status_code == 302
    assert early.headers["location"] == first["uri"]
    # a redirect is not a memento: no Memento-Datetime (RFC 7089 pattern 2.3)
    assert "memento-datetime" not in early.headers
    assert 'rel="original"' in early.headers["link"] and 'rel="timemap"' in early.headers["link"]
    late = get(ds, f"/-/web/29990101000000/{url}")
    assert late.headers["location"] == last["uri"]
    assert get(ds, f"/-/web/12/{url}").status_code == 400
    # id_ at another time: to the memento's own timestamp; there, the archived bytes
    raw = get(ds, f"/-/web/29990101000000id_/{url}")
    assert raw.status_code == 302 and "memento-datetime" not in raw.headers
    exact = raw.headers["location"]
    assert re.search(r"/-/web/\d{14}id_/", exact)
    served = get(ds, exact.replace("http://localhost", ""))
    assert served.status_code == 200 and served.headers["memento-datetime"] == last["http_date"]
    assert b"<html" in served.content.lower()
    gate = get(ds, f"/-/timegate/{url}", headers={"Accept-Datetime": "Thu, 01 Jan 1998 00:00:00 GMT"})
    assert gate.status_code == 302 and gate.headers["location"] == first["uri"]
    assert "memento-datetime" not in gate.headers and "accept-datetime" in gate.headers["vary"]


# -- XSS ------------------------------------------------------------------------------------------

def assert_escaped(body: str, where: str) -> None:
    assert "<img src=x" not in body, f"unescaped archived markup on {where}"
    assert "onerror=alert(1)>" not in body.replace("onerror=alert(1)&gt;", ""), where


def test_archived_markup_is_escaped_everywhere(ds, archive):
    x = archive["xss_citation"]
    cap = archive["xss_capture"]
    with Store(archive["db"], archive["warcs"], recover=False) as store:
        title = store.conn.execute("SELECT title FROM pages WHERE url=?", (x["page_url"],)).fetchone()[0]
    assert XSS in title  # the hostile string really is in the index
    pages = [
        f"/-/cite/{x['id']}", f"/-/snapshot/{cap['payload_sha256']}", f"/-/replay/{key(cap['record_id'])}",
        "/archive/pages", "/archive/texts", "/archive/versions", "/archive/citations",
        "/archive/quotes?_facet=speaker", "/archive/pages?_facet=title", "/archive/texts?_search=council",
        "/archive/search?q=council", "/archive/quotes_by_speaker?speaker=Ruiz",
        f"/archive/pages?url={x['page_url']}&_facet=title", "/archive/captures?_facet=url",
    ]
    for path in pages:
        r = get(ds, path)
        assert r.status_code == 200, path
        assert_escaped(r.text, path)
    cite_page = get(ds, f"/-/cite/{x['id']}").text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in cite_page
    # a citation query parameter is not reflected unescaped either
    r = get(ds, f"/-/diff?page={XSS}")
    assert r.status_code == 404 and "<img src=x" not in r.text


# -- the rest of Datasette ---------------------------------------------------------------------------

def test_render_cell_links(ds, archive):
    c = archive["citation"]
    cites = get(ds, "/archive/citations").text
    # Datasette 0.65 links a primary key to its row page itself; the row page links onwards.
    row = get(ds, f"/archive/citations/{c['id']}").text
    assert f'<a href="/-/cite/{c["id"]}">{c["id"]}</a>' in row
    assert f'<a href="/-/snapshot/{c["snapshot_sha256"]}">' in cites
    assert f'href="/-/replay/{key(c["record_id"])}"' in cites
    snaps = get(ds, f"/archive/snapshots/{c['snapshot_sha256']}").text
    assert f'href="/-/snapshot/{c["snapshot_sha256"]}"' in snaps
    caps = get(ds, "/archive/captures").text
    assert 'href="/-/replay/urn:uuid:' in caps
    drift = get(ds, "/archive/drifted_citations").text
    assert f'href="/-/cite/{c["id"]}"' in drift


def test_canned_queries(ds, archive):
    def rows(path: str) -> list[dict]:
        r = get(ds, path)
        assert r.status_code == 200, (path, r.text[:500])
        return r.json()

    figs = rows("/archive/changed_figures.json?_shape=array")
    assert any(f["before"] == "2,300" and f["after"] == "3,100" for f in figs)
    edited = rows("/archive/edited_pages.json?_shape=array")
    assert [e["url"] for e in edited] == [archive["citation"]["page_url"]]
    quotes = rows("/archive/quotes_by_speaker.json?_shape=array&speaker=Alvarez")
    assert quotes and all("Alvarez" in q["speaker"] for q in quotes)
    drift = rows("/archive/drifted_citations.json?_shape=array")
    assert drift[0]["citation_id"] == archive["citation"]["id"] and drift[0]["status"] == "changed"
    hits = rows("/archive/search.json?_shape=array&q=evacuated")
    assert hits and "⟦evacuated⟧" in hits[0]["snippet"]
    html = get(ds, "/archive/search?q=evacuated").text
    assert "<mark>evacuated</mark>" in html


def test_texts_search_pages_through_matches_without_counting_them(ds, archive):
    # Counting every match is what made a search for a common word slow (bench/, serve).
    r = get(ds, "/archive/texts.json?_search=evacuated&_shape=objects")
    assert r.status_code == 200
    data = r.json()
    assert data["rows"] and all("evacuated" in row["text"] for row in data["rows"])
    assert table_count(data) is None
    page = get(ds, "/archive/texts?_search=evacuated")
    assert page.status_code == 200 and data["rows"][0]["title"] in page.text
    # (1.0 counts only when asked with _extra=count; 0.65 ignores that parameter)
    counted = get(ds, "/archive/texts.json?_search=evacuated&_count=1&_extra=count").json()
    assert table_count(counted) == len(data["rows"])
    assert table_count(get(ds, "/archive/texts.json?_extra=count").json()) >= len(data["rows"])


def test_table_pages_read_their_facets_from_the_counts_kept_on_write(ds, archive):
    """The captures page's facets over the whole table come from facet_counts (issue 19:
    counting them took most of the page's time at 200,000 captures); they are what a
    GROUP BY gives, they link to the filtered table, and a filtered page counts what it
    matches."""
    import sqlite3

    con = sqlite3.connect(archive["db"])
    want = dict(con.execute("SELECT status, count(*) FROM captures WHERE status IS NOT NULL GROUP BY status"))
    types = dict(con.execute("SELECT record_type, count(*) FROM captures GROUP BY record_type"))
    con.close()
    data = get(ds, "/archive/captures.json?_sort_desc=captured_at&_extra=facet_results").json()
    facets = data["facet_results"]
    facets = facets.get("results", facets)   # 1.0 nests them
    status = facets["status"]
    assert {v["value"]: v["count"] for v in status["results"]} == want
    assert status["type"] == "column" and not status["hideable"]
    assert set(facets) >= {"record_type", "status", "content_type", "fixity"}
    ok = next(v for v in status["results"] if v["value"] == 200)
    assert ok["toggle_url"].endswith("status=200")
    # A filtered page: the facets count the rows it shows.
    filtered = get(ds, "/archive/captures.json?status=200&_extra=facet_results").json()
    ffacets = filtered["facet_results"]
    ffacets = ffacets.get("results", ffacets)
    assert {v["value"]: v["count"] for v in ffacets["status"]["results"]} == {200: want[200]}
    assert sum(v["count"] for v in ffacets["record_type"]["results"]) == want[200] <= sum(types.values())
    # The counts are read from the table kept on write: a count changed there shows.
    con = sqlite3.connect(archive["db"], isolation_level=None)
    con.execute("UPDATE facet_counts SET count = 4242 WHERE table_name='captures' AND column_name='status' "
                "AND value=200")
    con.close()
    html = get(ds, "/archive/captures").text
    assert "4,242" in html and "(counted)" not in html


def test_a_page_filtered_by_one_facet_value_reads_the_other_facets_from_pair_counts(ds, archive):
    """Following a facet's link (``?status=200``) gives a page whose facets are what a
    GROUP BY over the rows it shows gives, read from facet_pairs (no pass over the rows);
    the selected value links back to the whole table."""
    import sqlite3

    con = sqlite3.connect(archive["db"])
    want = {col: dict(con.execute(f"SELECT {col}, count(*) FROM captures WHERE status = 200 AND {col} IS NOT NULL "
                                  f"GROUP BY {col}")) for col in ("record_type", "status", "content_type", "fixity")}
    con.close()
    assert len(want["content_type"]) > 1   # a page of several kinds of content: the pairs say which

    def facets_of(path: str) -> dict:
        data = get(ds, path).json()["facet_results"]
        return data.get("results", data)

    facets = facets_of("/archive/captures.json?status=200&_extra=facet_results")
    assert {col: {v["value"]: v["count"] for v in facets[col]["results"]} for col in want} == want
    chosen = facets["status"]["results"][0]
    assert chosen["selected"] and "status=" not in chosen["toggle_url"]
    other = facets["content_type"]["results"][0]
    assert not other["selected"] and "status=200" in other["toggle_url"] and "content_type=" in other["toggle_url"]
    # Read from the pair counts: a count changed there shows on the filtered page.
    con = sqlite3.connect(archive["db"], isolation_level=None)
    con.execute("UPDATE facet_pairs SET count = 4343 WHERE table_name='captures' AND column_name='status' "
                "AND value=200 AND other_column='record_type' AND other_value='response'")
    con.close()
    assert facets_of("/archive/captures.json?status=200&_extra=facet_results")["record_type"]["results"][0]["count"] == 4343
    # Two filters: the rows are counted, not read from the pairs.
    two = facets_of("/archive/captures.json?status=200&record_type=response&_extra=facet_results")
    assert {v["value"]: v["count"] for v in two["status"]["results"]} == {200: want["record_type"]["response"]}


def test_plugin_doctests():
    import doctest

    import archive.web.pages

    result = doctest.testmod(archive.web.pages)
    assert result.failed == 0 and result.attempted > 0


def test_metadata_describes_every_table_and_column():
    from archive.index.db import ensure_schema
    import sqlite3

    meta = yaml.safe_load((ROOT / "metadata.yml").read_text("utf-8"))
    tables = meta["databases"]["archive"]["tables"]
    conn = sqlite3.connect(":memory:")
    ensure_schema(conn)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                        "AND name NOT LIKE 'texts_fts_%' AND name NOT LIKE 'sqlite_%'")]
    for name in names:
        assert tables.get(name, {}).get("description"), name
        if name == "texts_fts":
            continue
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info([{name}])")]
        assert set(cols) <= set(tables[name].get("columns", {})), (name, set(cols) - set(tables[name]["columns"]))
    assert tables["texts"]["fts_table"] == "texts_fts"
    for q in meta["databases"]["archive"]["queries"].values():
        assert not q.get("write"), "no write canned queries on the web"


def test_datasette_is_read_only_to_the_web(ds, archive):
    c = archive["citation"]
    for path in (f"/-/cite/{c['id']}", "/-/diff", f"/-/replay-raw/{key(c['record_id'])}", "/archive/search",
                 "/archive/citations", "/archive"):
        r = asyncio.run(ds.client.post(path, data={"sql": "delete from citations"}))
        assert r.status_code in (403, 404, 405), (path, r.status_code)
    # (1.0 redirects /db.json?sql= to /db/-/query.json?sql=: follow it)
    r = get(ds, "/archive.json?sql=delete+from+citations", follow_redirects=True)
    assert r.status_code == 400
    r = get(ds, "/archive.json?sql=pragma+writable_schema%3D1", follow_redirects=True)
    assert r.status_code == 400
    with Store(archive["db"], archive["warcs"], recover=False) as store:
        assert store.conn.execute("SELECT count(*) FROM citations").fetchone()[0] == 2


def test_app_pages_cannot_be_framed_by_archived_content(ds, archive):
    for path in ("/archive/captures", "/archive", f"/-/cite/{archive['citation']['id']}"):
        r = get(ds, path)
        assert "frame-ancestors 'self'" in r.headers["content-security-policy"], path
        assert r.headers["x-frame-options"] == "SAMEORIGIN"
    strict = get(ds, f"/-/cite/{archive['citation']['id']}").headers["content-security-policy"]
    assert "script-src 'self'" in strict and "'unsafe-inline'" not in strict.split("script-src")[1].split(";")[0]
    assert get(ds, "/-/static-plugins/archive-store/copy.js").status_code == 200
    for path in ("/-/static-plugins/archive-store/%2e%2e/pages.py", "/-/static-plugins/archive-store/../pages.py",
                 "/-/static-plugins/archive-store/%2e%2e%2fpages.py", "/-/static-plugins/archive-store/../__init__.py"):
        r = get(ds, path)
        assert r.status_code in (302, 404), path
        assert "hookimpl" not in r.text


def test_datasette_finds_the_full_text_search_table(ds, archive):
    """Datasette's own detection (which plugins such as datasette-search-all rely on) sees
    the texts' search table, and the table page searches through it."""
    assert asyncio.run(ds.get_database("archive").fts_table("texts")) == "texts_fts"
    r = get(ds, "/archive/texts.json?_search=evacuated&_shape=array")
    assert r.status_code == 200 and r.json(), r.text


def test_edited_text_and_figure_rows_show_integrity_failure(ds, archive, runner):
    """Issue 14, finding 1: with the text and a figure edited in the index, the citation
    page said "verified" and highlighted the edited words, the snapshot page showed the
    edited text with "fixity ok", and `archive figures` printed the forged figure."""
    import sqlite3

    from archive.cli import cli

    c = archive["citation"]
    conn = sqlite3.connect(archive["db"])
    conn.execute("UPDATE texts SET text=replace(text, 'evacuated overnight', 'evacuated on Sunday!')")
    conn.execute("UPDATE figures SET text='9,999', value=9999 WHERE text='2,300'")
    conn.commit()
    snap = conn.execute("SELECT snapshot_sha256 FROM citations WHERE id=?", (c["id"],)).fetchone()[0]
    conn.close()
    r = get(ds, f"/-/cite/{c['id']}")
    assert "integrity check failed" in r.text and "Sunday!" not in r.text and "9,999" not in r.text
    data = get(ds, f"/-/cite/{c['id']}.json").json()
    assert data["status"] == "failed"
    assert any(ch["check"] == "index_rows" and ch["ok"] is False for ch in data["verification"]["checks"])
    r = get(ds, f"/-/snapshot/{snap}")
    assert "integrity check failed" in r.text and "Sunday!" not in r.text and "9,999" not in r.text
    result = runner.invoke(cli, ["--db", str(archive["db"]), "--warcs", str(archive["warcs"]),
                                 "figures", c["url"]], catch_exceptions=False)
    assert result.exit_code == 1 and "9,999" not in result.output and "integrity check failed" in result.output
    result = runner.invoke(cli, ["--db", str(archive["db"]), "--warcs", str(archive["warcs"]),
                                 "quotes", c["url"]], catch_exceptions=False)
    assert result.exit_code == 1 and "integrity check failed" in result.output


def test_archive_serve_gives_the_installed_datasette_its_canned_queries(archive, tmp_path):
    """`archive serve` passes metadata (0.65) or metadata plus config (1.0), so the canned
    queries answer on either version."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(Path(sys.executable).parent / "archive"), "serve", "--db", str(archive["db"]),
                             "--warcs", str(archive["warcs"]), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    try:
        body = None
        deadline = time.monotonic() + 180   # a loaded CI machine starts Datasette slowly
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/archive/search.json?_shape=array"
                                            "&q=evacuated", timeout=10) as r:
                    body = json.loads(r.read())
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.2)
        assert body and "⟦evacuated⟧" in body[0]["snippet"], body
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_replay_of_a_resource_record_says_it_has_no_http_status(tmp_path):
    """A WARC ``resource`` record (a rendered DOM, or another tool's resource) has no HTTP
    status: the replay page says so instead of printing Python's ``None``."""
    from io import BytesIO

    from warcio.warcwriter import WARCWriter

    buf = BytesIO()
    writer = WARCWriter(buf, gzip=True)
    body = b"<html><body><p>A resource record holding a page that a crawler rendered.</p></body></html>"
    writer.write_record(writer.create_warc_record("urn:dom:http://example.org/story", "resource",
                                                  payload=BytesIO(body), warc_content_type="text/html"))
    src = tmp_path / "resource.warc.gz"
    src.write_bytes(buf.getvalue())
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        store.import_path(src)
        rid = store.conn.execute("SELECT record_id FROM captures WHERE record_type='resource'").fetchone()[0]
    html = get(datasette_for(tmp_path / "archive.db"), f"/-/replay/{key(rid)}").text
    cell = re.search(r"<th>HTTP status</th><td>(.*?)</td>", html, re.S).group(1)
    assert "None" not in cell and "not an HTTP response" in cell, cell
