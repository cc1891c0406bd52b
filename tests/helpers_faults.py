"""Helpers for the fault, hostile-input and fuzz tests.

* :func:`warc_record` / :func:`gz` build WARC bytes by hand, so a test can break exactly
  one thing (a header, a length, a digest) and know the byte offset of the damage;
* :class:`RawServer` is a socket server on 127.0.0.1 whose handler writes whatever bytes
  it likes, for servers that no HTTP library would be willing to be;
* :func:`files_inside` lists every file under a directory, for "nothing escapes" checks.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import socket
import threading
import uuid
from pathlib import Path
from typing import Callable


def sha256_b32(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode()


def http_block(body: bytes, status: str = "200 OK", headers: list[tuple[str, str]] | None = None) -> bytes:
    hdrs = headers if headers is not None else [("Content-Type", "text/html; charset=utf-8"),
                                                ("Content-Length", str(len(body)))]
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs) + "\r\n"
    return head.encode("latin-1") + body


def warc_record(rtype: str = "response", block: bytes | None = None, url: str = "http://example.com/",
                *, drop: tuple[str, ...] = (), extra: list[tuple[str, str]] | None = None,
                content_length: int | None = None, block_digest: str | None = None,
                payload_digest: str | None = None, payload: bytes | None = None,
                record_id: str | None = None, version: str = "WARC/1.1") -> bytes:
    """The uncompressed bytes of one WARC record (headers, block, CRLF CRLF).

    ``drop`` removes mandatory headers, ``content_length`` lies about the length, the
    digest arguments override the correct SHA-256 digests.
    """
    if block is None:
        payload = payload if payload is not None else b"<html><body><p>hello</p></body></html>"
        block = http_block(payload) if rtype in ("response", "revisit") else payload
    if payload is None:
        sep = block.find(b"\r\n\r\n")
        payload = block[sep + 4:] if rtype == "response" and sep >= 0 else block
    headers = [
        ("WARC-Type", rtype),
        ("WARC-Record-ID", record_id or f"<urn:uuid:{uuid.uuid4()}>"),
        ("WARC-Date", "2026-01-02T03:04:05.000000Z"),
        ("WARC-Target-URI", url),
        ("Content-Type", "application/http; msgtype=response" if rtype == "response"
         else "text/html"),
        ("WARC-Block-Digest", block_digest or sha256_b32(block)),
        ("WARC-Payload-Digest", payload_digest or sha256_b32(payload)),
        ("Content-Length", str(len(block) if content_length is None else content_length)),
    ]
    headers += extra or []
    headers = [(k, v) for k, v in headers if k not in drop]
    head = version + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("utf-8") + block + b"\r\n\r\n"


def gz(raw: bytes) -> bytes:
    """One gzip member, as every record of a ``.warc.gz`` should be."""
    return gzip.compress(raw, compresslevel=6, mtime=0)


def valid_warc_gz(n: int = 3, payload_size: int = 200) -> tuple[bytes, list[int]]:
    """A small valid ``.warc.gz`` of ``n`` response records and their member offsets."""
    out = b""
    offsets = []
    for i in range(n):
        offsets.append(len(out))
        body = (f"<html><body><p>record {i}</p>".encode() + b"x" * payload_size + b"</body></html>")
        out += gz(warc_record("response", payload=body, url=f"http://example.com/{i}",
                              block=http_block(body)))
    return out, offsets


class RawServer:
    """A TCP server on 127.0.0.1 that hands each connection to ``handler(sock)``.

    The request is read (up to the blank line) before the handler runs, so the handler
    only has to write the response it wants to test.
    """

    def __init__(self, handler: Callable[[socket.socket, bytes], None]):
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            t = threading.Thread(target=self._one, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _one(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            req = b""
            while b"\r\n\r\n" not in req and len(req) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                req += chunk
            self.handler(conn, req)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def __enter__(self) -> "RawServer":
        self._accept.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.sock.close()
        self._accept.join(2)
        for t in self._threads:
            t.join(2)


def files_inside(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


def assert_all_inside(root: Path, base: Path) -> None:
    base = Path(base).resolve()
    for p in files_inside(root):
        rp = p.resolve()
        assert rp == base or base in rp.parents, f"{p} is outside {base}"


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` in the process tree (read from /proc)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: set[int], seconds: float = 10.0) -> set[int]:
    """Wait up to ``seconds`` for ``pids`` to exit; the ones still running."""
    import time

    deadline = time.monotonic() + seconds
    left = {p for p in pids if alive(p)}
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {p for p in left if alive(p)}
    return left
