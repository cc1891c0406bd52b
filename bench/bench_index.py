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

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import OUT, PYCACHE, Row, Task, fresh_dir, interleave, speed_row, stats, tool, warm  # noqa: E402
import corpus  # noqa: E402


# The corpus seed: ``BENCH_SEED=7 make bench`` checks that the ratios hold on other pages.
SEED = int(os.environ.get("BENCH_SEED", corpus.DEFAULT_SEED))


def run(quick: bool = True, log=print) -> list[Row]:
    rows: list[Row] = []
    sizes = [2000] if quick else [2000, 20000, 100000]
    for pages in sizes:
        for algo in ("sha256", "sha1"):
            rows += run_one(pages, algo, 3 if quick or pages < 100000 else 2, log)
    return rows


def run_one(pages: int, algo: str, rounds: int, log=print, peers: tuple[str, ...] = ("cdxj-indexer", "warcio index", "zcat"),
            seed: int = SEED) -> list[Row]:
    warc = corpus.corpus_path(pages, seed=seed, algo=algo)
    warm(warc)
    work = OUT / "index-work"
    mb = warc.stat().st_size / 1e6
    log(f"  index: {warc.name} ({pages:,} pages, {algo} digests, {mb:.1f} MB), {rounds} rounds, "
        f"load {Path('/proc/loadavg').read_text().strip()}")

    def setup(_):
        fresh_dir(work)

    ours = Task("archive import", lambda _: [tool("archive"), "import", "--no-extract", "--db", str(work / "archive.db"),
                                             "--warcs", str(work / "warcs"), str(warc)], setup=setup, env=PYCACHE)
    cdxj = Task("cdxj-indexer", lambda _: [tool("cdxj-indexer"), str(warc)], env=PYCACHE)
    wi = Task("warcio index", lambda _: [tool("warcio"), "index", str(warc)], env=PYCACHE)
    zcat = Task("zcat", lambda _: ["zcat", str(warc)])
    others = [t for t in (cdxj, wi, zcat) if t.name in peers]
    interleave([ours, *others], rounds, log=log)
    med = stats(ours.times)[1]
    records = 2 * pages + 1
    peak = max(r.maxrss_kb for r in ours.runs) / 1024
    note = (f"{pages:,} pages, {algo} digests, {mb:.0f} MB; ours {records / med:,.0f} records/s "
            f"({1e6 * med / records:.0f} µs/record), {mb / med:.0f} MB/s, peak RSS {peak:.0f} MB "
            f"(target < 64 MB)")
    what = f"import --no-extract, {pages // 1000}k pages, {algo}"
    rows = []
    if cdxj in others:
        rows.append(speed_row("index", f"{what} vs cdxj-indexer", ours, cdxj, 2.0, "≥ 2× faster", note))
    if wi in others:
        rows.append(speed_row("index", f"{what} vs warcio index", ours, wi, None, "(reference)"))
    if zcat in others:
        rows.append(speed_row("index", f"{what} vs zcat", ours, zcat, 1 / 0.8, "time ≤ 0.8× zcat"))
    fresh_dir(work)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="2,000, 20,000 and 100,000 pages (default: 2,000)")
    ap.add_argument("--pages", type=int, help="one size only, e.g. 20000")
    ap.add_argument("--algo", choices=("sha256", "sha1"), help="one digest algorithm only")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--peers", default="cdxj-indexer,warcio index,zcat",
                    help="comma-separated subset of: cdxj-indexer, warcio index, zcat")
    args = ap.parse_args(argv)
    if args.pages is None and args.algo is None and args.seed == SEED:
        rows = run(not args.full)
    else:
        sizes = [args.pages] if args.pages else ([2000] if not args.full else [2000, 20000, 100000])
        algos = [args.algo] if args.algo else ["sha256", "sha1"]
        rows = [r for pages in sizes for algo in algos
                for r in run_one(pages, algo, args.rounds, peers=tuple(args.peers.split(",")), seed=args.seed)]
    for r in rows:
        print(f"{r.what}: {r.ours} | {r.peer} | {r.ratio} | {r.verdict}\n    {r.note}")


if __name__ == "__main__":
    main()
