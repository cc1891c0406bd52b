"""The corpus pages served over HTTP on 127.0.0.1 for the capture benchmark.

When Debian's nginx is installed (or can be, as ``make browser`` installs chromium),
the pages are written once as files under ``bench/out/`` and served by nginx
(keep-alive, sendfile, TCP_NODELAY, no access log); otherwise ``corpus.py serve``, a
Python server, is used and the result says so. nginx is the server of a real site and
takes less of the 2 cores (0.06 s of CPU per 1,000 pages against the Python server's
0.13 s) and answers sooner, which a sequential client such as wget feels most.

Both clients of one run fetch from the same server, so they get the same bytes: the
files are the exact bytes of :func:`corpus.render_page`, with a fixed mtime, and nginx is
told to send no ``ETag``/``Last-Modified``, so the only header that varies is ``Date``.

Run::

    python bench/site_server.py --pages 1000            # nginx if it can, else Python
    python bench/site_server.py --pages 1000 --python   # the Python server
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/bin/nginx")
FIXED_MTIME = 1_772_344_800  # 2026-03-01 06:00 UTC, corpus.BASE_DATE


def nginx_binary(install: bool = False) -> str | None:
    """Debian's nginx, installed with apt-get when ``install`` and we are root."""
    for p in NGINX_CANDIDATES:
        if os.access(p, os.X_OK):
            return p
    found = shutil.which("nginx")
    if found or not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "install", "-y", "-qq", "nginx"],
                ["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "nginx"]):
        try:
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        for p in NGINX_CANDIDATES:
            if os.access(p, os.X_OK):
                return p
    return None


def site_dir(pages: int, seed: int = corpus.DEFAULT_SEED) -> Path:
    """Pages ``0..pages-1`` as files at their paths (cached; written once, atomically)."""
    root = OUT / f"site-s{seed}-{pages}"
    if (root / ".complete").exists():
        return root
    tmp = OUT / f".site-s{seed}-{pages}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for i in range(pages):
        rel = corpus.page_path(i, seed).lstrip("/")
        f = tmp / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(corpus.render_page(i, seed))
        os.utime(f, (FIXED_MTIME, FIXED_MTIME))
    (tmp / ".complete").write_text(f"{pages} pages, seed {seed}\n")
    shutil.rmtree(root, ignore_errors=True)
    os.replace(tmp, root)
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 1;
{user}
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    server_tokens off;
    etag off;
    types {{ }}
    default_type "text/html; charset=utf-8";
    server {{
        listen 127.0.0.1:{port} default_server;
        root {root};
        location / {{ add_header Last-Modified "" always; if_modified_since off; }}
    }}
}}
"""


class Site:
    """A running server of the corpus pages: ``base`` URL, ``kind`` (``nginx`` or ``python``)."""

    def __init__(self, pages: int, prefer: str = "nginx", install: bool = True):
        self.pages = pages
        self.proc: subprocess.Popen | None = None
        self._run: str | None = None
        self.kind = "python"
        self.why = ""
        if prefer == "nginx":
            binary = nginx_binary(install)
            if binary is None:
                self.why = "nginx not available"
            else:
                try:
                    self._start_nginx(binary)
                    self.kind = "nginx"
                except RuntimeError as exc:
                    self.why = str(exc)
                    self.close()
        if self.kind == "python":
            self._start_python()

    @property
    def label(self) -> str:
        if self.kind == "nginx":
            return "served by nginx"
        return "served by corpus.py's Python server" + (f" ({self.why})" if self.why else "")

    def _start_nginx(self, binary: str) -> None:
        root = site_dir(self.pages)
        self._run = tempfile.mkdtemp(prefix="bench-nginx-")
        for attempt in range(5):
            port = _free_port()
            conf = Path(self._run) / "nginx.conf"
            conf.write_text(NGINX_CONF.format(
                run=self._run, port=port, root=root,
                user="user root;" if os.geteuid() == 0 else ""))
            self.proc = subprocess.Popen([binary, "-c", str(conf), "-p", self._run, "-e", f"{self._run}/error.log"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            base = f"http://127.0.0.1:{port}"
            if self._wait_ready(port):
                self.base = base
                return
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        log = Path(self._run) / "error.log"
        tail = log.read_text(errors="replace")[-300:] if log.exists() else ""
        raise RuntimeError(f"nginx did not start: {tail.strip() or 'no log'}")

    def _wait_ready(self, port: int) -> bool:
        path = corpus.page_path(0).encode()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if s.recv(12).startswith(b"HTTP/1.1 200"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def _start_python(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(Path(corpus.__file__)), "serve", "--pages", str(self.pages)],
                                     stdout=subprocess.PIPE, text=True)
        base = self.proc.stdout.readline().strip()
        if not base.startswith("http://"):
            self.close()
            raise RuntimeError("the corpus server did not start")
        self.base = base

    def close(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self._run:
            shutil.rmtree(self._run, ignore_errors=True)
            self._run = None

    def __enter__(self) -> "Site":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--python", action="store_true", help="use the Python server")
    args = ap.parse_args(argv)
    with Site(args.pages, "python" if args.python else "nginx") as site:
        print(site.base, site.label, flush=True)
        try:
            while site.proc.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
