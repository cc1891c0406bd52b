"""Capture: ``archive capture --workers 8 --no-extract`` against Debian's wget on 1,000 pages.

The pages of the corpus are served on 127.0.0.1 by Debian's nginx when it is installed
or installable (``site_server.py``: the same bytes as files, keep-alive, sendfile), else
by ``corpus.py serve``, a Python server in its own process; the row's note says which.
Measured per 1,000 pages, the Python server spends 0.13 s of CPU and nginx 0.06 s:
neither is what bounds the clients (ours spends about 3.5 s of CPU, wget 3), but the
Python server answers a sequential client a little later, and wget, which waits on each
response, takes 0.1–0.4 s longer against it. Both tools fetch the same URL list from
the same server in the same run and write a gzipped WARC; wget is given ``--warc-file``
and ``-i urls.txt`` and fetches one page at a time, which is how it is used.

``archive`` runs with its bytecode cached (``PYTHONPYCACHEPREFIX`` under ``bench/out``,
written in the warm-up round), as an installed package has it: with
``PYTHONDONTWRITEBYTECODE`` set in the environment, each run would otherwise compile the
package again, a cost wget, a compiled binary, never pays.

Two of ours: ``--no-extract`` (target ≥ 3× wget) and the default, which extracts text,
quotes and figures *after* acknowledging the captures, in a background drainer (target
≥ 2× wget; timed until the command returns, i.e. until every capture is acknowledged).
The drainer's own time until the queue is empty is measured separately and shown in the
note, and every timed run waits for it first, so it never competes with the next one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import OUT, PY, PYCACHE, Row, Task, dir_bytes, fresh_dir, interleave, run_timed, speed_row, tool  # noqa: E402
import corpus  # noqa: E402
from site_server import Site  # noqa: E402


def start_site(pages: int) -> tuple[subprocess.Popen, str]:
    """The Python server of ``corpus.py serve`` (used by the storage benchmark)."""
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


def run(quick: bool = True, log=print, server: str = "nginx") -> list[Row]:
    pages = 1000
    rounds = 3 if quick else 5
    work = OUT / "capture-work"
    fresh_dir(work)
    with Site(pages, prefer=server) as site:
        base = site.base
        urls = [base + corpus.page_path(i) for i in range(pages)]
        url_file = work / "urls.txt"
        url_file.write_text("\n".join(urls) + "\n")
        use_input = _has_input_option()
        log(f"  capture: {pages:,} pages from {base} ({site.label}), {rounds} rounds"
            + ("" if use_input else " (URLs as arguments: no --input option)"))
        ours_dir, wget_dir = work / "ours", work / "wget"

        queued_dir = work / "queued"
        drains: list[float] = []

        def ours_cmd(_, where=ours_dir, extra=("--no-extract",)):
            cmd = [tool("archive"), "capture", "--workers", "8", *extra,
                   "--db", str(where / "archive.db"), "--warcs", str(where / "warcs")]
            return cmd + (["--input", str(url_file)] if use_input else urls)

        def settle() -> None:
            """Wait (untimed) for the drainer the default capture left running: `archive
            extract` takes the queue lock after it and finds the queue empty."""
            if (queued_dir / "archive.db").exists():
                r = run_timed([tool("archive"), "extract", "--db", str(queued_dir / "archive.db"),
                               "--warcs", str(queued_dir / "warcs")], env=PYCACHE)
                drains.append(r.seconds)

        def setup(where):
            def fn(_):
                settle()
                fresh_dir(where)
            return fn

        pycache = PYCACHE
        ours = Task("archive capture --no-extract", ours_cmd, setup=setup(ours_dir), env=pycache)
        queued = Task("archive capture", lambda r: ours_cmd(r, queued_dir, ()), setup=setup(queued_dir),
                      env=pycache)
        wget = Task("wget", lambda _: ["/usr/bin/wget", "-q", "--warc-file", str(wget_dir / "crawl"),
                                       "-i", str(url_file), "-P", str(wget_dir / "files")],
                    setup=setup(wget_dir))
        interleave([ours, queued, wget], rounds, log=log)
        settle()
        ours_bytes, wget_bytes = dir_bytes(ours_dir / "warcs"), (wget_dir / "crawl.warc.gz").stat().st_size
        label = site.label
    note = (f"{pages:,} pages of 30–80 KB {label}; WARC bytes: ours {ours_bytes / 1e6:.1f} MB, "
            f"wget {wget_bytes / 1e6:.1f} MB")
    drained = sorted(drains)[len(drains) // 2] if drains else float("nan")
    rows = [
        speed_row("capture", "capture --workers 8 --no-extract vs wget -i", ours, wget, 3.0, "≥ 3× faster", note),
        speed_row("capture", "capture --workers 8 (extraction queued) vs wget -i", queued, wget, 2.0,
                  "≥ 2× faster", f"timed to acknowledgement; the background drainer then needed a "
                                 f"further {drained:.1f} s (median) to extract all {pages:,} pages"),
    ]
    fresh_dir(work)
    return rows


if __name__ == "__main__":
    srv = "python" if "--python-server" in sys.argv else "nginx"
    for r in run("--full" not in sys.argv, server=srv):
        print(r)
