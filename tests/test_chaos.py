"""The chaos run (issue 14): SIGKILL at random moments of every write command.

``make test-chaos`` runs it (marked ``slow``; ``ARCHIVE_CHAOS_ITERATIONS`` kills, 200 by
default). Each iteration starts one of ``archive capture``, ``import``, ``cite``,
``reindex``, ``extract --all`` and ``watch run`` as a real process on one shared store and
kills it with SIGKILL after a random delay (during start-up, recovery, fetching, writing,
indexing, extracting or vouching). After each kill:

* no process the command started outlives it (extraction workers die with it; the
  detached extraction drainer a capture may start is let finish: it must stay under
  ``DRAINER_MAX_RSS_MB`` and exit within 300 s of the last kill);
* the next open recovers the store, and every capture any command acknowledged so far
  (printed with --json) is readable at its pointer, digest-valid, indexed exactly once and
  vouched for by the ledger.

At the end ``archive verify --all`` must pass: a crash leaves nothing it would call damage.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.index.rows import fixity_of
from archive.site import SiteServer
from archive.store import Store
from archive.warc.record import load_record

from .helpers_faults import alive, descendants, gz, http_block, wait_gone, warc_record

ROOT = Path(__file__).resolve().parents[1]
ITERATIONS = int(os.environ.get("ARCHIVE_CHAOS_ITERATIONS", "200"))
PAGES = 30
#: A background drainer extracts a bounded step of snapshots at a time: its peak memory
#: (the interpreter with the extractor's libraries is about 200 MB) stays far below this.
DRAINER_MAX_RSS_MB = 600


def _page(i: int, edition: int, paragraphs: int | None = None) -> str:
    paras = "".join(f"<p>Paragraph {k}: officials said {(i + 1) * (k + 3) * (edition + 1):,} homes were "
                    f"evacuated, “we are ready”, the mayor said.</p>"
                    for k in range(40 + i * 20 if paragraphs is None else paragraphs))
    return f"<html><head><title>Story {i}</title></head><body><article><h1>Story {i}</h1>{paras}" \
           f"</article></body></html>"


def _run_cli(store: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), ARCHIVE_DB=str(store / "archive.db"),
               ARCHIVE_WARCS=str(store / "warcs"))
    return subprocess.Popen([sys.executable, "-c", "from archive.cli import cli; cli()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _peak_rss_mb(pids: set[int]) -> int:
    """The largest peak resident set (VmHWM) of the running ``pids``, in MB."""
    peak = 0
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) // 1024)
    return peak


def _acked(out: bytes) -> list[dict]:
    acked = []
    for line in out.decode("utf-8", "replace").splitlines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue   # a line cut by the kill was never a complete report
        if isinstance(obj, dict) and obj.get("record_id") and obj.get("warc_file") and "error" not in obj:
            acked.append(obj)
    return acked


def _check(store: Store, acked: list[dict]) -> None:
    for a in acked:
        rows = store.conn.execute("SELECT * FROM captures WHERE record_id=?", (a["record_id"],)).fetchall()
        assert len(rows) == 1, f"acknowledged capture {a['record_id']} is indexed {len(rows)} times"
        row = rows[0]
        rec = load_record(store.warcs.source(row["warc_file"]), row["offset"], row["length"])
        assert rec.record_id == a["record_id"]
        assert fixity_of(rec) == "ok"
        assert store.conn.execute("SELECT 1 FROM ledger WHERE kind='capture' AND subject=?",
                                  (a["record_id"],)).fetchone(), f"{a['record_id']} is not vouched for"


@pytest.mark.slow
@pytest.mark.timeout(max(1200, 20 * ITERATIONS))   # ~5 s a kill on 2 idle cores, more when loaded
def test_sigkill_at_random_points_of_every_write_command(tmp_path):
    rng = random.Random(14)
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    other = tmp_path / "other.warc.gz"
    # 200 records of articles of 10 to 127 paragraphs: an import long enough to be killed
    # while indexing, vouching or extracting, whose extraction a drainer finishes in seconds.
    other.write_bytes(b"".join(gz(warc_record("response", http_block(_page(i, 9, 10 + i % 40 * 3).encode()),
                                              url=f"http://example.org/imported/{i}")) for i in range(200)))
    all_acked: list[dict] = []
    drainers: set[int] = set()
    drainer_rss = 0
    kills: dict[str, int] = {}
    started = time.monotonic()
    with SiteServer() as site:
        urls = [site.set(f"/s{i}", _page(i, 0)) for i in range(PAGES)]
        site.set("/big", os.urandom(3 << 20), content_type="application/octet-stream")
        first = _run_cli(store_dir, "capture", "--json", *urls[:3])
        all_acked += _acked(first.communicate(timeout=300)[0])
        assert first.returncode == 0 and all_acked
        assert _run_cli(store_dir, "watch", "add", "--schedule", "1s", *urls[:4]).wait(timeout=300) == 0
        commands = {
            "capture": lambda: ["capture", "--json", *rng.choice([[], ["--no-extract"]]),
                                *rng.sample(urls + [site.url("/big")], 2)],
            "import": lambda: ["import", "--json", str(other)],
            "cite": lambda: ["cite", "--json", urls[rng.randrange(3)], "homes were"],
            "reindex": lambda: ["reindex", "--json"],
            "extract": lambda: ["extract", "--all"],
            "watch run": lambda: ["watch", "run", "--json"],
        }
        for it in range(ITERATIONS):
            if it % 7 == 3:   # new editions: recaptures give new versions and changes
                for i in rng.sample(range(PAGES), 5):
                    site.set(f"/s{i}", _page(i, it))
            name = rng.choice(list(commands))
            kills[name] = kills.get(name, 0) + 1
            proc = _run_cli(store_dir, *commands[name]())
            deadline = time.monotonic() + rng.uniform(0.05, 8.0)
            seen: set[int] = set()
            while time.monotonic() < deadline and proc.poll() is None:
                seen |= descendants(proc.pid)
                time.sleep(0.02)
            seen |= descendants(proc.pid)
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate(timeout=60)
            if name in ("capture", "watch run"):
                all_acked += _acked(out)
            queue = {p for p in seen if alive(p) and b"--queue" in _cmdline(p)}
            drainers |= queue
            drainer_rss = max(drainer_rss, _peak_rss_mb({p for p in drainers if alive(p)}))
            left = wait_gone(seen - queue)
            for p in left:
                os.kill(p, signal.SIGKILL)
            assert not left, f"iteration {it} ({name}): processes {sorted(left)} outlived the killed command"
            with Store(store_dir / "archive.db", store_dir / "warcs") as store:   # recovery runs here
                _check(store, [a for a in all_acked if a.get("_checked") is None])
                for a in all_acked:
                    a["_checked"] = True
        looped = time.monotonic()
        # nothing runs forever: the detached drainers finish their queue and exit
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and any(alive(p) for p in drainers):
            drainer_rss = max(drainer_rss, _peak_rss_mb({p for p in drainers if alive(p)}))
            time.sleep(0.5)
        left = {p for p in drainers if alive(p)}
        for p in left:
            os.kill(p, signal.SIGKILL)
        assert not left, f"extraction drainers {sorted(left)} still ran 300 s after the last kill"
        assert drainer_rss < DRAINER_MAX_RSS_MB, f"a drainer reached {drainer_rss} MB"
    with Store(store_dir / "archive.db", store_dir / "warcs") as store:
        _check(store, all_acked)
    drained = time.monotonic()
    verify = _run_cli(store_dir, "verify", "--all")
    out, _ = verify.communicate(timeout=1800)
    failed = [line for line in out.decode().splitlines() if line.startswith("FAIL")]
    print(f"{ITERATIONS} kills {kills}, {len(all_acked)} acknowledged captures, {len(drainers)} drainers "
          f"(peak {drainer_rss} MB); kills {looped - started:.0f} s, drainers {drained - looped:.0f} s, "
          f"verify --all {time.monotonic() - drained:.0f} s")
    assert verify.returncode == 0 and not failed, "\n".join(failed[:20])
    assert len(all_acked) > 3 + ITERATIONS // 20   # captures were acknowledged between kills
