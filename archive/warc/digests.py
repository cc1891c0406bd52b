"""WARC digests: the labels of WARC 1.1 (``algorithm:value``) in every encoding the
standard and its tools use (base32, base16, base64), and hashing of whole files.

A digest has three outcomes when checked (pass, fail, nothing to check): a label that
cannot be decoded gives ``None`` here, which callers report as unverifiable, never pass.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from pathlib import Path

from archive.storage import Blob, as_blob


def file_sha256(path: "str | Path | Blob") -> str:
    """SHA-256 of a whole file (or stored blob), streamed."""
    h = hashlib.sha256()
    with as_blob(path).open() as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def digest_hex(label: str | None) -> str | None:
    """The hex of a ``WARC-*-Digest`` value in any encoding the WARC 1.1 spec allows.

    Returns ``None`` when the value cannot be decoded (unknown algorithm or bad
    encoding): such a digest is *unverifiable*, never a pass.

    >>> digest_hex("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ")
    'da39a3ee5e6b4b0d3255bfef95601890afd80709'
    """
    if not label or ":" not in label:
        return None
    algo, _, value = label.strip().partition(":")
    algo = algo.lower().replace("-", "")
    sizes = {"sha1": 20, "sha256": 32, "sha512": 64, "md5": 16}
    size = sizes.get(algo)
    if size is None:
        return None
    value = value.strip()
    fast = _b32_hex(value, size)
    if fast is not None:
        return fast
    for decode in (_b32, _b16, _b64, _b64url):
        raw = decode(value)
        if raw is not None and len(raw) == size:
            return raw.hex()
    return None


def digest_algo(label: str | None) -> str | None:
    if not label or ":" not in label:
        return None
    algo = label.split(":", 1)[0].lower().replace("-", "")
    return algo if algo in ("sha1", "sha256", "sha512", "md5") else None


_B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


_B32_AS_INT = str.maketrans(_B32_ALPHABET + _B32_ALPHABET.lower(), "0123456789abcdefghijklmnopqrstuv" * 2)


_B32_VALUE = re.compile(r"[A-Za-z2-7]+=*")


def _b32_hex(v: str, size: int) -> str | None:
    """Base32 of ``size`` bytes as hex, by way of ``int(..., 32)``: ten times quicker than
    ``base64.b32decode``, which an import calls for every record's two digests."""
    if not _B32_VALUE.fullmatch(v):
        return None
    v = v.rstrip("=")
    extra = len(v) * 5 - size * 8   # padding bits of the last character, always zero
    if not 0 <= extra < 5:
        return None
    n = int(v.translate(_B32_AS_INT), 32)
    if n & ((1 << extra) - 1):
        return None
    return format(n >> extra, f"0{size * 2}x")


def _b32(v: str) -> bytes | None:
    try:
        padded = v.upper() + "=" * (-len(v) % 8)
        return base64.b32decode(padded)
    except (binascii.Error, ValueError):
        return None


def _b16(v: str) -> bytes | None:
    try:
        return bytes.fromhex(v)
    except ValueError:
        return None


def _b64(v: str) -> bytes | None:
    try:
        return base64.b64decode(v + "=" * (-len(v) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _b64url(v: str) -> bytes | None:
    # warcio accepts URL-safe base64 (its example-digest.warc uses it).
    try:
        return base64.urlsafe_b64decode(v + "=" * (-len(v) % 4))
    except (binascii.Error, ValueError):
        return None


def check_digest(label: str | None, data: bytes | None) -> bool | None:
    """Whether ``data`` hashes to the ``WARC-*-Digest`` value ``label``, hashed with the
    algorithm the label names (a ``sha1:`` label is compared with the SHA-1 of the bytes,
    never with their SHA-256). ``None`` when there is nothing to check: no label, no
    data, or a label in an unknown algorithm or encoding (unverifiable, not a pass).

    >>> check_digest("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", b"")
    True
    >>> check_digest("sha256:" + "0" * 64, b"")
    False
    >>> check_digest("xxx:abc", b"") is None
    True
    """
    algo, want = digest_algo(label), digest_hex(label)
    if algo is None or want is None or data is None:
        return None
    return hashlib.new(algo, data).hexdigest() == want


def sha256_label(hexdigest: str) -> str:
    return "sha256:" + base64.b32encode(bytes.fromhex(hexdigest)).decode()


# -- the writer's mark -----------------------------------------------------------------------

WRITER_MAC_HEADER = "WARC-Archive-Writer-MAC"


def writer_mac(key: bytes, headers: list[tuple[str, str]]) -> str:
    """HMAC-SHA256 (hex) under ``key`` of a record's WARC headers, its own mark left out.

    The headers include ``WARC-Block-Digest``, so the mark binds the block too wherever
    that digest is checked (recovery indexes a marked record only if its digests
    match). ``Content-Length`` is left out: it is framing, known to a streaming writer
    only once the block is written, and the block digest already fixes the block. Header
    names and values are taken stripped, in order, as
    :func:`archive.warc.record.parse_record` reads them, so the writer and the reader
    compute it over the same text.

    >>> writer_mac(b"k", [("WARC-Type", "response")]) == writer_mac(b"k", [("WARC-Type", "response"),
    ...                                                                    (WRITER_MAC_HEADER, "x")])
    True
    """
    import hmac

    left_out = (WRITER_MAC_HEADER.lower(), "content-length")
    text = "\n".join(f"{k.strip()}:{v.strip()}" for k, v in headers if k.strip().lower() not in left_out)
    return hmac.new(key, text.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()


def has_writer_mark(keys: list[bytes], headers: list[tuple[str, str]]) -> bool:
    """Whether the record's mark was made with one of ``keys``."""
    import hmac

    mark = next((v.strip() for k, v in headers if k.strip().lower() == WRITER_MAC_HEADER.lower()), None)
    if not mark or not mark.startswith("hmac-sha256:"):
        return False
    got = mark[len("hmac-sha256:"):]
    return any(hmac.compare_digest(writer_mac(k, headers), got) for k in keys)
