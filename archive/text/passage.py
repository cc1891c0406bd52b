"""Finding a passage in a text, and re-finding a cited passage after the text changed.

A user pastes a passage copied from a browser; the browser may have turned straight quotes
into curly ones, a non-breaking space into a space, "…" into "...". ``find_passage`` first
looks for the exact characters, then for the passage with such typography folded away
(``normalize``), and always answers with offsets into the *original* text, so the citation
pins what the page really says.

``relocate`` is used by ``check``: given a citation's selector it says whether the cited
words are ``unchanged`` (same place), ``present`` (elsewhere), ``changed`` (something in the
same place says something different) or ``removed``.

Pure functions: no I/O.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from archive.errors import PassageNotFound
from archive.text.diff import split_sentences

__all__ = ["normalize", "find_passage", "closest_passages", "relocate"]

# Typographic variants that browsers, CMSs and copy-paste swap freely. Each maps to the
# ASCII character a user is most likely to type.
_FOLD = {
    **dict.fromkeys("‘’‚‛′`", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−", "-"),
    "…": "...",
}
# Invisible characters that change nothing a reader sees; dropped entirely.
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


def normalize(s: str) -> tuple[str, list[int]]:
    """Fold typography; return the folded string and, per folded char, its original index.

    Whitespace runs (NBSP and newlines included) become one space; curly quotes, primes and
    dash variants become ASCII; "…" becomes "..." (all three dots map to the "…"); soft
    hyphens and zero-width characters vanish.

    >>> normalize("“Stay   home” – now…")
    ('"Stay home" - now...', [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 19, 19])
    >>> normalize("a\\u00a0\\nb")[0]
    'a b'
    """
    out: list[str] = []
    index: list[int] = []
    in_space = False
    for i, ch in enumerate(s):
        if ch in _INVISIBLE:
            continue  # before the space test, so "a \u00ad b" still folds to "a b"
        if ch.isspace():
            if not in_space:
                out.append(" ")
                index.append(i)
            in_space = True
            continue
        in_space = False
        folded = _FOLD.get(ch, ch)
        out.extend(folded)
        index.extend([i] * len(folded))
    return "".join(out), index


def _span_from_normalized(index: list[int], ns: int, ne: int) -> tuple[int, int]:
    """Original-text span of normalised span ``[ns, ne)``; ``ne > ns``."""
    start = index[ns]
    end = index[ne - 1] + 1
    return start, end


def _find_normalized(norm_text: str, index: list[int], needle: str) -> int:
    """First match of ``needle`` in ``norm_text`` that starts and ends on whole original chars.

    "..." inside ".…" must match the "…", not the "." plus two thirds of the "…", which
    would map back to a span that does not say what was asked for.
    """
    at = norm_text.find(needle)
    while at >= 0:
        end = at + len(needle)
        starts_whole = at == 0 or index[at - 1] != index[at]
        ends_whole = end == len(index) or index[end] != index[end - 1]
        if starts_whole and ends_whole:
            return at
        at = norm_text.find(needle, at + 1)
    return -1


def find_passage(text: str, passage: str) -> tuple[int, int]:
    """Offsets ``(start, end)`` of ``passage`` in ``text``: exact match first, then tolerant.

    >>> text = 'He said: "We will rebuild." The fire\\u00a0spread.'
    >>> find_passage(text, "We will rebuild")
    (10, 25)
    >>> s, e = find_passage(text, "fire spread")
    >>> text[s:e]
    'fire\\xa0spread'

    Raises PassageNotFound, with ``.closest`` holding up to three near passages.
    """
    if not passage or not passage.strip():
        raise PassageNotFound("The passage to find is empty.")
    at = text.find(passage)
    if at >= 0:
        return at, at + len(passage)
    norm_text, index = normalize(text)
    norm_passage = normalize(passage)[0].strip()
    if norm_passage:
        at = _find_normalized(norm_text, index, norm_passage)
        if at >= 0:
            return _span_from_normalized(index, at, at + len(norm_passage))
    closest = closest_passages(text, passage)
    message = f"The passage {_show(passage)} is not in the text."
    if closest:
        message += " Closest passages:\n" + "\n".join(f"  - {_show(c)}" for c in closest)
    raise PassageNotFound(message, closest=closest)


def find_occurrences(text: str, passage: str) -> list[tuple[int, int]]:
    """Every place ``passage`` occurs in ``text``, in order, found exactly or tolerantly (as
    :func:`find_passage` finds it: whitespace, curly quotes, dashes). A passage that occurs
    more than once is ambiguous: a citation must say which occurrence it pins.

    >>> find_occurrences("2,300 homes; later 2,300 homes again", "2,300 homes")
    [(0, 11), (19, 30)]
    >>> find_occurrences("the fire\u00a0spread; the fire spread", "fire spread")
    [(4, 15), (21, 32)]
    >>> find_occurrences("nothing here", "fire")
    []
    """
    if not passage or not passage.strip():
        return []
    hits = set()
    at = text.find(passage)
    while at >= 0:
        hits.add((at, at + len(passage)))
        at = text.find(passage, at + 1)
    norm_text, index = normalize(text)
    needle = normalize(passage)[0].strip()
    at = norm_text.find(needle) if needle else -1
    while at >= 0:
        end = at + len(needle)
        # whole original characters only, as in _find_normalized
        if (at == 0 or index[at - 1] != index[at]) and (end == len(index) or index[end] != index[end - 1]):
            hits.add(_span_from_normalized(index, at, end))
        at = norm_text.find(needle, at + 1)
    starts: dict[int, tuple[int, int]] = {}
    for s, e in sorted(hits):
        starts.setdefault(s, (s, e))  # one span per start: the exact one sorts first if shorter
    return sorted(starts.values())


def _show(s: str, width: int = 120) -> str:
    s = " ".join(s.split())
    return "“" + (s if len(s) <= width else s[: width - 1] + "…") + "”"


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _fold_for_compare(s: str) -> str:
    return normalize(s)[0].strip().lower()


# Below this similarity a passage is not offered as "closest": it would only mislead.
CLOSEST_FLOOR = 0.3

_WORD = re.compile(r"\S+")


def _candidate_spans(text: str, n_words: int, n_sentences: int) -> list[tuple[int, int]]:
    """Windows of ``text`` to compare with a passage of ``n_words`` words in ``n_sentences``.

    Single sentences and runs of about the passage's number of sentences, plus, inside
    longer sentences, runs of about its number of words: a short phrase is best compared with
    a phrase, a long passage with whole sentences.
    """
    spans = split_sentences(text)
    out: set[tuple[int, int]] = set()
    for width in {1, max(1, n_sentences - 1), n_sentences, n_sentences + 1}:
        for k in range(0, max(0, len(spans) - width + 1)):
            out.add((spans[k][0], spans[k + width - 1][1]))
    for s, e in spans:
        words = [(m.start() + s, m.end() + s) for m in _WORD.finditer(text[s:e])]
        if len(words) <= n_words:
            continue
        for width in {max(1, n_words - 1), n_words, n_words + 1}:
            for k in range(0, len(words) - width + 1):
                out.add((words[k][0], words[k + width - 1][1]))
    return sorted(out)


# Passages longer than this are compared word by word: character-level matching is
# quadratic in length and a long passage has enough words to be judged by them.
_CHAR_COMPARE_LIMIT = 200


def _units(s: str, by_chars: bool) -> str | list[str]:
    folded = _fold_for_compare(s)
    return folded if by_chars else folded.split()


# At most this many candidate windows are compared exactly (SequenceMatcher.ratio is
# quadratic in the window's length); the rest are ranked by a linear-time proxy first.
_EXACT_BUDGET = 48
# ... and at most this many characters of windows in all: a passage of a whole article
# compared with sentence runs of a long page must not cost seconds either.
_EXACT_CHARS = 120_000


def _lower_same_length(text: str) -> str:
    """``text`` lower-cased character by character, so offsets stay those of ``text``."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _proxy_scores(text: str, target: str, spans: list[tuple[int, int]], by_chars: bool) -> list[float]:
    """For each span, a cheap estimate of its similarity to ``target`` (0..1).

    The share of the span's character trigrams (or words, for long passages) that also
    occur in the target, over the longer of the two: prefix sums over the whole text make
    it O(1) per span, so ranking every window of a long page costs O(len(text)).
    """
    from bisect import bisect_left
    from itertools import accumulate

    low = _lower_same_length(text)
    if by_chars:
        grams = {target[i:i + 3] for i in range(max(0, len(target) - 2))}
        marks = [1 if low[i:i + 3] in grams else 0 for i in range(len(low))]
        hits = [0, *accumulate(marks)]
        size = len(target)
        out = []
        for s, e in spans:
            got = hits[max(s, e - 2)] - hits[s]
            out.append(got / max(e - s, size, 1))
        return out
    words = set(target.split())
    starts, marks = [], []
    for m in _WORD.finditer(low):
        starts.append(m.start())
        marks.append(1 if _fold_for_compare(m.group()) in words else 0)
    hits = [0, *accumulate(marks)]
    size = len(target.split())
    out = []
    for s, e in spans:
        a, b = bisect_left(starts, s), bisect_left(starts, e)
        out.append((hits[b] - hits[a]) / max(b - a, size, 1))
    return out


