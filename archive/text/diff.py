"""Changes between two consecutive versions of a page.

A version is the extracted article text with its quotes and figures::

    {"title": str | None, "text": str, "quotes": [quote, ...], "figures": [figure, ...]}

``compare(before, after)`` lists what a reader of the page would notice, in reading order:

* ``title``    the headline was ``edited`` (or ``added``/``removed``);
* ``figure``   a number ``changed`` (``"4,000"`` -> ``"6,500"``), or a number was
               ``added``/``removed`` inside a sentence that is otherwise still there;
* ``quote``    a quotation was ``added``, ``removed`` or ``edited`` (reworded, same speaker);
* ``sentence`` a sentence was ``added``, ``removed`` or ``edited``.

Overlap rule: a figure or quote change is always reported on its own. The edited sentence that
contains it is reported *as well* only when something outside the changed figures and quotes
differs, so "about 4,000 displaced families" -> "about 6,500 displaced families" is exactly one
change, ``figure 4,000 -> 6,500``, which is what a reader of the diff wants to see.

The module is pure: no I/O, no database, deterministic output for the same input.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Hashable, Iterable, Sequence

__all__ = ["split_sentences", "compare", "render_terminal", "word_diff", "text_diff", "opcodes"]

# --------------------------------------------------------------------------------------
# A matcher whose cost is bounded for any input
#
# difflib's SequenceMatcher costs up to len(a) * len(b) steps (texts made of one repeated
# sentence, or of all-new sentences, reach it): over the words of two 300,000-character
# texts that is minutes. Here it only ever runs on stretches whose product of lengths is at
# most MATCH_LIMIT; longer inputs are first cut down by their common head and tail, then
# split at *anchors* — items that occur exactly once on each side, kept in an order both
# sides agree on (the longest increasing subsequence, as in patience diff) — and a stretch
# still too long after two rounds of that is reported as replaced as a whole. Every step is
# O(n log n) or bounded by MATCH_LIMIT per stretch, so the whole is O(n log n + n * sqrt(LIMIT)).

MATCH_LIMIT = 40_000


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable], limit: int = MATCH_LIMIT) -> list[tuple]:
    """``SequenceMatcher(None, a, b, autojunk=False).get_opcodes()``, with bounded cost.

    Inputs whose lengths multiply to at most ``limit`` get exactly SequenceMatcher's answer;
    longer ones are aligned on unique common items first (see above).

    >>> opcodes("abcd", "abxd")
    [('equal', 0, 2, 0, 2), ('replace', 2, 3, 2, 3), ('equal', 3, 4, 3, 4)]
    >>> ops = opcodes(list(range(100_000)), [7] + list(range(100_000)))
    >>> ops[:2]
    [('insert', 0, 0, 0, 1), ('equal', 0, 100000, 1, 100001)]
    """
    if len(a) * len(b) <= limit:
        return [tuple(op) for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes()]
    out: list[tuple] = []
    _opcodes_into(a, b, 0, len(a), 0, len(b), limit, 2, out)
    merged: list[tuple] = []
    for op in out:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if merged and merged[-1][0] == op[0]:
            prev = merged[-1]
            merged[-1] = (op[0], prev[1], op[2], prev[3], op[4])
        elif merged and {merged[-1][0], op[0]} <= {"delete", "insert", "replace"}:
            prev = merged[-1]
            merged[-1] = ("replace", prev[1], op[2], prev[3], op[4])
        else:
            merged.append(op)
    return merged


def _gap(i1: int, i2: int, j1: int, j2: int) -> tuple:
    if i1 == i2:
        return ("insert", i1, i2, j1, j2)
    if j1 == j2:
        return ("delete", i1, i2, j1, j2)
    return ("replace", i1, i2, j1, j2)


def _opcodes_into(a: Sequence, b: Sequence, i1: int, i2: int, j1: int, j2: int,
                  limit: int, rounds: int, out: list[tuple]) -> None:
    # common head and tail: linear, and all a small edit of a long text needs
    head = 0
    while i1 + head < i2 and j1 + head < j2 and a[i1 + head] == b[j1 + head]:
        head += 1
    tail = 0
    while i2 - tail > i1 + head and j2 - tail > j1 + head and a[i2 - tail - 1] == b[j2 - tail - 1]:
        tail += 1
    if head:
        out.append(("equal", i1, i1 + head, j1, j1 + head))
    m1, m2, n1, n2 = i1 + head, i2 - tail, j1 + head, j2 - tail
    if m1 == m2 or n1 == n2:
        out.append(_gap(m1, m2, n1, n2))
    elif (m2 - m1) * (n2 - n1) <= limit:
        for tag, x1, x2, y1, y2 in SequenceMatcher(None, a[m1:m2], b[n1:n2], autojunk=False).get_opcodes():
            out.append((tag, m1 + x1, m1 + x2, n1 + y1, n1 + y2))
    elif rounds > 0 and (anchors := _anchors(a, b, m1, m2, n1, n2)):
        x, y = m1, n1
        for ax, by in anchors:
            if ax > x or by > y:
                _opcodes_into(a, b, x, ax, y, by, limit, rounds - 1, out)
            out.append(("equal", ax, ax + 1, by, by + 1))
            x, y = ax + 1, by + 1
        if x < m2 or y < n2:
            _opcodes_into(a, b, x, m2, y, n2, limit, rounds - 1, out)
    else:
        out.append(_gap(m1, m2, n1, n2))
    if tail:
        out.append(("equal", i2 - tail, i2, j2 - tail, j2))


def _anchors(a: Sequence, b: Sequence, i1: int, i2: int, j1: int, j2: int) -> list[tuple[int, int]]:
    """Positions of the items unique on both sides, in an order both agree on."""
    count_a = Counter(a[i1:i2])
    count_b = Counter(b[j1:j2])
    where_b = {b[j]: j for j in range(j1, j2) if count_b[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(i1, i2)
             if count_a[a[i]] == 1 and a[i] in where_b]
    # longest increasing subsequence of the b positions (patience sorting)
    tails: list[int] = []
    tail_at: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[pos] = j
            tail_at[pos] = k
        back[k] = tail_at[pos - 1] if pos else -1
    chain: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]


# --------------------------------------------------------------------------------------
# Sentences

# Words that end in a full stop without ending the sentence. Lower-cased, without the dot.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms mx dr prof sr jr st mt ft rev hon sen rep gov gen col lt sgt capt cmdr adm maj
    cpl pte insp supt det pres supt messrs mme mlle
    inc ltd co corp plc llc bros dept univ assn est approx
    vs v cf al fig figs no nos vol vols pp ch sec art para ed eds
    jan feb mar apr jun jul aug sep sept oct nov dec
    mon tue tues wed thu thur thurs fri sat sun
    a.m p.m e.g i.e
    """.split()
)

