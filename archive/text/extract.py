"""The extraction stage: archived payload bytes in; article text, metadata, quotes, figures out.

Pure: no I/O, no clock, no network. The same bytes (and content type) always give the same
:class:`Article`, and :data:`EXTRACTOR_VERSION` names the code that produced it, so a text
version's SHA-256 only changes when the page or this version changes.

Steps:

1. refuse payloads that are not HTML (PDF, images, JSON, archives, binary) with
   :class:`NotExtractable`, judged by the bytes first and the declared type second, because
   servers mislabel;
2. cap the payload at :data:`MAX_DECODED_BYTES` and decode it (:mod:`archive.text.charset`);
3. parse the page once; let trafilatura find the article body in a copy of the tree (fast
   mode: no fallback extractors, no comments) and read title, author and publication date
   from the tree with trafilatura's own metadata steps, minus the fields the archive does
   not keep (:func:`_metadata`); read the modification date and language from the page's
   own declarations. Zero-width (non-)joiners, which trafilatura would drop, are carried
   through it as stand-ins;
4. normalise whitespace so the text is stable, then find quotes and figures in it.

Speed (``bench/extract_speed.py``): in CPU time on one core, about half the pages per
second of ``trafilatura.extract(fast=True)`` (which finds the body text only). Sampled with
py-spy over the bench pages (December 2026): trafilatura's body extraction in fast mode
is 46% of our time (as much as ``trafilatura.extract(fast=True)`` minus its parse: its
tree copies, pruning XPaths and, for texts under 3,000 characters, a baseline pass over
the whole page), its full mode on the pages fast mode cuts short 4%, quotes 16%,
metadata 10% (a third of it the author search), figures 8%, parsing 6%. None of them is
quadratic in the text; the regular expressions that scan a whole text turn most positions
down with a one-character lookahead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, overload

import lxml.html
from lxml import etree

from archive.errors import NotExtractable
from archive.text import charset as _charset
from archive.warc.http import MARKUP_TYPES, MAX_DECODED_BYTES

# trafilatura (with htmldate, ~0.15 s to import), quotes and figures are imported where
# they are used, so that importing this module for its constants costs nothing and
# ``archive verify`` pays for the extractor only when a citation is re-extracted.
if TYPE_CHECKING:
    from trafilatura.settings import Document

#: Bump whenever the text, quotes or figures for the same bytes could change.
EXTRACTOR_VERSION = "extract-28 trafilatura-2.3"

#: Decode and extract no more than this many payload bytes; the rest is dropped and the
#: article is marked ``truncated``.



@dataclass
class Article:
    """What the extraction stage keeps of one snapshot."""

    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    charset: str | None = None
    truncated: bool = False
    quotes: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)


# Leading bytes of formats that are never HTML, whatever the Content-Type says.
_MAGIC = (
    (b"%PDF-", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x00\x00\x01\x00", "icon"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
    (b"OTTO", "font"),
    (b"\x00\x01\x00\x00", "font"),
    (b"ID3", "audio"),
    (b"OggS", "audio/video"),
    (b"\x1aE\xdf\xa3", "video"),
)

_HTMLISH = re.compile(r"<\s*(?:!doctype\s+html|html|head|body|meta|title|div|p|article)\b", re.I)


def decode_html(payload: bytes, content_type: str | None) -> tuple[str, str]:
    """``(text, charset)`` of an HTML payload; see :mod:`archive.text.charset` for the rules.

    >>> decode_html(b'<meta charset="windows-1256"><p>\\xe3\\xd1\\xcd\\xc8\\xc7</p>', None)
    ('<meta charset="windows-1256"><p>مرحبا</p>', 'cp1256')
    """
    return _charset.decode(payload, content_type)


def _refuse_non_html(payload: bytes, content_type: str | None) -> None:
    """Raise NotExtractable unless ``payload`` could be an HTML page."""
    if not payload.strip():
        raise NotExtractable("empty payload")
    for magic, what in _MAGIC:
        if payload.startswith(magic):
            raise NotExtractable(what)
    if (
        payload.startswith(b"RIFF") and payload[8:12] in (b"WEBP", b"WAVE", b"AVI ")
    ) or payload[4:8] == b"ftyp":
        raise NotExtractable("image, audio or video")
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    head = payload[:2048].lstrip()
    if _charset.sniff_bom(payload) is None and _charset.sniff_utf16(payload) is None:
        # Zero bytes do not occur in text in an 8-bit or UTF-8 encoding.
        if payload[:4096].count(0) > 8:
            raise NotExtractable("binary data")
    if mime and mime not in MARKUP_TYPES and not mime.startswith("text/"):
        raise NotExtractable(f"content type {mime}")
    if mime in ("application/json", "text/json") or (
        not mime.startswith("text/html") and head[:1] in (b"{", b"[")
    ):
        raise NotExtractable("JSON")


_WS = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def _normalise_text(text: str) -> str:
    """One paragraph per line, inner whitespace collapsed, no empty lines."""
    lines = (_WS.sub(" ", line).strip() for line in text.replace("\u2028", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _first(tree: etree._Element, xpaths: tuple[str, ...]) -> str | None:
    for xp in xpaths:
        for value in tree.xpath(xp):
            value = str(value).strip()
            if value:
                return value
    return None


_MODIFIED_XPATHS = (
    '//meta[@property="article:modified_time"]/@content',
    '//meta[@property="og:updated_time"]/@content',
    '//meta[@name="last-modified" or @name="Last-Modified"]/@content',
    '//meta[@itemprop="dateModified"]/@content',
    '//meta[@name="dcterms.modified" or @name="DC.date.modified"]/@content',
    '//time[@itemprop="dateModified"]/@datetime',
)
_LANG_XPATHS = (
    "/html/@lang",
    "/html/@xml:lang",
    '//meta[@http-equiv="content-language" or @http-equiv="Content-Language"]/@content',
    '//meta[@name="language" or @name="dc.language" or @name="DC.language"]/@content',
    '//meta[@property="og:locale"]/@content',
)


def _json_ld_modified(tree: etree._Element) -> str | None:
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        m = re.search(r'"dateModified"\s*:\s*"([^"]+)"', script)
        if m:
            return m.group(1)
    return None


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


def _iso(value: str | None) -> str | None:
    """The ISO 8601 date or datetime at the start of ``value``, else None."""
    if not value:
        return None
    m = _ISO.match(value.strip())
    return m.group(0).replace(" ", "T") if m else None


_ARABIC = re.compile(r"[\u0600-\u06ff]")
_PERSIAN_ONLY = re.compile(r"[پچژگیک]")


def _language(tree: etree._Element, text: str) -> str | None:
    """The primary language subtag the page declares ("en-GB" -> "en").

    Pages without a declaration in Arabic script are told apart by the letters Persian
    has and Arabic lacks; other undeclared pages get None rather than a guess.
    """
    declared = _first(tree, _LANG_XPATHS)
    if declared:
        tag = re.split(r"[-_,; ]", declared.strip(), maxsplit=1)[0].lower()
        if re.fullmatch(r"[a-z]{2,3}", tag):
            return tag
    sample = text[:2000]
    if len(_ARABIC.findall(sample)) > len(sample) * 0.3:
        return "fa" if len(_PERSIAN_ONLY.findall(sample)) > 3 else "ar"
    if len(sample) < 200:
        return None
    # No declaration: py3langid (langid.py's model, kept up to date) guesses from the
    # text; a guess it is not sure of is no answer.
    lang, prob = _identifier().classify(sample)
    return lang if prob >= 0.9 else None


_IDENTIFIER = None


def _identifier():
    """One language identifier per process, normalised to probabilities."""
    global _IDENTIFIER
    if _IDENTIFIER is None:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        _IDENTIFIER = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    return _IDENTIFIER


# An HTML comment inside a paragraph ("rose to <!-- -->4.5 percent<!-- -->.", as React
# server rendering writes) would end the paragraph's text in trafilatura: the parser drops
# comments and processing instructions, keeping the text around them (the same tree as
# ``etree.strip_tags`` after parsing, without a walk over the tree). Nothing looks
# elements up by id, so the parser keeps no table of ids.
_PARSER = lxml.html.HTMLParser(collect_ids=False, remove_comments=True, remove_pis=True)


def _parse(html: str) -> etree._Element:
    # lxml refuses str input that carries its own encoding declaration; the text is
    # already decoded, so the declaration is stale anyway.
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html[:1000]) + html[1000:]
    try:
        tree = lxml.html.document_fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError) as err:
        raise NotExtractable(f"unparseable HTML ({err})") from err
    _join_drop_caps(tree)
    return tree


# Paragraphs are <p>, or leaf <div>s on some sites (Der Spiegel's "dig-absatz").
_LONG_PARAGRAPHS = etree.XPath(
    "count(//p[string-length(normalize-space(.)) > 150]"
    " | //div[not(p|div)][string-length(normalize-space(text())) > 150])"
)


def _long_lines(text: str) -> int:
    """How many paragraphs of ``text`` are longer than 150 characters."""
    return sum(1 for line in text.split("\n") if len(line.strip()) > 150)


# A drop capital set apart from its paragraph: ``<span>T</span><p>urkey, Poland …``.
_DROP_CAP = etree.XPath("//p/preceding-sibling::*[1][not(*)][string-length(normalize-space(text())) = 1]")


def _join_drop_caps(tree: etree._Element) -> None:
    """Put a drop capital printed apart back at the start of its paragraph's first word."""
    for el in _DROP_CAP(tree):
        letter = (el.text or "").strip()
        holder = el.getnext()
        # the paragraph's first text may sit in a link: <p><a>urkey</a>, Poland …
        while not holder.text and len(holder) and isinstance(holder[0].tag, str):
            holder = holder[0]
        rest = holder.text or ""
        if not letter.isupper() or not rest[:1].islower() or (el.tail or "").strip():
            continue
        holder.text = letter + rest
        el.getparent().remove(el)


