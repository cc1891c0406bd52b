"""Capturing a page as a reader's browser loads it: headless Chromium behind a recording proxy.

Chromium (Debian's ``/usr/bin/chromium``, driven through Playwright's Python API with that
executable; Playwright's own browser download is never used) loads the page with every
request sent to a proxy of ours on 127.0.0.1. The proxy relays each request through the
same :class:`~archive.capture.http.Fetcher` as ``archive capture`` without a browser, so
what is recorded is what crossed the wire: the request record holds the bytes sent
upstream, the response its status line, headers and body as received (only the chunked
coding removed, as for any capture), and every limit of HTTP capture applies to every
request the page makes — ``--public-only`` (each request's resolved address is checked
and the connection pinned to it; redirects are separate requests the browser makes and
are checked in turn), the size cap per response, a deadline. Nothing is reconstructed
from the browser's own view of the network.

::

    Chromium ──HTTP proxy / CONNECT──▶ RecordingProxy ──Fetcher (pinned address)──▶ site
                (TLS ends at the proxy)      │ Hop per request, refusals
                                             ▼
                                   PageCapture ──▶ Store.capture_browser ──▶ WARC

Libraries: ``h11`` parses the browser's side of each proxied connection (a small,
well-kept, pure HTTP/1.1 state machine, already installed with httpx); TLS interception
is Python's :mod:`ssl` with a key and certificate made per session by ``cryptography``.
The browser context accepts that certificate (it only ever talks to our proxy; the
upstream certificate is checked by the fetcher as in any capture). mitmproxy was
considered and not taken: it pins upper bounds on ~25 packages (cryptography, h11,
flask, tornado …) and resolves and connects on its own, so the address check could not
pin the connection as :class:`Fetcher` does.

The browser runs with a fresh, temporary profile per session and a fresh context per
page (no cookies or storage carried between pages), downloads and service workers off.
Limits per page: a total time budget, a cap on waiting for the network to go idle
(before and after scrolling to the bottom, which triggers lazy loading), a size cap per
response and per page. A page that does not settle within them is captured with what
it loaded and marked so (``settled`` false, ``cut`` says why). Requests the proxy does
not relay (refused address, page size cap, after the budget, a method other than GET)
are answered with an error and listed in ``refused``.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import socket
import socketserver
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

import h11

from archive.capture.http import DEFAULT_MAX_BODY, Fetcher, Hop, is_public_address
from archive.errors import CaptureError, UsageError
from archive.times import utcnow
from archive.urls import canonical_url, check_url

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "chromium", "chromium-browser")
DEFAULT_BUDGET = 30.0            # seconds for one page, load to screenshot
DEFAULT_IDLE_CAP = 5.0           # seconds to wait for the network to go quiet, each time
DEFAULT_MAX_PAGE = 100 * 1024 * 1024   # bytes of all responses of one page
SCROLL_STEPS = 40                # viewport heights scrolled at most to trigger lazy loading
VIEWPORT = (1280, 800)

# Request headers the proxy does not pass on: hop-by-hop, proxy-only, or ours to set.
_DROP_REQUEST = {"host", "connection", "proxy-connection", "proxy-authorization", "keep-alive", "te",
                 "trailer", "transfer-encoding", "upgrade", "accept-encoding", "content-length"}
# Response headers not relayed to the browser: framing is ours; Alt-Svc would invite QUIC.
_DROP_RESPONSE = {"connection", "keep-alive", "transfer-encoding", "x-archive-orig-transfer-encoding",
                  "content-length", "proxy-connection", "alt-svc", "upgrade", "trailer"}


def find_chromium() -> str | None:
    """The Chromium executable to use: ``$ARCHIVE_CHROMIUM`` or Debian's, else None."""
    env = os.environ.get("ARCHIVE_CHROMIUM")
    if env:
        return env if os.path.exists(env) else None
    for name in CHROMIUM_CANDIDATES:
        path = name if os.path.isabs(name) else shutil.which(name)
        if path and os.path.exists(path):
            return path
    return None