# After these ambiguous endings ("U.S.", "etc.", "a.m.") a sentence ends only when the next
# word is one that typically opens a sentence; "in the U.S. The storm..." splits, but
# "the U.S. Coast Guard" does not.
_AMBIGUOUS_ENDINGS = frozenset({"etc", "a.m", "p.m"})
_SENTENCE_OPENERS = frozenset(
    """
    the a an he she it they we i you his her its their our this that these those there
    but and or so yet however meanwhile still then now when while after before in on at
    by for from as if officials police authorities residents some many most no one two
    """.split()
)

# A candidate boundary: terminal punctuation, any closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_INITIALISM = re.compile(r"(?:[A-Za-z]\.){2,}$")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_LOOK = 64   # characters looked at before a full stop: no abbreviation is longer
_NEXT_WORD = re.compile(r"\s{0,64}([^ ]{0,64})")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of the sentences of ``text``, in order.

    Paragraph breaks (``"\\n"``) always end a sentence; spans never include the surrounding
    whitespace. Abbreviations, initials and decimals do not end a sentence.

    >>> t = 'Mr. Smith paid $1.5m. "It was fair." The U.S. Coast Guard agreed.'
    >>> [t[s:e] for s, e in split_sentences(t)]
    ['Mr. Smith paid $1.5m.', '"It was fair."', 'The U.S. Coast Guard agreed.']
    >>> t = "Crews came from the U.S. They stayed.\\nA new paragraph"
    >>> [t[s:e] for s, e in split_sentences(t)]
    ['Crews came from the U.S.', 'They stayed.', 'A new paragraph']
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for paragraph in text.split("\n"):
        _split_paragraph(text, pos, pos + len(paragraph), spans)
        pos += len(paragraph) + 1
    return spans


