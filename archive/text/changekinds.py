"""Which changes a reader must see, and which are noise to collapse and count.

:mod:`archive.text.diff` computes the changes between two versions; this module orders and
sorts them for reading. Real pages change in ways no reader cares about: a re-encoding that
turns ``“`` into ``â€œ`` (mojibake), whitespace, typography (straight and curly quotes,
dashes), boilerplate ("Advertisement", "Share this article"), and navigation or teasers that
moved. Listed one by one they bury the one figure that changed (item 12 of 101 on a real
government page). So:

* :func:`noise_kind` says which kind of noise a change is, or None if a reader should see it;
* :func:`organize` puts figure and quote changes first, then the title, then sentences, and
  collapses the noise into counts per kind;
* :func:`select` keeps the changes of the kinds asked for (``--kind figure``).

An encoding change is recognised with ftfy (https://ftfy.readthedocs.io), which undoes the
usual mis-decodings (UTF-8 read as Windows-1252 or Latin-1, doubly so): if fixing either
side's text makes the two equal, the edit is an encoding change, not a text edit.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

#: Order in which a reader sees the changes: what a citation is most likely to rest on first.
KIND_ORDER = {"figure": 0, "quote": 1, "title": 2, "sentence": 3}
#: Kinds of noise, in the order their counts are shown.
NOISE_KINDS = ("encoding", "whitespace", "typography", "boilerplate", "reordered")
#: What ``--kind`` accepts: a kind of change, or ``noise`` for all the collapsed ones.
KINDS = tuple(KIND_ORDER) + ("noise",)

_TYPO = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'",
                       "‚": "'", "–": "-", "—": "-", "‒": "-", "−": "-", "\u00a0": " ",
                       "\u202f": " ", "…": "...", "\u00ad": None, "\u200b": None})
_BOILERPLATE = re.compile(
    r"^\W*(advertisement|advertising|sponsored( content)?|read more|related( articles| stories)?|"
    r"share( this( article| story)?)?|sign up|subscribe( now)?|newsletter|cookie|accept( all)?( cookies)?|"
    r"all rights reserved|copyright|©|follow us|most (read|popular)|skip to (main )?content|"
    r"menu|search|log ?in|sign in|back to top|print|email|comments?)\b.{0,80}$", re.I)


def _words(s: str) -> list[str]:
    return s.split()


def _typographic(s: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", s).translate(_TYPO).split())


def _fixed(s: str) -> str:
    """The words of ``s`` once mis-decoding is undone: letters and digits only, because a
    mark whose bytes were lost (``”`` read as ``â€`` plus a dropped control character)
    cannot be restored, but the words around it can."""
    import ftfy

    return " ".join(re.sub(r"[\W_]+", " ", ftfy.fix_text(s, normalization="NFKC")).split())


def _mis_decoded(s: str) -> bool:
    """Whether ``s`` shows the marks of text decoded with the wrong character set."""
    from ftfy.badness import is_bad

    return is_bad(s)


def is_boilerplate(s: str | None) -> bool:
    """Site furniture rather than article text: ads, share and sign-up prompts, footers.

    >>> is_boilerplate("Advertisement"), is_boilerplate("Share this article on Facebook")
    (True, True)
    >>> is_boilerplate("The council shared the report with 2,300 residents.")
    False
    """
    if not s:
        return False
    return len(s) <= 120 and bool(_BOILERPLATE.match(s.strip()))


def noise_kind(change: dict) -> str | None:
    """The kind of noise an edited/changed pair is, or None when the words really differ.

    >>> noise_kind({"kind": "sentence", "op": "edited", "before": "He said “yes”.", "after": "He said â€œyesâ€\\x9d."})
    'encoding'
    >>> noise_kind({"kind": "sentence", "op": "edited", "before": "a  b", "after": "a b"})
    'whitespace'
    >>> noise_kind({"kind": "quote", "op": "edited", "before": "it's over", "after": "it’s over"})
    'typography'
    >>> noise_kind({"kind": "figure", "op": "changed", "before": "2,300", "after": "3,100"}) is None
    True
    """
    before, after = change.get("before"), change.get("after")
    if change.get("kind") == "figure" and change.get("before_value") != change.get("after_value") \
            and change.get("op") == "changed":
        return None
    if before is None or after is None:
        text = before if after is None else after
        return "boilerplate" if change.get("kind") == "sentence" and is_boilerplate(text) else None
    if before == after:
        return "whitespace"
    if _words(before) == _words(after):
        return "whitespace"
    if _typographic(before) == _typographic(after):
        return "typography"
    if _fixed(before) == _fixed(after):
        return "encoding" if _mis_decoded(before) or _mis_decoded(after) else "typography"
    if is_boilerplate(before) and is_boilerplate(after):
        return "boilerplate"
    return None


def _pair_key(change: dict, how: str) -> str:
    text = change.get("before") if change.get("op") == "removed" else change.get("after")
    text = text or ""
    return " ".join(text.split()) if how == "reordered" else _fixed(text)


def organize(changes: Iterable[dict], before_text: str | None = None, after_text: str | None = None) -> dict:
    """Changes in reading order, with the noise set apart and counted.

    Returns ``{"changes": [...], "noise": [...], "counts": {kind: n}}``; every change is in
    exactly one of the two lists and carries ``noise`` (None or its kind). A sentence removed
    in one place and added in another is ``reordered``; a removed/added pair whose texts are
    equal once mis-decoding is undone is ``encoding``. Given the two versions' texts, a quote
    or sentence reported removed (or added) that is still there (or was already there) once
    mis-decoding is undone is ``encoding`` too: a quotation whose marks became ``â€œ`` is no
    longer found as a quotation, but its words did not change.

    >>> out = organize([
    ...     {"kind": "sentence", "op": "added", "before": None, "after": "Menu item B"},
    ...     {"kind": "sentence", "op": "edited", "before": "Say “hi”.", "after": "Say â€œhiâ€\\x9d."},
    ...     {"kind": "figure", "op": "changed", "before": "2,300", "after": "3,100",
    ...      "before_value": 2300, "after_value": 3100},
    ...     {"kind": "sentence", "op": "removed", "before": "Menu item B", "after": None}])
    >>> [c["kind"] for c in out["changes"]], out["counts"]
    (['figure'], {'encoding': 1, 'reordered': 2})
    """
    items = [dict(c, noise=None) for c in changes]
    # Removed/added pairs that are the same text moved, or the same text re-encoded.
    for how in ("reordered", "encoding"):
        added: dict[str, list[dict]] = {}
        for c in items:
            if c["noise"] is None and c.get("op") == "added" and c.get("kind") in ("sentence", "quote"):
                added.setdefault(_pair_key(c, how), []).append(c)
        for c in items:
            if c["noise"] is None and c.get("op") == "removed" and c.get("kind") in ("sentence", "quote"):
                twins = added.get(_pair_key(c, how))
                if twins and _pair_key(c, how):
                    twin = twins.pop()
                    c["noise"] = twin["noise"] = how
    fixed_before = _fixed(before_text) if before_text else None
    fixed_after = _fixed(after_text) if after_text else None
    for c in items:
        if c["noise"] is not None or c.get("kind") not in ("sentence", "quote"):
            continue
        if c.get("op") == "removed" and fixed_after and c.get("before"):
            other, plain = fixed_after, after_text or ""
            words = c["before"]
        elif c.get("op") == "added" and fixed_before and c.get("after"):
            other, plain = fixed_before, before_text or ""
            words = c["after"]
        else:
            continue
        if _fixed(words) and f" {_fixed(words)} " in f" {other} " and _typographic(words) not in _typographic(plain) \
                and _mis_decoded(plain):
            c["noise"] = "encoding"
    for c in items:
        if c["noise"] is None:
            c["noise"] = noise_kind(c)
    keep = [c for c in items if c["noise"] is None]
    noise = [c for c in items if c["noise"] is not None]
    keep.sort(key=lambda c: KIND_ORDER.get(c.get("kind") or "", 9))  # stable: reading order within a kind
    counts = {k: sum(1 for c in noise if c["noise"] == k) for k in NOISE_KINDS}
    return {"changes": keep, "noise": noise, "counts": {k: n for k, n in counts.items() if n}}


def select(organized: dict, kinds: Iterable[str] | None) -> list[dict]:
    """The changes of the kinds asked for (``noise`` for the collapsed ones); all the
    reader-visible ones when ``kinds`` is empty."""
    kinds = set(kinds or ())
    if not kinds:
        return list(organized["changes"])
    out = [c for c in organized["changes"] if c.get("kind") in kinds]
    if "noise" in kinds:
        out += organized["noise"]
    return out


def noise_summary(counts: dict) -> str:
    """One line for the collapsed noise.

    >>> noise_summary({"encoding": 30, "whitespace": 1})
    '31 changes of no meaning collapsed: 30 encoding repairs, 1 whitespace'
    >>> noise_summary({})
    ''
    """
    if not counts:
        return ""
    names = {"encoding": "encoding repairs", "whitespace": "whitespace", "typography": "typography",
             "boilerplate": "boilerplate", "reordered": "reordered"}
    total = sum(counts.values())
    parts = ", ".join(f"{counts[k]} {names[k]}" for k in NOISE_KINDS if counts.get(k))
    return f"{total} change{'s' if total != 1 else ''} of no meaning collapsed: {parts}"
