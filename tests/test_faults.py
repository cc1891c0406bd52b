"""Crashes and I/O faults (RELIABILITY.md cases 24-29): nothing acknowledged is lost.

* ``kill -9`` of a capturing process at random moments: every capture it reported is
  readable, digest-valid and indexed after the next open; partial tails are quarantined;
* ``kill -9`` during import and during reindex: the old index survives, a rerun gives
  the same result;
* ENOSPC / EIO at byte k of a record, and fsync failing: the capture is not acked, the
  WARC is cut back to the last good record, and the next capture works.

``ARCHIVE_FAULT_ITERATIONS`` raises the number of kill iterations (default 24).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.capture.http import Fetcher
from archive.index.rows import fixity_of
from archive.warc.reader import Found, Problem, iter_records
from archive.site import SiteServer
from archive.store import Store
from archive.warc.record import load_record

from .helpers_faults import descendants, gz, wait_gone, warc_record

ROOT = Path(__file__).resolve().parents[1]
ITERATIONS = int(os.environ.get("ARCHIVE_FAULT_ITERATIONS", "24"))

CAPTURE_SCRIPT = r"""
import json, sys
from archive.store import Store
from archive.capture.http import Fetcher
db, warcs, base, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# Files rotate at 32 MB: kills then also land in rotations and seals, and the recovery
# scan after each kill (from the start of the file it interrupted) stays short.
store = Store(db, warcs, max_file_size=32 << 20)
print(json.dumps({"started": True}), flush=True)
fetcher = Fetcher(timeout=5)
for i in range(n):
    r = store.capture([f"{base}/p{i % 40}"], fetcher, extract=False)[0]
    if "error" not in r:
        print(json.dumps({k: r[k] for k in ("record_id", "warc_file", "offset", "length",
                                             "payload_sha256")}), flush=True)
