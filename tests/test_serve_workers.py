"""``archive serve --workers N``: N Datasette processes share the port (issue 19: one
process builds pages on one core at a time, so 50 readers wait behind each other). Real
server, real HTTP on 127.0.0.1: both workers answer, a worker that dies is replaced, and
none outlives the supervisor, stopped or killed."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from archive.capture.http import Fetcher
from archive.site import publish_edition
from archive.store import Store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return sorted(out)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it has stopped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def wait_until(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


@pytest.fixture
def served(tmp_path, site):
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        s.capture(publish_edition(site, 0), Fetcher(timeout=10))
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "--db", str(tmp_path / "archive.db"), "--warcs",
                             str(tmp_path / "warcs"), "serve", "--port", str(port), "--replay-port", "0",
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=log,
                            start_new_session=True)
    try:
        assert wait_until(lambda: _answers(port), 60), "archive serve --workers 2 did not start"
        assert wait_until(lambda: (tmp_path / "serve.log").read_text().count("Application startup complete") == 2,
                          60), "the second worker did not start"
        yield proc, port
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        log.close()


def _answers(port: int) -> bool:
    try:
        return get(port, "/-/versions.json") == 200
    except OSError:
        return False


def test_two_workers_share_the_port_and_a_dead_one_is_replaced(served):
    proc, port = served
    assert wait_until(lambda: len(children(proc.pid)) == 2, 30)
    workers = children(proc.pid)
    before = {pid: cpu_ticks(pid) for pid in workers}
    errors: list = []

    def reader() -> None:
        for _ in range(15):
            try:
                if get(port, "/archive/captures") != 200:
                    errors.append("status")
            except OSError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(cpu_ticks(pid) > before[pid] for pid in workers), "one worker answered everything"
    os.kill(workers[0], signal.SIGKILL)
    assert wait_until(lambda: len(children(proc.pid)) == 2 and workers[0] not in children(proc.pid), 30)
    assert wait_until(lambda: _answers(port), 30)


def sockets(pid: int, port: int, state: str) -> set[str]:
    """The inodes of the TCP sockets on local ``port`` in ``state`` (01 established, 0A
    listening) that process ``pid`` holds, from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[3] == state and int(f[1].rsplit(":", 1)[1], 16) == port and f[9] in inodes:
                found.add(f[9])
    return found


def test_a_burst_of_keep_alive_clients_is_spread_over_the_workers(served):
    """40 clients connect at once and keep their connections: each worker holds a fair
    share, not whichever accepted first nearly all (then one core idles). On Linux each
    worker listens on a socket of its own (SO_REUSEPORT), which the kernel balances."""
    proc, port = served
    assert wait_until(lambda: len(children(proc.pid)) == 2, 30)
    workers = children(proc.pid)
    listening = [sockets(pid, port, "0A") for pid in workers]
    assert all(len(x) == 1 for x in listening) and listening[0] != listening[1], listening
    assert not sockets(proc.pid, port, "0A"), "the supervisor listens: connections would wait there"
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(40)]
    start = threading.Barrier(len(conns))

    def connect(conn) -> None:
        start.wait()
        conn.request("GET", "/-/versions.json")
        conn.getresponse().read()

    threads = [threading.Thread(target=connect, args=(c,)) for c in conns]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        held = [len(sockets(pid, port, "01")) for pid in workers]
        assert sum(held) == 40 and min(held) >= 8, held
    finally:
        for c in conns:
            c.close()


def test_no_worker_outlives_its_supervisor(served):
    proc, port = served
    assert wait_until(lambda: len(children(proc.pid)) == 2, 30)
    workers = children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)   # no chance to stop them
    proc.wait()
    assert wait_until(lambda: not any(alive(pid) for pid in workers), 10), \
        "workers outlived the supervisor"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_stops_the_supervisor_and_its_workers(served, sig, tmp_path):
    """Each worker shuts down as uvicorn does (in-flight requests finish), not killed."""
    proc, port = served
    assert wait_until(lambda: len(children(proc.pid)) == 2, 30)
    workers = children(proc.pid)
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == 0
    assert not any(alive(pid) for pid in workers)
    assert not _answers(port)
    log = (tmp_path / "serve.log").read_text()
    assert all(f"Finished server process [{pid}]" in log for pid in workers), log[-2000:]


def test_a_worker_that_cannot_start_ends_the_supervisor_with_its_error(tmp_path):
    """An index Datasette cannot open: the supervisor says so and exits 1 instead of
    restarting workers forever."""
    (tmp_path / "archive.db").write_bytes(b"not a SQLite database\n" * 100)
    port = free_port()
    proc = subprocess.run([sys.executable, "-m", "archive.cli", "--db", str(tmp_path / "archive.db"), "--warcs",
                           str(tmp_path / "warcs"), "serve", "--port", str(port), "--replay-port", "0",
                           "--workers", "2"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "failed to start" in proc.stderr and "database" in proc.stderr.lower(), proc.stderr
    assert not _answers(port)
