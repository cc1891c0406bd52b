"""The citation page and its JSON answer first: ``archived`` and ``current``, in words.

Through Datasette's in-process client over a store built by the real flow (capture, cite,
edit the article, recapture, live check): see ``tests/test_datasette.py``.
"""

from __future__ import annotations

from archive.check import check_citation
from archive.store import Store
from tests import test_datasette
from tests.test_datasette import get

# The store and Datasette of tests/test_datasette.py, as fixtures of this module too.
archive = test_datasette.archive
ds = test_datasette.ds


def test_json_says_archived_verified_and_current_changed(ds, archive):
    data = get(ds, f"/-/cite/{archive['citation']['id']}.json").json()
    assert data["archived"] == "verified"
    assert data["current"] == "changed"
    assert data["current_checked_at"] and data["current_checked_at"] > data["provenance"]["captured_at"]
    live = data["live"]
    assert live["now"] == "More than 3,100 homes were evacuated overnight"
    assert live["figures"] == [{"before": "2,300", "after": "3,100", "counts": "homes"}]
    assert live["since"] > data["provenance"]["captured_at"]


def test_page_leads_with_the_passage_and_the_change(ds, archive):
    html = get(ds, f"/-/cite/{archive['citation']['id']}").text
    quote = html.index('id="cited-passage"')
    changed = html.index('id="current"')
    # the answer comes before the forms, the text and the proof
    assert quote < changed < html.index('id="cite-forms"') < html.index('id="proof"')
    head = html[changed:html.index("</div>", changed)]
    assert "Changed on" in head and "2,300 → <strong>3,100</strong> homes" in head
    assert "<details" in html[html.index('id="proof"') - 30:html.index('id="proof"')]
    # plain words first, raw check names after
    proof = html[html.index('id="proof"'):]
    assert proof.index("hash (SHA-256) to the snapshot that was cited") < proof.index("<code>payload_digest</code>")


def test_never_looked_again_is_not_checked_and_an_unchanged_recapture_says_so(ds, archive, site):
    x = archive["xss_citation"]
    data = get(ds, f"/-/cite/{x['id']}.json").json()
    assert data["current"] == "not checked" and data["current_checked_at"] is None
    assert "Not checked" in get(ds, f"/-/cite/{x['id']}").text
    with Store(archive["db"], archive["warcs"]) as store:
        store.capture([archive["xss_url"]])
    data = get(ds, f"/-/cite/{x['id']}.json").json()
    assert data["current"] == "unchanged"
    assert data["current_checked_at"] > data["provenance"]["captured_at"]
    assert "Unchanged as of" in get(ds, f"/-/cite/{x['id']}").text


def test_a_page_that_is_gone_says_gone(ds, archive, site):
    site.pages.pop(next(p for p in site.pages if archive["wildfire"].endswith(p)))
    with Store(archive["db"], archive["warcs"]) as store:
        r = check_citation(store, archive["citation"]["id"])
    assert r["status"] == "gone"
    data = get(ds, f"/-/cite/{archive['citation']['id']}.json").json()
    assert data["current"] == "gone" and data["current_checked_at"] == r["checked_at"]
    assert "Page gone" in get(ds, f"/-/cite/{archive['citation']['id']}").text