"""


def run_child(script: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, cwd=ROOT)


def kill_after(proc: subprocess.Popen, delay: float) -> list[dict]:
    """SIGKILL ``proc`` ``delay`` seconds after it reports it started (on a loaded
    machine starting Python alone can take seconds); the captures it acknowledged."""
    first = proc.stdout.readline()
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    acked = []
    for line in (first + out).decode().splitlines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue      # a line cut by the kill was never a complete report
        if "record_id" in obj:
            acked.append(obj)
    return acked


def check_acked(store: Store, acked: list[dict]) -> None:
    for a in acked:
        rec = load_record(store.warcs.path_of(a["warc_file"]), a["offset"], a["length"])
        assert rec.record_id == a["record_id"]
        assert fixity_of(rec) == "ok"
        row = store.capture_row(a["record_id"])
        assert row is not None, f"acked capture {a['record_id']} is not indexed"
        assert (row["warc_file"], row["offset"], row["length"]) == (a["warc_file"], a["offset"], a["length"])
        assert row["payload_sha256"] == a["payload_sha256"] or row["record_type"] == "revisit"


def check_every_row_readable(store: Store, files: set[str] | None = None) -> None:
    """Every capture row (or those in ``files``) points at its record, intact."""
    for row in store.conn.execute("SELECT * FROM captures"):
        if files is not None and row["warc_file"] not in files:
            continue
        rec = load_record(store.warcs.path_of(row["warc_file"]), row["offset"], row["length"])
        assert rec.record_id == row["record_id"]
        assert hashlib.sha256(rec.block).hexdigest() == row["block_sha256"]


def _file_sizes(warcs: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in warcs.glob("*.warc*")} if warcs.exists() else {}


def captures_dump(db: Path) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT record_id, record_type, url, warc_file, offset, length, "
                            "payload_sha256, block_sha256 FROM captures ORDER BY record_id").fetchall()
    finally:
        conn.close()


def _fresh_page(size: int):
    """A handler serving new incompressible bytes on every request (never a revisit)."""
    def handler(req):
        body = b"<html><body>" + os.urandom(size) + b"</body></html>"
        req.send_response(200)
        req.send_header("Content-Type", "application/octet-stream")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        try:
            req.wfile.write(body)
        except OSError:
            pass  # the capturing child was killed mid-transfer
    return handler


@pytest.fixture(scope="module")
def pages():
    """40 pages from 1 KB to 3 MB of fresh random bytes: compressing the big ones takes
    long enough that many kills land inside a record write."""
    rng = random.Random(7)
    with SiteServer() as server:
        for i in range(40):
            server.pages[f"/p{i}"] = _fresh_page(rng.choice([1_000, 100_000, 3_000_000]))
        yield server


@pytest.mark.slow
@pytest.mark.timeout(max(600, 6 * ITERATIONS))   # ~1.5 s a kill on 2 cores
def test_sigkill_during_capture_loses_nothing_acked(tmp_path, pages):
    db, warcs = tmp_path / "archive.db", tmp_path / "warcs"
    rng = random.Random(1234)
    all_acked: list[dict] = []
    quarantined = 0
    for it in range(ITERATIONS):
        before = _file_sizes(warcs)
        proc = run_child(CAPTURE_SCRIPT, str(db), str(warcs), pages.base_url, "200", str(it))
        acked = kill_after(proc, rng.uniform(0.3, 0.8))
        all_acked += acked
        with Store(db, warcs) as store:          # recover() runs here
            for r in store.recovered:
                if r.get("quarantined"):
                    quarantined += 1
                    q = Path(r["quarantined"])
                    assert q.parent == warcs / "quarantine" and q.exists()
            # What this kill and this recovery touched; everything is checked again at the
            # end (checking it all after each kill made the loop quadratic: 200 kills took
            # longer than the test's timeout once captures got faster).
            touched = {n for n, size in _file_sizes(warcs).items() if before.get(n) != size}
            check_acked(store, acked)
            check_every_row_readable(store, touched)
            for name in touched:
                problems = [i for i in iter_records(warcs / name) if isinstance(i, Problem)]
                assert problems == [], (name, problems)
    assert len(all_acked) > ITERATIONS       # the children did capture between kills
    print(f"{ITERATIONS} kills, {len(all_acked)} acked captures, {quarantined} tails quarantined")
    with Store(db, warcs) as store:
        check_acked(store, all_acked)            # nothing acked was lost by a later kill
        check_every_row_readable(store)
        for name in store.warcs.list_files():
            problems = [i for i in iter_records(warcs / name) if isinstance(i, Problem)]
            assert problems == [], (name, problems)
    # The index is a view: rebuilt from warcs/ alone, it still holds every acked capture.
    with Store(db, warcs) as store:
        before = {r[0] for r in store.conn.execute("SELECT record_id FROM captures")}
        counts = store.reindex(extract=False)
        check_acked(store, all_acked)
        after = {r[0] for r in store.conn.execute("SELECT record_id FROM captures")}
    assert after == before
    assert counts["captures"] == len(after)


BIG_IMPORT_RECORDS = 3000


@pytest.fixture(scope="module")
def big_warc(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.warc.gz"
    with open(path, "wb") as f:
        for i in range(BIG_IMPORT_RECORDS):
            body = f"<html><body><p>record {i}</p></body></html>".encode()
            f.write(gz(warc_record(url=f"http://example.com/{i}", payload=body,
                                   record_id=f"<urn:uuid:00000000-0000-0000-0000-{i:012d}>")))
    return path


IMPORT_SCRIPT = r"""
import sys
from archive.store import Store
with Store(sys.argv[1], sys.argv[2]) as s:
    print("started", flush=True)
    s.import_path(sys.argv[3])
    print("done", flush=True)
"""

REINDEX_SCRIPT = r"""
import sys
from archive.store import Store
with Store(sys.argv[1], sys.argv[2]) as s:
    print("started", flush=True)
    s.reindex(extract=False)
    print("done", flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_import_then_rerun(tmp_path, big_warc):
    db, warcs = tmp_path / "archive.db", tmp_path / "warcs"
    rng = random.Random(5)
    for _ in range(6):
        proc = run_child(IMPORT_SCRIPT, str(db), str(warcs), str(big_warc))
        kill_after(proc, rng.uniform(0.3, 1.5))
        with Store(db, warcs) as store:
            check_every_row_readable(store)
    with Store(db, warcs) as store:
        result = store.import_path(big_warc)
        assert result["errors"] == []
        n = store.conn.execute("SELECT count(*) FROM captures").fetchone()[0]
        assert n == BIG_IMPORT_RECORDS
        check_every_row_readable(store)
    # Same as a clean import into a fresh store.
    clean = tmp_path / "clean"
    with Store(clean / "archive.db", clean / "warcs") as store:
        store.import_path(big_warc)
    assert [r[:3] + r[4:] for r in captures_dump(db)] == [r[:3] + r[4:] for r in captures_dump(clean / "archive.db")]


@pytest.mark.slow
def test_sigkill_during_reindex_leaves_old_index(tmp_path, big_warc):
    db, warcs = tmp_path / "archive.db", tmp_path / "warcs"
    with Store(db, warcs) as store:
        store.import_path(big_warc)
    reference = captures_dump(db)
    rng = random.Random(9)
    for _ in range(6):
        proc = run_child(REINDEX_SCRIPT, str(db), str(warcs))
        kill_after(proc, rng.uniform(0.3, 2.0))
        assert captures_dump(db) == reference
    with Store(db, warcs) as store:
        store.reindex(extract=False)
    assert captures_dump(db) == reference
    with Store(db, warcs) as store:
        store.reindex(extract=False)
    assert captures_dump(db) == reference


# -- injected I/O faults -----------------------------------------------------------------

class FaultyFile:
    """Wraps the WARC file handle: writes past ``budget`` bytes fail with ``err``."""

    def __init__(self, fh, budget: int | None = None, err: int = errno.ENOSPC):
        self._fh = fh
        self.budget = budget
        self.err = err
        self.written = 0

    def write(self, data) -> int:
        data = bytes(data)
        if self.budget is not None and self.written + len(data) > self.budget:
            allowed = max(0, self.budget - self.written)
            self._fh.write(data[:allowed])
            self.written += allowed
            raise OSError(self.err, os.strerror(self.err))
        self.written += len(data)
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)