# trafilatura drops every character that is not printable, and with them the zero-width
# non-joiner and joiner that Persian spelling needs ("می‌شود" is not "میشود") and that
# emoji sequences use. They travel through it as printable stand-ins from the Unicode
# alchemical symbols block, unless the page itself uses those.
# The soft hyphen (U+00AD) is kept the same way: it is in the page's text ("Vladi\u00admir"),
# and a citation must match the page as it is.
_JOINERS = {"\u200c": "\U0001f700", "\u200d": "\U0001f701", "\u00ad": "\U0001f702"}


# "&#xad;" in any case, found without a lower-cased copy of the page
_SHY_HEX = re.compile(r"&#[xX][aA][dD];")


def _hide_joiners(html: str) -> tuple[str, bool]:
    """``html`` with zero-width (non-)joiners as stand-ins, and whether any were replaced.

    >>> _hide_joiners("می\u200cشود")
    ('می\U0001f700شود', True)
    """
    if any(v in html for v in _JOINERS.values()):
        return html, False
    if "&shy;" in html or "&#173;" in html or _SHY_HEX.search(html):
        html = re.sub(r"&shy;|&#173;|&#[xX]00[aA][dD];|&#[xX][aA][dD];", "\u00ad", html)
    if not any(j in html for j in _JOINERS):
        return html, False
    for joiner, stand_in in _JOINERS.items():
        html = html.replace(joiner, stand_in)
    return html, True


