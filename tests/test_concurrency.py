"""Several writers and a reader at once (RELIABILITY.md cases 31-34).

Processes and threads capture into one store together; a Datasette-style read-only
connection queries all the while. Nothing interleaves, nothing is lost, nobody sees
"database is locked".
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from archive.capture.http import Fetcher
from archive.warc.reader import Found, Problem, iter_records
from archive.site import SiteServer
from archive.store import Store
from archive.warc.record import load_record

ROOT = Path(__file__).resolve().parents[1]
PROCS, URLS_PER_PROC = 4, 10


@pytest.fixture
def busy_site():
    with SiteServer() as server:
        for i in range(PROCS * URLS_PER_PROC):
            server.set(f"/n{i}", f"<html><head><title>Story {i}</title></head><body><article>"
                                 f"<p>Story {i}: {i * 37} homes were evacuated.</p>" + "<p>filler</p>" * 400
                       + "</article></body></html>")
        yield server


def cli_capture(tmp_path: Path, urls: list[str], workers: int = 8) -> subprocess.Popen:
    """``archive capture --workers N`` in its own process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", "from archive.cli import cli; cli()", "capture",
         "--db", str(tmp_path / "archive.db"), "--warcs", str(tmp_path / "warcs"), "--json",
         "--no-extract", "--workers", str(workers), *urls],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)


def check_store_consistent(tmp_path: Path) -> int:
    warcs = tmp_path / "warcs"
    records = Counter()
    for f in sorted(warcs.glob("*.warc.gz")):
        items = list(iter_records(f))
        assert not [i for i in items if isinstance(i, Problem)], f.name
        first = items[0]
        assert isinstance(first, Found) and first.record.record_type == "warcinfo"
        for i in items:
            records[i.record.record_type] += 1
    with Store(tmp_path / "archive.db", warcs) as store:
        rows = store.conn.execute("SELECT record_type, warc_file, offset, length, record_id FROM captures").fetchall()
        for r in rows:
            assert load_record(warcs / r["warc_file"], r["offset"], r["length"]).record_id == r["record_id"]
    assert len(rows) == records["response"] + records["revisit"]
    return len(rows)