def browser_available() -> str | None:
    """Why browser capture cannot run here, or None when it can."""
    if find_chromium() is None:
        return "Chromium is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install 'archive-store[browser]')"
    return None


@dataclass
class Refusal:
    """A request of the page the proxy did not relay."""

    url: str
    code: str          # blocked_address, page_size_cap, budget, method, invalid_url, ...
    reason: str
    at: str

    def as_dict(self) -> dict:
        return {"url": self.url, "code": self.code, "reason": self.reason, "at": self.at}


@dataclass
class PageCapture:
    """What one browser load of a page gave: hops in the order they completed (the
    page's own document chain first), refusals, the screenshot and the rendered DOM."""

    url: str
    started_at: datetime
    hops: list[Hop] = field(default_factory=list)
    page_hops: int = 0                  # the first page_hops hops are the document's chain
    refused: list[Refusal] = field(default_factory=list)
    screenshot: bytes | None = None     # full-page PNG
    dom: bytes | None = None            # the DOM after scripts ran, serialised, UTF-8
    settled: bool = True
    cut: str | None = None              # why the page did not settle
    error: CaptureError | None = None
    final_url: str | None = None
    seconds: float = 0.0
    layout: dict | None = None          # where each text block is in the screenshot (CSS px)

    @property
    def page_hop(self) -> Hop | None:
        return self.hops[self.page_hops - 1] if self.page_hops else None

    def close(self) -> None:
        for h in self.hops:
            h.close()


class _Page:
    """The proxy's bookkeeping for the page being loaded."""

    def __init__(self, deadline: float, max_bytes: int) -> None:
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hops: list[Hop] = []
        self.refused: list[Refusal] = []
        self.in_flight = 0
        self.closed = False
        self.cond = threading.Condition()


