"""The diff's cost is bounded for any input the store accepts, its edit scripts are exact,
and the diff page reads the script stored at extraction instead of computing it."""

from __future__ import annotations

import asyncio
import difflib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.capture.http import Fetcher
from archive.site import publish_edition
from archive.store import Store
from archive.text import diff
from archive.text.diff import compare, opcodes, split_sentences, text_diff

from .test_datasette import datasette_for


def _apply(ops, a, b):
    """Rebuild both sides from an opcode list, checking that it covers them in order."""
    x = y = 0
    left, right = [], []
    for tag, i1, i2, j1, j2 in ops:
        assert (i1, j1) == (x, y), ops
        if tag == "equal":
            assert list(a[i1:i2]) == list(b[j1:j2])
        left += a[i1:i2]
        right += b[j1:j2]
        x, y = i2, j2
    assert (x, y) == (len(a), len(b))
    return left, right


words = st.lists(st.sampled_from(["a", "b", "c", "d", "Yes.", "No.", "4,000", " ", "\n"]), max_size=300)


@settings(max_examples=200, deadline=None)
@given(words, words, st.integers(min_value=1, max_value=50))
def test_opcodes_are_an_exact_edit_script_at_any_limit(a, b, limit):
    left, right = _apply(opcodes(a, b, limit=limit), a, b)
    assert left == a and right == b


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab .\n4,", max_size=400), st.text(alphabet="ab .\n4,", max_size=400))
def test_text_diff_slices_rebuild_both_texts(t1, t2):
    script = text_diff(t1, t2)
    assert "".join(t1[b0:b1] for _, b0, b1, _, _ in script) == t1
    assert "".join(t2[a0:a1] for _, _, _, a0, a1 in script) == t2
    for op, b0, b1, a0, a1 in script:
        if op == "equal":
            assert t1[b0:b1] == t2[a0:a1]


class _Counting(difflib.SequenceMatcher):
    """The real SequenceMatcher, recording the size of every problem it is given."""

    sizes: list[int] = []

    def set_seqs(self, a, b):
        _Counting.sizes.append(len(a) * len(b))
        super().set_seqs(a, b)


def test_no_quadratic_step_on_hostile_texts(monkeypatch):
    # Texts that make SequenceMatcher quadratic: one sentence repeated, or every sentence
    # new; each at the store's largest extracted text.
    monkeypatch.setattr(diff, "SequenceMatcher", _Counting)
    same = " ".join(["Yes."] * 60_000)
    other = " ".join(["Yes."] * 59_000 + ["No."] * 1_000)
    fresh_a = "\n".join(f"Sentence number {i} says w{i} and w{i + 1}." for i in range(6_000))
    fresh_b = "\n".join(f"Line {i} reads v{i} then v{i * 7}." for i in range(6_000))
    for t1, t2 in ((same, other), (fresh_a, fresh_b)):
        _Counting.sizes = []
        v1 = {"title": "T", "text": t1, "quotes": [], "figures": []}
        v2 = {"title": "T", "text": t2, "quotes": [], "figures": []}
        compare(v1, v2)
        text_diff(t1, t2)
        assert _Counting.sizes and max(_Counting.sizes) <= diff.MATCH_LIMIT


def test_sentence_split_of_one_long_paragraph_is_linear():
    # "A. A. A. ..." as one paragraph: the split looks only a word around each full stop.
    text = "Yes. " * 100_000
    assert len(split_sentences(text)) == 100_000


def test_diff_page_reads_the_script_stored_at_extraction(site, tmp_path, monkeypatch):
    urls = publish_edition(site, 0)
    db, warcs = tmp_path / "archive.db", tmp_path / "warcs"
    with Store(db, warcs) as store:
        store.capture([urls[0]], Fetcher(timeout=5))
        publish_edition(site, 1)
        store.capture([urls[0]], Fetcher(timeout=5))
        row = store.conn.execute("SELECT page_url, ops FROM diffs").fetchone()
        assert row is not None, "no edit script stored for the two versions"
        texts = [r[0] for r in store.conn.execute(
            "SELECT t.text FROM versions v JOIN texts t ON t.sha256 = v.text_sha256 ORDER BY version")]
        script = json.loads(row["ops"])
        assert "".join(texts[0][s[1]:s[2]] for s in script) == texts[0]
        assert "".join(texts[1][s[3]:s[4]] for s in script) == texts[1]
        # Replace the stored script by one that says "everything was replaced": the page
        # must show exactly that, which it can only do by reading it.
        whole = [["replace", 0, len(texts[0]), 0, len(texts[1])]]
        with store.transaction() as conn:
            conn.execute("UPDATE diffs SET ops=?", (json.dumps(whole),))
        page = row["page_url"]
    monkeypatch.setenv("ARCHIVE_WARCS", str(warcs))
    ds = datasette_for(db)
    resp = asyncio.run(ds.client.get("/-/diff.json", params={"page": page}))
    assert resp.status_code == 200, resp.text
    ops = resp.json()["ops"]
    assert [(o["op"], o["before"], o["after"]) for o in ops] == [("replace", texts[0], texts[1])]
