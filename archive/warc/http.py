"""The HTTP payload of a record as a reader sees it: content codings undone, with a cap."""

from __future__ import annotations

import zlib

from archive.warc.record import http_header

MAX_DECODED_BYTES = 20_000_000   # decoded bytes read of one payload: a decompression bomb stops here


def decode_content(payload: bytes, headers: list[tuple[str, str]] | None,
                   cap: int = MAX_DECODED_BYTES) -> tuple[bytes, bool]:
    """Undo ``Content-Encoding`` (gzip, deflate; stacked), stopping at ``cap`` bytes.

    Returns ``(bytes, truncated)``. The stored payload is never changed: this is only
    for reading the text. A decompression bomb stops at the cap.
    """
    enc = (http_header(headers or [], "Content-Encoding") or "").lower()
    codings = [c.strip() for c in enc.split(",") if c.strip() and c.strip() != "identity"]
    data = payload
    truncated = False
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip", "deflate"):
            wbits = 31 if coding != "deflate" else (15 if data[:1] == b"\x78" else -15)
            d = zlib.decompressobj(wbits)
            try:
                out = d.decompress(data, cap)
            except zlib.error:
                return payload, False  # not really encoded: read the bytes as they are
            if d.unconsumed_tail or (not d.eof and len(out) >= cap):
                truncated = True
            data = out
        else:
            break  # br, zstd, unknown: read as is; extraction will likely refuse it
    if len(data) > cap:
        data, truncated = data[:cap], True
    return data, truncated


def mime_of(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


# Media types, each set for one question:
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})          # a browser renders it as a page
MARKUP_TYPES = HTML_TYPES | {"application/xml", "text/xml"}            # the extractor parses it as markup
EXTRACTABLE_TYPES = MARKUP_TYPES | {"text/plain"}                      # a capture queued for extraction