class RecordingProxy:
    """An HTTP proxy on 127.0.0.1 that relays GET requests through a :class:`Fetcher`
    and keeps each exchange as a :class:`Hop` of the current page."""

    def __init__(self, make_fetcher: Callable[[float], Fetcher], clock: Callable[[], datetime] = utcnow) -> None:
        self.make_fetcher = make_fetcher
        self.clock = clock
        self._page: _Page | None = None
        self._lock = threading.Lock()
        self._tmp = tempfile.TemporaryDirectory(prefix="archive-proxy-")
        self._tls = _interception_context(self._tmp.name)
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                try:
                    proxy._serve(self.request, "http", None)
                except (OSError, ssl.SSLError, h11.ProtocolError):
                    pass  # the browser went away or spoke nonsense: nothing to record

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="recording-proxy", daemon=True)
        self._thread.start()

    # -- pages ------------------------------------------------------------------------
    def begin_page(self, deadline: float, max_bytes: int) -> None:
        with self._lock:
            self._page = _Page(deadline, max_bytes)

    def end_page(self, wait_until: float) -> tuple[list[Hop], list[Refusal]]:
        """Stop taking requests for the page; wait (until ``wait_until``, monotonic) for
        those in flight, whose fetchers end by the page deadline anyway."""
        with self._lock:
            page, self._page = self._page, None
        if page is None:
            return [], []
        with page.cond:
            page.closed = True
            while page.in_flight and time.monotonic() < wait_until:
                page.cond.wait(max(0.05, wait_until - time.monotonic()))
            return list(page.hops), list(page.refused)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._tmp.cleanup()

    # -- one connection ------------------------------------------------------------------
    def _serve(self, sock: socket.socket, scheme: str, authority: str | None) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
        while True:
            request = _next(conn, sock)
            if not isinstance(request, h11.Request):
                return
            body_seen = 0
            while True:  # a request body (POST) is read and dropped: only GETs are relayed
                ev = _next(conn, sock)
                if isinstance(ev, h11.Data):
                    body_seen += len(ev.data)
                elif isinstance(ev, h11.EndOfMessage):
                    break
                else:
                    return
            method = request.method.decode("ascii", "replace")
            target = request.target.decode("latin-1")
            if method == "CONNECT" and scheme == "http":
                sock.sendall(conn.send(h11.Response(status_code=200, reason=b"Connection established",
                                                    headers=[])))
                tls = self._tls.wrap_socket(sock, server_side=True)
                return self._serve(tls, "https", target)
            if scheme == "https":
                url = f"https://{authority.removesuffix(':443') if authority else ''}{target}"
            else:
                url = target
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw_items()
                       if k.decode("latin-1").lower() not in _DROP_REQUEST]
            self._relay(conn, sock, method, url, headers)
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            try:
                conn.start_next_cycle()
            except h11.LocalProtocolError:
                return

    def _relay(self, conn: h11.Connection, sock: socket.socket, method: str, url: str,
               headers: list[tuple[str, str]]) -> None:
        with self._lock:
            page = self._page
        if page is None:
            return _send_error(conn, sock, 503, "not capturing")
        at = self.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
        with page.cond:
            refusal = None
            if page.closed or time.monotonic() >= page.deadline:
                refusal = Refusal(url, "budget", "requested after the page's time budget", at)
            elif method != "GET":
                refusal = Refusal(url, "method", f"{method} requests are not recorded", at)
            elif page.bytes >= page.max_bytes:
                refusal = Refusal(url, "page_size_cap", f"the page already loaded {page.bytes} bytes", at)
            if refusal is not None:
                page.refused.append(refusal)
            else:
                page.in_flight += 1
        if refusal is not None:
            return _send_error(conn, sock, 403, refusal.reason)
        hop = None
        try:
            remaining = max(0.1, page.deadline - time.monotonic())
            fetcher = self.make_fetcher(remaining)
            # No response may take the page past its cap (requests run concurrently:
            # each is bounded by what was left when it started, and checked again below).
            fetcher.max_body = max(1, min(fetcher.max_body, page.max_bytes - page.bytes))
            try:
                hop = fetcher.fetch_hop(url, headers)
            except CaptureError as exc:
                with page.cond:
                    page.refused.append(Refusal(url, exc.code, str(exc), at))
                return _send_error(conn, sock, 403 if exc.code == "blocked_address" else 502, str(exc))
            with page.cond:
                if page.closed and time.monotonic() > page.deadline + 5:
                    hop.close()  # far too late: the page's records are being written
                    hop = None
                elif page.bytes and page.bytes + hop.body_length > page.max_bytes:
                    page.refused.append(Refusal(url, "page_size_cap", f"{hop.body_length} more bytes would "
                                                f"take the page past its cap of {page.max_bytes}", at))
                    hop.close()
                    hop = None
                else:
                    page.hops.append(hop)
                    page.bytes += hop.body_length
        finally:
            with page.cond:
                page.in_flight -= 1
                page.cond.notify_all()
        if hop is not None:
            _send_hop(conn, sock, hop)
        elif not page.closed:
            _send_error(conn, sock, 403, "refused: the page's size cap")


def _next(conn: h11.Connection, sock: socket.socket):
    while True:
        ev = conn.next_event()
        if ev is h11.NEED_DATA:
            data = sock.recv(65536)
            conn.receive_data(data)
            continue
        if ev is h11.PAUSED or isinstance(ev, h11.ConnectionClosed):
            return None
        return ev


def _send_error(conn: h11.Connection, sock: socket.socket, status: int, text: str) -> None:
    body = text.encode("utf-8", "replace")[:2000]
    try:
        sock.sendall(conn.send(h11.Response(status_code=status, headers=[
            ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
            ("X-Archive-Refused", "1")])))
        sock.sendall(conn.send(h11.Data(data=body)))
        sock.sendall(conn.send(h11.EndOfMessage()))
    except (OSError, h11.LocalProtocolError):
        pass