@overload
def _restore_joiners(text: str, joiners: bool) -> str: ...
@overload
def _restore_joiners(text: None, joiners: bool) -> None: ...
def _restore_joiners(text: str | None, joiners: bool) -> str | None:
    if not joiners or not text:
        return text
    for joiner, stand_in in _JOINERS.items():
        text = text.replace(stand_in, joiner)
    return text


# trafilatura's author XPaths (trafilatura.xpaths.AUTHOR_XPATHS and AUTHOR_DISCARD_XPATHS)
# as Python predicates over one element. The XPaths call back into Python for every
# ``re:test`` on every element, which made the author alone up to 15 ms of a page; a plain
# walk over the tree finds the same elements in the same order in a tenth of the time.
# tests/test_extract.py checks them against the XPaths so that a trafilatura upgrade that
# changes them is noticed.
_AUTHOR_TAGS_0 = frozenset(("a", "address", "div", "link", "p", "span", "strong"))
_AUTHOR_CLASS_0 = re.compile("author-?name|AuthorName|authorName")
_AUTHOR_TAGS_1 = frozenset(("a", "div", "h3", "h4", "p", "span"))
_AUTHOR_ID_1 = re.compile("author|zuozhe|bianji|xiaobian")
_AUTHOR_CLASS_1 = re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_AUTHOR_ID_2 = re.compile("[Aa]uthor")
_AUTHOR_CLASS_2 = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
_DISCARD_TAGS = frozenset(("a", "div", "section", "span"))
_DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
    "article-(?:share|support)|print|category|meta-date|meta-reviewer"
)


#: The attributes :func:`_author_flags` reads: an element with none of them (a link with
#: only its ``href``) is selected by no author XPath and discarded by none.
_AUTHOR_ATTRS = frozenset(("class", "id", "itemprop", "rel", "data-testid", "data-component"))


