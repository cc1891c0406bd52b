"""Index: ``archive import --no-extract`` against cdxj-indexer, ``warcio index`` and zcat.

All four read the same cached corpus WARC from the page cache; the three Python tools
run with their bytecode cached (``bench_util.PYCACHE``). Ours starts each round
with an empty ``archive.db`` and ``warcs/`` and includes what the command does beyond
indexing: copying the file into ``warcs/`` with fsync and hashing the whole file.
Targets: at least 2× faster than cdxj-indexer; at most 0.8× the time of ``zcat``, on WARCs
whose digests are SHA-256 (as ours) and SHA-1 (as wget, warcio and Heritrix write them);
``--quick`` at 2,000 pages, ``--full`` at 2,000, 20,000 and 100,000. The note gives our
peak memory (target < 64 MB whatever the size) and time per record.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import OUT, PYCACHE, Row, Task, fresh_dir, interleave, speed_row, stats, tool, warm  # noqa: E402
import corpus  # noqa: E402


def run(quick: bool = True, log=print) -> list[Row]:
    rows: list[Row] = []
    sizes = [2000] if quick else [2000, 20000, 100000]
    for pages in sizes:
        for algo in ("sha256", "sha1"):
            rows += run_one(pages, algo, 3 if quick or pages < 100000 else 2, log)
    return rows


def run_one(pages: int, algo: str, rounds: int, log=print) -> list[Row]:
    warc = corpus.corpus_path(pages, algo=algo)
    warm(warc)
    work = OUT / "index-work"
    mb = warc.stat().st_size / 1e6
    log(f"  index: {warc.name} ({pages:,} pages, {algo} digests, {mb:.1f} MB), {rounds} rounds")

    def setup(_):
        fresh_dir(work)

    ours = Task("archive import", lambda _: [tool("archive"), "import", "--no-extract", "--db", str(work / "archive.db"),
                                             "--warcs", str(work / "warcs"), str(warc)], setup=setup, env=PYCACHE)
    cdxj = Task("cdxj-indexer", lambda _: [tool("cdxj-indexer"), str(warc)], env=PYCACHE)
    wi = Task("warcio index", lambda _: [tool("warcio"), "index", str(warc)], env=PYCACHE)
    zcat = Task("zcat", lambda _: ["zcat", str(warc)])
    interleave([ours, cdxj, wi, zcat], rounds, log=log)
    med = stats(ours.times)[1]
    records = 2 * pages + 1
    peak = max(r.maxrss_kb for r in ours.runs) / 1024
    note = (f"{pages:,} pages, {algo} digests, {mb:.0f} MB; ours {records / med:,.0f} records/s "
            f"({1e6 * med / records:.0f} µs/record), {mb / med:.0f} MB/s, peak RSS {peak:.0f} MB "
            f"(target < 64 MB)")
    what = f"import --no-extract, {pages // 1000}k pages, {algo}"
    rows = [
        speed_row("index", f"{what} vs cdxj-indexer", ours, cdxj, 2.0, "≥ 2× faster", note),
        speed_row("index", f"{what} vs warcio index", ours, wi, None, "(reference)"),
        speed_row("index", f"{what} vs zcat", ours, zcat, 1 / 0.8, "time ≤ 0.8× zcat"),
    ]
    fresh_dir(work)
    return rows


if __name__ == "__main__":
    for r in run("--full" not in sys.argv):
        print(r)