def _capture(store, url):
    (res,) = store.capture([url], Fetcher(timeout=5), extract=False)
    return res


@pytest.mark.slow
@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EIO])
def test_write_error_at_every_byte_is_not_acked_and_rolled_back(tmp_path, site, err):
    body = (b"<html><body>" + os.urandom(3000).hex().encode() + b"</body></html>")
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        first = _capture(store, site.set("/first", body))
        assert "error" not in first
        # Size of one request+response batch as compressed on disk (the ledger entry
        # that follows is written after the capture is acked, so it is not counted).
        req = [i for i in iter_records(store.warcs._current.path) if isinstance(i, Found)
               and i.record.header("WARC-Concurrent-To") == first["record_id"]][0]
        batch = first["offset"] + first["length"] - req.offset
        ks = sorted(set(list(range(0, 40)) + list(range(40, batch, 97)) + [batch - 1]))
        failed = 0
        for n, k in enumerate(ks):
            of = store.warcs._current
            good_size = of.size
            of.fh = FaultyFile(of.fh, budget=k, err=err)
            rows_before = store.conn.execute("SELECT count(*) FROM captures").fetchone()[0]
            res = _capture(store, site.set(f"/p{n}", body + str(n).encode()))
            if "error" not in res:
                # k was past the end of this batch: it was written whole and acked.
                assert isinstance(store.warcs._current.fh, FaultyFile)
                store.warcs._current.fh = store.warcs._current.fh._fh
                continue
            assert res["code"] == "store_failed"
            failed += 1
            reason = "no space left on device" if err == errno.ENOSPC else os.strerror(err)
            assert reason in res["error"] and "nothing was stored" in res["error"]
            assert store.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == rows_before
            cur = store.warcs._current
            assert cur is not None and cur.path.stat().st_size == good_size
            cur.fh = cur.fh._fh
            ok = _capture(store, site.set(f"/q{n}", body + b"again" + str(n).encode()))
            assert "error" not in ok, ok
        assert failed >= len(ks) - 3     # nearly every k fell inside the batch
        check_every_row_readable(store)
        names = store.warcs.list_files()
    for name in names:
        got = list(iter_records(tmp_path / "warcs" / name))
        assert all(isinstance(i, Found) for i in got)


def test_fsync_failure_retires_the_file_and_never_acks(tmp_path, site, monkeypatch):
    import archive.warc.writer as ws

    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        assert "error" not in _capture(store, site.set("/a", "<p>a</p>"))
        first_file = store.warcs.current_file
        real_fsync = os.fsync

        def failing_fsync(fd):
            raise OSError(errno.EIO, "Input/output error")

        monkeypatch.setattr(ws.os, "fsync", failing_fsync)
        res = _capture(store, site.set("/b", "<p>b</p>"))
        monkeypatch.setattr(ws.os, "fsync", real_fsync)
        assert res.get("code") == "store_failed", res
        assert store.conn.execute("SELECT count(*) FROM captures WHERE url LIKE '%/b'").fetchone()[0] == 0
        assert store.warcs.current_file is None        # retired: no more appends to it
        res = _capture(store, site.set("/c", "<p>c</p>"))
        assert "error" not in res
        assert res["warc_file"] != first_file
        check_every_row_readable(store)
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        # The retired file holds only acked records (the failed batch was cut off).
        got = list(iter_records(tmp_path / "warcs" / first_file))
        assert all(isinstance(i, Found) for i in got)
        check_every_row_readable(store)


