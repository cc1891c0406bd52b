"""Quotations in an article's text (placeholder; the full finder follows)."""

from __future__ import annotations


def find_quotes(text: str) -> list[dict]:
    """The quotations in ``text``, in order."""
    return []
