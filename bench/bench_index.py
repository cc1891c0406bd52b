"""Index: ``archive import --no-extract`` against cdxj-indexer, ``warcio index`` and zcat.

All four read the same cached corpus WARC from the page cache; the three Python tools
run with their bytecode cached (``bench_util.PYCACHE``). Ours starts each round
with an empty ``archive.db`` and ``warcs/`` and includes what the command does beyond
indexing: copying the file into ``warcs/`` with fsync and hashing the whole file.
Targets: at least 2× faster than cdxj-indexer; at most 0.8× the time of ``zcat``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import OUT, PYCACHE, Row, Task, fresh_dir, interleave, speed_row, stats, tool, warm  # noqa: E402
import corpus  # noqa: E402


def run(quick: bool = True, log=print) -> list[Row]:
    pages = 2000 if quick else 20000
    rounds = 3 if quick else 5
    warc = corpus.corpus_path(pages)
    warm(warc)
    work = OUT / "index-work"
    mb = warc.stat().st_size / 1e6
    log(f"  index: {warc.name} ({pages:,} pages, {mb:.1f} MB), {rounds} rounds")

    def setup(_):
        fresh_dir(work)

    ours = Task("archive import", lambda _: [tool("archive"), "import", "--no-extract", "--db", str(work / "archive.db"),
                                             "--warcs", str(work / "warcs"), str(warc)], setup=setup, env=PYCACHE)
    cdxj = Task("cdxj-indexer", lambda _: [tool("cdxj-indexer"), str(warc)], env=PYCACHE)
    wi = Task("warcio index", lambda _: [tool("warcio"), "index", str(warc)], env=PYCACHE)
    zcat = Task("zcat", lambda _: ["zcat", str(warc)])
    interleave([ours, cdxj, wi, zcat], rounds, log=log)
    recs_per_s = (2 * pages + 1) / stats(ours.times)[1]
    note = f"{pages:,} pages, {mb:.0f} MB; ours {recs_per_s:,.0f} records/s, {mb / stats(ours.times)[1]:.0f} MB/s"
    rows = [
        speed_row("index", "import --no-extract vs cdxj-indexer", ours, cdxj, 2.0, "≥ 2× faster", note),
        speed_row("index", "import --no-extract vs warcio index", ours, wi, None, "(reference)"),
        speed_row("index", "import --no-extract vs zcat", ours, zcat, 1 / 0.8, "time ≤ 0.8× zcat"),
    ]
    fresh_dir(work)
    return rows


if __name__ == "__main__":
    for r in run("--full" not in sys.argv):
        print(r)