def _scored(text: str, passage: str) -> list[tuple[float, int, int]]:
    """Candidate spans with their similarity to ``passage``, best first, non-overlapping.

    Bounded work whatever the length of ``text``: every window is ranked by
    :func:`_proxy_scores` (linear), and only the best ``_EXACT_BUDGET`` of them (at most
    ``_EXACT_CHARS`` characters) are compared exactly.
    """
    import heapq

    target = _fold_for_compare(passage)
    if not target or not text.strip():
        return []
    by_chars = len(target) <= _CHAR_COMPARE_LIMIT
    units = target if by_chars else target.split()
    n_words = len(target.split())
    n_sentences = max(1, len(split_sentences(passage)))
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(units)  # seq2 is the one SequenceMatcher indexes; index the target once
    spans = _candidate_spans(text, n_words, n_sentences)
    proxy = _proxy_scores(text, target, spans, by_chars)
    ranked = heapq.nlargest(_EXACT_BUDGET, range(len(spans)), key=lambda k: (proxy[k], -spans[k][0]))
    scored: list[tuple[float, int, int]] = []
    chars = 0
    for k in ranked:
        s, e = spans[k]
        chars += e - s
        if chars > _EXACT_CHARS and scored:
            break
        matcher.set_seq1(_units(text[s:e], by_chars))
        if matcher.real_quick_ratio() < CLOSEST_FLOOR or matcher.quick_ratio() < CLOSEST_FLOOR:
            continue
        scored.append((matcher.ratio(), s, e))
    # Best first; ties go to the earlier, then the shorter passage, for determinism.
    scored.sort(key=lambda t: (-t[0], t[1], t[2] - t[1]))
    chosen: list[tuple[float, int, int]] = []
    for score, s, e in scored:
        if score < CLOSEST_FLOOR:
            break
        if any(s < ce and cs < e for _, cs, ce in chosen):
            continue  # overlapping windows would show the same words twice
        chosen.append((score, s, e))
    return chosen


