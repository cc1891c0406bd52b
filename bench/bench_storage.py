"""Storage: bytes added to ``warcs/`` by an unchanged recapture of a 60 KB page.

An unchanged page should cost a revisit record (headers only) plus its request record,
not another copy of the payload. Each capture is its own ``archive capture`` process, as
a scheduled recapture would be, so a recapture also opens a new WARC file and pays for
its ``warcinfo`` record; the breakdown by record type is reported.
Target: at most 2 KB per unchanged recapture.
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import OUT, Row, dir_bytes, fresh_dir, run_timed, tool  # noqa: E402
from bench_capture import start_site  # noqa: E402
import corpus  # noqa: E402

TARGET = 2048


def _page_near(size: int) -> int:
    """The first corpus page whose HTML is within 3 KB of ``size`` bytes."""
    for i in range(500):
        if abs(len(corpus.render_page(i)) - size) < 3000:
            return i
    raise RuntimeError("no page of that size in the corpus")


def _members(path: Path) -> list[tuple[str, int]]:
    """(WARC-Type, compressed length) of every gzip member of a file."""
    data = path.read_bytes()
    out, pos = [], 0
    while pos < len(data):
        d = zlib.decompressobj(31)
        raw = d.decompress(data[pos:])
        n = len(data) - pos - len(d.unused_data)
        rtype = next((l.split(b":", 1)[1].strip().decode() for l in raw.split(b"\r\n")[:20]
                      if l.lower().startswith(b"warc-type:")), "?")
        out.append((rtype, n))
        pos += n
    return out


def run(quick: bool = True, log=print) -> list[Row]:
    i = _page_near(60_000)
    size = len(corpus.render_page(i))
    work = fresh_dir(OUT / "storage-work")
    proc, base = start_site(i + 1)
    try:
        url = base + corpus.page_path(i)
        cmd = [tool("archive"), "capture", "--no-extract", "--json", "--db", str(work / "archive.db"),
               "--warcs", str(work / "warcs"), url]
        run_timed(cmd)
        first = dir_bytes(work / "warcs")
        before = set((work / "warcs").glob("*.warc.gz"))
        r = run_timed(cmd, capture=True)
        added = dir_bytes(work / "warcs") - first
        new_files = sorted(set((work / "warcs").glob("*.warc.gz")) - before)
    finally:
        proc.terminate()
        proc.wait()
    revisit = b'"revisit": true' in r.stdout
    parts = [m for f in new_files for m in _members(f)]
    breakdown = ", ".join(f"{t} {n} B" for t, n in parts)
    log(f"  storage: page {i} ({size:,} B): first capture {first:,} B, unchanged recapture +{added:,} B ({breakdown})")
    row = Row("storage", f"unchanged recapture of a {size / 1000:.0f} KB page", f"{added:,} B added",
              "", f"{added / size:.1%} of the page", "≤ 2,048 B", added <= TARGET and revisit,
              f"{breakdown}; revisit record: {'yes' if revisit else 'NO'}",
              raw={"added": added, "page_bytes": size, "parts": parts})
    fresh_dir(work)
    return [row]


if __name__ == "__main__":
    for r in run():
        print(r)
