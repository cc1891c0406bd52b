"""Fetching URLs over HTTP(S) into hops ready to be written as WARC records.

The fetcher speaks HTTP/1.1 through :mod:`http.client` so that what is stored is what
the server sent: status line, headers in order (duplicates kept) and the body *as sent*,
content-encoding included (a gzip body stays gzip; decoding, capped, is extraction's
business). Only the chunked transfer-coding is removed, and the header that announced it
is kept renamed as ``X-Archive-Orig-Transfer-Encoding`` so the record stays parseable.

Limits, each reported as a :class:`~archive.errors.CaptureError` code or a
``WARC-Truncated`` reason:

* every hop of a redirect chain is recorded; more than ``max_redirects`` hops →
  ``too_many_redirects``;
* a body larger than ``max_body`` is cut there → ``WARC-Truncated: length``;
* an overall ``deadline`` per hop (a slow server cannot hold a worker) →
  ``WARC-Truncated: time``; a connection closed early → ``disconnect``;
* malformed responses → ``bad_response``; with ``public_only`` every hop's resolved
  address must be public (``blocked_address``) and the connection is pinned to the
  address that was checked, so DNS cannot change it between check and connect.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable
from urllib.parse import urljoin, urlsplit

from . import SOFTWARE
from .canonical import check_url
from .errors import CaptureError, UsageError
from .warcstore import utcnow

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
        # Per-thread idle connections (keep-alive): a worker reuses its connection to a
        # host for the next page, as a browser or wget does.
        self._local = threading.local()
        self._open: list[http.client.HTTPConnection] = []
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

    # -----------------------------------------------------------------------------
    def _fetch_one(self, url: str, extra_headers: dict[str, str] | None) -> Hop:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        ip = self._pick_address(host, port, url)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        host_header = parts.netloc.rsplit("@", 1)[-1]
        headers = [
            ("Host", host_header),
            ("User-Agent", self.user_agent),
            ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            ("Accept-Encoding", "identity"),
        ]
        if not self.keep_alive:
            headers.append(("Connection", "close"))
        for k, v in (extra_headers or {}).items():
            if any(c in str(v) for c in "\r\n\x00"):
                raise CaptureError(f"header {k} contains a line break", "invalid_url", url)
            headers.append((k, str(v)))
        request_head = (f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
                        + "\r\n").encode("utf-8", "surrogateescape")
        started = self.clock()
        t0 = time.monotonic()
        key = (scheme, host, port, ip)
        conn, reused = self._checkout(key)
        reusable = False
        try:
            try:
                try:
                    resp = _send(conn, path, headers)
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                    if not reused:
                        raise
                    # An idle keep-alive connection the server had closed: once more, fresh.
                    conn.close()
                    conn, reused = _pinned_connection(scheme, host, port, ip, self.timeout), False
                    self._track(conn)
                    resp = _send(conn, path, headers)
            except (socket.timeout, TimeoutError):
                raise CaptureError(f"{url}: no response within {self.timeout:g} s", "timeout", url) from None
            except ssl.SSLError as exc:
                raise CaptureError(f"{url}: TLS failed ({exc.reason or exc})", "tls_failed", url) from None
            except ConnectionRefusedError:
                raise CaptureError(f"{url}: connection refused by {ip}:{port}", "connection_failed", url) from None
            except (http.client.HTTPException, ValueError) as exc:
                raise CaptureError(f"{url}: malformed HTTP response ({type(exc).__name__}: "
                                   f"{str(exc)[:120]})", "bad_response", url) from None
            except OSError as exc:
                raise CaptureError(f"{url}: {exc.strerror or exc}", "connection_failed", url) from None
            _check_raw_head(resp, url)
            resp_headers = []
            for k, v in resp.msg.items():
                if any(c in k + v for c in "\r\n\x00"):
                    raise CaptureError(f"{url}: response header {k[:40]!r} contains a control "
                                       "character", "bad_response", url)
                if k.lower() == "transfer-encoding":
                    k = "X-Archive-Orig-Transfer-Encoding"
                resp_headers.append((k, v))
            _check_lengths(resp_headers, url)
            body = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
            digest = hashlib.sha256()
            size = 0
            truncated = None
            try:
                while True:
                    remaining = self.deadline - (time.monotonic() - t0)
                    if remaining <= 0:
                        truncated = "time"
                        break
                    if conn.sock is not None:
                        conn.sock.settimeout(min(self.timeout, remaining))
                    want = min(READ_SIZE, self.max_body - size)
                    if want <= 0:
                        # One more byte tells a body of exactly max_body from a longer one.
                        if resp.read(1):
                            truncated = "length"
                        break
                    chunk = resp.read1(want) if hasattr(resp, "read1") else resp.read(want)
                    if not chunk:
                        break
                    body.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
            except (socket.timeout, TimeoutError):
                truncated = "time"
            except http.client.IncompleteRead as exc:
                if exc.partial:
                    body.write(exc.partial)
                    digest.update(exc.partial)
                    size += len(exc.partial)
                truncated = "disconnect"
            except (http.client.HTTPException, OSError, ValueError):
                truncated = "disconnect"
            if truncated is None and resp.length not in (None, 0) and not resp.chunked:
                truncated = "disconnect"  # fewer bytes than Content-Length announced
            body.seek(0)
            location = None
            if 300 <= resp.status < 400 and resp.status != 304:
                location = resp.getheader("Location")
            version = {10: "HTTP/1.0", 11: "HTTP/1.1"}.get(resp.version, "HTTP/1.1")
            # Reuse only a connection whose response was read to its end.
            reusable = (self.keep_alive and truncated is None and not resp.will_close
                        and (resp.isclosed() or resp.length == 0))
            if reusable:
                resp.close()  # ends this response; the socket stays with the connection
            return Hop(url=url, started_at=started, request_head=request_head,
                       status=resp.status, reason=resp.reason or "", http_version=version,
                       headers=resp_headers, body=body, body_length=size,
                       payload_sha256=digest.hexdigest(), ip=ip, truncated=truncated,
                       location=location)
        finally:
            if reusable:
                self._checkin(key, conn)
            else:
                conn.close()

    # -- keep-alive ---------------------------------------------------------------------
    def _checkout(self, key: tuple) -> tuple[http.client.HTTPConnection, bool]:
        pool = getattr(self._local, "pool", None)
        conn = pool.pop(key, None) if pool else None
        if conn is not None and conn.sock is not None:
            conn.sock.settimeout(self.timeout)
            return conn, True
        conn = _pinned_connection(*key, self.timeout)
        self._track(conn)
        return conn, False

    def _checkin(self, key: tuple, conn: http.client.HTTPConnection) -> None:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        if len(pool) >= 8:  # a worker keeps a few hosts warm, not every host it met
            old_key = next(iter(pool))
            pool.pop(old_key).close()
        pool[key] = conn

    def _track(self, conn: http.client.HTTPConnection) -> None:
        with self._open_lock:
            self._open = [c for c in self._open if c.sock is not None]
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
            bad = [a for a in addresses if not is_public_address(a)]
            if bad:
                raise CaptureError(f"{url}: {host} resolves to a non-public address ({bad[0]}); "
                                   "refused by --public-only", "blocked_address", url)
        return addresses[0]


def _send(conn: http.client.HTTPConnection, path: str, headers: list[tuple[str, str]]):
    conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers:
        conn.putheader(k, v)
    conn.endheaders()
    return conn.getresponse()


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out = []
    for family, _, _, _, sockaddr in infos:
        if sockaddr[0] not in out:
            out.append(sockaddr[0])
    return out


def _check_lengths(headers: list[tuple[str, str]], url: str) -> None:
    values = {v.strip() for k, v in headers if k.lower() == "content-length"}
    if len(values) > 1:
        raise CaptureError(f"{url}: conflicting Content-Length headers {sorted(values)}",
                           "bad_response", url)


class _LineTap:
    """Wraps a response's socket file to keep the raw header lines http.client reads.

    http.client hands header lines to the email parser, which takes a lone CR for a line
    break: ``X: a\rWARC-Type: x`` would come out as two headers, and the stored record
    would hold a header the server never sent as such. The raw lines let us refuse that.
    """

    def __init__(self, fp):
        self._fp = fp
        self.lines: list[bytes] = []
        self.tapping = True

    def readline(self, *args):
        line = self._fp.readline(*args)
        if self.tapping and len(self.lines) < 1000:
            self.lines.append(line)
        return line

    def __getattr__(self, name):
        return getattr(self._fp, name)


class _TappedResponse(http.client.HTTPResponse):
    def __init__(self, sock, *args, **kwargs):
        super().__init__(sock, *args, **kwargs)
        self.fp = _LineTap(self.fp)


def _check_raw_head(resp: http.client.HTTPResponse, url: str) -> None:
    tap = resp.fp
    if not isinstance(tap, _LineTap):
        return
    tap.tapping = False
    for line in tap.lines:
        text = line.rstrip(b"\r\n")
        if b"\r" in text or b"\x00" in text:
            raise CaptureError(f"{url}: response header line {text[:40]!r} contains a bare CR or "
                               "NUL", "bad_response", url)
    tap.lines = []


def _pinned_connection(scheme: str, host: str, port: int, ip: str, timeout: float):
    """A connection to ``ip`` that presents ``host`` (SNI, certificate check)."""
    if scheme == "https":
        ctx = ssl.create_default_context()

        class Pinned(http.client.HTTPSConnection):
            response_class = _TappedResponse

            def connect(self):
                sock = socket.create_connection((ip, port), timeout)
                self.sock = ctx.wrap_socket(sock, server_hostname=host)

        return Pinned(host, port, timeout=timeout, context=ctx)

    class PinnedHTTP(http.client.HTTPConnection):
        response_class = _TappedResponse

        def connect(self):
            self.sock = socket.create_connection((ip, port), timeout)

    return PinnedHTTP(host, port, timeout=timeout)
