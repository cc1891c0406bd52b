"""Verify: ``archive verify --all [--no-extract]`` against ``warcio check`` on the same store.

Two stores, both cached under ``bench/out/`` and rebuilt when ``archive/schema.py`` changes:

* the target row: a store of realistic size, the 2,000-page corpus (37 MB of WARC) imported
  with extraction, with 20 citations spread over the pages;
* a reference row: the serve benchmark's small base store (200 pages, 4 MB, 20 citations),
  where both tools spend most of their time starting up.

``warcio check`` checks the block and payload digest of every record of every file in
``warcs/``; ``archive verify --all`` checks every citation (record bytes at the pointer,
digests, re-extraction, passage position) plus a fixity audit of the whole store (every
record's digests, file seals, index rows, the ledger). With ``--no-extract`` (the target
rows) the rows extraction gave are checked against the ledger entries vouching for them;
without it (a reference row, two rounds: it takes minutes) every page is extracted again
and the whole index derived again and compared. The two tools do different work; the ratio
says what a user waits for when asking each tool "is my archive intact?". Throughput is
WARC bytes per second. Both run with their bytecode cached (``PYTHONPYCACHEPREFIX`` under
``bench/out``), as installed packages have. Target: at least as fast (≥ 1×) on the
realistic store.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import PYCACHE, Row, Task, interleave, speed_row, stats, tool  # noqa: E402
from bench_serve import base_store, cited_store  # noqa: E402

PAGES = 2000


def realistic_store(log=print) -> Path:
    """The 2,000-page corpus imported with extraction, and 20 citations spread over it
    (cached), so the cited records are spread over the file."""
    return cited_store("verify", PAGES, spread=True, log=log)


def _measure(d: Path, rounds: int, label: str, log, extra: tuple[str, ...] = ("--no-extract",)
             ) -> tuple[Task, Task, float, int]:
    files = sorted(str(p) for p in (d / "warcs").glob("*.warc.gz"))
    size = sum(Path(f).stat().st_size for f in files) / 1e6
    cites = _count_citations(d)
    log(f"  verify ({label}): {len(files)} files ({size:.1f} MB), {cites} citations; {rounds} rounds")
    # Both run with their bytecode cached, as installed packages have (warcio's is compiled
    # at install; PYTHONDONTWRITEBYTECODE, set in this environment, would otherwise make
    # every run of archive compile the package from source: ~40 ms).
    ours = Task(" ".join(("archive verify --all", *extra)),
                lambda _: [tool("archive"), "verify", "--all", *extra, "--db", str(d / "archive.db"),
                           "--warcs", str(d / "warcs")], env=PYCACHE)
    peer = Task("warcio check", lambda _: [tool("warcio"), "check", *files], env=PYCACHE)
    interleave([ours, peer], rounds, log=log)
    return ours, peer, size, cites


def _count_citations(d: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(f"file:{d / 'archive.db'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM citations").fetchone()[0]
    finally:
        conn.close()


def _note(ours: Task, peer: Task, size: float, cites: int) -> str:
    o, p = stats(ours.times)[1], stats(peer.times)[1]
    return (f"{cites} citations, {size:.1f} MB of WARC, with the full fixity audit; "
            f"ours {size / o:.1f} MB/s, warcio check {size / p:.1f} MB/s")


def run(quick: bool = True, log=print) -> list[Row]:
    rounds = 5 if quick else 9  # each run takes under a second; more rounds steady the medians
    big = realistic_store(log)
    small = base_store(log)
    ours, peer, size, cites = _measure(big, rounds, f"{PAGES:,} pages", log)
    rows = [speed_row("verify", f"verify --all --no-extract vs warcio check, {PAGES:,} pages", ours, peer, 1.0,
                      "≥ 1×", _note(ours, peer, size, cites))]
    ours, peer, size, cites = _measure(small, rounds, "200 pages", log)
    rows.append(speed_row("verify", "verify --all --no-extract vs warcio check, 200 pages", ours, peer, None,
                          "(reference)", _note(ours, peer, size, cites) + "; mostly start-up"))
    ours, peer, size, cites = _measure(big, 2, f"{PAGES:,} pages, every page extracted again", log, extra=())
    rows.append(speed_row("verify", f"verify --all (the index derived again) vs warcio check, {PAGES:,} pages",
                          ours, peer, None, "(reference)",
                          _note(ours, peer, size, cites) + f"; {1000 * stats(ours.times)[1] / PAGES:.0f} ms per page "
                          "(dense synthetic pages: 121 quotations, 193 figures each)"))
    return rows


if __name__ == "__main__":
    for r in run("--full" not in sys.argv):
        print(r)
