"""Past one machine: the index of one synthetic collection built by the single-machine path
(`archive reindex`, the code `archive import` runs) and by the Spark job with 1 and 2
executor cores; and reading records by byte range from an S3 server (SeaweedFS, started
here on 127.0.0.1) against the local disk.

    .venv/bin/python bench/bench_scale.py                 # 200,000 captures (long)
    .venv/bin/python bench/bench_scale.py --captures 4000 # a quick look

Prints records per second and the ratios; docs/scale.md and bench/RESULTS.md carry the
extrapolation. Not a timed test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import write_corpus  # noqa: E402


def make_collection(directory: Path, captures: int, files: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    per = captures // files
    paths = []
    for k in range(files):
        p = directory / f"bench-{k:04d}.warc.gz"
        if not p.exists():
            write_corpus(p, per, start=k * per)
        paths.append(p)
    return paths


def time_reindex(warcs: Path, db: Path) -> tuple[float, int]:
    from archive.store import Store

    start = time.perf_counter()
    with Store(db, warcs) as s:
        counts = s.reindex()
    return time.perf_counter() - start, counts["captures"]


def time_spark(warcs: Path, out: Path, cores: int) -> tuple[float, dict]:
    from archive.spark.submit import run

    start = time.perf_counter()
    proc = run(str(warcs), str(out), f"local[{cores}]",
               extra=["--conf", "spark.driver.memory=2g"])
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return took, json.loads(proc.stdout.strip().splitlines()[-1])["rows"]


def time_ranges(warcs: Path, db: Path, reads: int) -> dict:
    """Random records read by pointer from the local files, then from SeaweedFS."""
    import sqlite3

    sys.path.insert(0, str(ROOT))
    from tests.scale_servers import SeaweedS3

    from archive.storage.local import LocalBlob
    from archive.storage.s3 import S3Backend
    from archive.warc.record import load_record

    con = sqlite3.connect(db)
    rows = con.execute("SELECT warc_file, offset, length FROM captures").fetchall()
    con.close()
    pick = random.Random(7).sample(rows, min(reads, len(rows)))
    out = {}
    start = time.perf_counter()
    for f, o, n in pick:
        load_record(LocalBlob(warcs / f), o, n)
    out["local_per_s"] = len(pick) / (time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as tmp:
        server = SeaweedS3(Path(tmp)).start()
        try:
            os.environ.update(server.env())
            server.ensure_bucket("bench")
            backend = S3Backend("s3://bench/warcs")
            for p in sorted(warcs.glob("*.warc.gz")):
                backend.client.upload_file(str(p), "bench", f"warcs/{p.name}")
            start = time.perf_counter()
            for f, o, n in pick:
                load_record(backend.blob(f), o, n)
            out["s3_per_s"] = len(pick) / (time.perf_counter() - start)
        finally:
            server.stop()
    out["reads"] = len(pick)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--captures", type=int, default=200_000)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--reads", type=int, default=2000)
    ap.add_argument("--dir", type=Path, default=ROOT / "bench" / "out" / "scale")
    args = ap.parse_args()
    warcs = args.dir / f"warcs-{args.captures}"
    make_collection(warcs, args.captures, args.files)
    db = args.dir / f"reindex-{args.captures}.db"
    t_single, n = time_reindex(warcs, db)
    print(f"single machine (reindex = import's code): {n:,} captures in {t_single:.1f} s "
          f"= {n / t_single:,.0f} captures/s", flush=True)
    results = {"captures": n, "single_s": t_single}
    for cores in (1, 2):
        t, rows = time_spark(warcs, args.dir / f"parquet-{args.captures}-{cores}", cores)
        results[f"spark{cores}_s"] = t
        print(f"spark local[{cores}]: {rows['captures']:,} captures in {t:.1f} s = "
              f"{rows['captures'] / t:,.0f} captures/s; {t_single / t:.2f}x the single machine", flush=True)
    print(f"spark 2 cores vs 1: {results['spark1_s'] / results['spark2_s']:.2f}x")
    ranges = time_ranges(warcs, db, args.reads)
    print(f"records read by range: local disk {ranges['local_per_s']:,.0f}/s, "
          f"S3 (SeaweedFS on 127.0.0.1) {ranges['s3_per_s']:,.0f}/s, "
          f"{ranges['local_per_s'] / ranges['s3_per_s']:.1f}x slower from the bucket")


if __name__ == "__main__":
    main()
