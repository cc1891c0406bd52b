"""Verify: ``archive verify --all`` against ``warcio check`` on the same store.

The store is the serve benchmark's base store (200 real pages with extraction and 20
citations). ``warcio check`` checks the block and payload digest of every record of every
file in ``warcs/``; ``archive verify --all`` checks every citation (record bytes at the
pointer, digests, re-extraction, passage position) plus, where ``archive.audit`` exists,
a fixity audit of every file. The two do different work; the ratio says what a user
waits for when asking each tool "is my archive intact?". Target: at least as fast (≥ 1×).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import ROOT, Row, Task, interleave, speed_row, tool  # noqa: E402
from bench_serve import CITATIONS, base_store  # noqa: E402


def run(quick: bool = True, log=print) -> list[Row]:
    d = base_store(log)
    rounds = 3 if quick else 5
    files = sorted(str(p) for p in (d / "warcs").glob("*.warc.gz"))
    size = sum(Path(f).stat().st_size for f in files) / 1e6
    sys.path.insert(0, str(ROOT))
    audit = importlib.util.find_spec("archive.audit") is not None
    log(f"  verify: {len(files)} files ({size:.1f} MB), {CITATIONS} citations, "
        f"full audit {'present' if audit else 'absent'}; {rounds} rounds")
    ours = Task("archive verify --all", lambda _: [tool("archive"), "verify", "--all", "--db", str(d / "archive.db"),
                                                  "--warcs", str(d / "warcs")])
    peer = Task("warcio check", lambda _: [tool("warcio"), "check", *files])
    interleave([ours, peer], rounds, log=log)
    note = (f"{CITATIONS} citations, {size:.1f} MB of WARC; "
            + ("with the archive.audit fixity pass" if audit else "archive.audit absent: citations only"))
    return [speed_row("verify", "verify --all vs warcio check", ours, peer, 1.0, "≥ 1×", note)]


if __name__ == "__main__":
    for r in run("--full" not in sys.argv):
        print(r)
