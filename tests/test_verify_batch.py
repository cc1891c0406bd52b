"""Verifying many citations at once proves what verifying each one alone proves.

:class:`archive.provenance.cite.Verification` re-extracts each distinct snapshot once and, when asked
(``archive verify --all`` audits meanwhile) or when there are many, in worker processes.
Neither may change a result: every citation of a shared snapshot still gets every check,
and a worker reports exactly what this process would.
"""

from __future__ import annotations

import json

import pytest

import archive.text.extract
from archive.capture.http import Fetcher
from archive.provenance.cite import Verification, cite, verify, verify_citation
from archive.text.extract import NotExtractable
from archive.site import publish_edition
from archive.store import Store

from .conftest import invoke

CHECKS = ["citation_record", "citation_record_digest", "record_readable", "record_id", "block_digest",
          "block_matches_index", "payload_digest", "text_digest", "passage_position", "passage_context"]


@pytest.fixture
def cited(tmp_path, site):
    """A store with three citations: two passages of one snapshot, one of another page."""
    store = Store(tmp_path / "archive.db", tmp_path / "warcs")
    urls = publish_edition(site, 0)
    store.capture(urls[:2], Fetcher(timeout=10))
    ids = []
    for url, picks in ((urls[0], (0.3, 0.6)), (urls[1], (0.5,))):
        text = store.conn.execute(
            "SELECT t.text FROM versions v JOIN texts t ON t.sha256=v.text_sha256 WHERE v.page_url=?",
            (url,)).fetchone()[0]
        for at in picks:
            a = text.index(" ", int(len(text) * at)) + 1
            ids.append(cite(store, url, text[a:text.index(" ", a + 30)])["id"])
    yield store, ids
    store.close()


def snapshot_of(store: Store, cid: str) -> str:
    return store.conn.execute("SELECT snapshot_sha256 FROM citations WHERE id=?", (cid,)).fetchone()[0]


@pytest.mark.parametrize("workers", [0, 1])
def test_two_citations_of_one_snapshot_are_both_verified(cited, workers):
    store, ids = cited
    assert snapshot_of(store, ids[0]) == snapshot_of(store, ids[1]) != snapshot_of(store, ids[2])
    results = verify(store, workers=workers)
    assert sorted(r["id"] for r in results) == sorted(ids)
    for r in results:
        assert r["ok"], r["failed"]
        assert [c["check"] for c in r["checks"]] == CHECKS


def test_a_shared_snapshot_is_extracted_once(cited, monkeypatch):
    store, ids = cited
    calls = []
    real = archive.text.extract.extract

    def counting(data, *args, **kwargs):
        calls.append(len(data))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(archive.text.extract, "extract", counting)
    results = verify(store, workers=0)
    assert all(r["ok"] for r in results) and len(results) == 3
    assert len(calls) == 2  # two distinct snapshots


def test_batch_in_a_worker_and_one_by_one_give_the_same_results(cited):
    store, ids = cited
    # damage the second citation's row: its citation record and passage checks fail
    store.conn.execute("UPDATE citations SET exact='not what was cited' WHERE id=?", (ids[1],))
    store.conn.commit()
    alone = [verify_citation(store, i) for i in sorted(ids)]
    in_process = sorted(verify(store, workers=0), key=lambda r: r["id"])
    with Verification(store, overlap=True) as v:   # a worker process, as `verify --all` uses
        in_worker = sorted(v.results(), key=lambda r: r["id"])
    assert alone == in_process == in_worker
    bad = {r["id"]: r for r in in_worker if not r["ok"]}
    assert list(bad) == [ids[1]]
    failed = {c["check"] for c in bad[ids[1]]["checks"] if c["ok"] is False}
    assert failed == {"citation_record", "passage_position"}


def test_an_extraction_failure_reads_the_same_from_a_worker(cited, monkeypatch):
    store, ids = cited

    def refuse(*args, **kwargs):
        raise NotExtractable("binary payload")

    monkeypatch.setattr(archive.text.extract, "extract", refuse)  # forked workers inherit it
    for workers in (0, 1):
        results = verify(store, workers=workers)
        assert results
        for r in results:
            assert not r["ok"]
            last = r["checks"][-1]
            assert last == {"check": "text_extracted", "ok": False,
                            "detail": "NotExtractable: not extractable: binary payload"}


def test_verify_all_reports_every_citation_of_a_shared_snapshot(cited, runner, tmp_path):
    store, ids = cited
    store.close()
    res = invoke(runner, tmp_path, "verify", "--all", "--json")
    assert res.exit_code == 0, res.output
    out = [json.loads(line) for line in res.output.splitlines()]
    verified = [o for o in out if "checks" in o]
    assert sorted(o["id"] for o in verified) == sorted(ids)
    assert all(o["ok"] and [c["check"] for c in o["checks"]] == CHECKS for o in verified)
    assert any(o.get("check") == "record" for o in out)  # the audit ran too
    # a citation id that does not exist is bad usage, before anything is printed
    res = invoke(runner, tmp_path, "verify", ids[0], "c-nosuchcitation")
    assert res.exit_code == 2 and "no citation" in res.output
