"""What a citation names besides the passage: the publication (site name) and the authors.

Pure functions over the archived page and the extracted ``author`` field. A page often
names its author twice (``"Jane Doe; JANE DOE"`` from a byline and a meta tag): citation
forms list each person once.
"""

from __future__ import annotations

import json
import re

_SPLIT = re.compile(r"\s*(?:;|\||·|•|\band\b|&|\n)\s*", re.I)
_BY = re.compile(r"^(?:by|par|von|por|di|door)\s+", re.I)
_SITE_META = (("property", "og:site_name"), ("name", "application-name"), ("name", "publisher"),
              ("property", "article:publisher"))


def authors(field: str | None) -> list[str]:
    """The distinct authors named in an extracted ``author`` field, in order.

    Names that differ only in case, spacing or a leading "By" are one author; the form with
    best cased is kept (a byline's "JANE DOE" and a tag's "jane doe" lose to "Jane Doe").

    >>> authors("Jane Doe; JANE DOE")
    ['Jane Doe']
    >>> authors("By Ana Ruiz and Tom Reyes | ana ruiz")
    ['Ana Ruiz', 'Tom Reyes']
    >>> authors("Dana Whitfield ·")
    ['Dana Whitfield']
    >>> authors(None)
    []
    """
    out: dict[str, str] = {}
    for part in _SPLIT.split(field or ""):
        name = " ".join(_BY.sub("", part.strip(" ,.")).split())
        if not name or not any(ch.isalpha() for ch in name):
            continue
        key = name.casefold()
        best = out.get(key)
        if best is None or _casing(name) > _casing(best):
            out[key] = name
    return list(out.values())


def _casing(name: str) -> tuple[bool, bool]:
    """How well a spelling of a name is cased: mixed case beats all lower beats all upper."""
    upper, lower = any(c.isupper() for c in name), any(c.islower() for c in name)
    return upper and lower, lower


def name_parts(name: str) -> tuple[str | None, str]:
    """``(given, family)`` of a person's name; an organisation or a single word is all family.

    >>> name_parts("Dana Whitfield")
    ('Dana', 'Whitfield')
    >>> name_parts("Whitfield, Dana")
    ('Dana', 'Whitfield')
    >>> name_parts("Reuters")
    (None, 'Reuters')
    """
    if "," in name:
        family, given = (s.strip() for s in name.split(",", 1))
        return (given or None), family
    words = name.split()
    if len(words) < 2 or len(words) > 4:
        return None, name
    return " ".join(words[:-1]), words[-1]


def site_name(html: bytes | str | None) -> str | None:
    """The publication's own name from an HTML page's metadata (``og:site_name``, then
    ``application-name``, ``publisher``, then a JSON-LD ``publisher.name``), or None.

    >>> site_name(b'<html><head><meta property="og:site_name" content="Pine Hollow Courier"></head></html>')
    'Pine Hollow Courier'
    >>> site_name('<script type="application/ld+json">{"publisher": {"name": "The Daily"}}</script>')
    'The Daily'
    >>> site_name(b"<p>nothing</p>") is None
    True
    """
    if not html:
        return None
    from lxml import html as lxml_html

    data = html[:300_000] if isinstance(html, (bytes, str)) else html
    try:
        tree = lxml_html.fromstring(data)
    except Exception:  # not parseable HTML: no site name, not an error
        return None
    for attr, value in _SITE_META:
        for el in tree.iter("meta"):
            if (el.get(attr) or "").strip().lower() == value:
                content = " ".join((el.get("content") or "").split())
                if content and not content.startswith(("http://", "https://")):
                    return content
    for el in tree.iter("script"):
        if (el.get("type") or "").lower() != "application/ld+json":
            continue
        try:
            doc = json.loads(el.text or "")
        except ValueError:
            continue
        for item in doc if isinstance(doc, list) else [doc]:
            pub = item.get("publisher") if isinstance(item, dict) else None
            if isinstance(pub, list):
                pub = pub[0] if pub else None
            name = pub.get("name") if isinstance(pub, dict) else None
            if isinstance(name, str) and name.strip():
                return " ".join(name.split())
    return None