def _author_flags(el: etree._Element) -> tuple[bool, bool, bool, bool]:
    """Whether trafilatura's author XPaths select ``el``: (discarded before the author
    search, AUTHOR_XPATHS[0], [1], [2]); each attribute is read once."""
    tag = el.tag
    get = el.get
    cls, id_, itemprop = get("class"), get("id"), get("itemprop") or ""
    cls_s, id_s = cls or "", id_ or ""
    discard = tag in _DISCARD_TAGS and (
        id_ == "comments"
        or cls in ("comments", "title", "date")
        or (id_ is not None and _DISCARD_ID.search(id_s) is not None)
        or (cls is not None and _DISCARD_CLASS.search(cls_s) is not None)
        or "Figure" in (get("data-component") or "")
    )
    x0 = tag == "author" or (
        tag in _AUTHOR_TAGS_0
        and (
            get("rel") == "author"
            or id_ == "author"
            or cls == "author"
            or itemprop == "author name"
            or get("data-testid") in ("AuthorCard", "AuthorURL")
            or (cls is not None and _AUTHOR_CLASS_0.search(cls_s) is not None)
            # ``rel='me'`` without @ in the XPath: a child element <rel> whose text is "me"
            or (el.find("rel") is not None and any(c.tag == "rel" and c.xpath("string()") == "me" for c in el))
        )
    )
    author_prop = "author" in itemprop
    x1 = tag in _AUTHOR_TAGS_1 and (
        cls in ("byline", "username", "byl", "BBL")
        or author_prop
        or (id_ is not None and _AUTHOR_ID_1.search(id_s) is not None)
        or (cls is not None and _AUTHOR_CLASS_1.search(cls_s) is not None)
    )
    x2 = (
        author_prop
        or "Byline" in (get("data-component") or "")
        or (id_ is not None and _AUTHOR_ID_2.search(id_s) is not None)
        or (cls is not None and _AUTHOR_CLASS_2.search(cls_s) is not None)
    )
    return discard, x0, x1, x2


def _author(tree: etree._Element) -> str | None:
    """trafilatura's ``extract_author`` on ``tree``, which it prunes in place.

    One walk over the tree (each element costs a Python proxy in lxml.html) finds both
    what the author search prunes and what each author XPath selects; pruning only
    removes subtrees, so a selected element is still a candidate if it is still in
    ``tree`` afterwards.
    """
    from trafilatura.json_metadata import normalize_authors
    from trafilatura.utils import trim
    from trafilatura.xml import delete_element

    discard: list = []
    doomed: list = []  # //time|//figure, pruned after the others as trafilatura does
    selected: tuple[list, list, list] = ([], [], [])
    for el in tree.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag in ("time", "figure"):
            doomed.append(el)
        if tag != "author" and _AUTHOR_ATTRS.isdisjoint(el.keys()) and (tag not in _AUTHOR_TAGS_0 or el.find("rel") is None):
            continue  # every test reads one of these attributes, but for <author> and a child <rel>
        d, x0, x1, x2 = _author_flags(el)
        if d and el is not tree:
            discard.append(el)
        if x0:
            selected[0].append(el)
        if x1:
            selected[1].append(el)
        if x2:
            selected[2].append(el)
    for el in discard + doomed:
        delete_element(el)
    for found in selected:
        for el in found:
            if not _inside(el, tree):
                continue
            content = trim(" ".join(el.itertext()))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


def _inside(el: etree._Element, root: etree._Element) -> bool:
    while el is not None:
        if el is root:
            return True
        el = el.getparent()
    return False


def _metadata(tree: etree._Element, url: str | None, title_only: bool = False) -> "Document":
    """Title, author and publication date, as trafilatura's ``extract_metadata`` finds them.

    The same steps in the same order, minus what the archive does not keep (site name,
    categories, tags, licence: a third of trafilatura's metadata time). The author is
    read last and prunes ``tree`` in place (trafilatura prunes a deep copy), so ``tree``
    is spent afterwards. With ``title_only`` the steps after the title (URL, date,
    author) are skipped: the title is settled before them and they do not change it.
    """
    from trafilatura.metadata import (
        examine_meta,
        extract_meta_json,
        extract_title,
        extract_url,
    )

    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # trafilatura guards its JSON-LD reader the same way
        pass
    if not meta.title:
        meta.title = extract_title(tree)
    if title_only:
        meta.clean_and_trim()
        return meta
    from htmldate import find_date

    if not meta.url:
        meta.url = extract_url(tree, url)
    meta.date = find_date(tree, extensive_search=False, original_date=True, url=meta.url)
    if not meta.author:
        meta.author = _author(tree)
    meta.clean_and_trim()
    return meta


