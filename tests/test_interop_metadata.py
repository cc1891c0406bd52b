"""Our citation and watch records are ``metadata`` records about a capture, never captures
of a page: their ``WARC-Target-URI`` is a ``urn:``, they link to the capture with
``WARC-Refers-To``, and neither pywb's cdxj-indexer nor our own CDXJ/WACZ export indexes
them under the page's URL. Stores written before that still reindex and export right."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.capture.http import Fetcher
from archive.export import export_cdxj
from archive.index.metadata import CITATION_TYPE, canonical_json
from archive.provenance.cite import cite
from archive.site import publish_edition
from archive.store import Store
from archive.warc.reader import Found, iter_records
from archive.watch import add_watch

BIN = Path(sys.executable).parent
PASSAGE = "More than 2,300 homes were evacuated overnight"


def own_records(store: Store) -> list:
    out = []
    for name in store.warcs.list_files():
        for item in iter_records(store.warcs.path_of(name)):
            if isinstance(item, Found) and item.record.record_type == "metadata":
                out.append(item.record)
    return out


def cdxj_of(store: Store) -> list[dict]:
    buf = io.StringIO()
    export_cdxj(store, buf)
    return [{"key": line.split(" ", 2)[0], **json.loads(line.split(" ", 2)[2])}
            for line in buf.getvalue().splitlines()]


@pytest.fixture
def cited(tmp_path, site):
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        urls = publish_edition(site, 0)
        store.capture(urls[:1], Fetcher(timeout=10))
        c = cite(store, urls[0], PASSAGE)
        add_watch(store, urls[0])
        yield store, c, urls[0]


def test_citation_and_watch_records_target_a_urn_and_refer_to_the_capture(cited):
    store, c, url = cited
    records = own_records(store)
    kinds = {r.header("Content-Type"): r for r in records}
    citation = kinds[CITATION_TYPE]
    watch = kinds["application/vnd.archive-store.watch+json"]
    assert citation.header("WARC-Target-URI") == f"urn:archive-store:citation:{c['id']}"
    capture = store.conn.execute("SELECT * FROM captures WHERE record_id=?", (c["record_id"],)).fetchone()
    assert citation.header("WARC-Refers-To") == capture["record_id"]
    assert citation.header("WARC-Refers-To-Target-URI") == url
    assert citation.header("WARC-Refers-To-Date").rstrip("Z") == capture["captured_at"].rstrip("Z")
    assert watch.header("WARC-Target-URI").startswith("urn:archive-store:watch:")
    assert all(r.header("WARC-Target-URI").startswith("urn:") for r in records)


def test_exports_and_cdxj_indexer_never_index_our_records_as_captures_of_the_page(cited, tmp_path):
    store, c, url = cited
    ours = cdxj_of(store)
    assert any(line["url"] == url for line in ours)
    assert all(line["url"].startswith("urn:") for line in ours if "vnd.archive-store" in line.get("mime", ""))
    indexer = BIN / "cdxj-indexer"
    if not indexer.exists():
        pytest.skip("cdxj-indexer is not installed")
    ref = subprocess.run([str(indexer), *[str(store.warcs.path_of(n)) for n in store.warcs.list_files()]],
                         capture_output=True, text=True, timeout=120, check=True)
    page_lines = [json.loads(line.split(" ", 2)[2]) for line in ref.stdout.splitlines()
                  if json.loads(line.split(" ", 2)[2])["url"] == url]
    assert page_lines and all(p.get("mime") == "text/html" for p in page_lines), page_lines


def test_a_store_with_old_style_citation_records_reindexes_and_exports_right(cited):
    """Before, a citation record carried the page URL as its target: it must still restore
    its citation on reindex, and our export must still not index it as a capture."""
    store, c, url = cited
    row = dict(store.conn.execute("SELECT * FROM citations WHERE id=?", (c["id"],)).fetchone())
    body = {k: row[k] for k in ("id", "url", "page_url", "captured_at", "record_id", "snapshot_sha256",
                                "text_sha256", "exact", "prefix", "suffix", "start", "end", "created_at", "note")}
    body["id"] = "c-oldstyle0000000000"
    payload = canonical_json(body)
    old = store.warcs.builder.create_warc_record(   # as metadata_record wrote them before
        url, "metadata", payload=io.BytesIO(payload), length=len(payload), warc_content_type=CITATION_TYPE,
        warc_headers_dict={"WARC-Record-ID": store.id_factory(), "WARC-Date": "2026-01-01T00:00:00Z",
                           "WARC-Refers-To": row["record_id"]})
    store.append([old])
    store.reindex()
    ids = {r[0] for r in store.conn.execute("SELECT id FROM citations")}
    assert {c["id"], "c-oldstyle0000000000"} <= ids
    assert store.conn.execute("SELECT count(*) FROM captures WHERE content_type LIKE '%archive-store%'"
                              ).fetchone()[0] == 0
    lines = cdxj_of(store)
    assert [line for line in lines if line["url"] == url and "archive-store" in line.get("mime", "")] == []
