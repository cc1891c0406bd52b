"""``archive serve --workers N``: N processes answering on one port.

One Datasette process builds pages on one core at a time (Python's GIL): at 15 ms of CPU
a citation page, 50 readers at once wait behind each other whatever the machine has
(issue 19). This supervisor binds the port once and forks N workers, each building its
own Datasette from the ``datasette serve`` command line (Datasette's own parser, so 0.65
and 1.0 read the same arguments), running its startup checks and hooks as ``datasette
serve`` does, and serving the port with uvicorn; the kernel hands each connection to one
of them (:data:`REUSEPORT`). The index is read-only to them all; what the plugin keeps in
memory (the one-at-a-time limit on arbitrary SQL, for one) is per worker.

Why not uvicorn's own ``--workers``: it imports the app by name in fresh processes, where
Datasette is built from its command line; and its workers outlive a supervisor killed
with SIGKILL. Gunicorn would add a dependency for the same hundred lines.

Signals: SIGTERM or SIGINT to the supervisor stops the workers (uvicorn's graceful
shutdown, then SIGKILL after :data:`STOP_SECONDS`) and ends it with status 0. A worker
that dies is started again. A worker whose supervisor is gone (SIGKILL) exits within a
fraction of a second, as the extraction workers do (:mod:`archive.workers`): none is left
holding the port. If a worker dies before any has started (a bad argument, an unreadable
index), the supervisor stops the others and exits with status 1 rather than restart it
forever.

    python -m archive.web.prefork WORKERS serve DB --host H --port P [datasette options]
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time

STOP_SECONDS = 10.0
RESPAWN_PAUSE = 1.0   # a worker that dies at once is not restarted in a tight loop


def default_workers() -> int:
    """The cores this process may run on (``os.sched_getaffinity``, so a container's CPU
    set counts, not the host's), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # not Linux
        return os.cpu_count() or 1


# Linux balances the connections to a port among the sockets that listen on it with
# SO_REUSEPORT, one per worker. One socket shared by all instead lets whichever worker
# wakes first accept a whole burst of connections (asyncio accepts up to its backlog at
# once): with 50 keep-alive clients, 40 ended on one worker and 10 on the other, and the
# second core idled. Elsewhere the workers share the supervisor's socket.
REUSEPORT = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def _bind(host: str, port: int, listen: bool) -> socket.socket:
    """A socket bound to ``host:port`` (with SO_REUSEPORT where it balances), listening
    if ``listen``. The supervisor's, which only holds the port, does not listen where the
    workers have their own: the kernel would hand it connections that nobody accepts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if REUSEPORT:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _option(args: list[str], name: str, default: str) -> str:
    return args[args.index(name) + 1] if name in args else default


async def _serve(ds, sock: socket.socket, ready: int) -> None:
    """What ``datasette serve`` does after building ``ds``, on one event loop (as 1.0
    does, so that tasks a startup hook schedules live on the loop that serves), then
    serve ``sock``; ``ready`` gets a byte once the worker is about to answer."""
    import uvicorn
    from datasette.cli import check_databases

    await check_databases(ds)
    startup = getattr(ds, "_startup_sequence", None) or ds.invoke_startup   # 1.0 / 0.65
    await startup()
    if REUSEPORT:   # this worker's own socket on the port, once it is ready to answer
        held = sock
        sock = _bind(held.getsockname()[0], held.getsockname()[1], listen=True)
        held.close()
    os.write(ready, b"r")
    config = uvicorn.Config(ds.app(), lifespan="on", log_level="info", timeout_graceful_shutdown=5)
    await uvicorn.Server(config).serve(sockets=[sock])


def _worker(args: list[str], sock: socket.socket, supervisor: int, ready: int) -> None:
    """Build the Datasette ``datasette serve ARGS`` would and serve ``sock`` until told to
    stop; never returns."""
    import asyncio
    import threading

    from archive.workers import _watch_parent

    threading.Thread(target=_watch_parent, args=(supervisor,), daemon=True,
                     name="archive-supervisor-watch").start()
    try:
        from datasette.cli import serve as datasette_serve

        ctx = datasette_serve.make_context("serve", list(args))
        ctx.params["return_instance"] = True   # Datasette's own way to get the instance it would serve
        ds = ctx.invoke(datasette_serve.callback, **ctx.params)
        asyncio.run(_serve(ds, sock, ready))
        code = 0
    except SystemExit as exc:   # click's own errors (a bad option) print and exit
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # reported, and the supervisor decides what follows
        print(f"archive serve worker {os.getpid()}: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _drain(fd: int) -> bool:
    """Whether a worker reported its startup done since the last call (reads it all)."""
    got = False
    try:
        while os.read(fd, 4096):
            got = True
    except BlockingIOError:
        pass
    return got


def main(argv: list[str]) -> int:
    workers, args = int(argv[0]), argv[1:]
    if args[:1] == ["serve"]:
        args = args[1:]
    host, port = _option(args, "--host", "127.0.0.1"), int(_option(args, "--port", "8001"))
    try:
        sock = _bind(host, port, listen=not REUSEPORT)
    except OSError as exc:
        print(f"archive serve: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    supervisor = os.getpid()
    ready_r, ready_w = os.pipe()
    os.set_blocking(ready_r, False)
    stopping = False
    failed = False
    started_once = False   # a worker has finished its startup: later deaths are restarted
    children: dict[int, float] = {}   # pid -> when it started

    def start() -> None:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.close(ready_r)
            _worker(args, sock, supervisor, ready_w)
        children[pid] = time.monotonic()

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        start()
    print(f"archive serve: {workers} workers on http://{host}:{port} (supervisor {supervisor})",
          file=sys.stderr, flush=True)
    deadline = None
    while children:
        if stopping and deadline is None:
            deadline = time.monotonic() + STOP_SECONDS
        started_once = _drain(ready_r) or started_once
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if deadline is not None and time.monotonic() > deadline:
                for p in list(children):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            time.sleep(0.1)
            continue
        started = children.pop(pid, None)
        if stopping or started is None:
            continue
        started_once = _drain(ready_r) or started_once
        if not started_once:
            print("archive serve: a worker failed to start; stopping", file=sys.stderr, flush=True)
            failed = True
            stop(signal.SIGTERM, None)
            continue
        if time.monotonic() - started < RESPAWN_PAUSE:
            time.sleep(RESPAWN_PAUSE)
        if not stopping:
            start()
    sock.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
