"""Shared pieces of the benchmarks: timing a command as its own process, interleaved rounds,
and the result rows that ``run.py`` prints and writes to RESULTS.md.

Every timed task is a separate process started with :func:`run_timed`, which measures wall
time around it and reads the child's own peak RSS from ``wait4`` (so one child's peak is
never mixed with another's). Rounds alternate between our tool and its peers so that a
slow moment of the machine hits both.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
OUT = BENCH / "out"
# Python tools run with their bytecode cached under OUT: with PYTHONDONTWRITEBYTECODE set
# (as on this machine) each run would otherwise compile every module it imports again,
# which is start-up time no installed tool pays.
PYCACHE = {"PYTHONPYCACHEPREFIX": str(OUT / "pycache"), "PYTHONDONTWRITEBYTECODE": ""}
BIN = Path(sys.executable).parent
PY = sys.executable


def tool(name: str) -> str:
    """A console script of the venv we run in (``archive``, ``cdxj-indexer``, ``warcio``)."""
    p = BIN / name
    return str(p) if p.exists() else (shutil.which(name) or name)


@dataclass
class Run:
    seconds: float
    maxrss_kb: int
    returncode: int
    stdout: bytes = b""
    stderr: bytes = b""
    cpu: float = 0.0     # user + system seconds of the process and the children it waited for


def run_timed(cmd: Sequence[str] | str, cwd: str | Path | None = None, env: dict | None = None,
              stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, shell: bool = False,
              check: bool = True, capture: bool = False) -> Run:
    """Run ``cmd`` as a child process; wall seconds, its peak RSS (KiB) and exit status."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    out = subprocess.PIPE if capture else stdout
    err = subprocess.PIPE if capture else subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=out, stderr=err, stdin=stdin, shell=shell)
    so = se = b""
    if capture:
        # communicate() would reap the child and lose its rusage: drain the pipes, then wait4.
        so, se = _drain(p)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    r = Run(dt, ru.ru_maxrss, p.returncode, so, se, ru.ru_utime + ru.ru_stime)
    if check and r.returncode != 0:
        raise RuntimeError(f"command failed ({r.returncode}): {cmd if isinstance(cmd, str) else ' '.join(map(str, cmd))[:300]}\n"
                           f"{se.decode('utf-8', 'replace')[-2000:]}")
    return r


def _drain(p: subprocess.Popen) -> tuple[bytes, bytes]:
    """Read stdout and stderr to EOF without reaping the child."""
    import selectors

    sel = selectors.DefaultSelector()
    bufs = {p.stdout: [], p.stderr: []}
    for f in bufs:
        if f is not None:
            os.set_blocking(f.fileno(), False)
            sel.register(f, selectors.EVENT_READ)
    while sel.get_map():
        for key, _ in sel.select():
            chunk = os.read(key.fileobj.fileno(), 1 << 16)
            if not chunk:
                sel.unregister(key.fileobj)
                key.fileobj.close()
            else:
                bufs[key.fileobj].append(chunk)
    return b"".join(bufs[p.stdout]), b"".join(bufs[p.stderr])


@dataclass
class Task:
    """One contender: an untimed ``setup`` before each round, then the timed command."""

    name: str
    cmd: Callable[[int], Sequence[str] | str]
    setup: Callable[[int], None] | None = None
    shell: bool = False
    cwd: Callable[[int], str | Path | None] | None = None
    env: dict | None = None
    runs: list[Run] = field(default_factory=list)

    @property
    def times(self) -> list[float]:
        return [r.seconds for r in self.runs]


def interleave(tasks: list[Task], rounds: int, warmup: bool = True, log=print) -> None:
    """Run every task once per round, alternating which goes first; fills ``task.runs``."""
    for rnd in range(-1 if warmup else 0, rounds):
        order = tasks if rnd % 2 == 0 else list(reversed(tasks))
        for t in order:
            if t.setup:
                t.setup(rnd)
            r = run_timed(t.cmd(rnd), cwd=t.cwd(rnd) if t.cwd else None, env=t.env, shell=t.shell)
            if rnd >= 0:
                t.runs.append(r)
        if rnd >= 0:
            log("    round %d: %s" % (rnd + 1, ", ".join(f"{t.name} {t.runs[-1].seconds:.3f}s" for t in tasks)))


def stats(xs: list[float]) -> tuple[float, float]:
    return min(xs), statistics.median(xs)


def fmt_s(xs: list[float]) -> str:
    lo, med = stats(xs)
    return f"{lo:.3f} / {med:.3f} s"


@dataclass
class Row:
    """One line of the results table."""

    bench: str
    what: str
    ours: str
    peer: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None      # None: no target, or skipped
    note: str = ""
    raw: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "skipped" if self.note.startswith("skipped") else "—"
        return "met" if self.met else "MISSED"


def speed_row(bench: str, what: str, ours: Task, peer: Task, min_speedup: float | None,
              target: str, note: str = "") -> Row:
    """A row comparing median times; speedup = peer median / our median (higher is better)."""
    o, p = stats(ours.times)[1], stats(peer.times)[1]
    speedup = p / o if o > 0 else float("inf")
    # CPU seconds beside wall seconds: on a shared machine wall time is what the other
    # tenants leave over, CPU time is what the work costs.
    oc = statistics.median(r.cpu for r in ours.runs) if ours.runs else 0.0
    pc = statistics.median(r.cpu for r in peer.runs) if peer.runs else 0.0
    cpu_note = f"CPU (user+sys, median) ours {oc:.2f} s, {peer.name} {pc:.2f} s" + \
        (f" ({pc / oc:.2f}×)" if oc > 0 else "")
    return Row(bench, what, fmt_s(ours.times), f"{peer.name}: {fmt_s(peer.times)}",
               f"{speedup:.2f}× (time {o / p:.2f}×)", target,
               None if min_speedup is None else speedup >= min_speedup,
               f"{note}; {cpu_note}" if note else cpu_note,
               raw={"ours": ours.times, "peer": peer.times, "peer_name": peer.name, "speedup": speedup,
                    "ours_cpu": oc, "peer_cpu": pc})


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def warm(path: Path) -> None:
    """Read a file once so every contender starts with it in the page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 22):
            pass


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