def _send_hop(conn: h11.Connection, sock: socket.socket, hop: Hop) -> None:
    """The recorded response, passed on to the browser as it was received."""
    no_body = hop.status in (204, 304) or hop.status < 200
    headers = []
    for k, v in hop.headers:
        if k.lower() in _DROP_RESPONSE:
            continue
        try:
            h11.Response(status_code=200, headers=[(k, v.strip())])  # h11 checks the line
        except h11.LocalProtocolError:
            continue
        headers.append((k, v.strip()))
    if not no_body:
        headers.append(("Content-Length", str(hop.body_length)))
    try:
        reason = hop.reason.encode("latin-1", "replace")
        sock.sendall(conn.send(h11.Response(status_code=hop.status if hop.status >= 200 else 502,
                                            reason=reason, headers=headers)))
        if not no_body:
            hop.body.seek(0)
            while chunk := hop.body.read(65536):
                sock.sendall(conn.send(h11.Data(data=chunk)))
            hop.body.seek(0)
        sock.sendall(conn.send(h11.EndOfMessage()))
    except (OSError, h11.LocalProtocolError):
        pass


def _interception_context(directory: str) -> ssl.SSLContext:
    """A server-side TLS context with a key and self-signed certificate made now."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "archive-store recording proxy")])
    now = _dt.datetime.now(_dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(days=1)).not_valid_after(now + _dt.timedelta(days=7))
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(directory, "proxy.pem")
    key_path = os.path.join(directory, "proxy.key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


# Where each block of text sits on the full page, so that a cited passage can be
# marked on the screenshot later without running anything of the page again.
_LAYOUT = """() => {
  const sel = 'h1,h2,h3,h4,h5,h6,p,li,blockquote,figcaption,td,th,dd,dt,pre,caption,summary';
  const blocks = [];
  for (const el of document.querySelectorAll(sel)) {
    const t = (el.innerText || '').replace(/\\s+/g, ' ').trim();
    if (!t) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    blocks.push({t: t.slice(0, 4000), x: Math.round(r.left + window.scrollX), y: Math.round(r.top + window.scrollY),
                 w: Math.round(r.width), h: Math.round(r.height)});
    if (blocks.length >= 3000) break;
  }
  const d = document.documentElement;
  return {width: Math.max(d.scrollWidth, d.clientWidth), height: Math.max(d.scrollHeight, d.clientHeight), blocks};
}"""

_SCROLL = """async (steps) => {
  const pause = () => new Promise(r => setTimeout(r, 120));
  let y = 0;
  for (let i = 0; i < steps; i++) {
    const h = Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0);
    if (y >= h) break;
    y += window.innerHeight;
    window.scrollTo(0, y);
    await pause();
  }
  window.scrollTo(0, 0);
  return y;
}"""


def _kill_renderers() -> int:
    """Kill the Chromium renderer processes descended from this process: a page whose
    script never yields (``while (true) {}``) blocks every call into it, and only ending
    its renderer gets the capture back. Linux ``/proc``; elsewhere nothing is killed."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    killed, todo = 0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"--type=renderer" in f.read():
                    os.kill(pid, 9)
                    killed += 1
        except OSError:
            pass
    return killed


