"""Decide how to turn an archived HTML payload's bytes into text.

The order follows the WHATWG encoding-sniffing algorithm in spirit, because that is what a
browser did when the page was captured and a citation must show what a reader saw:

1. a byte order mark (UTF-8, UTF-16LE, UTF-16BE) wins over everything, including a meta tag
   that lies (a UTF-16 page whose ``<meta>`` says ``x-sjis``);
2. the ``charset`` parameter of the HTTP ``Content-Type`` header;
3. a ``<meta charset>`` or ``<meta http-equiv=Content-Type>`` in the first bytes
   (a meta tag claiming UTF-16 is read as UTF-8: bytes that reached an ASCII-compatible
   meta prescan cannot be UTF-16);
4. UTF-16 without a BOM, recognised by its zero bytes around ASCII markup;
5. strict UTF-8, if the bytes are valid UTF-8;
6. a statistical guess (charset-normalizer) on a sample, else windows-1252.

Labels are mapped the way browsers map them (``iso-8859-1`` and ``ascii`` mean
windows-1252, ``shift_jis`` means cp932, ``gb2312`` means gb18030), and decoding always uses
``errors="replace"`` so that no byte sequence raises.

>>> normalise_label("ISO-8859-1")
'cp1252'
>>> normalise_label("x-sjis")
'cp932'
>>> normalise_label("no-such-charset") is None
True
>>> charset_from_content_type('text/html; charset="Windows-1256"')
'cp1256'
>>> decode(b'\\xef\\xbb\\xbfcaf\\xc3\\xa9', None)
('café', 'utf-8')
>>> decode(b'<p>caf\\xe9</p>', 'text/html; charset=iso-8859-1')
('<p>café</p>', 'cp1252')
"""

from __future__ import annotations

import codecs
import re

#: How many bytes to scan for a ``<meta>`` charset. The HTML standard says 1024; real pages
#: put long ``<script>`` blocks first, so look further (still cheap).
META_PRESCAN_BYTES = 4096

#: How many bytes charset-normalizer may look at when nothing is declared: enough to be
#: right about a news page, small enough to stay fast on a 20 MB payload.
GUESS_SAMPLE_BYTES = 65536

# WHATWG maps these labels onto supersets; Python's codecs of the same name are stricter
# and would replace characters that browsers show.
_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "x-user-defined": "cp1252",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}

_LATIN_GUESSES = {"cp1250", "cp1252", "cp1254", "cp1257", "cp1258", "cp437", "cp850", "cp858", "hp_roman8", "kz1048", "ptcp154", "tis-620", "cp775"}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I
)


def normalise_label(label: str | None) -> str | None:
    """The Python codec name for an encoding label, or None if it is unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # codecs.lookup spells some names its own way; keep the browser mapping stable.
    return {"iso8859-1": "cp1252", "ascii": "cp1252", "shift_jis": "cp932"}.get(name, name)


def charset_from_content_type(content_type: str | None) -> str | None:
    """The codec named by a ``Content-Type`` header's charset parameter, if known."""
    if not content_type:
        return None
    m = _CT_CHARSET.search(content_type)
    return normalise_label(m.group(1)) if m else None


def sniff_bom(payload: bytes) -> str | None:
    """The codec a byte order mark announces, or None."""
    for bom, name in _BOMS:
        if payload.startswith(bom):
            return name
    return None


def charset_from_meta(payload: bytes) -> str | None:
    """The codec declared by a ``<meta>`` tag near the start of ``payload``."""
    m = _META_CHARSET.search(payload[:META_PRESCAN_BYTES])
    if not m:
        return None
    name = normalise_label(m.group(1).decode("ascii", "replace"))
    if name and name.startswith("utf-16"):
        return "utf-8"
    return name


def sniff_utf16(payload: bytes) -> str | None:
    """UTF-16 without a BOM: every other byte of ASCII markup is zero."""
    head = payload[:512]
    if len(head) < 8:
        return None
    evens, odds = head[0::2], head[1::2]
    if evens.count(0) > len(evens) * 0.4 and odds.count(0) < len(odds) * 0.05:
        return "utf-16-be"
    if odds.count(0) > len(odds) * 0.4 and evens.count(0) < len(evens) * 0.05:
        return "utf-16-le"
    return None


def _is_utf8(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as err:
        # A payload cut at a size cap may end inside a character; that is still UTF-8.
        return err.start >= len(payload) - 3 and err.reason == "unexpected end of data"
    return True


def _guess(payload: bytes) -> str:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - it is a trafilatura dependency
        return "cp1252"
    best = from_bytes(payload[:GUESS_SAMPLE_BYTES]).best()
    if best is None:
        return "cp1252"
    name = normalise_label(best.encoding) or "cp1252"
    # Telling Latin single-byte encodings apart from a few accented letters is a coin toss;
    # windows-1252 is what browsers assume, so only trust guesses of other scripts.
    if name in _LATIN_GUESSES or name.startswith(("mac", "iso8859", "latin")):
        return "cp1252"
    return name


def detect(payload: bytes, content_type: str | None = None) -> str:
    """The codec to decode ``payload`` with (see the module docstring for the order)."""
    return (
        sniff_bom(payload)
        or charset_from_content_type(content_type)
        or charset_from_meta(payload)
        or sniff_utf16(payload)
        or ("utf-8" if _is_utf8(payload) else None)
        or _guess(payload)
    )


def decode(payload: bytes, content_type: str | None = None) -> tuple[str, str]:
    """``(text, codec)``: ``payload`` decoded as a browser would; never raises on bad bytes."""
    name = detect(payload, content_type)
    bom = sniff_bom(payload)
    body = payload[len(codecs.BOM_UTF8 if bom == "utf-8" else b"\xff\xfe") :] if bom else payload
    text = body.decode(name, errors="replace")
    return text, name