def _article(i: int) -> bytes:
    paras = "".join(f"<p>Paragraph {k} of story {i}: officials said {i * 100 + k:,} homes were "
                    f"evacuated, \"we are ready\", the mayor said on Tuesday.</p>" for k in range(300))
    return f"<html><head><title>Story {i}</title></head><body><article><h1>Story {i}</h1>{paras}" \
           f"</article></body></html>".encode()


def test_sigkill_leaves_no_extraction_worker_running(tmp_path):
    """Issue 14: SIGKILL of a command used to leave its extraction workers running forever,
    holding the caller's output pipe open. They must die with it."""
    with SiteServer() as server:
        urls = [server.set(f"/s{i}", _article(i)) for i in range(120)]
        with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
            store.capture(urls, Fetcher(timeout=10), workers=4, extract=False)
    env = dict(os.environ, PYTHONPATH=str(ROOT), ARCHIVE_DB=str(tmp_path / "archive.db"),
               ARCHIVE_WARCS=str(tmp_path / "warcs"))
    proc = subprocess.Popen([sys.executable, "-c", "from archive.cli import cli; cli()", "extract", "--all"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while not workers and proc.poll() is None and time.monotonic() < deadline:
        workers = descendants(proc.pid)
        time.sleep(0.01)
    assert workers, "the extraction never started a worker process"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = wait_gone(workers)
    shown = {p: Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ")[:200] for p in left}
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"worker processes {shown} outlived the killed command"
    # and nothing holds the pipe: end of file arrives
    assert proc.stdout.read() is not None


BIG_CAPTURE_SCRIPT = r"""
import sys
from archive.store import Store
from archive.capture.http import Fetcher
store = Store(sys.argv[1], sys.argv[2])
print("started", store.warcs.list_files(), flush=True)
store.capture([sys.argv[3]], Fetcher(timeout=60, max_body=100 << 20), extract=False)
print("acked", flush=True)
"""


def test_verify_after_a_kill_mid_record_reports_an_interrupted_write(tmp_path):
    """Issue 14: SIGKILL of `archive capture` in the middle of a 40 MB body left a partial
    record that `verify --all` run next reported as damage (exit 1). It is a write that
    was never acknowledged: reported as such, exit 0, and moved to quarantine by the next
    command that writes."""
    from click.testing import CliRunner

    from archive.cli import cli

    body = os.urandom(40 << 20)

    def big(req):
        req.send_response(200)
        req.send_header("Content-Type", "application/octet-stream")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        try:
            req.wfile.write(body)
        except OSError:
            pass

    db, warcs = tmp_path / "archive.db", tmp_path / "warcs"
    with SiteServer() as server:
        server.set("/small", "<p>12 homes</p>")
        with Store(db, warcs) as store:
            store.capture([server.url("/small")], Fetcher(timeout=10))
            name = store.warcs.current_file
        acked_size = (warcs / name).stat().st_size
        server.pages["/big"] = big
        for _ in range(5):
            proc = run_child(BIG_CAPTURE_SCRIPT, str(db), str(warcs), server.url("/big"))
            proc.stdout.readline()
            grown = False
            while proc.poll() is None:
                if (warcs / name).stat().st_size > acked_size + (1 << 20):
                    proc.send_signal(signal.SIGKILL)
                    grown = True
                    break
                time.sleep(0.002)
            proc.wait()
            if grown and any(isinstance(i, Problem) for i in iter_records(warcs / name)):
                break
            # the write finished before the kill landed: try again from the new end
            with Store(db, warcs) as store:
                acked_size = (warcs / name).stat().st_size
        else:
            pytest.skip("no kill landed inside the record write")
    result = CliRunner().invoke(cli, ["--db", str(db), "--warcs", str(warcs), "verify", "--all"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert any(line.startswith("ok   interrupted") and name in line for line in result.output.splitlines()), \
        result.output
    with Store(db, warcs) as store:   # the next command that opens the store to write
        assert any(r.get("quarantined") for r in store.recovered)
    result = CliRunner().invoke(cli, ["--db", str(db), "--warcs", str(warcs), "verify", "--all"],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "interrupted" not in result.output and "recovered" in result.output