def _split_paragraph(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    para = text[start:end]
    begin = 0
    for m in _BOUNDARY.finditer(para):
        if _is_sentence_end(para, m.start(), m.end()):
            _emit(text, start + begin, start + m.end(), out)
            begin = m.end()
    _emit(text, start + begin, end, out)


def _emit(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    # Trim whitespace so spans are exactly the sentence; skip blank stretches.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return
    # A stretch without a letter or digit (a lone "…" between two sentences) belongs to the
    # sentence before it in the same paragraph, not to a sentence of its own.
    if out and not any(ch.isalnum() for ch in text[start:end]) and "\n" not in text[out[-1][1]:start]:
        out[-1] = (out[-1][0], end)
        return
    out.append((start, end))


# An attribution after a closing quote: '“Why not?” Forte said.' is one sentence.
_ATTRIBUTION = re.compile(
    r"\s*(?:(?:he|she|they|we|I|it|[A-Z][\w’'.-]*)(?:\s+[A-Z][\w’'.-]*){0,3}\s+)?"
    r"(?:said|says|asked|asks|added|adds|told|tells|wrote|writes|explained|recalled|replied|"
    r"continued|noted|insisted)\b[^.!?\n]{0,60}[.!?]"
)


def _is_sentence_end(para: str, punct_at: int, after: int) -> bool:
    if para[after - 1] in "\"”»'’" and _ATTRIBUTION.match(para, after):
        return False
    if para[punct_at] != ".":
        return True  # ! ? … are not used in abbreviations
    # Both looks are bounded (a word before, a word after): scanning from the start of the
    # paragraph, or copying its rest, at every full stop made long paragraphs quadratic.
    m = _WORD_BEFORE.search(para, max(0, punct_at - _LOOK), punct_at)
    word = m.group(1) if m else ""
    bare = word.strip(".").lower()
    n = _NEXT_WORD.match(para, after)
    next_word = n.group(1) if n else ""
    next_bare = next_word.strip("\"'“‘(«[").lower()
    starts_lower = next_word[:1].islower()
    if starts_lower:
        return False  # "approx. three" / "the U.S. economy"
    if len(word.strip(".")) == 1 and word[:1].isupper():
        return False  # a middle initial: "John F. Kennedy"
    if _INITIALISM.search(word + ".") or bare in _AMBIGUOUS_ENDINGS:
        return next_bare in _SENTENCE_OPENERS
    if bare in _ABBREVIATIONS:
        return False
    return True


# --------------------------------------------------------------------------------------
# Word-level differences

_TOKEN = re.compile(r"\s+|\w+(?:[.,'’]\w+)*|[^\w\s]")


def word_diff(before: str, after: str) -> list[dict]:
    """Word-level edit script turning ``before`` into ``after``.

    Numbers such as ``2,300`` and ``1.5`` stay whole so that a figure edit reads as one
    replacement.

    >>> word_diff("about 4,000 families", "about 6,500 families")
    [{'op': 'equal', 'before': 'about ', 'after': 'about '}, {'op': 'replace', 'before': '4,000', 'after': '6,500'}, {'op': 'equal', 'before': ' families', 'after': ' families'}]
    """
    a = _TOKEN.findall(before)
    b = _TOKEN.findall(after)
    ops = []
    for tag, i1, i2, j1, j2 in opcodes(a, b):
        ops.append({"op": tag, "before": "".join(a[i1:i2]), "after": "".join(b[j1:j2])})
    return ops


_LINE = re.compile(r"[^\n]*\n|[^\n]+")


def text_diff(before: str, after: str) -> list[tuple[str, int, int, int, int]]:
    r"""Edit script of two whole texts as character offsets ``(op, b0, b1, a0, a1)``:
    paragraphs (lines) are aligned first, and only inside replaced paragraphs are words
    compared, so the cost stays bounded however long the texts (the diff page stores this
    once per pair of versions and slices the texts to show it).

    >>> t1, t2 = "Intro.\nAbout 4,000 fled.\nEnd.", "Intro.\nAbout 6,500 fled.\nEnd."
    >>> [(op, t1[b0:b1], t2[a0:a1]) for op, b0, b1, a0, a1 in text_diff(t1, t2)]
    [('equal', 'Intro.\nAbout ', 'Intro.\nAbout '), ('replace', '4,000', '6,500'), ('equal', ' fled.\nEnd.', ' fled.\nEnd.')]
    """
    la, lb = _LINE.findall(before), _LINE.findall(after)
    sa, sb = _starts(la), _starts(lb)
    out: list[tuple[str, int, int, int, int]] = []

    def emit(op: str, b0: int, b1: int, a0: int, a1: int) -> None:
        if b0 == b1 and a0 == a1:
            return
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1], b1, out[-1][3], a1)
        else:
            out.append((op, b0, b1, a0, a1))

    for tag, i1, i2, j1, j2 in opcodes(la, lb):
        b0, b1, a0, a1 = sa[i1], sa[i2], sb[j1], sb[j2]
        if tag != "replace":
            emit(tag, b0, b1, a0, a1)
            continue
        ta, tb = _TOKEN.findall(before[b0:b1]), _TOKEN.findall(after[a0:a1])
        pa, pb = _starts(ta, b0), _starts(tb, a0)
        for t, x1, x2, y1, y2 in opcodes(ta, tb):
            emit(t, pa[x1], pa[x2], pb[y1], pb[y2])
    return out


def _starts(pieces: list[str], base: int = 0) -> list[int]:
    """Offsets of each piece of a text cut into consecutive ``pieces``, and of its end."""
    out = [base]
    for p in pieces:
        out.append(out[-1] + len(p))
    return out


_WORDS = re.compile(r"\w+(?:[.,'’]\w+)*")


