"""Capture: ``archive capture --workers 8 --no-extract`` against Debian's wget on 1,000 pages.

The pages of the corpus are served by ``corpus.py serve`` in its own process on
127.0.0.1 (keep-alive, one write per response). Both tools fetch the same URL list and
write a gzipped WARC; wget is given ``--warc-file`` and ``-i urls.txt`` and fetches one
page at a time, which is how it is used. Target: at least 2× faster than wget.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import OUT, PY, Row, Task, dir_bytes, fresh_dir, interleave, speed_row, tool  # noqa: E402
import corpus  # noqa: E402


def start_site(pages: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([PY, str(Path(corpus.__file__)), "serve", "--pages", str(pages)],
                            stdout=subprocess.PIPE, text=True)
    base = proc.stdout.readline().strip()
    if not base.startswith("http://"):
        proc.kill()
        raise RuntimeError("the corpus server did not start")
    return proc, base


def _has_input_option() -> bool:
    out = subprocess.run([tool("archive"), "capture", "--help"], capture_output=True, text=True).stdout
    return "--input" in out


def run(quick: bool = True, log=print) -> list[Row]:
    pages = 1000
    rounds = 3 if quick else 5
    work = OUT / "capture-work"
    fresh_dir(work)
    proc, base = start_site(pages)
    try:
        urls = [base + corpus.page_path(i) for i in range(pages)]
        url_file = work / "urls.txt"
        url_file.write_text("\n".join(urls) + "\n")
        use_input = _has_input_option()
        log(f"  capture: {pages:,} pages from {base}, {rounds} rounds"
            + ("" if use_input else " (URLs as arguments: no --input option)"))
        ours_dir, wget_dir = work / "ours", work / "wget"

        def ours_cmd(_):
            cmd = [tool("archive"), "capture", "--workers", "8", "--no-extract",
                   "--db", str(ours_dir / "archive.db"), "--warcs", str(ours_dir / "warcs")]
            return cmd + (["--input", str(url_file)] if use_input else urls)

        ours = Task("archive capture", ours_cmd, setup=lambda _: fresh_dir(ours_dir))
        wget = Task("wget", lambda _: ["/usr/bin/wget", "-q", "--warc-file", str(wget_dir / "crawl"),
                                       "-i", str(url_file), "-P", str(wget_dir / "files")],
                    setup=lambda _: fresh_dir(wget_dir))
        interleave([ours, wget], rounds, log=log)
        ours_bytes, wget_bytes = dir_bytes(ours_dir / "warcs"), (wget_dir / "crawl.warc.gz").stat().st_size
    finally:
        proc.terminate()
        proc.wait()
    note = (f"{pages:,} pages of 30–80 KB; WARC bytes: ours {ours_bytes / 1e6:.1f} MB, "
            f"wget {wget_bytes / 1e6:.1f} MB")
    row = speed_row("capture", "capture --workers 8 vs wget -i", ours, wget, 2.0, "≥ 2× faster", note)
    fresh_dir(work)
    return [row]


if __name__ == "__main__":
    for r in run("--full" not in sys.argv):
        print(r)
