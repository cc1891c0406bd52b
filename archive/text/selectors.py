"""W3C Web Annotation selectors over a stored text.

A passage is pinned twice: by position (TextPositionSelector: start, end in characters of
the Python string) and by quotation (TextQuoteSelector: exact, prefix, suffix), so that
it can be re-found in the same text by position and in an edited text by its words.

>>> quote_selector("The fire destroyed 2,300 homes.", 19, 24)
{'exact': '2,300', 'prefix': 'The fire destroyed ', 'suffix': ' homes.'}
"""

from __future__ import annotations

CONTEXT = 32


def quote_selector(text: str, start: int, end: int, context: int = CONTEXT) -> dict:
    """The TextQuoteSelector of ``text[start:end]`` with up to ``context`` chars each side."""
    return {
        "exact": text[start:end],
        "prefix": text[max(0, start - context):start],
        "suffix": text[end:end + context],
    }