class BrowserCapturer:
    """A headless Chromium session that captures pages one at a time.

    Use as a context manager; :meth:`capture` loads one page in a fresh browser context.
    ``address_allowed`` is what ``public_only`` lets through (the real rule unless a test
    injects another).
    """

    def __init__(
        self,
        public_only: bool = False,
        address_allowed: Callable[[str], bool] = is_public_address,
        budget: float = DEFAULT_BUDGET,
        idle_cap: float = DEFAULT_IDLE_CAP,
        timeout: float = 30.0,
        max_body: int = DEFAULT_MAX_BODY,
        max_page_bytes: int = DEFAULT_MAX_PAGE,
        user_agent: str | None = None,
        executable: str | None = None,
        viewport: tuple[int, int] = VIEWPORT,
        clock: Callable[[], datetime] = utcnow,
        grace: float = 15.0,
    ) -> None:
        self.public_only = public_only
        self.address_allowed = address_allowed
        self.budget = budget
        self.idle_cap = idle_cap
        self.timeout = timeout
        self.max_body = max_body
        self.max_page_bytes = max_page_bytes
        self.user_agent = user_agent
        self.executable = executable
        self.viewport = viewport
        self.clock = clock
        self.grace = grace   # past budget + grace, a page whose scripts never yield is killed
        self._pw: Any = None
        self._browser = None
        self._proxy: RecordingProxy | None = None

    def _fetcher(self, remaining: float) -> Fetcher:
        return Fetcher(timeout=min(self.timeout, remaining), max_body=self.max_body,
                       public_only=self.public_only, address_allowed=self.address_allowed,
                       deadline=remaining, clock=self.clock, keep_alive=False)

    def __enter__(self) -> "BrowserCapturer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        why = browser_available() if self.executable is None else None
        if why:
            raise UsageError(f"browser capture needs Chromium and Playwright: {why}")
        from playwright.sync_api import sync_playwright

        self._proxy = RecordingProxy(self._fetcher, self.clock)
        self._pw = sync_playwright().start()
        try:
            self._launch()
        except Exception:
            self.close()
            raise

    def _launch(self) -> None:
        assert self._pw is not None and self._proxy is not None
        self._browser = self._pw.chromium.launch(
            executable_path=self.executable or find_chromium(), headless=True,
            # Every request goes to the proxy, loopback included (Playwright adds
            # <-loopback> to the bypass list so that 127.0.0.1 is proxied too).
            proxy={"server": f"http://127.0.0.1:{self._proxy.port}"},
            args=["--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-domain-reliability",
                  "--dns-prefetch-disable", "--no-pings", "--disable-client-side-phishing-detection",
                  "--safebrowsing-disable-auto-update", "--disable-default-apps", "--disable-extensions",
                  "--disable-features=DnsOverHttps,NetworkPrediction,NetworkTimeServiceQuerying,"
                  "OptimizationHints,MediaRouter,AutofillServerCommunication,Translate,"
                  "CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions",
                  "--force-webrtc-ip-handling-policy=disable_non_proxied_udp"])

    def _relaunch(self) -> None:
        """A fresh browser after one whose page had to be ended."""
        try:
            if self._browser is not None:
                self._browser.close()
        except Exception:
            pass
        self._launch()

    def close(self) -> None:
        if self._browser is not None:
            try:
                self._browser.close()
            except Exception:
                pass
            self._browser = None
        if self._pw is not None:
            self._pw.stop()
            self._pw = None
        if self._proxy is not None:
            self._proxy.close()
            self._proxy = None

    def capture(self, url: str) -> PageCapture:
        """Load ``url``, let it settle within the limits, keep what it loaded."""
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        assert self._browser is not None and self._proxy is not None, "use BrowserCapturer as a context manager"
        result = PageCapture(url=url, started_at=self.clock())
        try:
            check_url(url)
        except UsageError as exc:
            result.error = CaptureError(str(exc), "invalid_url", url)
            return result
        t0 = time.monotonic()
        deadline = t0 + self.budget
        self._proxy.begin_page(deadline, self.max_page_bytes)

        def ms(cap: float | None = None) -> float:
            left = max(0.0, deadline - time.monotonic())
            return max(1.0, 1000 * (min(left, cap) if cap is not None else left))

        context = self._browser.new_context(
            accept_downloads=False, service_workers="block", ignore_https_errors=True,
            viewport={"width": self.viewport[0], "height": self.viewport[1]},
            user_agent=self.user_agent)
        hops: list[Hop] = []
        # The browser makes requests of its own (component updates and the like) through
        # the same proxy: only what the page asked for belongs to its capture.
        asked: set[str] = set()
        context.on("request", lambda req: asked.add(req.url))
        hung = threading.Event()

        def watchdog() -> None:
            hung.set()
            _kill_renderers()

        timer = threading.Timer(self.budget + self.grace, watchdog)
        timer.daemon = True
        timer.start()
        try:
            page = context.new_page()
            try:
                page.goto(url, wait_until="load", timeout=ms())
            except PlaywrightTimeout:
                result.settled, result.cut = False, "budget"
            except PlaywrightError as exc:
                if "net::ERR_ABORTED" not in str(exc):
                    result.settled, result.cut = False, "load_failed"
                    result.error = CaptureError(f"{url}: {str(exc).splitlines()[0]}", "load_failed", url)
            if result.settled:
                for attempt in range(2):
                    if time.monotonic() >= deadline:
                        result.settled, result.cut = False, "budget"
                        break
                    try:
                        page.wait_for_load_state("networkidle", timeout=ms(self.idle_cap))
                    except PlaywrightTimeout:
                        result.settled = False
                        result.cut = "budget" if time.monotonic() >= deadline else "network_busy"
                    except PlaywrightError:
                        break
                    if attempt == 0:
                        try:
                            page.evaluate(_SCROLL, SCROLL_STEPS)
                        except PlaywrightError:
                            pass
            try:
                result.layout = page.evaluate(_LAYOUT)
            except PlaywrightError:
                result.layout = None
            try:
                result.final_url = page.url
                result.screenshot = page.screenshot(full_page=True, type="png", timeout=10_000)
            except PlaywrightError:
                result.screenshot = None
            try:
                result.dom = page.content().encode("utf-8")
            except PlaywrightError:
                result.dom = None
        finally:
            timer.cancel()
            if hung.is_set():
                result.settled, result.cut = False, "hung"
            try:
                context.close()
            except Exception:
                pass
            hops, refused = self._proxy.end_page(wait_until=deadline + 3)
            for h in hops:
                if h.url not in asked:
                    h.close()
            hops = [h for h in hops if h.url in asked]
            result.refused = [r for r in refused if r.url in asked]
            result.seconds = time.monotonic() - t0
        if hung.is_set():
            self._relaunch()
        _order(result, hops)
        if not result.page_hops:
            result.close()
            result.hops = []
            blocked = next((r for r in result.refused if canonical_url(r.url) == _canon(url)), None)
            if blocked is not None:
                result.error = CaptureError(blocked.reason, blocked.code, url)
            elif result.error is None:
                result.error = CaptureError(f"{url}: the browser loaded no document", "load_failed", url)
            result.screenshot = result.dom = None
        else:
            result.error = None
        return result