def _bare_extraction(tree: etree._Element, url: str | None, fast: bool) -> Document | None:
    """trafilatura's article in ``tree`` (its own copy of it), or None when it finds none."""
    from trafilatura import bare_extraction

    doc = bare_extraction(tree, url=url, fast=fast, include_comments=False, include_tables=True)
    assert not isinstance(doc, dict)  # trafilatura returns a dict only when given as_dict=True
    return doc


def extract(payload: bytes, content_type: str | None = None, url: str | None = None,
            text_only: bool = False) -> Article:
    """The article in an HTML ``payload``.

    ``content_type`` is the HTTP header value (its charset is honoured); ``url`` only helps
    trafilatura judge links and metadata. Raises :class:`NotExtractable` for payloads that
    are not HTML.

    ``text_only`` gives the same ``text`` and ``title`` (byte for byte) and leaves out the
    rest: no author, dates, language, quotes or figures, which are most of the time of a
    page. It is for re-hashing a text (``archive verify``), never for storing one.

    >>> page = b'<html lang="en"><head><title>Fire</title></head><body><article>'
    >>> page += b'<p>"We lost everything," said Ann Lee. The fire destroyed 2,300 homes.</p>'
    >>> page += b'</article></body></html>'
    >>> a = extract(page, "text/html")
    >>> a.text
    '"We lost everything," said Ann Lee. The fire destroyed 2,300 homes.'
    >>> a.language, a.charset, a.truncated
    ('en', 'utf-8', False)
    """
    _refuse_non_html(payload, content_type)
    truncated = len(payload) > MAX_DECODED_BYTES
    if truncated:
        payload = payload[:MAX_DECODED_BYTES]
    html, used = decode_html(payload, content_type)
    if not _HTMLISH.search(html[:100_000]):
        raise NotExtractable("no HTML markup")
    html, joiners = _hide_joiners(html)
    tree = _parse(html)
    from trafilatura import baseline
    from trafilatura.settings import Document

    modified = declared_lang = None
    if not text_only:
        modified = _iso(_first(tree, _MODIFIED_XPATHS) or _json_ld_modified(tree))
        # The declared language is read before trafilatura prunes the tree.
        declared_lang = _language(tree, "")
    fallback_title = _first(tree, ("//title/text()", "//h1//text()"))

    # One parse serves both: trafilatura works on its own copy of the tree, and the
    # metadata is read from ours afterwards.
    long_paragraphs = _LONG_PARAGRAPHS(tree)
    doc = _bare_extraction(tree, url, fast=True)
    raw = (doc.text if doc is not None else "") or ""
    if long_paragraphs >= 4 and _long_lines(raw) * 4 < long_paragraphs:
        # Fast mode kept a fragment of a page whose long paragraphs it left out (a body
        # split over many containers): trafilatura's full mode, with its fallback
        # extractors, finds the article. Only such pages pay for it.
        full = _bare_extraction(tree, url, fast=False)
        if full is not None and _long_lines(full.text or "") > _long_lines(raw):
            doc, raw = full, full.text or ""
    if not raw.strip():
        # No article body (a front page, a short notice): keep the page's visible text so
        # that the version still shows what the page said.
        raw = baseline(_parse(html))[1]
    text = _restore_joiners(_normalise_text(raw), joiners)
    # trafilatura gives no metadata for a page it finds no article in; neither do we.
    meta = _metadata(tree, url, title_only=text_only) if doc is not None else Document()
    title = meta.title or fallback_title
    title = _restore_joiners(_normalise_text(title).replace("\n", " "), joiners) if title else None
    author = _restore_joiners(meta.author, joiners) or None
    published = _iso(meta.date)
    if title and text.split("\n", 1)[0] == title:
        # trafilatura keeps an <h1> inside the article; the headline is the title already,
        # and keeping it twice would count its figures twice.
        text = text.split("\n", 1)[1] if "\n" in text else ""
    if text_only:
        return Article(text=text, title=title or None, charset=used, truncated=truncated)
    from archive.text.figures import find_figures
    from archive.text.quotes import find_quotes

    language = declared_lang or _language(etree.Element("html"), text)
    return Article(
        text=text,
        title=title or None,
        author=author,
        published=published,
        modified=modified,
        language=language,
        charset=used,
        truncated=truncated,
        quotes=find_quotes(text, language),
        figures=find_figures(text, language),
    )