def closest_passages(text: str, passage: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` passages of ``text`` most like ``passage``, most similar first.

    >>> text = "The fire destroyed 2,300 homes. Crews fought it for days. Rain helped."
    >>> closest_passages(text, "fire destroyed 2,400 homes", limit=1)
    ['fire destroyed 2,300 homes.']
    """
    return [text[s:e] for _, s, e in _scored(text, passage)[:limit]]


# --------------------------------------------------------------------------------------
# Re-finding a cited passage

# A passage in the same place that is at least this similar to the cited one is "changed"
# (the cited words were edited) rather than "removed".
CHANGED_THRESHOLD = 0.6
# ... and, found without its context, it must keep at least this share of the cited words.
CHANGED_WORDS_KEPT = 0.6


def _context_score(text: str, start: int, end: int, prefix: str, suffix: str) -> float:
    """How well the text around ``[start, end)`` matches the cited prefix and suffix (0..1)."""
    parts = []
    if prefix:
        parts.append(_similarity(text[max(0, start - len(prefix)):start], prefix))
    if suffix:
        parts.append(_similarity(text[end:end + len(suffix)], suffix))
    return sum(parts) / len(parts) if parts else 0.0


def _result(status: str, start: int | None, end: int | None, text: str, score: float) -> dict:
    now = text[start:end] if start is not None and end is not None else None
    return {"status": status, "start": start, "end": end, "now": now, "score": round(score, 3)}


def relocate(text: str, selector: dict) -> dict:
    """Re-find the passage pinned by ``selector`` in ``text`` (possibly edited since).

    ``selector`` has ``exact``, ``prefix``, ``suffix`` (TextQuoteSelector) and ``start``,
    ``end`` (TextPositionSelector). Returns ``{"status", "start", "end", "now", "score"}``:

    * ``unchanged``: the exact words are at the cited position;
    * ``present``: the exact words are elsewhere (prefix/suffix pick among several hits), or
      at the same place with only typography changed (curly quotes, spaces, dashes);
    * ``changed``: the words are gone but a passage in the same place, anchored by the cited
      prefix and suffix or at least ``CHANGED_THRESHOLD`` similar, says something else;
      ``now`` is that passage;
    * ``removed``: nothing similar remains; ``score`` is the best similarity seen.

    >>> sel = {"exact": "about 4,000 displaced families", "prefix": "sheltering ",
    ...        "suffix": " on Monday.", "start": 17, "end": 47}
    >>> relocate("Schools are now sheltering about 4,000 displaced families on Monday.", sel)["status"]
    'present'
    >>> r = relocate("Schools are sheltering about 6,500 displaced families on Monday.", sel)
    >>> r["status"], r["now"]
    ('changed', 'about 6,500 displaced families')
    """
    exact = selector.get("exact") or ""
    prefix = selector.get("prefix") or ""
    suffix = selector.get("suffix") or ""
    start, end = selector.get("start"), selector.get("end")
    if not exact:
        return _result("removed", None, None, text, 0.0)
    if isinstance(start, int) and isinstance(end, int) and text[start:end] == exact:
        return _result("unchanged", start, end, text, 1.0)

    hits = _all_hits(text, exact)
    if hits:
        s = max(hits, key=lambda h: (_context_score(text, h, h + len(exact), prefix, suffix),
                                     -abs(h - (start if isinstance(start, int) else 0))))
        return _result("present", s, s + len(exact), text, 1.0)

    # Typography only (e.g. a CMS swapped quotes for curly ones): the words are still there.
    norm_text, index = normalize(text)
    norm_exact = normalize(exact)[0].strip()
    if norm_exact:
        at = _find_normalized(norm_text, index, norm_exact)
        if at >= 0:
            s, e = _span_from_normalized(index, at, at + len(norm_exact))
            return _result("present", s, e, text, _similarity(text[s:e], exact))

    anchored = _between_anchors(text, exact, prefix, suffix, start)
    if anchored is not None:
        s, e = anchored
        return _result("changed", s, e, text, _similarity(_fold_for_compare(text[s:e]),
                                                          _fold_for_compare(exact)))

    best = _best_window(text, exact, start)
    if best is not None and best[0] >= CHANGED_THRESHOLD:
        score, s, e = best
        s, e = _trim_like(text, s, e, exact)
        # Character similarity alone is generous to unrelated phrases of a similar length
        # ("the mayor is right" ~ "the rain at night"); a real edit also keeps most words.
        words_kept = SequenceMatcher(None, _units(text[s:e], False), _units(exact, False),
                                     autojunk=False).ratio()
        if words_kept >= CHANGED_WORDS_KEPT:
            return _result("changed", s, e, text, score)
    return _result("removed", None, None, text, best[0] if best else 0.0)


def _trim_like(text: str, s: int, e: int, exact: str) -> tuple[int, int]:
    """Drop punctuation at the window's edges that the cited passage did not have.

    Word windows end wherever a word does, often on "families," while the citation was of
    "families"; the reader should see the passage, not the comma after it.
    """
    while e - s > 1 and not text[e - 1].isalnum() and not exact.rstrip().endswith(text[e - 1]):
        e -= 1
    while e - s > 1 and not text[s].isalnum() and not exact.lstrip().startswith(text[s]):
        s += 1
    return s, e


def _all_hits(text: str, needle: str) -> list[int]:
    hits = []
    at = text.find(needle)
    while at >= 0:
        hits.append(at)
        at = text.find(needle, at + 1)
    return hits


def _between_anchors(
    text: str, exact: str, prefix: str, suffix: str, start: int | None
) -> tuple[int, int] | None:
    """The stretch of ``text`` between the cited prefix and suffix, if both still occur.

    Context may itself have been edited, so the anchors are tried from the full cited context
    down to its nearest 12 characters (the words touching the passage). The stretch must be
    non-blank (else the passage was cut out) and of a plausible length for an edit of it.
    """
    if not prefix.strip() or not suffix.strip():
        return None
    max_len = 3 * len(exact) + 40
    origin = start if isinstance(start, int) else 0
    for size in (len(prefix), 24, 12):
        p = prefix[-size:]
        for ssize in (len(suffix), 24, 12):
            q = suffix[:ssize]
            if not p.strip() or not q.strip():
                continue
            found = []
            for ph in _all_hits(text, p):
                s = ph + len(p)
                # Only as far as a plausible edit reaches: a common anchor must not make
                # every hit scan the rest of a long page.
                e = text.find(q, s, s + max_len + len(q))
                if e < 0 or e - s > max_len:
                    continue
                found.append((abs(s - origin), s, e))
            if found:
                _, s, e = min(found)
                # Keep the passage's own outer whitespace out of "now", like a citation.
                while s < e and text[s].isspace() and not exact[:1].isspace():
                    s += 1
                while e > s and text[e - 1].isspace() and not exact[-1:].isspace():
                    e -= 1
                if s < e and text[s:e].strip():
                    return s, e
                return None
    return None


def _best_window(text: str, exact: str, start: int | None) -> tuple[float, int, int] | None:
    """The most similar passage of roughly the cited length, preferring the cited place."""
    chosen = _scored(text, exact)
    if not chosen:
        return None
    top = chosen[0][0]
    origin = start if isinstance(start, int) else 0
    # Among equally good windows, the one nearest the cited position is the cited passage.
    ties = [c for c in chosen if c[0] >= top - 1e-9]
    return min(ties, key=lambda c: abs(c[1] - origin))
