"""Figures in an article's text (placeholder; the full finder follows)."""

from __future__ import annotations


def find_figures(text: str) -> list[dict]:
    """The figures in ``text``, in order."""
    return []
