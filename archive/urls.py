"""Canonical page URLs: pure functions (SURT keys for CDXJ are in ``export.surt_key``).

A *page* is a canonical URL: scheme and host lower-cased, default port, fragment and
tracking parameters dropped, an empty path made ``/``. Captures of the same article
reached through a newsletter link and a social link land on one page.

>>> canonical_url("HTTP://Example.COM:80/News/a?utm_source=x&id=3#top")
'http://example.com/News/a?id=3'
>>> canonical_url("https://example.com")
'https://example.com/'
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from archive.errors import UsageError

TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid",
    "_ga", "_gl", "ocid", "cmpid", "smid", "smtyp",
}
TRACKING_PREFIXES = ("utm_", "at_", "pk_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def check_url(url: str) -> str:
    """Return ``url`` if it is an absolute http(s) URL without credentials, else raise.

    >>> check_url("ftp://example.com/")
    Traceback (most recent call last):
    ...
    archive.errors.UsageError: unsupported URL scheme 'ftp' in ftp://example.com/ (only http and https can be captured)
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise UsageError(f"not a valid URL: {url!r} ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        shown = url if len(url) < 200 else url[:200] + "..."
        raise UsageError(
            f"unsupported URL scheme {scheme!r} in {shown} (only http and https can be captured)"
        )
    if parts.username is not None or parts.password is not None:
        raise UsageError("URLs with a user name or password are refused: the credentials "
                         "would be written into the archive")
    if not parts.hostname:
        raise UsageError(f"URL has no host: {url!r}")
    if any(c in url for c in "\r\n\x00\t ") or any(ord(c) < 32 for c in url):
        raise UsageError(f"URL contains whitespace or control characters: {url!r}")
    try:
        parts.port
    except ValueError:
        raise UsageError(f"URL has an invalid port: {url!r}") from None
    return url.strip()


def canonical_url(url: str) -> str:
    """The page key of ``url`` (see module docstring)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = parts.path or "/"
    query = parts.query
    if query:
        query = urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _is_tracking(k)],
                          doseq=True)
    return urlunsplit((scheme, netloc, path, query, ""))
