"""Extract: runs ``bench/extract_speed.py`` (owned by the extraction work) as its own process.

Its output is kept verbatim for RESULTS.md; lines that mention a target are echoed. When
the script does not exist yet the benchmark is skipped with a note.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import BENCH, PY, Row, run_timed  # noqa: E402

SCRIPT = BENCH / "extract_speed.py"
OUTPUT: list[str] = []   # the last run's output, for RESULTS.md


def run(quick: bool = True, log=print) -> list[Row]:
    OUTPUT.clear()
    if not SCRIPT.exists():
        return [Row("extract", "extraction speed", "—", note="skipped: bench/extract_speed.py does not exist yet")]
    r = run_timed([PY, str(SCRIPT), "3" if quick else "5"], capture=True, check=False)
    text = r.stdout.decode("utf-8", "replace").rstrip()
    OUTPUT.extend(text.splitlines())
    for line in OUTPUT:
        log("    " + line)
    if r.returncode != 0:
        return [Row("extract", "extraction speed (bench/extract_speed.py)", "—",
                    note=f"skipped: extract_speed.py exited {r.returncode}: "
                         + r.stderr.decode("utf-8", "replace").strip().splitlines()[-1:][0][:200]
                         if r.stderr.strip() else f"skipped: extract_speed.py exited {r.returncode}")]
    rows = _rows(text)
    if not rows:
        return [Row("extract", "extraction speed (bench/extract_speed.py)", f"ran in {r.seconds:.0f} s",
                    note="its own targets and ratios are in its output, below the table")]
    rows[0].note = f"bench/extract_speed.py ran in {r.seconds:.0f} s; its whole output is below the table"
    return rows


def _rows(text: str) -> list[Row]:
    """The table rows of extract_speed.py's targets, read from its output (ratios as printed)."""
    import re

    rows = []
    ours = re.search(r"ours \(text, metadata, language, quotes, figures\):\s+([\d.]+) pages/s", text)
    fast = re.search(r"trafilatura\.extract\(fast=True\) \(text only\):\s+([\d.]+) pages/s", text)
    ratio = re.search(r"ours / trafilatura fast: ([\d.]+)x", text)
    if ours and fast and ratio:
        rows.append(Row("extract", "one core, pages/s, text + metadata + quotes + figures vs trafilatura.extract(fast=True)",
                        f"{ours.group(1)} pages/s", f"trafilatura fast: {fast.group(1)} pages/s",
                        f"{ratio.group(1)}×", "≥ 1×", float(ratio.group(1)) >= 1))
    per55 = re.search(r"^corpus .*?([\d.]+) \(target <= ([\d.]+): (met|NOT met)\)", text, re.M)
    if per55:
        rows.append(Row("extract", "one core, CPU ms per 55 KB of HTML (corpus pages, best of N)", f"{per55.group(1)} ms", "",
                        "", f"≤ {per55.group(2)} ms", per55.group(3) == "met"))
    two = re.search(r"2 processes / 1 process: ([\d.]+)x \(target >= ([\d.]+)", text)
    if two:
        rows.append(Row("extract", "two worker processes against one (pages/s)", f"{two.group(1)}×", "", "",
                        f"≥ {two.group(2)}×", float(two.group(1)) >= float(two.group(2))))
    return rows


if __name__ == "__main__":
    for r in run("--full" not in sys.argv):
        print(r)
