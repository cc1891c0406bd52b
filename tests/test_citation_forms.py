"""Citation forms that real tools read, carrying the public address.

BibTeX is parsed with bibtexparser and CSL-JSON rendered with citeproc-py (the reference
implementations a reference manager or a pandoc pipeline would use), for a page that names
its author twice, has a site name, and a title with characters BibTeX treats specially.
"""

from __future__ import annotations

import json

import bibtexparser
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from archive.config import config_path, read_config
from archive.provenance.cite import cite
from archive.site import render_article
from tests.conftest import invoke

BASE = "https://cite.example.org"


def article() -> dict:
    return {
        "headline": "Rents up 50% {again} in R&D_district",
        "author": "Jane Doe; JANE DOE",
        "published": "2026-03-01T10:00:00Z",
        "modified": "2026-03-02T10:00:00Z",
        "caption": "A caption",
        "comments": 0,
        "paragraphs": [
            "Rents in the district rose by 50% over the year, to an average of 1,450 euros a month.",
            "The council said 2,000 new flats would be built by 2030 to ease the pressure on tenants.",
            "Tenants' groups said the plan came too late for the 300 families already evicted.",
        ],
    }


def cited(store, site) -> dict:
    url = site.set("/news/rents", render_article("The Harbour Gazette", article(), ["a", "b"]))
    store.capture([url])
    return cite(store, url, "to an average of 1,450 euros a month", base_url=BASE)


def test_bibtex_parses_with_title_deduplicated_author_site_dates_and_both_urls(store, site):
    c = cited(store, site)
    lib = bibtexparser.parse_string(c["forms"]["bibtex"])
    assert not lib.failed_blocks, [b.error for b in lib.failed_blocks]
    (entry,) = lib.entries
    f = {k: v for k, v in entry.fields_dict.items()}
    assert entry.key == c["id"] and entry.entry_type == "misc"
    assert f["author"].value == "Doe, Jane"  # "Jane Doe; JANE DOE" is one person
    assert f["title"].value == r"Rents up 50\% \textbraceleft{}again\textbraceright{} in R\&D\_district"
    assert f["howpublished"].value == "The Harbour Gazette"
    assert f["year"].value == "2026" and f["month"].value == "mar"
    assert f["url"].value == c["url"]
    assert f["urldate"].value == c["captured_at"][:10]
    assert f"{BASE}/-/cite/{c['id']}" in f["note"].value


def test_csl_json_renders_in_citeproc_with_author_container_dates_and_urls(store, site):
    c = cited(store, site)
    csl = json.loads(json.dumps(c["forms"]["csl_json"]))
    assert csl["author"] == [{"family": "Doe", "given": "Jane"}]
    assert csl["container-title"] == "The Harbour Gazette"
    assert csl["issued"] == {"date-parts": [[2026, 3, 1]]}
    assert csl["archive_location"] == f"{BASE}/-/cite/{c['id']}"
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bib = CitationStylesBibliography(style, CiteProcJSON([csl]), formatter.plain)
    bib.register(Citation([CitationItem(c["id"])]))
    rendered = str(bib.bibliography()[0])
    assert rendered.startswith("Doe, J. (2026)"), rendered
    assert "The Harbour Gazette" in rendered and c["url"] in rendered, rendered


def test_plain_and_robust_forms_name_the_site_and_use_the_public_address(store, site):
    c = cited(store, site)
    plain = c["forms"]["text"]
    assert plain.startswith("Jane Doe. “Rents up 50% {again} in R&D_district”. The Harbour Gazette, 1 March 2026.")
    assert f"{BASE}/-/cite/{c['id']}" in plain and "127.0.0.1:" in plain  # live URL and archived one
    assert c["forms"]["memento"].startswith(f"{BASE}/-/web/")
    assert f'data-versionurl="{BASE}/-/web/' in c["forms"]["robust_link"]


def test_cite_uses_the_base_url_the_store_keeps(runner, tmp_path, site):
    from archive.config import write_config

    url = site.set("/news/rents", render_article("The Harbour Gazette", article(), ["a", "b"]))
    assert invoke(runner, tmp_path, "capture", url).exit_code == 0
    write_config(tmp_path / "archive.db", base_url=BASE + "/")
    assert read_config(tmp_path / "archive.db") == {"base_url": BASE + "/"}
    assert config_path(tmp_path / "archive.db") == tmp_path / "archive.toml"
    r = invoke(runner, tmp_path, "cite", url, "1,450 euros", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["permalink"].startswith(f"{BASE}/-/cite/c-")
