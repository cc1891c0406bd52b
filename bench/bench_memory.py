"""Memory: peak RSS of ``archive import --no-extract`` on two sizes of WARC.

The peak RSS of the import process is read from ``wait4`` (its own ``ru_maxrss``). The
import streams, so the peak should stay under 64 MB and not grow with the file: the
larger file's peak must be within 10% (or 4 MB) of the smaller one's. cdxj-indexer's
peak on the same file is shown for reference.
Sizes: quick 2,000 and 5,200 pages (about 37 and 100 MB), full 5,200 and 21,000 (about
100 and 400 MB).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import OUT, Row, fresh_dir, run_timed, tool, warm  # noqa: E402
import corpus  # noqa: E402

LIMIT_MB = 64


def run(quick: bool = True, log=print) -> list[Row]:
    sizes = (2000, 5200) if quick else (5200, 21000)
    work = OUT / "memory-work"
    peaks = []
    rows = []
    for pages in sizes:
        warc = corpus.corpus_path(pages)
        warm(warc)
        fresh_dir(work)
        r = run_timed([tool("archive"), "import", "--no-extract", "--db", str(work / "archive.db"),
                       "--warcs", str(work / "warcs"), str(warc)])
        peer = run_timed([tool("cdxj-indexer"), str(warc)])
        mb = warc.stat().st_size / 1e6
        peak = r.maxrss_kb / 1024
        peaks.append(peak)
        log(f"  memory: {pages:,} pages ({mb:.0f} MB): import peak RSS {peak:.1f} MB in {r.seconds:.1f}s; "
            f"cdxj-indexer {peer.maxrss_kb / 1024:.1f} MB")
        rows.append(Row("memory", f"import peak RSS, {mb:.0f} MB WARC", f"{peak:.1f} MB",
                        f"cdxj-indexer: {peer.maxrss_kb / 1024:.1f} MB", "", f"< {LIMIT_MB} MB",
                        peak < LIMIT_MB, f"{pages:,} pages, import took {r.seconds:.1f} s",
                        raw={"pages": pages, "warc_mb": mb, "peak_mb": peak,
                             "peer_peak_mb": peer.maxrss_kb / 1024}))
    growth = peaks[1] - peaks[0]
    flat = growth <= max(4.0, 0.1 * peaks[0])
    rows.append(Row("memory", "peak RSS growth, small → large file", f"{growth:+.1f} MB", "",
                    f"{peaks[1] / peaks[0]:.2f}×", "flat (≤ +10% or +4 MB)", flat,
                    raw={"growth_mb": growth}))
    fresh_dir(work)
    return rows


if __name__ == "__main__":
    for r in run("--full" not in sys.argv):
        print(r)
