"""Extraction off the acknowledgement path: a capture is acknowledged once durable and
indexed; its text, quotes and figures follow from a queue kept in the index
(``snapshots.extract_status = 'pending'``), drained by a background process, by
``archive extract``, and by every reader for the page it reads.

The queue lock is held by the test where it must be certain that the background drainer
has not run yet (it waits for the lock); nothing here depends on timing.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from archive.capture.http import Fetcher
from archive.index.versions import queue_lock
from archive.site import publish_edition
from archive.store import Store

from .conftest import invoke
from .test_datasette import datasette_for


def _statuses(db) -> list[str]:
    with Store(db, db.parent / "warcs", recover=False) as s:
        return [r[0] for r in s.conn.execute("SELECT extract_status FROM snapshots ORDER BY sha256")]


def test_capture_is_acknowledged_before_extraction_and_readers_extract_first(site, tmp_path, runner):
    urls = publish_edition(site, 0)
    db = tmp_path / "archive.db"
    with queue_lock(db):   # the background drainer started by the capture must wait
        r = invoke(runner, tmp_path, "capture", urls[0], urls[1], "--json")
        assert r.exit_code == 0, r.output
        acked = [json.loads(line) for line in r.output.splitlines()]
        assert [a["status"] for a in acked] == [200, 200]
        # acknowledged: durable and indexed, but not extracted yet
        assert _statuses(db) == ["pending", "pending"]
        # a reader of one page extracts that page first: never an empty answer
        q = invoke(runner, tmp_path, "figures", urls[0], "--json")
        assert q.exit_code == 0, q.output
        assert [json.loads(line) for line in q.output.splitlines()], "figures read as empty"
        assert sorted(_statuses(db)) == ["ok", "pending"]
        v = invoke(runner, tmp_path, "versions", urls[1], "--json")
        assert len(v.output.splitlines()) == 1
        assert _statuses(db) == ["ok", "ok"]


def test_background_drainer_empties_the_queue(site, tmp_path):
    urls = publish_edition(site, 0)
    db = tmp_path / "archive.db"
    with Store(db, tmp_path / "warcs") as store:
        store.capture(urls, Fetcher(timeout=5), extract=False)   # as if killed before extracting
        assert set(_statuses(db)) == {"pending"}
        proc = store.extract_in_background()
        assert proc is not None
        assert proc.wait(timeout=120) == 0
        assert set(_statuses(db)) <= {"ok", "not_html"}
        assert store.conn.execute("SELECT count(*) FROM versions").fetchone()[0] >= len(urls)
        assert store.extract_in_background() is None   # nothing pending: nothing started


def test_capture_wait_extracts_before_returning(site, tmp_path, runner):
    urls = publish_edition(site, 0)
    r = invoke(runner, tmp_path, "capture", urls[0], "--wait")
    assert r.exit_code == 0, r.output
    assert _statuses(tmp_path / "archive.db") == ["ok"]


def test_queue_survives_a_crash_and_archive_extract_drains_it(site, tmp_path, runner):
    urls = publish_edition(site, 0)
    r = invoke(runner, tmp_path, "capture", *urls, "--no-extract")
    assert r.exit_code == 0, r.output
    assert set(_statuses(tmp_path / "archive.db")) == {"pending"}
    r = invoke(runner, tmp_path, "extract", "--json")
    assert json.loads(r.output)["extracted"] == len(urls)
    assert set(_statuses(tmp_path / "archive.db")) <= {"ok", "not_html"}


def test_web_page_waits_for_the_queue_then_shows_the_text(site, tmp_path, monkeypatch):
    urls = publish_edition(site, 0)
    db = tmp_path / "archive.db"
    with Store(db, tmp_path / "warcs") as store:
        [r] = store.capture([urls[0]], Fetcher(timeout=5), extract=False)
    monkeypatch.setenv("ARCHIVE_WARCS", str(tmp_path / "warcs"))
    ds = datasette_for(db)
    from archive.web import pages   # after Datasette has loaded the plugin through its entry point

    path = f"/-/snapshot/{r['payload_sha256']}.json"
    with queue_lock(db):
        # the drainer the page starts cannot run: the page says the text is queued
        monkeypatch.setattr(pages, "QUEUE_WAIT_S", 0.5)
        resp = asyncio.run(ds.client.get(path))
        assert resp.status_code == 503, resp.text
        assert resp.headers["retry-after"] == "5"
        assert "extracted" in resp.json()["error"]
    monkeypatch.setattr(pages, "QUEUE_WAIT_S", 120.0)
    monkeypatch.setattr(pages, "_drainer_started", 0.0)
    resp = asyncio.run(ds.client.get(path))
    assert resp.status_code == 200
    data = resp.json()
    assert data["snapshot"]["extract_status"] == "ok"
    assert data["text"]["sha256"] and data["version"] == 1


@pytest.mark.parametrize("command", ["quotes", "diff"])
def test_every_reader_extracts_pending_pages(site, tmp_path, runner, command):
    urls = publish_edition(site, 0)
    invoke(runner, tmp_path, "capture", urls[0], "--no-extract")
    publish_edition(site, 1)
    invoke(runner, tmp_path, "capture", urls[0], "--no-extract")
    r = invoke(runner, tmp_path, command, urls[0], "--json")
    assert r.exit_code == 0, r.output
    assert r.output.strip(), f"{command} read as empty while extraction was queued"


def test_reextracting_a_snapshot_the_index_lacks_names_it(store):
    from archive.index.versions import extract_snapshot

    missing = "0" * 64
    with pytest.raises(LookupError, match=f"snapshot {missing} is not in the index"):
        extract_snapshot(store, missing)


def test_at_most_one_drainer_waits_its_turn(site, tmp_path):
    """Every capture asks for a drainer; while one waits for the queue, no other is
    started, and one started anyway leaves at once: a busy run used to leave one waiting
    process per capture (issue 14, the chaos run)."""
    import subprocess
    import sys
    import time

    from archive.index.drain import drainer_waiting

    urls = publish_edition(site, 0)
    db = tmp_path / "archive.db"
    with Store(db, tmp_path / "warcs") as store:
        store.capture(urls, Fetcher(timeout=5), extract=False)
        with queue_lock(db):
            first = store.extract_in_background()
            assert first is not None
            deadline = time.monotonic() + 120
            while not drainer_waiting(db) and time.monotonic() < deadline and first.poll() is None:
                time.sleep(0.05)
            assert drainer_waiting(db), "the drainer never took the waiting place"
            assert store.extract_in_background() is None   # the waiting one will see it all
            # one started by hand meanwhile has nothing to add: it leaves, the queue held
            late = subprocess.run([sys.executable, "-m", "archive.cli", "--db", str(db), "--warcs",
                                   str(tmp_path / "warcs"), "extract", "--queue"], timeout=120)
            assert late.returncode == 0
            assert set(_statuses(db)) == {"pending"}
            assert first.poll() is None
        assert first.wait(timeout=120) == 0
        assert set(_statuses(db)) <= {"ok", "not_html"}
        assert not drainer_waiting(db)


def test_extraction_holds_a_bounded_step_of_payloads(site, tmp_path, monkeypatch):
    """A drainer reads, extracts and writes at most ``EXTRACT_CHUNK_BYTES`` of payload per
    step (one larger snapshot alone): 256 long pages held at once were 1.6 GB in one
    drainer of the chaos run."""
    from archive.index import versions

    for i in range(8):
        site.set(f"/long{i}", "<html><body><article>" + "".join(
            f"<p>Paragraph {k} of page {i}: 1,{k:03d} homes were evacuated.</p>" for k in range(300))
            + "</article></body></html>")
    steps: list[int] = []
    real = versions._extract_step

    def step(store, jobs, pool):
        steps.append(sum(len(j[1][0]) for j in jobs if j[1] is not None))
        return real(store, jobs, pool)

    monkeypatch.setattr(versions, "EXTRACT_CHUNK_BYTES", 40_000)
    monkeypatch.setattr(versions, "_extract_step", step)
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        store.capture([site.url(f"/long{i}") for i in range(8)], Fetcher(timeout=5), extract=False)
        sizes = [len(store.payload(r[0])[0]) for r in store.conn.execute("SELECT sha256 FROM snapshots")]
        r = versions.process_pending(store)
        assert r["extracted"] == 8
        assert set(_statuses(tmp_path / "archive.db")) == {"ok"}
    assert sum(steps) == sum(sizes) and len(steps) > 1
    assert max(steps) < 40_000 + max(sizes), steps