def _canon(url: str) -> str:
    try:
        return canonical_url(url)
    except Exception:
        return url


def _order(result: PageCapture, hops: list[Hop]) -> None:
    """Put the document's redirect chain first, the other hops after in arrival order."""
    from urllib.parse import urljoin

    remaining = list(hops)
    chain: list[Hop] = []
    want = _canon(result.url)
    while True:
        hop = next((h for h in remaining if _canon(h.url) == want), None)
        if hop is None:
            break
        remaining.remove(hop)
        chain.append(hop)
        if hop.location is None or len(chain) > 20:
            break
        want = _canon(urljoin(hop.url, hop.location))
    result.hops = chain + remaining
    result.page_hops = len(chain)


class LazyBrowser:
    """A :class:`BrowserCapturer` started the first time it is needed (Chromium costs a
    second to start; most recaptures are of pages captured without it), closed by
    :meth:`close`. ``get()`` returns None when Chromium or Playwright is missing."""

    def __init__(self, **options) -> None:
        self.options = options
        self._capturer: BrowserCapturer | None = None
        self.unavailable: str | None = None

    def get(self) -> BrowserCapturer | None:
        if self._capturer is None and self.unavailable is None:
            self.unavailable = browser_available()
            if self.unavailable is None:
                self._capturer = BrowserCapturer(**self.options)
                self._capturer.start()
        return self._capturer

    def close(self) -> None:
        if self._capturer is not None:
            self._capturer.close()
            self._capturer = None
