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
    return [Row("extract", "extraction speed (bench/extract_speed.py)", f"ran in {r.seconds:.0f} s",
                note="its own targets and ratios are in its output, below the table")]


if __name__ == "__main__":
    for r in run("--full" not in sys.argv):
        print(r)
