"""Fetching URLs over HTTP(S) into hops ready to be written as WARC records.

The fetcher speaks HTTP/1.1 on a socket of its own (a small client, below, rather than
:mod:`http.client`) so that what is stored is what was sent and received: the request
record holds the bytes sent, the response its status line, headers in order (duplicates
kept, each line checked as received) and the body *as sent*, content-encoding included (a
gzip body stays gzip; decoding, capped, is extraction's business). Only the chunked
transfer-coding is removed, and the header that announced it is kept renamed as
``X-Archive-Orig-Transfer-Encoding`` so the record stays parseable. Each worker thread
keeps its connections to a host open for the next page (keep-alive).

Limits, each reported as a :class:`~archive.errors.CaptureError` code or a
``WARC-Truncated`` reason:

* every hop of a redirect chain is recorded; more than ``max_redirects`` hops →
  ``too_many_redirects``;
* a body larger than ``max_body`` is cut there → ``WARC-Truncated: length``;
* an overall ``deadline`` per hop, head and body (a slow server cannot hold a worker) →
  ``timeout`` before the head is complete, ``WARC-Truncated: time`` after; a connection
  closed early → ``disconnect``;
* malformed responses → ``bad_response``; with ``public_only`` every hop's resolved
  address must be public (``blocked_address``) and the connection is pinned to the
  address that was checked, so DNS cannot change it between check and connect.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable
from urllib.parse import quote, urljoin, urlsplit

from archive import SOFTWARE
from archive.errors import CaptureError, UsageError
from archive.times import utcnow
from archive.urls import check_url

DEFAULT_USER_AGENT = f"Mozilla/5.0 (compatible; {SOFTWARE}; +provenance archive)"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BODY = 50 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 10
READ_SIZE = 1 << 16


@dataclass
class Hop:
    """One request and its response: one request record plus one response record."""

    url: str
    started_at: datetime
    request_head: bytes
    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]
    body: tempfile.SpooledTemporaryFile
    body_length: int
    payload_sha256: str
    ip: str
    truncated: str | None = None
    location: str | None = None

    def close(self) -> None:
        self.body.close()


@dataclass
class FetchResult:
    hops: list[Hop] = field(default_factory=list)
    error: CaptureError | None = None

    @property
    def final(self) -> Hop | None:
        return self.hops[-1] if self.hops else None

    def close(self) -> None:
        for h in self.hops:
            h.close()


def is_public_address(ip: str) -> bool:
    """True for a globally routable unicast address.

    >>> [is_public_address(a) for a in ("93.184.216.34", "127.0.0.1", "169.254.169.254",
    ...  "10.1.2.3", "100.64.0.1", "::1", "::ffff:127.0.0.1", "fc00::1", "0.0.0.0")]
    [True, False, False, False, False, False, False, False, False]
    """
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return addr.is_global and not addr.is_multicast


class Fetcher:
    """Fetches URLs; all side effects (resolver, clock) are constructor parameters."""

    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        max_body: int = DEFAULT_MAX_BODY,
        user_agent: str = DEFAULT_USER_AGENT,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        public_only: bool = False,
        deadline: float | None = None,
        resolver: Callable[[str, int], list[str]] | None = None,
        clock: Callable[[], datetime] = utcnow,
        keep_alive: bool = True,
        address_allowed: Callable[[str], bool] = is_public_address,
    ):
        self.timeout = timeout
        self.max_body = max_body
        self.user_agent = user_agent
        self.max_redirects = max_redirects
        self.public_only = public_only
        self.deadline = deadline if deadline is not None else max(timeout * 4, timeout)
        self.resolver = resolver or _resolve
        self.clock = clock
        self.keep_alive = keep_alive
        # What --public-only lets through: the real rule unless a test injects another
        # (tests serve "public" pages from 127.0.0.1 and refuse a second loopback address).
        self.address_allowed = address_allowed
        # Per-thread idle connections (keep-alive): a worker reuses its connection to a
        # host for the next page, as a browser or wget does.
        self._local = threading.local()
        self._open: list["_Connection"] = []
        self._open_lock = threading.Lock()

    def fetch(self, url: str, extra_headers: dict[str, str] | None = None) -> FetchResult:
        """Fetch ``url`` following redirects. Never raises for network trouble: the
        error is in ``result.error`` with the hops recorded so far."""
        result = FetchResult()
        seen: set[str] = set()
        current = url
        try:
            check_url(current)
        except UsageError as exc:
            result.error = CaptureError(str(exc), "invalid_url", url)
            return result
        while True:
            try:
                hop = self._fetch_one(current, extra_headers if not result.hops else None)
            except CaptureError as exc:
                exc.url = exc.url or current
                result.error = exc
                return result
            result.hops.append(hop)
            if hop.location is None:
                return result
            nxt = urljoin(current, hop.location)
            if len(result.hops) > self.max_redirects or nxt in seen:
                kind = "redirect loop" if nxt in seen else f"more than {self.max_redirects} redirects"
                result.error = CaptureError(f"{url}: {kind} (last hop {current} -> {nxt})",
                                            "too_many_redirects", url)
                return result
            seen.add(current)
            try:
                check_url(nxt)
            except UsageError as exc:
                result.error = CaptureError(f"{current} redirects to a URL that cannot be "
                                            f"captured: {exc}", "invalid_url", url)
                return result
            current = nxt

    def fetch_hop(self, url: str, headers: list[tuple[str, str]]) -> Hop:
        """One GET of ``url`` without following a redirect, sending ``headers`` (a
        browser's, relayed by a recording proxy) in place of our own; ``Host`` and
        ``Accept-Encoding`` stay ours. Raises :class:`CaptureError` when there is no
        response to record (refused address, bad URL, no connection)."""
        try:
            check_url(url)
        except UsageError as exc:
            raise CaptureError(str(exc), "invalid_url", url) from None
        return self._fetch_one(url, None, headers)

    # -----------------------------------------------------------------------------
    def _fetch_one(self, url: str, extra_headers: dict[str, str] | None,
                   replace_headers: list[tuple[str, str]] | None = None) -> Hop:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        ip = self._pick_address(host, port, url)
        path = _request_target(parts.path or "/", parts.query)
        try:
            host_header = _host_header(parts.netloc.rsplit("@", 1)[-1])
        except UnicodeError as exc:
            raise CaptureError(f"{url}: host cannot be sent ({exc})", "invalid_url", url) from None
        if replace_headers is not None:
            headers = [("Host", host_header)] + list(replace_headers) + [("Accept-Encoding", "identity")]
        else:
            headers = [
                ("Host", host_header),
                ("User-Agent", self.user_agent),
                ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                ("Accept-Encoding", "identity"),
            ]
        if not self.keep_alive:
            headers.append(("Connection", "close"))
        for k, v in (extra_headers or {}).items():
            headers.append((k, str(v)))
        for k, v in headers:
            if any(c in k + v for c in "\r\n\x00") or not k or any(c in k for c in " :\t"):
                raise CaptureError(f"header {k[:40]!r} is not a valid header line", "invalid_url", url)
        # The bytes sent are the bytes of the request record.
        request_head = (f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
                        + "\r\n").encode("utf-8", "surrogateescape")
        started = self.clock()
        t0 = time.monotonic()
        deadline = t0 + self.deadline
        key = (scheme, host, port, ip)
        conn, reused = self._checkout(key)
        reusable = False
        try:
            try:
                try:
                    if conn is None:
                        conn = self._connect(key)
                    conn.deadline = deadline
                    conn.send(request_head)
                    head = conn.read_head(url)
                except _Disconnected:
                    if not reused:
                        raise
                    # An idle keep-alive connection the server had closed: once more, fresh.
                    if conn is not None:
                        conn.close()
                    conn = None
                    conn = self._connect(key)
                    conn.deadline = deadline
                    conn.send(request_head)
                    head = conn.read_head(url)
            except _Disconnected:
                raise CaptureError(f"{url}: malformed HTTP response (the server closed the "
                                   "connection without a response)", "bad_response", url) from None
            except (socket.timeout, TimeoutError):
                raise CaptureError(f"{url}: no response within {self.timeout:g} s", "timeout", url) from None
            except ssl.SSLError as exc:
                raise CaptureError(f"{url}: TLS failed ({exc.reason or exc})", "tls_failed", url) from None
            except ConnectionRefusedError:
                raise CaptureError(f"{url}: connection refused by {ip}:{port}", "connection_failed", url) from None
            except _BadResponse as exc:
                raise CaptureError(f"{url}: malformed HTTP response ({exc})", "bad_response", url) from None
            except OSError as exc:
                raise CaptureError(f"{url}: {exc.strerror or exc}", "connection_failed", url) from None
            status, reason, version, resp_headers, framing = head
            # Only the chunked coding is removed from the body; the header that announced
            # it is kept under another name so the stored record stays parseable.
            resp_headers = [("X-Archive-Orig-Transfer-Encoding", v) if k.lower() == "transfer-encoding"
                            else (k, v) for k, v in resp_headers]
            body = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
            digest = hashlib.sha256()
            size = 0
            truncated = None
            complete = False
            try:
                for chunk in conn.body(framing):
                    room = self.max_body - size
                    if len(chunk) > room:
                        chunk = chunk[:room]
                        truncated = "length"
                    if chunk:
                        body.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                    if truncated:
                        break
                    # At max_body the next chunk (if any) tells a body of exactly max_body
                    # from a longer one.
                else:
                    complete = True
            except (socket.timeout, TimeoutError):
                truncated = "time"
            except (_Disconnected, _BadResponse, OSError, ValueError):
                truncated = "disconnect"
            body.seek(0)
            location = None
            if 300 <= status < 400 and status != 304:
                location = next((v for k, v in resp_headers if k.lower() == "location"), None)
            # Reuse only a connection whose response was read to its end.
            reusable = self.keep_alive and complete and framing.keep_alive and not conn.pending
            return Hop(url=url, started_at=started, request_head=request_head,
                       status=status, reason=reason, http_version=version,
                       headers=resp_headers, body=body, body_length=size,
                       payload_sha256=digest.hexdigest(), ip=ip, truncated=truncated,
                       location=location)
        finally:
            if conn is not None:
                if reusable:
                    self._checkin(key, conn)
                else:
                    conn.close()

    # -- keep-alive ---------------------------------------------------------------------
    def _checkout(self, key: tuple) -> tuple["_Connection | None", bool]:
        """This thread's idle connection for ``key``, or None (connect later, inside the
        error handling)."""
        pool = getattr(self._local, "pool", None)
        conn = pool.pop(key, None) if pool else None
        if conn is not None and not conn.closed:
            return conn, True
        return None, False

    def _connect(self, key: tuple) -> "_Connection":
        scheme, host, port, ip = key
        conn = _Connection(scheme, host, port, ip, self.timeout)
        self._track(conn)
        return conn

    def _checkin(self, key: tuple, conn: "_Connection") -> None:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        if len(pool) >= 8:  # a worker keeps a few hosts warm, not every host it met
            old_key = next(iter(pool))
            pool.pop(old_key).close()
        pool[key] = conn

    def _track(self, conn: "_Connection") -> None:
        with self._open_lock:
            if len(self._open) > 64:
                self._open = [c for c in self._open if not c.closed]
            self._open.append(conn)

    def close(self) -> None:
        """Close every idle keep-alive connection."""
        with self._open_lock:
            for c in self._open:
                c.close()
            self._open = []

    def _pick_address(self, host: str, port: int, url: str) -> str:
        try:
            addresses = self.resolver(host, port)
        except (socket.gaierror, UnicodeError) as exc:
            raise CaptureError(f"{url}: cannot resolve host {host!r} ({exc})", "dns_failed", url) from None
        if not addresses:
            raise CaptureError(f"{url}: host {host!r} has no address", "dns_failed", url)
        if self.public_only:
            bad = [a for a in addresses if not self.address_allowed(a)]
            if bad:
                raise CaptureError(f"{url}: {host} resolves to a non-public address ({bad[0]}); "
                                   "refused by --public-only", "blocked_address", url)
        return addresses[0]


# -- HTTP/1.1 on a socket ------------------------------------------------------------------
# A small client of our own rather than http.client: http.client hands header lines to the
# email parser, which is most of its cost, takes a lone CR for a line break (``X: a\rWARC-
# Type: x`` would come out as two headers) and silently drops a line without a colon with
# every header after it. Here each header line is checked as it was received, and the
# request record holds exactly the bytes sent.

MAX_LINE = 65536          # longest status or header line (as http.client)
MAX_HEADERS = 100         # most header lines in a response (as http.client)
MAX_INTERIM = 20          # most 1xx responses before the final one


_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")   # a header name (RFC 9110 token)


class _BadResponse(Exception):
    """The response is not HTTP/1.x as we can store it."""


class _Disconnected(Exception):
    """The connection closed before a status line arrived."""


@dataclass
class _Framing:
    """How the body of a response ends."""

    chunked: bool = False
    length: int | None = None      # Content-Length; None: until the connection closes
    keep_alive: bool = True        # the connection may carry another request after it


class _Connection:
    """One connection to a pinned address, with its own read buffer.

    Every read and wait is bounded by ``timeout`` and by the hop's ``deadline``
    (``time.monotonic()`` value), whichever comes first.
    """

    def __init__(self, scheme: str, host: str, port: int, ip: str, timeout: float):
        self.timeout = timeout
        self.deadline = float("inf")
        self.closed = False
        self._buf = bytearray()
        sock = socket.create_connection((ip, port), timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass
        if scheme == "https":
            try:
                sock = _tls_context().wrap_socket(sock, server_hostname=host)
            except BaseException:
                sock.close()
                raise
        self.sock = sock

    @property
    def pending(self) -> bool:
        """Bytes received beyond the response just read (not ours to reuse)."""
        return bool(self._buf)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def send(self, data: bytes) -> None:
        self._arm()
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            raise _Disconnected() from None

    def _arm(self) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("deadline passed")
        self.sock.settimeout(min(self.timeout, remaining))

    def _recv(self, n: int) -> bytes:
        self._arm()
        return self.sock.recv(n)

    def readline(self, limit: int = MAX_LINE) -> bytes:
        """A line up to and including LF; longer than ``limit`` → :class:`_BadResponse`;
        b"" or a line without LF at end of stream."""
        buf = self._buf
        scanned = 0
        while True:
            i = buf.find(b"\n", scanned)
            if i >= 0:
                if i >= limit:
                    raise _BadResponse(f"a line longer than {limit} bytes")
                line = bytes(buf[:i + 1])
                del buf[:i + 1]
                return line
            if len(buf) > limit:
                raise _BadResponse(f"a line longer than {limit} bytes")
            scanned = len(buf)
            data = self._recv(READ_SIZE)
            if not data:
                line = bytes(buf)
                buf.clear()
                return line
            buf += data

    def read1(self, n: int) -> bytes:
        """Up to ``n`` bytes, at most one receive; b"" at end of stream."""
        if self._buf:
            chunk = bytes(self._buf[:n])
            del self._buf[:n]
            return chunk
        return self._recv(n)

    def read_head(self, url: str):
        """Status line and headers of the final (non-1xx) response."""
        for _ in range(MAX_INTERIM):
            try:
                line = self.readline()
            except ConnectionResetError:
                raise _Disconnected() from None
            if not line:
                raise _Disconnected()
            status, reason, version = _parse_status(line)
            headers = self._read_headers()
            if 100 <= status < 200 and status != 101:
                continue  # 100 Continue, 103 Early Hints: the final response follows
            return status, reason, version, headers, _framing(status, version, headers)
        raise _BadResponse(f"more than {MAX_INTERIM} interim (1xx) responses")

    def _read_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        while True:
            line = self.readline()
            if line in (b"\r\n", b"\n"):
                return headers
            if not line.endswith(b"\n"):
                raise _BadResponse("the connection closed inside the response head")
            if len(headers) >= MAX_HEADERS:
                raise _BadResponse(f"more than {MAX_HEADERS} header lines")
            text = line[:-2] if line.endswith(b"\r\n") else line[:-1]
            if b"\r" in text or b"\x00" in text:
                raise _BadResponse(f"header line {text[:40]!r} contains a bare CR or NUL")
            if text[:1] in (b" ", b"\t"):
                raise _BadResponse(f"folded header line {text[:40]!r}")
            name, colon, value = text.partition(b":")
            if not colon or not _TOKEN.fullmatch(name):
                raise _BadResponse(f"header line {text[:40]!r} is not 'Name: value'")
            # Latin-1 maps each byte to one character: the record gets the bytes back.
            headers.append((name.decode("latin-1"), value.lstrip(b" \t").decode("latin-1")))

    def body(self, framing: _Framing):
        """The body as it arrives, chunked coding removed; :class:`_Disconnected` if the
        connection closes before the framing says it ends."""
        if framing.chunked:
            yield from self._chunked()
        elif framing.length is not None:
            yield from self._exactly(framing.length)
        else:
            while True:
                chunk = self.read1(READ_SIZE)
                if not chunk:
                    return
                yield chunk

    def _exactly(self, left: int):
        """The next ``left`` bytes, as they arrive; the connection closing first is a
        disconnect."""
        while left > 0:
            chunk = self.read1(min(READ_SIZE, left))
            if not chunk:
                raise _Disconnected()
            left -= len(chunk)
            yield chunk

    def _chunked(self):
        while True:
            line = self.readline()
            if not line.endswith(b"\n"):
                raise _Disconnected()
            size_text = line.split(b";", 1)[0].strip()
            try:
                left = int(size_text, 16)
            except ValueError:
                raise _BadResponse(f"bad chunk size {size_text[:20]!r}") from None
            if left < 0:
                raise _BadResponse("negative chunk size")
            if left == 0:
                for _ in range(MAX_HEADERS):  # trailer fields, discarded (as http.client)
                    t = self.readline()
                    if t in (b"\r\n", b"\n"):
                        return
                    if not t.endswith(b"\n"):
                        raise _Disconnected()
                raise _BadResponse("too many trailer lines")
            yield from self._exactly(left)
            if self.readline(2) not in (b"\r\n", b"\n"):
                raise _BadResponse("chunk not followed by CRLF")


def _parse_status(line: bytes) -> tuple[int, str, str]:
    text = line.rstrip(b"\r\n")
    if b"\r" in text or b"\x00" in text:
        raise _BadResponse(f"status line {text[:40]!r} contains a bare CR or NUL")
    parts = text.decode("latin-1").split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise _BadResponse(f"bad status line {text[:40]!r}")
    version = parts[0]
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        if not version.startswith("HTTP/1."):
            raise _BadResponse(f"unsupported protocol {version[:20]!r}")
        version = "HTTP/1.1"
    code = parts[1]
    if len(code) != 3 or not code.isdigit() or not code.isascii() or code[0] == "0":
        raise _BadResponse(f"bad status code {code[:20]!r}")
    return int(code), parts[2].strip() if len(parts) > 2 else "", version


def _framing(status: int, version: str, headers: list[tuple[str, str]]) -> _Framing:
    """Where the body ends (RFC 9112 §6.3) and whether the connection stays open."""
    te = cl = None
    connection = ""
    lengths = set()
    for k, v in headers:
        lk = k.lower()
        if lk == "transfer-encoding":
            te = v
        elif lk == "content-length":
            # "42, 42" (a list of one value, RFC 9110 §8.6) is 42; differing values are not.
            for item in v.split(","):
                lengths.add(item.strip())
            cl = v.split(",")[0].strip()
        elif lk == "connection":
            connection += "," + v.lower()
    if len(lengths) > 1:
        raise _BadResponse(f"conflicting Content-Length headers {sorted(lengths)}")
    tokens = {t.strip() for t in connection.split(",")}
    keep_alive = "close" not in tokens and (version == "HTTP/1.1" or "keep-alive" in tokens)
    if status == 101:
        return _Framing(length=0, keep_alive=False)  # switching protocols: not HTTP any more
    if status in (204, 304) or 100 <= status < 200:
        return _Framing(length=0, keep_alive=keep_alive)
    if te is not None:
        codings = [c.strip().lower() for c in te.split(",") if c.strip()]
        if codings and codings[-1] == "chunked":
            return _Framing(chunked=True, keep_alive=keep_alive)
        return _Framing(keep_alive=False)  # read until close
    if cl is not None:
        try:
            n = int(cl)
        except ValueError:
            n = -1
        if n >= 0 and cl.isdigit():
            return _Framing(length=n, keep_alive=keep_alive)
        raise _BadResponse(f"bad Content-Length {cl[:20]!r}")
    return _Framing(keep_alive=False)


def _request_target(path: str, query: str) -> str:
    """Path and query as sent: characters outside ASCII are percent-encoded (UTF-8), as
    browsers do; everything else, percent-escapes included, is sent as written."""
    target = path + ("?" + query if query else "")
    if target.isascii():
        return target
    return quote(target, safe="".join(chr(c) for c in range(0x21, 0x7f)))


def _host_header(netloc: str) -> str:
    if netloc.isascii():
        return netloc
    host, sep, port = netloc.rpartition(":") if not netloc.endswith("]") else (netloc, "", "")
    if not sep or not port.isdigit():
        host, sep, port = netloc, "", ""
    return host.encode("idna").decode("ascii") + sep + port


_TLS: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    global _TLS
    if _TLS is None:
        _TLS = ssl.create_default_context()
    return _TLS


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out = []
    for family, _, _, _, sockaddr in infos:
        if str(sockaddr[0]) not in out:
            out.append(str(sockaddr[0]))
    return out