def _ratio(a: str, b: str) -> float:
    """Similarity of two texts by their words alone (0..1).

    Spaces and punctuation are left out: they occur in every sentence, and counting them
    would make any two sentences of similar length look half alike.

    >>> _ratio("The cat sat on the mat.", "A dog ran in a park.")
    0.0
    """
    wa, wb = _WORDS.findall(a.lower()), _WORDS.findall(b.lower())
    if len(wa) * len(wb) <= MATCH_LIMIT:
        return SequenceMatcher(None, wa, wb, autojunk=False).ratio()
    # Long sentences: matched words by opcodes (bounded), the same measure as ratio().
    same = sum(i2 - i1 for tag, i1, i2, _, _ in opcodes(wa, wb) if tag == "equal")
    return 2.0 * same / (len(wa) + len(wb))


def _ratio_bound(a: Counter, b: Counter) -> float:
    """An upper bound of :func:`_ratio` from the words alone, in any order: cheap, and
    enough to skip the pairs that cannot reach a threshold."""
    total = sum(a.values()) + sum(b.values())
    if not total:
        return 1.0
    return 2.0 * sum((a & b).values()) / total


# --------------------------------------------------------------------------------------
# Comparing versions

# Two sentences in a replaced block are "the same sentence, edited" above this similarity.
EDIT_THRESHOLD = 0.5
# Two quotes of the same speaker count as one quote reworded above this similarity; quotes
# whose speaker is unknown need stronger evidence.
QUOTE_SAME_SPEAKER = 0.3
QUOTE_NO_SPEAKER = 0.6

# Figures in two rewritten sentences pair only if the sentences share this much wording.
FIGURE_SENTENCE_FLOOR = 0.25

_KIND_RANK = {"title": 0, "figure": 1, "quote": 2, "sentence": 3}


@dataclass
class _Side:
    """One version, with its sentences and with figures/quotes assigned to sentences."""

    text: str
    spans: list[tuple[int, int]]
    sentences: list[str] = field(default_factory=list)
    figures_by_sentence: dict[int, list[dict]] = field(default_factory=dict)

    @classmethod
    def of(cls, version: dict) -> "_Side":
        text = version.get("text") or ""
        spans = split_sentences(text)
        side = cls(text, spans, [text[s:e] for s, e in spans])
        for fig in sorted(version.get("figures") or [], key=_fig_start):
            side.figures_by_sentence.setdefault(side.sentence_at(_fig_start(fig)), []).append(fig)
        return side

    def sentence_at(self, offset: int) -> int:
        """Index of the sentence holding ``offset`` (the one before it, if in a gap)."""
        if not hasattr(self, "_starts"):
            self._starts = [s for s, _ in self.spans]
        return max(bisect_right(self._starts, offset) - 1, 0)


def _fig_start(fig: dict) -> int:
    start = fig.get("start")
    return start if isinstance(start, int) else 0


def _fig_key(fig: dict) -> tuple:
    """What a figure is about, independent of its value: kind, unit and the noun it counts."""
    counts = (fig.get("counts") or "").strip().lower() or None
    unit = (fig.get("unit") or "").strip().lower() or None
    return (fig.get("kind"), unit, counts)


def _fig_mask(text: str, fig: dict) -> tuple[int, int]:
    """The span a figure change accounts for: the figure and its qualifier if it precedes.

    "about 4,000" -> "more than 4,000" is a qualifier change reported on the figure, so the
    qualifier's words must not also make the sentence count as edited.
    """
    start = _fig_start(fig)
    given_end = fig.get("end")
    end = given_end if isinstance(given_end, int) else start
    qualifier = (fig.get("qualifier") or "").strip()
    if qualifier:
        head = text[max(0, start - len(qualifier) - 3):start]
        at = head.lower().rfind(qualifier.lower())
        if at >= 0 and not head[at + len(qualifier):].strip(" $€£"):
            start -= len(head) - at
    return start, end


def _fig_differs(a: dict, b: dict) -> bool:
    return (
        a.get("value") != b.get("value")
        or (a.get("qualifier") or None) != (b.get("qualifier") or None)
        or (a.get("unit") or None) != (b.get("unit") or None)
    )


