"""Time the extraction stage against bare trafilatura, per page, on one core.

Compares ``archive.extract.extract`` (fast trafilatura + metadata + quotes + figures) with
``trafilatura.extract`` in its default mode and in fast mode, on the same decoded pages,
and prints milliseconds per page and the ratios. Target: <= 15 ms for a ~55 KB page.

Run: ``python bench/extract_speed.py [N]`` (N repetitions, default 5). Pages come from
../shared/corpus/html (skipped if absent) plus tests/labelled/own.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from archive.extract import decode_html, extract  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "html"


def _best(fn, reps: int) -> float:
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1000


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    pages = sorted(CORPUS.glob("*.html")) if CORPUS.is_dir() else []
    pages += sorted((ROOT / "tests" / "labelled" / "own").glob("*.html"))
    print(f"{'page':44} {'KB':>5} {'ours ms':>8} {'traf ms':>8} {'fast ms':>8} {'ours/traf':>9} {'ours/fast':>9}")
    tot = [0.0, 0.0, 0.0]
    for p in pages:
        raw = p.read_bytes()
        html, _ = decode_html(raw, None)
        ours = _best(lambda: extract(raw), reps)
        traf = _best(lambda: trafilatura.extract(html), reps)
        fast = _best(lambda: trafilatura.extract(html, fast=True), reps)
        for i, v in enumerate((ours, traf, fast)):
            tot[i] += v
        print(f"{p.name[:44]:44} {len(raw) / 1024:5.0f} {ours:8.1f} {traf:8.1f} {fast:8.1f} {ours / traf:9.2f} {ours / fast:9.2f}")
    if pages:
        n = len(pages)
        print(f"{'mean':44} {'':5} {tot[0] / n:8.1f} {tot[1] / n:8.1f} {tot[2] / n:8.1f} {tot[0] / tot[1]:9.2f} {tot[0] / tot[2]:9.2f}")


if __name__ == "__main__":
    main()
