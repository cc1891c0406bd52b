"""Reader: what FastWARC, or importing several files at once, could take off ``archive import``.

Measures, on the index benchmark's corpus WARCs (SHA-256 and SHA-1 digests):

* ``ours``: :func:`archive.warc.reader.iter_records`, what an import reads with: gzip members
  inflated (ISA-L) on one thread, SHA-256 of block and payload plus every declared digest's
  algorithm hashed and the record parsed on a second, records handed to the caller.
* ``fastwarc+hashlib``: the hybrid issue 19 proposed, at its best: FastWARC iterates the
  records and gives each one's stream offset, hashlib hashes the block and the HTTP payload
  in the same algorithms. It builds no parsed record (the store needs one) and checks
  nothing: a lower bound on what the hybrid would cost.
* each again with a fixed amount of pure-Python work per record on the main thread
  (``+ indexer``), standing for the indexing an import does while the reader runs: it
  shows how much of the reader overlaps with code that holds the GIL.
* ``--files``: two different WARCs imported by one ``archive import A B`` against the same
  two imported at once by two processes into two stores: the most any import of
  several files across 2 cores could gain (one SQLite writer can only gain less).

Each measurement is its own process; rounds are interleaved and medians reported with the
machine's load. Run: ``python bench/bench_reader.py --pages 2000 [--algo sha1]``, and
``--files`` for the two-file comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import OUT, PY, PYCACHE, fresh_dir, run_timed, tool, warm  # noqa: E402
import corpus  # noqa: E402

MODES = ("ours", "fastwarc+hashlib", "ours + indexer", "fastwarc+hashlib + indexer")
WORK_STEPS = 2000   # pure-Python loop steps per record for "+ indexer" (about 60 µs here)


def _indexer_work() -> int:
    x = 0
    for i in range(WORK_STEPS):
        x += i
    return x


def _ours(path: str, work: bool) -> list[int]:
    from archive.warc.reader import Found, iter_records

    offsets = []
    for item in iter_records(path):
        if isinstance(item, Found):
            offsets.append(item.offset)
            if work:
                _indexer_work()
    return offsets


def _fastwarc_records(path: str):
    """(offset, digests) of each record, FastWARC iterating and hashlib hashing."""
    import hashlib

    from fastwarc.warc import ArchiveIterator

    with open(path, "rb") as f:
        for rec in ArchiveIterator(f, parse_http=False):
            block = rec.reader.read()
            algos = ["sha256"]
            declared = rec.headers.get("WARC-Block-Digest") or ""
            if declared.lower().startswith("sha1:"):
                algos.append("sha1")
            view = memoryview(block)
            digests = [hashlib.new(a, view).hexdigest() for a in algos]
            if rec.is_http:
                at = block.find(b"\r\n\r\n")
                if at >= 0:
                    digests += [hashlib.new(a, view[at + 4:]).hexdigest() for a in algos]
            yield rec.stream_pos, digests


def _fastwarc(path: str, work: bool) -> list[int]:
    if not work:
        return [off for off, _ in _fastwarc_records(path)]
    # As the store would run it: the reader on a thread of its own, records handed over
    # in batches, the indexer on the main thread.
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=16)

    def fill() -> None:
        batch = []
        for item in _fastwarc_records(path):
            batch.append(item)
            if len(batch) >= 8:
                q.put(batch)
                batch = []
        q.put(batch)
        q.put(None)

    t = threading.Thread(target=fill, daemon=True)
    t.start()
    offsets = []
    while (batch := q.get()) is not None:
        for off, _ in batch:
            offsets.append(off)
            _indexer_work()
    t.join()
    return offsets


def child(mode: str, path: str) -> None:
    """Run one measurement in this process and print it as JSON."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn = _ours if mode.startswith("ours") else _fastwarc
    offsets = fn(path, mode.endswith("indexer"))
    print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                      "records": len(offsets), "offsets": hash(tuple(offsets))}))


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def compare_readers(pages: int, algo: str, rounds: int) -> None:
    warc = corpus.corpus_path(pages, algo=algo)
    warm(warc)
    print(f"{warc.name} ({pages:,} pages, {algo}), {rounds} rounds, load {load()}", flush=True)
    results: dict[str, list[dict]] = {m: [] for m in MODES}
    for _ in range(rounds):
        for mode in MODES:
            r = run_timed([PY, __file__, "--child", mode, str(warc)], env=PYCACHE, capture=True)
            results[mode].append(json.loads(r.stdout))
    offsets = {m: {r["offsets"] for r in rs} for m, rs in results.items()}
    same = offsets["ours"] == offsets["fastwarc+hashlib"] and len(offsets["ours"]) == 1
    med = {m: (statistics.median(r["wall"] for r in rs), statistics.median(r["cpu"] for r in rs))
           for m, rs in results.items()}
    for mode in MODES:
        wall, cpu = med[mode]
        print(f"  {mode:28} wall {wall:6.3f} s  CPU {cpu:6.3f} s  ({results[mode][0]['records']} records)")
    print(f"  fastwarc+hashlib ÷ ours: wall {med['fastwarc+hashlib'][0] / med['ours'][0]:.2f}×, "
          f"CPU {med['fastwarc+hashlib'][1] / med['ours'][1]:.2f}×; beside the indexer: wall "
          f"{med['fastwarc+hashlib + indexer'][0] / med['ours + indexer'][0]:.2f}×")
    print(f"  same record offsets from both: {same}; load after {load()}", flush=True)


def compare_files(pages: int, rounds: int) -> None:
    """One import of two files against two imports at once."""
    a = corpus.corpus_path(pages)
    b = corpus.corpus_path(pages, start=pages)   # other pages, other record ids
    for w in (a, b):
        warm(w)
    work = OUT / "reader-work"
    print(f"two files: {a.name}, {b.name}, {rounds} rounds, load {load()}", flush=True)

    def importer(store: Path, *files: Path) -> list[str]:
        return [tool("archive"), "import", "--no-extract", "--db", str(store / "archive.db"),
                "--warcs", str(store / "warcs"), *map(str, files)]

    import subprocess

    seq, par = [], []
    for _ in range(rounds):
        fresh_dir(work)
        seq.append(run_timed(importer(work / "one", a, b), env=PYCACHE).seconds)
        fresh_dir(work)
        env = dict(os.environ, **PYCACHE)
        t0 = time.perf_counter()
        procs = [subprocess.Popen(importer(work / n, f), env=env, stdout=subprocess.DEVNULL)
                 for n, f in (("a", a), ("b", b))]
        if any(p.wait() for p in procs):
            raise RuntimeError("an import failed")
        par.append(time.perf_counter() - t0)
    fresh_dir(work)
    s, p = statistics.median(seq), statistics.median(par)
    print(f"  one import of both: {s:.3f} s; two processes at once (two stores): {p:.3f} s; "
          f"at most {s / p:.2f}× from 2 cores; load after {load()}", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--algo", choices=("sha256", "sha1"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--files", action="store_true", help="time importing two files at once instead")
    args = ap.parse_args(argv)
    if args.child:
        return child(*args.child)
    if args.files:
        return compare_files(args.pages, args.rounds)
    for algo in [args.algo] if args.algo else ["sha256", "sha1"]:
        compare_readers(args.pages, algo, args.rounds)


if __name__ == "__main__":
    main()