def compare(before: dict, after: dict) -> list[dict]:
    """The changes from version ``before`` to version ``after``, in reading order.

    Each change is ``{"kind", "op", "before", "after", "before_value", "after_value",
    "counts", "detail"}``; see the module docstring for kinds and ops, and for when an edited
    sentence is folded into the figure or quote change it contains.

    >>> v1 = {"title": "Fire", "text": "About 4,000 families fled.", "quotes": [], "figures": [
    ...     {"value": 4000.0, "text": "4,000", "kind": "number", "counts": "families",
    ...      "qualifier": "about", "start": 6, "end": 11}]}
    >>> v2 = {"title": "Fire", "text": "About 6,500 families fled.", "quotes": [], "figures": [
    ...     {"value": 6500.0, "text": "6,500", "kind": "number", "counts": "families",
    ...      "qualifier": "about", "start": 6, "end": 11}]}
    >>> [(c["kind"], c["op"], c["before"], c["after"]) for c in compare(v1, v2)]
    [('figure', 'changed', '4,000', '6,500')]
    """
    old, new = _Side.of(before), _Side.of(after)
    rows = _align_sentences(old.sentences, new.sentences)
    slot_before = {bi: n for n, (bi, ai) in enumerate(rows) if bi is not None}
    slot_after = {ai: n for n, (bi, ai) in enumerate(rows) if ai is not None}

    keyed: list[tuple[tuple, dict]] = []

    def add(change: dict, slot: int, offset: int) -> None:
        # Within a sentence, figure and quote changes lead: they are what a reader looks for.
        keyed.append(((slot, _KIND_RANK[change["kind"]], offset, len(keyed)), change))

    # Title first: it is what a reader sees first.
    t_old, t_new = before.get("title") or None, after.get("title") or None
    if t_old != t_new:
        op = "edited" if t_old and t_new else ("added" if t_new else "removed")
        detail: dict[str, Any] = {"ops": word_diff(t_old or "", t_new or "")}
        add(_change("title", op, t_old, t_new, detail=detail), -1, 0)

    # Spans (in each text) covered by reported figure/quote changes; an edited sentence
    # whose every difference falls inside them is not reported separately.
    masked_old: list[tuple[int, int]] = []
    masked_new: list[tuple[int, int]] = []

    # Figures: within each pair of aligned sentences, then across a replaced block.
    for bi, ai in rows:
        if bi is None or ai is None or old.sentences[bi] == new.sentences[ai]:
            continue
        figs_a = old.figures_by_sentence.get(bi, [])
        figs_b = new.figures_by_sentence.get(ai, [])
        for fa, fb in _pair_figures(figs_a, figs_b):
            change = _figure_change(fa, fb, old, new)
            if change is None:
                continue
            if fa is not None:
                masked_old.append(_fig_mask(old.text, fa))
            if fb is not None:
                masked_new.append(_fig_mask(new.text, fb))
            if fb is not None:
                add(change, slot_after[ai], _fig_start(fb) - new.spans[ai][0])
            elif fa is not None:
                add(change, slot_before[bi], _fig_start(fa) - old.spans[bi][0])
    for block_old, block_new in _unpaired_blocks(rows):
        figs_a = [f for bi in block_old for f in old.figures_by_sentence.get(bi, [])]
        figs_b = [f for ai in block_new for f in new.figures_by_sentence.get(ai, [])]
        for fa, fb in _pair_figures_by_key(figs_a, figs_b, old, new):
            change = _figure_change(fa, fb, old, new)
            if change is not None:
                ai = new.sentence_at(_fig_start(fb))
                add(change, slot_after[ai], _fig_start(fb) - new.spans[ai][0])

    # Quotes.
    for qa, qb in _pair_quotes(before.get("quotes") or [], after.get("quotes") or []):
        if qa is not None and qb is not None:
            masked_old.append((qa.get("start", 0), qa.get("end", 0)))
            masked_new.append((qb.get("start", 0), qb.get("end", 0)))
        change = _quote_change(qa, qb)
        if qb is not None:
            ai = new.sentence_at(qb.get("start", 0))
            add(change, slot_after.get(ai, 0), qb.get("start", 0) - _span_start(new, ai))
        elif qa is not None:
            bi = old.sentence_at(qa.get("start", 0))
            add(change, slot_before.get(bi, 0), qa.get("start", 0) - _span_start(old, bi))

    # Sentences.
    for n, (bi, ai) in enumerate(rows):
        if bi is not None and ai is not None:
            a, b = old.sentences[bi], new.sentences[ai]
            if a == b:
                continue
            if _masked(old, bi, masked_old) == _masked(new, ai, masked_new):
                continue  # the difference is already reported as a figure or quote change
            detail = {
                "ops": word_diff(a, b),
                "ratio": round(_ratio(a, b), 3),
                "start_before": old.spans[bi][0],
                "start_after": new.spans[ai][0],
            }
            add(_change("sentence", "edited", a, b, detail=detail), n, 0)
        elif bi is not None:
            detail = {"start_before": old.spans[bi][0], "start_after": None}
            add(_change("sentence", "removed", old.sentences[bi], None, detail=detail), n, 0)
        elif ai is not None:
            detail = {"start_before": None, "start_after": new.spans[ai][0]}
            add(_change("sentence", "added", None, new.sentences[ai], detail=detail), n, 0)

    keyed.sort(key=lambda kc: kc[0])
    return [c for _, c in keyed]


def _span_start(side: _Side, i: int) -> int:
    return side.spans[i][0] if side.spans else 0


def _change(
    kind: str,
    op: str,
    before: str | None,
    after: str | None,
    before_value: float | None = None,
    after_value: float | None = None,
    counts: str | None = None,
    detail: dict | None = None,
) -> dict:
    return {
        "kind": kind,
        "op": op,
        "before": before,
        "after": after,
        "before_value": before_value,
        "after_value": after_value,
        "counts": counts,
        "detail": detail or {},
    }