@pytest.mark.slow
def test_processes_and_threads_capture_into_one_store(tmp_path, busy_site):
    """4 processes, each capturing 10 URLs with 8 threads."""
    urls = [busy_site.url(f"/n{i}") for i in range(PROCS * URLS_PER_PROC)]
    procs = [cli_capture(tmp_path, urls[p::PROCS]) for p in range(PROCS)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err.decode()[-2000:]
        assert b"database is locked" not in err and b"Traceback" not in err
    results = [json.loads(line) for out, _ in outs for line in out.decode().splitlines() if line.startswith("{")]
    assert sorted(r["url"] for r in results) == sorted(urls)
    n = check_store_consistent(tmp_path)
    assert n == PROCS * URLS_PER_PROC


@pytest.mark.slow
def test_readonly_reader_never_fails_while_captures_write(tmp_path, busy_site):
    """A Datasette-style reader (mode=ro) queries without pause while 3 processes write."""
    with Store(tmp_path / "archive.db", tmp_path / "warcs"):
        pass  # create the schema before the reader connects
    urls = [busy_site.url(f"/n{i}") for i in range(PROCS * URLS_PER_PROC)]
    stop = threading.Event()
    errors: list[str] = []
    seen: list[int] = []

    def reader():
        conn = sqlite3.connect(f"file:{tmp_path / 'archive.db'}?mode=ro", uri=True, timeout=30,
                               check_same_thread=False)
        try:
            while not stop.is_set():
                try:
                    n = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
                    # Never a half-written row: every indexed capture has its pointer and
                    # its snapshot row in the same snapshot of the database.
                    orphans = conn.execute(
                        "SELECT count(*) FROM captures c WHERE c.warc_file IS NULL OR c.length IS NULL "
                        "OR (c.record_type='response' AND NOT EXISTS "
                        "(SELECT 1 FROM snapshots s WHERE s.sha256=c.payload_sha256))").fetchone()[0]
                    if orphans:
                        errors.append(f"{orphans} half-indexed captures visible")
                    conn.execute("SELECT * FROM captures ORDER BY captured_at DESC LIMIT 50").fetchall()
                    seen.append(n)
                except sqlite3.Error as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        procs = [cli_capture(tmp_path, urls[p::3], workers=4) for p in range(3)]
        outs = [p.communicate(timeout=120) for p in procs]
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert errors == []
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err.decode()[-2000:]
    assert seen and max(seen) <= len(urls)
    assert check_store_consistent(tmp_path) == len(urls)


def test_threads_in_one_process_share_the_store(tmp_path, busy_site):
    urls = [busy_site.url(f"/n{i}") for i in range(20)]
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        results = store.capture(urls, Fetcher(timeout=10), workers=8, extract=False)
    assert all("error" not in r for r in results)
    assert check_store_consistent(tmp_path) == 20


def test_same_url_at_once_gives_distinct_records_or_durable_revisits(tmp_path, busy_site):
    url = busy_site.url("/n1")
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        results = store.capture([url] * 8, Fetcher(timeout=10), workers=8, extract=False)
        assert all("error" not in r for r in results)
        assert len({r["record_id"] for r in results}) == 8
        rows = store.conn.execute("SELECT * FROM captures WHERE url=?", (url,)).fetchall()
        originals = [r for r in rows if r["record_type"] == "response"]
        assert originals
        for r in rows:
            if r["record_type"] == "revisit":
                orig = store.original_of(r)
                # The original a revisit names is durable and precedes it in the store.
                assert load_record(store.warcs.path_of(orig["warc_file"]), orig["offset"], orig["length"])
                assert (orig["warc_file"], orig["offset"]) < (r["warc_file"], r["offset"]) or \
                    orig["warc_file"] != r["warc_file"]
    check_store_consistent(tmp_path)


def test_two_capture_processes_start_on_a_new_store_together(tmp_path):
    """Two `archive capture` processes, hundreds of URLs each, on a store neither has
    created yet: neither may fail with "database is locked" (it did, 5 runs in 6)."""
    with SiteServer() as server:
        urls = [server.set(f"/s{i}", f"<p>story {i}: {i * 3} homes</p>") for i in range(600)]
        for attempt in range(2):
            d = tmp_path / f"race{attempt}"
            procs = [cli_capture(d, urls[k::2], workers=4) for k in range(2)]
            for p in procs:
                out, err = p.communicate(timeout=120)
                assert p.returncode == 0, err.decode()[-1000:]
                assert b"locked" not in err
            assert check_store_consistent(d) == 600


def test_a_job_that_cannot_be_indexed_fails_alone_in_its_group(tmp_path, busy_site):
    """Concurrent captures are indexed together (group commit); one job's failure must
    not take the others' rows with it, and its own error reaches its caller."""
    from archive.index.journal import _IndexJob
    from archive.warc.writer import RecordPointer, encode_records

    with Store(tmp_path / "a.db", tmp_path / "w") as store:
        records, _ = store._hop_records(Fetcher(timeout=10).fetch(busy_site.url("/n0")).hops[0])
        encoded = encode_records(records)
        pointers = store.warcs.append_encoded(encoded)
        good = _IndexJob(pointers, [None] * len(pointers))   # read back from the file
        ghost = RecordPointer(warc_file="no-such-file.warc.gz", offset=0, length=10,
                              record_id="<urn:uuid:ghost>", record_type="response", block_sha256=None)
        bad = _IndexJob([ghost], [None])
        store._index_jobs([bad, good])
        assert bad.done.is_set() and good.done.is_set()
        assert bad.error is not None and good.error is None
        response = next(e for e in encoded if e.record_type == "response")
        assert [r["record_id"] for r in good.rows if r.get("record_type") == "response"] == \
            [response.record_id]
        assert store.capture_row(response.record_id) is not None
