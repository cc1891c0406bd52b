"""The citation page and its JSON answer first: ``archived`` and ``current``, in words.

Through Datasette's in-process client over a store built by the real flow (capture, cite,
edit the article, recapture, live check): see ``tests/test_datasette.py``.
"""

from __future__ import annotations

import json

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


def test_evidence_package_downloads_from_the_page(ds, archive):
    import io
    import zipfile

    cid = archive["citation"]["id"]
    html = get(ds, f"/-/cite/{cid}").text
    assert f'href="/-/cite/{cid}.wacz" download' in html
    r = get(ds, f"/-/cite/{cid}.wacz")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == f'attachment; filename="citation-{cid}.wacz"'
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "datapackage.json" in names and "provenance/proof.json" in names
    assert any(n.startswith("archive/") and n.endswith(".warc.gz") for n in names)
    assert get(ds, "/-/cite/c-00000000000000000000.wacz").status_code == 404


def test_serve_base_url_is_kept_and_used_by_every_form(archive):
    import socket
    import time
    import urllib.request

    from archive.config import read_config
    from archive.web.serve import run_datasette

    base = "https://cite.example.org"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run_datasette(str(archive["db"]), str(archive["warcs"]), port=port, wait=False, base_url=base + "/")
    try:
        assert read_config(archive["db"]) == {"base_url": base}
        cid = archive["citation"]["id"]
        # Generous: on a loaded machine Datasette takes a while to start (not a timing test).
        deadline = time.monotonic() + 180
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/-/cite/{cid}.json", timeout=60).read()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "Datasette did not start"
                time.sleep(0.2)
        data = json.loads(body)
        assert data["permalink"] == f"{base}/-/cite/{cid}"
        for key in ("text", "bibtex", "robust_link", "memento"):
            assert f"{base}/-/" in data["forms"][key], key
        assert "127.0.0.1:%d" % port not in json.dumps(data["forms"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