def _align_sentences(a: list[str], b: list[str]) -> list[tuple[int | None, int | None]]:
    """Rows ``(before_index, after_index)`` in reading order; ``None`` marks added/removed.

    Unchanged runs come from SequenceMatcher over whole sentences; inside a replaced run,
    sentences are paired as edits by an order-preserving alignment that maximises the total
    similarity, so that one rewritten sentence among several new ones is still found.
    """
    rows: list[tuple[int | None, int | None]] = []
    for tag, i1, i2, j1, j2 in opcodes(a, b):
        if tag == "equal":
            rows.extend(zip(range(i1, i2), range(j1, j2)))
        elif tag == "delete":
            rows.extend((i, None) for i in range(i1, i2))
        elif tag == "insert":
            rows.extend((None, j) for j in range(j1, j2))
        else:
            rows.extend(_align_block(a, b, i1, i2, j1, j2))
    return rows


# Sentences of a replaced block paired by a full table of similarities up to this many
# cells; a larger block is cut along its diagonal into pieces of about this size each.
BLOCK_CELLS = 400


def _align_block(
    a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int
) -> list[tuple[int | None, int | None]]:
    n, m = i2 - i1, j2 - j1
    if n * m > BLOCK_CELLS:
        side = max(1, int(BLOCK_CELLS ** 0.5))
        pieces = max(-(-n // side), -(-m // side))
        pieces_rows: list[tuple[int | None, int | None]] = []
        for k in range(pieces):
            pieces_rows += _align_block(a, b, i1 + n * k // pieces, i1 + n * (k + 1) // pieces,
                                        j1 + m * k // pieces, j1 + m * (k + 1) // pieces)
        return pieces_rows
    words_a = [Counter(_WORDS.findall(a[i1 + i].lower())) for i in range(n)]
    words_b = [Counter(_WORDS.findall(b[j1 + j].lower())) for j in range(m)]
    sim = [[_ratio(a[i1 + i], b[j1 + j])
            if _ratio_bound(words_a[i], words_b[j]) >= EDIT_THRESHOLD else 0.0
            for j in range(m)] for i in range(n)]
    # best[i][j]: best total similarity aligning a[i1+i:] with b[j1+j:]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            pair = sim[i][j] + best[i + 1][j + 1] if sim[i][j] >= EDIT_THRESHOLD else -1.0
            best[i][j] = max(pair, best[i + 1][j], best[i][j + 1])
    rows: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < n and j < m:
        if sim[i][j] >= EDIT_THRESHOLD and best[i][j] == sim[i][j] + best[i + 1][j + 1]:
            rows.append((i1 + i, j1 + j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            rows.append((i1 + i, None))  # removals before additions: reads as "x became y"
            i += 1
        else:
            rows.append((None, j1 + j))
            j += 1
    rows.extend((i1 + k, None) for k in range(i, n))
    rows.extend((None, j1 + k) for k in range(j, m))
    return rows


def _unpaired_blocks(
    rows: list[tuple[int | None, int | None]]
) -> Iterable[tuple[list[int], list[int]]]:
    """Runs of removed and added sentences between two paired rows."""
    gone: list[int] = []
    new: list[int] = []
    for bi, ai in rows + [(0, 0)]:
        if bi is not None and ai is not None:
            if gone and new:
                yield gone, new
            gone, new = [], []
        elif bi is not None:
            gone.append(bi)
        else:
            assert ai is not None
            new.append(ai)


def _pair_figures(a: list[dict], b: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pair the figures of one sentence before and after an edit.

    Figures about the same thing (kind, unit, counted noun) pair in order; figures left in a
    replaced stretch pair by position when of the same kind, since the counted noun may
    itself have been reworded; what is left was added or removed.
    """
    pairs: list[tuple[dict | None, dict | None]] = []
    keys_a, keys_b = [_fig_key(f) for f in a], [_fig_key(f) for f in b]
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, keys_a, keys_b, autojunk=False).get_opcodes():
        if tag == "equal":
            pairs.extend(zip(a[i1:i2], b[j1:j2]))
            continue
        rest_a, rest_b = list(a[i1:i2]), list(b[j1:j2])
        while rest_a and rest_b and rest_a[0].get("kind") == rest_b[0].get("kind"):
            pairs.append((rest_a.pop(0), rest_b.pop(0)))
        pairs.extend((f, None) for f in rest_a)
        pairs.extend((None, f) for f in rest_b)
    return pairs


def _pair_figures_by_key(
    a: list[dict], b: list[dict], old: _Side, new: _Side
) -> list[tuple[dict, dict]]:
    """Pair figures across sentences rewritten beyond pairing, by what they count.

    Only figures that name what they count take part: "4,000 displaced families" in a removed
    sentence and "6,500 displaced families" in the sentence that replaced it are one figure
    that changed, but two bare numbers are not evidence of anything. The two sentences must
    still share some words (``FIGURE_SENTENCE_FLOOR``), so that "Ten people died" replaced by
    "Three people were hurt" is not reported as a death toll going from 10 to 3.
    """
    pairs: list[tuple[dict, dict]] = []
    remaining = list(b)
    for fa in a:
        key = _fig_key(fa)
        if key[2] is None:
            continue
        sentence_a = old.sentences[old.sentence_at(_fig_start(fa))]
        for k, fb in enumerate(remaining):
            sentence_b = new.sentences[new.sentence_at(_fig_start(fb))]
            if _fig_key(fb) == key and _ratio(sentence_a, sentence_b) >= FIGURE_SENTENCE_FLOOR:
                pairs.append((fa, fb))
                del remaining[k]
                break
    return pairs


def _figure_change(fa: dict | None, fb: dict | None, old: _Side, new: _Side) -> dict | None:
    if fa is not None and fb is not None and not _fig_differs(fa, fb):
        return None
    op = "changed" if fa is not None and fb is not None else ("added" if fb else "removed")
    ref = fb if fb is not None else fa
    assert ref is not None

    def sentence(side: _Side, fig: dict | None) -> str | None:
        if fig is None:
            return None
        return side.sentences[side.sentence_at(_fig_start(fig))] if side.spans else None

    detail = {
        "sentence_before": sentence(old, fa),
        "sentence_after": sentence(new, fb),
        "qualifier_before": fa.get("qualifier") if fa else None,
        "qualifier_after": fb.get("qualifier") if fb else None,
        "unit": ref.get("unit"),
        "figure_kind": ref.get("kind"),
        "start_before": fa.get("start") if fa else None,
        "start_after": fb.get("start") if fb else None,
    }
    return _change(
        "figure",
        op,
        fa.get("text") if fa else None,
        fb.get("text") if fb else None,
        before_value=fa.get("value") if fa else None,
        after_value=fb.get("value") if fb else None,
        counts=(fb or fa or {}).get("counts") or (fa or {}).get("counts"),
        detail=detail,
    )


def _masked(side: _Side, i: int, spans: list[tuple[int, int]]) -> str:
    """Sentence ``i`` with the characters inside ``spans`` replaced by a placeholder."""
    s, e = side.spans[i]
    out = []
    pos = s
    if len(spans) > 64:
        # Only spans starting before the sentence ends can touch it; those starting long
        # before it are skipped when they end before it (a scan, no sort per sentence).
        spans = [sp for sp in spans if sp[0] < e and sp[1] > s]
    for ms, me in sorted(spans):
        if me <= s or ms >= e:
            continue
        ms, me = max(ms, s), min(me, e)
        if ms < pos:
            continue
        out.append(side.text[pos:ms])
        out.append("\x00")
        pos = me
    out.append(side.text[pos:e])
    return "".join(out)


def _speaker_key(q: dict) -> str:
    return " ".join((q.get("speaker") or "").split()).lower()


def _quote_words(q: dict) -> str:
    return " ".join((q.get("text") or "").split())


def _pair_quotes(a: list[dict], b: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pair quotes across versions; only the pairs that differ are returned.

    Quotes marked ``is_term`` (scare quotes around a word) are not quotations of anyone and
    are left to the sentence diff.
    """
    a = sorted((q for q in a if not q.get("is_term")), key=lambda q: q.get("start", 0))
    b = sorted((q for q in b if not q.get("is_term")), key=lambda q: q.get("start", 0))
    rest_a, rest_b = list(a), list(b)
    pairs: list[tuple[dict | None, dict | None]] = []
    # Identical wording (wherever it moved) is no change, unless the quote is now attributed
    # to someone else: who said it is part of what a citation of a quote relies on.
    for qa in list(rest_a):
        for k, qb in enumerate(rest_b):
            if _quote_words(qa) == _quote_words(qb):
                rest_a.remove(qa)
                del rest_b[k]
                if _speaker_key(qa) and _speaker_key(qb) and _speaker_key(qa) != _speaker_key(qb):
                    pairs.append((qa, qb))
                break
    # Reworded: best-scoring pairs first, so a close rewording wins over a loose one.
    candidates = []
    for x, qa in enumerate(rest_a):
        for y, qb in enumerate(rest_b):
            sa, sb = _speaker_key(qa), _speaker_key(qb)
            r = _ratio(_quote_words(qa), _quote_words(qb))
            threshold = QUOTE_SAME_SPEAKER if sa and sa == sb else QUOTE_NO_SPEAKER
            if sa and sb and sa != sb:
                continue
            if r >= threshold:
                candidates.append((-r, x, y))
    candidates.sort()
    used_a: set[int] = set()
    used_b: set[int] = set()
    for _, x, y in candidates:
        if x in used_a or y in used_b:
            continue
        used_a.add(x)
        used_b.add(y)
        pairs.append((rest_a[x], rest_b[y]))
    pairs.extend((q, None) for x, q in enumerate(rest_a) if x not in used_a)
    pairs.extend((None, q) for y, q in enumerate(rest_b) if y not in used_b)
    return pairs


def _quote_change(qa: dict | None, qb: dict | None) -> dict:
    op = "edited" if qa is not None and qb is not None else ("added" if qb else "removed")
    detail: dict[str, Any] = {
        "speaker_before": qa.get("speaker") if qa else None,
        "speaker_after": qb.get("speaker") if qb else None,
        "start_before": qa.get("start") if qa else None,
        "start_after": qb.get("start") if qb else None,
    }
    if qa is not None and qb is not None:
        detail["ops"] = word_diff(qa.get("text") or "", qb.get("text") or "")
    return _change("quote", op, qa.get("text") if qa else None, qb.get("text") if qb else None,
                   detail=detail)


# --------------------------------------------------------------------------------------
# Terminal rendering

_RED, _GREEN, _YELLOW, _DIM, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[2m", "\x1b[0m"
_MARK = {"added": "+", "removed": "-", "edited": "~", "changed": "~"}


def _clip(s: str, width: int = 60) -> str:
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 1].rstrip() + "…"


def render_terminal(changes: list[dict], color: bool) -> str:
    """One line per change, readable in a terminal; ANSI colour only when ``color``.

    >>> print(render_terminal([{"kind": "figure", "op": "changed", "before": "2,300",
    ...     "after": "3,100", "before_value": 2300.0, "after_value": 3100.0, "counts": "homes",
    ...     "detail": {"sentence_before": "More than 2,300 homes were evacuated on Monday night."}}],
    ...     color=False))
    ~ figure    homes: 2,300 → 3,100  (“More than 2,300 homes were evacuated on Monday night.”)
    >>> render_terminal([], color=False)
    'no changes'
    """
    if not changes:
        return "no changes"

    def paint(code: str, s: str) -> str:
        return f"{code}{s}{_RESET}" if color and s else s

    lines = []
    for c in changes:
        kind, op = c["kind"], c["op"]
        mark = _MARK.get(op, "~")
        head = f"{mark} {kind:<8}  "
        detail = c.get("detail") or {}
        if kind == "figure":
            label = c.get("counts") or detail.get("figure_kind") or "figure"
            qb, qa = detail.get("qualifier_before"), detail.get("qualifier_after")
            show_q = (qb or None) != (qa or None)
            before = f"{qb} {c['before']}" if show_q and qb and c["before"] else c["before"]
            after = f"{qa} {c['after']}" if show_q and qa and c["after"] else c["after"]
            if op == "changed":
                body = f"{label}: {paint(_RED, before)} → {paint(_GREEN, after)}"
            elif op == "added":
                body = f"{label}: {paint(_GREEN, after)}"
            else:
                body = f"{label}: {paint(_RED, before)}"
            context = detail.get("sentence_before") or detail.get("sentence_after")
            if context:
                body += "  " + paint(_DIM, f"(“{_clip(context)}”)")
            lines.append(paint(_YELLOW, head) + body)
        elif op == "added":
            lines.append(paint(_GREEN, head + _shown(kind, c["after"], c)))
        elif op == "removed":
            lines.append(paint(_RED, head + _shown(kind, c["before"], c)))
        elif kind == "title" or _ratio(c.get("before") or "", c.get("after") or "") < 0.5:
            # A rewritten headline reads better whole than as a word-by-word patchwork.
            lines.append(paint(_YELLOW, head) + _speaker(kind, c)
                         + paint(_RED, _shown("title", c.get("before"), {})) + " → "
                         + paint(_GREEN, _shown("title", c.get("after"), {})))
        else:
            ops = detail.get("ops") or word_diff(c.get("before") or "", c.get("after") or "")
            body = _inline(ops, color)
            if kind == "quote":
                body = f"“{body}”"
            lines.append(paint(_YELLOW, head) + _speaker(kind, c) + body)
    return "\n".join(lines)


def _speaker(kind: str, c: dict) -> str:
    if kind != "quote":
        return ""
    d = c.get("detail") or {}
    was, now = d.get("speaker_before"), d.get("speaker_after")
    if was and now and was != now:
        return f"{was} → {now}: "
    who = now or was
    return f"{who}: " if who else ""


def _shown(kind: str, text: str | None, c: dict) -> str:
    text = " ".join((text or "").split())
    if kind in ("quote", "title"):
        return f"{_speaker(kind, c)}“{text}”"
    return text


def _inline(ops: list[dict], color: bool) -> str:
    """An inline word diff: ``[-old-]{+new+}`` markers without colour, red/green with it."""
    out = []
    for op in ops:
        if op["op"] == "equal":
            out.append(op["before"])
            continue
        if op["before"]:
            out.append(f"{_RED}{op['before']}{_RESET}" if color else f"[-{op['before']}-]")
        if op["after"]:
            out.append(f"{_GREEN}{op['after']}{_RESET}" if color else f"{{+{op['after']}+}}")
    return " ".join("".join(out).split("\n"))
