"""Load: 1,000 captures with --workers 8 from a local server, none lost (issue 7).

Not a timed test: it asserts that every capture is acknowledged, indexed once, readable
at its pointer and digest-valid. Speed is measured in bench/bench_capture.py.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from archive.store import Store
from archive.warc.record import load_record

from .conftest import invoke

PAGES = 1000


@pytest.mark.slow
def test_thousand_captures_with_eight_workers_lose_nothing(runner, tmp_path, site):
    urls = [site.set(f"/a/{i}", f"<html><body><h1>Story {i}</h1><p>{i * 37} homes, "
                                f"{i % 97} patients.</p></body></html>") for i in range(PAGES)]
    url_file = tmp_path / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n")
    res = invoke(runner, tmp_path, "capture", "--input", str(url_file), "--workers", "8",
                 "--no-extract", "--json")
    assert res.exit_code == 0, res.output[-2000:]
    acked = [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]
    assert sorted(a["url"] for a in acked) == sorted(urls)
    assert not [a for a in acked if "error" in a]
    with Store(tmp_path / "archive.db", tmp_path / "warcs", readonly=True) as store:
        rows = {r["record_id"]: r for r in store.conn.execute("SELECT * FROM captures")}
        assert len(rows) == PAGES
        for a in acked:
            row = rows[a["record_id"]]
            rec = load_record(store.warcs.path_of(row["warc_file"]), row["offset"], row["length"])
            assert hashlib.sha256(rec.payload).hexdigest() == a["payload_sha256"]
            assert rec.record_id == a["record_id"]
        # the ledger vouches for every capture (in batches)
        vouched = {r[0] for r in store.conn.execute("SELECT subject FROM ledger WHERE kind='capture'")}
        assert set(rows) <= vouched
