"""Finding and re-finding cited passages: archive.text.passage."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import archive.text.passage
from archive.errors import PassageNotFound
from archive.text.passage import closest_passages, find_passage, normalize, relocate
from archive.text.selectors import quote_selector

ARTICLE = (
    "More than 2,300 homes were evacuated on Monday night as the Ridge fire spread east. "
    "Crews from three counties joined the effort.\n"
    "Schools are sheltering about 4,000 displaced families, officials said. "
    "Mr. Alvarez, the county\u2019s fire chief, said the wind had shifted\u00a0twice \u2014 "
    "and could shift again\u2026\n"
    "\u201cWe will rebuild every street,\u201d Mayor Dana Whitlock said."
)


def selector(text: str, passage: str) -> dict:
    start = text.index(passage)
    return {**quote_selector(text, start, start + len(passage)),
            "start": start, "end": start + len(passage)}


# --------------------------------------------------------------------------------------
# normalize


def test_normalize_folds_typography_and_maps_back():
    norm, index = normalize("a\u00a0\u00a0b \u2013 \u201cc\u201d\u2026")
    assert norm == 'a b - "c"...'
    assert len(index) == len(norm)
    assert index[-3:] == [10, 10, 10]  # the three dots all point at the ellipsis


def test_normalize_drops_invisible_characters():
    assert normalize("evac\u00aduated\u200b")[0] == "evacuated"


# --------------------------------------------------------------------------------------
# find_passage


def test_exact_passage():
    s, e = find_passage(ARTICLE, "about 4,000 displaced families")
    assert ARTICLE[s:e] == "about 4,000 displaced families"


@pytest.mark.parametrize("typed, expected", [
    # straight apostrophe for curly, plain space for NBSP, hyphen(s) for em dash
    ("the county's fire chief", "the county\u2019s fire chief"),
    ("shifted twice - and could", "shifted\u00a0twice \u2014 and could"),
    ("shift again...", "shift again\u2026"),
    ('"We will rebuild every street,"', "\u201cWe will rebuild every street,\u201d"),
    # a passage copied across a paragraph break, with extra spaces
    ("officials  said.\nMr.   Alvarez", "officials said. Mr. Alvarez"),
    ("fire spread east.   Crews", "fire spread east. Crews"),
])
def test_tolerant_passage_returns_original_text(typed, expected):
    s, e = find_passage(ARTICLE, typed)
    assert " ".join(ARTICLE[s:e].split()) == " ".join(expected.split())
    assert normalize(ARTICLE[s:e])[0] == normalize(typed)[0].strip()


def test_not_found_offers_closest_passages_in_message_and_attribute():
    with pytest.raises(PassageNotFound) as info:
        find_passage(ARTICLE, "about 6,500 displaced families")
    closest = info.value.closest
    assert 1 <= len(closest) <= 3
    assert "about 4,000 displaced families" in closest[0]
    assert closest[0] in str(info.value)


def test_not_found_with_nothing_similar_has_no_closest():
    with pytest.raises(PassageNotFound) as info:
        find_passage(ARTICLE, "zzzz qqqq xxxx")
    assert info.value.closest == []


def test_empty_passage_is_an_error():
    with pytest.raises(PassageNotFound):
        find_passage(ARTICLE, "   ")


def test_closest_passages_do_not_overlap_and_respect_limit():
    found = closest_passages(ARTICLE, "the wind has shifted three times", limit=3)
    assert found and "wind had shifted" in found[0]
    spans = [(ARTICLE.index(f), ARTICLE.index(f) + len(f)) for f in found]
    assert all(a[1] <= b[0] or b[1] <= a[0] for a in spans for b in spans if a != b)
    assert len(closest_passages(ARTICLE, "the wind", limit=1)) == 1


# --------------------------------------------------------------------------------------
# relocate: one test per status


def test_relocate_unchanged():
    sel = selector(ARTICLE, "about 4,000 displaced families")
    r = relocate(ARTICLE, sel)
    assert r == {"status": "unchanged", "start": sel["start"], "end": sel["end"],
                 "now": "about 4,000 displaced families", "score": 1.0}


def test_relocate_present_when_moved():
    sel = selector(ARTICLE, "Crews from three counties joined the effort.")
    moved = "Breaking update.\n" + ARTICLE
    r = relocate(moved, sel)
    assert r["status"] == "present"
    assert moved[r["start"]:r["end"]] == sel["exact"]


def test_relocate_present_picks_the_hit_with_matching_context():
    text = ("Officials said 12 aircraft were sent. Later, residents said 12 aircraft were too few. "
            "Officials said 12 aircraft would return.")
    # Cite "12 aircraft were" in the second sentence: the same words occur three times.
    sel = {**quote_selector(text, text.index("12 aircraft were too"), text.index(" too few") - 0),
           "start": text.index("12 aircraft were too"), "end": text.index(" too few")}
    assert sel["exact"] == "12 aircraft were"
    edited = "Update. " + text
    r = relocate(edited, sel)
    assert r["status"] == "present"
    assert edited[r["end"]:].startswith(" too few")


def test_relocate_present_when_only_typography_changed():
    sel = selector(ARTICLE, "\u201cWe will rebuild every street,\u201d")
    edited = ARTICLE.replace("\u201c", '"').replace("\u201d", '"')
    r = relocate(edited, sel)
    assert r["status"] == "present"
    assert r["now"] == '"We will rebuild every street,"'


def test_relocate_changed_figure_in_cited_phrase():
    sel = selector(ARTICLE, "about 4,000 displaced families")
    r = relocate(ARTICLE.replace("4,000", "6,500"), sel)
    assert r["status"] == "changed"
    assert r["now"] == "about 6,500 displaced families"
    assert 0.6 <= r["score"] < 1


def test_relocate_changed_short_figure_is_found_by_its_context():
    sel = selector(ARTICLE, "2,300")
    r = relocate(ARTICLE.replace("More than 2,300", "More than 3,100"), sel)
    assert (r["status"], r["now"]) == ("changed", "3,100")


def test_relocate_changed_when_context_was_edited_too():
    sel = selector(ARTICLE, "about 4,000 displaced families")
    edited = ARTICLE.replace("Schools are sheltering about 4,000 displaced families, officials",
                             "Churches now house about 4,100 displaced families, the county")
    r = relocate(edited, sel)
    assert r["status"] == "changed"
    assert r["now"] == "about 4,100 displaced families"


def test_relocate_removed_when_paragraph_deleted():
    sel = selector(ARTICLE, "We will rebuild every street,")
    edited = ARTICLE[:ARTICLE.rindex("\n")]
    r = relocate(edited, sel)
    assert r["status"] == "removed"
    assert r["start"] is None and r["end"] is None and r["now"] is None
    assert r["score"] < 0.6


def test_relocate_removed_when_words_cut_between_unchanged_context():
    sel = selector(ARTICLE, "Crews from three counties joined the effort.")
    edited = ARTICLE.replace(" Crews from three counties joined the effort.", "")
    assert relocate(edited, sel)["status"] == "removed"


# --------------------------------------------------------------------------------------
# Properties

_TEXT = st.text(
    alphabet=st.sampled_from(list("ab c.,\n\t") + list("\u00a0\u2019\u201c\u201d\u2013\u2014\u2026\u00ad\u200b")),
    max_size=60,
)


@given(_TEXT)
def test_normalize_index_map_points_into_original(s):
    norm, index = normalize(s)
    assert len(norm) == len(index)
    assert all(0 <= i < len(s) for i in index)
    assert index == sorted(index)


@given(_TEXT, st.data())
def test_find_passage_of_any_slice_returns_that_text(text, data):
    a = data.draw(st.integers(0, len(text)))
    b = data.draw(st.integers(a, len(text)))
    passage = text[a:b]
    assume(passage.strip())
    s, e = find_passage(text, passage)
    assert text[s:e] == passage


@given(_TEXT, st.data())
def test_find_passage_tolerates_retyped_typography(text, data):
    a = data.draw(st.integers(0, len(text)))
    b = data.draw(st.integers(a, len(text)))
    typed = normalize(text[a:b])[0]
    assume(typed.strip())
    s, e = find_passage(text, typed)
    assert normalize(text[s:e])[0].strip() == typed.strip()


def test_doctests():
    result = doctest.testmod(archive.text.passage)
    assert result.failed == 0 and result.attempted > 0
