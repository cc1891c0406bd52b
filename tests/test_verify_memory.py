"""``archive verify --all`` streams (issue 14): on a store of a million records it peaked at
1.6 GB, holding every record, every ledger entry, every record id of a file and every
queued snapshot in dicts and lists. Its peak memory must not grow with the store: measured
as the peak RSS of the command (``wait4``) on stores of N and 4N records, the difference
stays under a fixed bound (SQLite's page caches, bounded, fill up between the two)."""

from __future__ import annotations

import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

SIZES = (10_000, 40_000)
# The code that held everything grew by 83 MB between these sizes (81 -> 163 MB). What
# remains varies by a few MB from run to run: SQLite's page caches filling up, malloc's
# arenas, the extraction workers forked while the index is built again.
GROWTH_MB = 32


def small_records(path: Path, n: int) -> None:
    """``n`` response records of tiny images (no text to extract), one gzip member each."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True, warc_version="WARC/1.1")
        for i in range(n):
            payload = b"GIF89a" + i.to_bytes(4, "big")
            headers = StatusAndHeaders("200 OK", [("Content-Type", "image/gif"),
                                                  ("Content-Length", str(len(payload)))], protocol="HTTP/1.1")
            rec = writer.create_warc_record(f"http://example.org/img/{i}.gif", "response",
                                            payload=BytesIO(payload), http_headers=headers,
                                            warc_headers_dict={"WARC-Date": f"2024-01-01T00:{i // 60 % 60:02d}:"
                                                                             f"{i % 60:02d}Z"})
            writer.write_record(rec)


def archive(store: Path, *args: str) -> tuple[int, int, str]:
    """Run ``archive ARGS`` on ``store`` as its own process: exit status, peak RSS (KiB),
    output."""
    p = subprocess.Popen([sys.executable, "-m", "archive.cli", "--db", str(store / "archive.db"),
                          "--warcs", str(store / "warcs"), *args],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=store)
    assert p.stdout is not None
    out = p.stdout.read().decode("utf-8", "replace")   # to EOF, then reap with its rusage
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, usage.ru_maxrss, out


@pytest.mark.slow
def test_verify_all_takes_the_same_memory_on_a_store_four_times_larger(tmp_path):
    peaks = {}
    for n in SIZES:
        store = tmp_path / f"store-{n}"
        store.mkdir()
        small_records(store / "images.warc.gz", n)
        code, _, out = archive(store, "import", "--no-extract", str(store / "images.warc.gz"))
        assert code == 0, out[-2000:]
        code, peaks[n], out = archive(store, "verify", "--all")
        assert code == 0, out[-2000:]
        assert f"{n} capture rows match their records" in out
        assert f"{n + 1} entries linked from the first to the head" in out   # one per capture, one seal
    small, large = (peaks[n] / 1024 for n in SIZES)
    assert large - small < GROWTH_MB, (
        f"verify --all peaked at {small:.0f} MB on {SIZES[0]:,} records and {large:.0f} MB on "
        f"{SIZES[1]:,}: its memory grows with the store")
