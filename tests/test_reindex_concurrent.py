"""`archive reindex` while other commands write to the same store.

A reindex builds a new index from the WARC files and swaps it in. Whatever other
processes write meanwhile (captures, their ledger entries, a drainer's texts) must be in
the index that is swapped in, and every process that goes on writing must write to that
index, not to the one it replaced: else the next write numbers its ledger entry after a
head that is not the real one (two entries with one number: a fork), or an acknowledged
capture is indexed nowhere. The chaos run found the fork; this test makes the race
happen on purpose, many times.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from archive.site import SiteServer
from archive.store import Store

from .helpers_faults import alive, descendants
from .test_chaos import _acked, _check, _page

ROOT = Path(__file__).resolve().parents[1]


def _cli(store: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), ARCHIVE_DB=str(store / "archive.db"),
               ARCHIVE_WARCS=str(store / "warcs"))
    return subprocess.Popen([sys.executable, "-c", "from archive.cli import cli; cli()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)


@pytest.mark.timeout(600)
def test_captures_written_while_reindex_runs_are_indexed_once_and_fork_nothing(tmp_path):
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    acked: list[dict] = []
    errors: list[str] = []
    seen: set[int] = set()
    stop = threading.Event()
    with SiteServer() as site:
        urls = [site.set(f"/s{i}", _page(i, 0, 30)) for i in range(12)]
        first = _cli(store_dir, "capture", "--json", *urls[:2])
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err.decode()
        acked += _acked(out)

        def capture_loop() -> None:
            i = 0
            while not stop.is_set():
                site.set(f"/s{i % 12}", _page(i % 12, i, 30))   # a new edition: a new text to vouch for
                proc = _cli(store_dir, "capture", "--json", urls[i % 12], urls[(i + 5) % 12])
                while proc.poll() is None:
                    seen.update(descendants(proc.pid))
                    time.sleep(0.02)
                out, err = proc.communicate()
                if proc.returncode != 0:
                    errors.append(err.decode()[-2000:])
                acked.extend(_acked(out))
                i += 1

        writers = [threading.Thread(target=capture_loop) for _ in range(2)]
        for t in writers:
            t.start()
        try:
            for _ in range(6):
                reindex = _cli(store_dir, "reindex", "--json")
                out, err = reindex.communicate(timeout=300)
                assert reindex.returncode == 0, err.decode()
        finally:
            stop.set()
            for t in writers:
                t.join(timeout=300)
        # the drainers the captures started finish their queue
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and any(alive(p) for p in seen):
            time.sleep(0.2)
    assert not errors, errors[0]
    assert len(acked) > 6
    with Store(store_dir / "archive.db", store_dir / "warcs") as store:
        _check(store, acked)
    verify = _cli(store_dir, "verify", "--all")
    out, err = verify.communicate(timeout=600)
    failed = [line for line in out.decode().splitlines() if line.startswith("FAIL")]
    assert verify.returncode == 0 and not failed, "\n".join(failed[:20]) or err.decode()[-2000:]


def test_a_running_datasette_reads_the_reindexed_index(tmp_path):
    """`archive serve` keeps its connections to archive.db open: after a reindex it must
    show what is captured next, not the index the reindex replaced, for as long as it runs."""
    import asyncio

    from .test_datasette import datasette_for, table_count

    db, warcs = tmp_path / "archive.db", tmp_path / "warcs"

    def captures(ds) -> int | None:
        data = asyncio.run(ds.client.get("/archive/captures.json?_extra=count")).json()
        return table_count(data)

    with SiteServer() as site:
        urls = [site.set(f"/s{i}", _page(i, 0, 5)) for i in range(3)]
        with Store(db, warcs) as store:
            store.capture(urls[:1])
        ds = datasette_for(db)
        assert captures(ds) == 1
        with Store(db, warcs) as store:
            store.reindex()
            store.capture(urls[1:])
        assert captures(ds) == 3
        texts = asyncio.run(ds.client.get("/archive/texts.json?_extra=count")).json()
        assert table_count(texts) == 3   # the new index's texts, extracted by the reindex and after
