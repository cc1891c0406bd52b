"""Changes between versions of a news article: archive.text.diff.

Versions are built by hand (not by the extractor) so these tests pin the diff's behaviour
alone: figures and quotes are located in the text by a small helper below.
"""

from __future__ import annotations

import doctest
import re

import pytest

import archive.text.diff
from archive.text.diff import compare, render_terminal, split_sentences, word_diff

ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --------------------------------------------------------------------------------------
# Helpers: build version dicts the way the extractor would.


def fig(text: str, written: str, value: float, counts: str | None, qualifier: str | None = None,
        kind: str = "number", unit: str | None = None, nth: int = 0) -> dict:
    """The figure dict for the ``nth`` occurrence of ``written`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(written, start + 1)
    end = start + len(written)
    sentence = next(text[s:e] for s, e in split_sentences(text) if s <= start < e)
    return {
        "n": nth, "value": value, "text": written, "kind": kind, "unit": unit, "counts": counts,
        "qualifier": qualifier, "sentence": sentence, "start": start, "end": end,
        "exact": written, "prefix": text[max(0, start - 32):start], "suffix": text[end:end + 32],
    }


def quote(text: str, words: str, speaker: str | None, is_term: bool = False) -> dict:
    start = text.index(words)
    return {
        "n": 0, "statement": None, "text": words, "speaker": speaker, "is_term": is_term,
        "start": start, "end": start + len(words), "exact": words,
        "prefix": text[max(0, start - 32):start], "suffix": text[start + len(words):][:32],
    }


def version(title: str | None, paragraphs: list[str], figures=(), quotes=()) -> dict:
    """A version; ``figures``/``quotes`` are argument tuples for fig()/quote() minus text."""
    text = "\n".join(paragraphs)
    return {
        "title": title,
        "text": text,
        "figures": [fig(text, *f) if isinstance(f, tuple) else fig(text, **f) for f in figures],
        "quotes": [quote(text, *q) for q in quotes],
    }


def summary(changes: list[dict]) -> list[tuple]:
    return [(c["kind"], c["op"], c["before"], c["after"]) for c in changes]


# --------------------------------------------------------------------------------------
# A realistic article in three versions: corrected, then restored.

P1_V1 = ("More than 2,300 homes were evacuated on Monday night as the Ridge fire spread east. "
         "Crews from three counties joined the effort.")
P1_V2 = P1_V1.replace("2,300", "3,100")
P2_V1 = ("Schools are sheltering about 4,000 displaced families, officials said. "
         "Mr. Alvarez, the county's fire chief, said the wind had shifted twice.")
P2_V2 = P2_V1.replace("4,000", "6,500")
P3_V1 = ("“We will rebuild every street,” Mayor Dana Whitlock said. "
         "The U.S. Forest Service sent 12 aircraft.")
P3_V2 = P3_V1.replace("every street", "every street and every school")
P4 = "Damage is estimated at $45 million. Insurance adjusters arrived on Tuesday."


def article_v1() -> dict:
    return version(
        "Wildfire forces evacuations in Ridgeview",
        [P1_V1, P2_V1, P3_V1, P4],
        figures=[("2,300", 2300.0, "homes", "more than"), ("4,000", 4000.0, "families", "about"),
                 ("12", 12.0, "aircraft"),
                 {"written": "$45 million", "value": 45e6, "counts": None, "kind": "money",
                  "unit": "USD"}],
        quotes=[("We will rebuild every street,", "Dana Whitlock")],
    )


def article_v2() -> dict:
    # Figures corrected, the damage paragraph removed, headline rewritten, quote reworded.
    return version(
        "Ridge fire: thousands flee as blaze grows",
        [P1_V2, P2_V2, P3_V2],
        figures=[("3,100", 3100.0, "homes", "more than"), ("6,500", 6500.0, "families", "about"),
                 ("12", 12.0, "aircraft")],
        quotes=[("We will rebuild every street and every school,", "Dana Whitlock")],
    )


def test_corrected_article_lists_each_change_once_in_reading_order():
    changes = compare(article_v1(), article_v2())
    assert summary(changes) == [
        ("title", "edited", "Wildfire forces evacuations in Ridgeview",
         "Ridge fire: thousands flee as blaze grows"),
        ("figure", "changed", "2,300", "3,100"),
        ("figure", "changed", "4,000", "6,500"),
        ("quote", "edited", "We will rebuild every street,",
         "We will rebuild every street and every school,"),
        ("sentence", "removed", "Damage is estimated at $45 million.", None),
        ("sentence", "removed", "Insurance adjusters arrived on Tuesday.", None),
    ]


def test_figure_change_carries_values_what_it_counts_and_both_sentences():
    homes = compare(article_v1(), article_v2())[1]
    assert homes["before_value"] == 2300.0 and homes["after_value"] == 3100.0
    assert homes["counts"] == "homes"
    d = homes["detail"]
    assert d["sentence_before"].startswith("More than 2,300 homes")
    assert d["sentence_after"].startswith("More than 3,100 homes")
    assert d["qualifier_before"] == d["qualifier_after"] == "more than"
    assert d["start_before"] == d["start_after"] == P1_V1.index("2,300")


def test_restored_article_reverses_every_change():
    forward = compare(article_v1(), article_v2())
    back = compare(article_v2(), article_v1())
    flip = {"added": "removed", "removed": "added", "edited": "edited", "changed": "changed"}
    assert sorted((k, flip[o], a, b) for k, o, b, a in summary(forward)) == sorted(summary(back))
    # Restored sentences come back where they were: at the end, after the quote.
    assert [c["op"] for c in back if c["kind"] == "sentence"] == ["added", "added"]


def test_identical_versions_have_no_changes():
    assert compare(article_v1(), article_v1()) == []
    assert render_terminal([], color=False) == "no changes"


def test_removed_paragraph_reports_its_sentences_not_its_figures():
    v1, v2 = article_v1(), article_v1()
    v2 = version(v1["title"], [P1_V1, P2_V1, P3_V1], figures=[
        ("2,300", 2300.0, "homes", "more than"), ("4,000", 4000.0, "families", "about"),
        ("12", 12.0, "aircraft")], quotes=[("We will rebuild every street,", "Dana Whitlock")])
    assert summary(compare(v1, v2)) == [
        ("sentence", "removed", "Damage is estimated at $45 million.", None),
        ("sentence", "removed", "Insurance adjusters arrived on Tuesday.", None),
    ]


def test_several_figures_in_one_sentence_only_the_changed_one_is_reported():
    s1 = "The fire destroyed 120 homes, damaged 45 businesses and forced 2,300 people to flee."
    s2 = s1.replace("45 businesses", "60 businesses")
    figs = lambda s, n: [("120", 120.0, "homes"), (n, float(n), "businesses"),  # noqa: E731
                         ("2,300", 2300.0, "people")]
    changes = compare(version("Fire", [s1], figs(s1, "45")), version("Fire", [s2], figs(s2, "60")))
    assert summary(changes) == [("figure", "changed", "45", "60")]
    assert changes[0]["counts"] == "businesses"


def test_same_number_twice_in_a_sentence_pairs_by_what_it_counts():
    s1 = "Officials counted 12 aircraft and 12 engines at the airfield."
    s2 = "Officials counted 12 aircraft and 15 engines at the airfield."
    v1 = version(None, [s1], [("12", 12.0, "aircraft"), {"written": "12", "value": 12.0,
                                                         "counts": "engines", "nth": 1}])
    v2 = version(None, [s2], [("12", 12.0, "aircraft"), ("15", 15.0, "engines")])
    changes = compare(v1, v2)
    assert summary(changes) == [("figure", "changed", "12", "15")]
    assert changes[0]["counts"] == "engines"
    assert changes[0]["detail"]["start_before"] == s1.index("12 engines")


def test_same_number_in_two_sentences_only_the_edited_one_changes():
    p1 = ["Crews sent 12 aircraft on Monday.", "By Tuesday 12 schools had closed."]
    p2 = ["Crews sent 12 aircraft on Monday.", "By Tuesday 14 schools had closed."]
    v1 = version(None, p1, [("12", 12.0, "aircraft"), {"written": "12", "value": 12.0,
                                                       "counts": "schools", "nth": 1}])
    v2 = version(None, p2, [("12", 12.0, "aircraft"), ("14", 14.0, "schools")])
    assert summary(compare(v1, v2)) == [("figure", "changed", "12", "14")]


def test_figure_change_and_other_edit_in_one_sentence_reports_both():
    s1 = "Schools are sheltering about 4,000 displaced families, officials said."
    s2 = "Schools and churches are sheltering about 6,500 displaced families, officials said."
    v1 = version(None, [s1], [("4,000", 4000.0, "families", "about")])
    v2 = version(None, [s2], [("6,500", 6500.0, "families", "about")])
    changes = compare(v1, v2)
    assert [(c["kind"], c["op"]) for c in changes] == [("figure", "changed"), ("sentence", "edited")]
    ops = changes[1]["detail"]["ops"]
    assert {"op": "insert", "before": "", "after": " and churches"} in ops


def test_qualifier_change_is_a_figure_change_not_a_sentence_edit():
    s1 = "About 4,000 families were displaced."
    s2 = "More than 4,000 families were displaced."
    v1 = version(None, [s1], [("4,000", 4000.0, "families", "about")])
    v2 = version(None, [s2], [("4,000", 4000.0, "families", "more than")])
    changes = compare(v1, v2)
    assert summary(changes) == [("figure", "changed", "4,000", "4,000")]
    line = render_terminal(changes, color=False)
    assert "families: about 4,000 → more than 4,000" in line


def test_figure_inserted_into_a_sentence_is_added():
    v1 = version(None, ["Homes were evacuated overnight."])
    v2 = version(None, ["Over 2,300 homes were evacuated overnight."],
                 [("2,300", 2300.0, "homes", "over")])
    assert [(c["kind"], c["op"]) for c in compare(v1, v2)] == [
        ("figure", "added"), ("sentence", "edited")]


def test_figure_in_a_rewritten_sentence_is_still_paired_by_what_it_counts():
    s1 = "Officials said about 4,000 displaced families were in shelters."
    s2 = "Some 6,500 displaced families now sleep in gyms, the county reported on Friday."
    v1 = version(None, ["Intro stays.", s1], [("4,000", 4000.0, "families", "about")])
    v2 = version(None, ["Intro stays.", s2], [("6,500", 6500.0, "families", "some")])
    changes = compare(v1, v2)
    figures = [c for c in changes if c["kind"] == "figure"]
    assert summary(figures) == [("figure", "changed", "4,000", "6,500")]
    # The sentences were rewritten beyond pairing, so they are reported as such too.
    assert {(c["kind"], c["op"]) for c in changes} >= {("sentence", "removed"),
                                                       ("sentence", "added")}


def test_unrelated_figures_of_the_same_noun_are_not_paired_across_sentences():
    v1 = version(None, ["Intro stays.", "Ten people died in the blaze."],
                 [("Ten", 10.0, "people")])
    v2 = version(None, ["Intro stays.", "Three people were hurt on Monday."],
                 [("Three", 3.0, "people")])
    assert [(c["kind"], c["op"]) for c in compare(v1, v2)] == [
        ("sentence", "removed"), ("sentence", "added")]


def test_unrelated_sentences_of_equal_length_are_not_an_edit():
    v1 = version(None, ["The cat sat on the mat today near the old red barn."])
    v2 = version(None, ["A dog ran in a park yesterday with some big blue balls."])
    assert [c["op"] for c in compare(v1, v2)] == ["removed", "added"]


def test_edited_sentence_is_paired_among_added_ones():
    before = ["The fire began near Pine Creek on Sunday afternoon."]
    after = ["Firefighters were called at 2pm.",
             "The fire began near Pine Creek on Sunday evening.",
             "A second fire began later."]
    changes = compare(version(None, before), version(None, after))
    assert [(c["op"], c["after"]) for c in changes] == [
        ("added", "Firefighters were called at 2pm."),
        ("edited", "The fire began near Pine Creek on Sunday evening."),
        ("added", "A second fire began later."),
    ]
    assert {"op": "replace", "before": "afternoon", "after": "evening"} in changes[1]["detail"]["ops"]


def test_quotes_added_removed_and_other_speakers_are_not_rewordings():
    p1 = ["“The wind is our enemy,” said Chief Alvarez."]
    p2 = ["“We need more trucks,” said Mayor Whitlock."]
    v1 = version(None, p1, quotes=[("The wind is our enemy,", "Alvarez")])
    v2 = version(None, p2, quotes=[("We need more trucks,", "Whitlock")])
    kinds = [(c["kind"], c["op"]) for c in compare(v1, v2)]
    assert ("quote", "removed") in kinds and ("quote", "added") in kinds
    assert ("quote", "edited") not in kinds


def test_quote_attributed_to_someone_else_is_edited():
    v1 = version(None, ["“Leave now,” said Chief Alvarez."], quotes=[("Leave now,", "Alvarez")])
    v2 = version(None, ["“Leave now,” said Mayor Whitlock."], quotes=[("Leave now,", "Whitlock")])
    changes = compare(v1, v2)
    assert [(c["kind"], c["op"]) for c in changes] == [("quote", "edited"), ("sentence", "edited")]
    assert render_terminal(changes, color=False).splitlines()[0] == (
        "~ quote     Alvarez → Whitlock: “Leave now,”")


def test_scare_quotes_are_left_to_the_sentence_diff():
    v1 = version(None, ["Residents called it a “firestorm” on Monday."],
                 quotes=[("firestorm", None, True)])
    v2 = version(None, ["Residents called it a “disaster” on Monday."],
                 quotes=[("disaster", None, True)])
    assert [(c["kind"], c["op"]) for c in compare(v1, v2)] == [("sentence", "edited")]


def test_title_added_and_removed():
    assert summary(compare(version(None, ["x."]), version("Fire", ["x."]))) == [
        ("title", "added", None, "Fire")]
    assert summary(compare(version("Fire", ["x."]), version(None, ["x."]))) == [
        ("title", "removed", "Fire", None)]


def test_compare_is_deterministic():
    a, b = article_v1(), article_v2()
    assert compare(a, b) == compare(a, b)


# --------------------------------------------------------------------------------------
# Sentences


@pytest.mark.parametrize("text, expected", [
    ("Mr. Smith and Dr. Jones met at 3 p.m. on Friday. They agreed.",
     ["Mr. Smith and Dr. Jones met at 3 p.m. on Friday.", "They agreed."]),
    ("Inflation rose 1.5 percent. Prices fell.", ["Inflation rose 1.5 percent.", "Prices fell."]),
    ("He said: “It is over.” Then he left.", ["He said: “It is over.”", "Then he left."]),
    ('She asked, "Why?" Nobody answered!', ['She asked, "Why?"', "Nobody answered!"]),
    ("The U.S. Forest Service helped. Crews came from the U.S. They stayed.",
     ["The U.S. Forest Service helped.", "Crews came from the U.S.", "They stayed."]),
    ("John F. Kennedy Airport closed.", ["John F. Kennedy Airport closed."]),
    ("“Why not?” Forte said. It rained.", ["“Why not?” Forte said.", "It rained."]),
    ("“Why?” said Mayor Whitlock. “We are safe.” Then he said goodbye.",
     ["“Why?” said Mayor Whitlock.", "“We are safe.”", "Then he said goodbye."]),
    ("Whole paycheck. … They charge more.", ["Whole paycheck. …", "They charge more."]),
    ("Headline without stop\n\n  Body text.  ", ["Headline without stop", "Body text."]),
    ("", []),
])
def test_split_sentences(text, expected):
    assert [text[s:e] for s, e in split_sentences(text)] == expected


def test_word_diff_keeps_numbers_whole():
    assert word_diff("cost $1.5m", "cost $2.25m")[-1] == {
        "op": "replace", "before": "1.5m", "after": "2.25m"}


# --------------------------------------------------------------------------------------
# Rendering


def test_render_terminal_plain_has_one_line_per_change_and_no_ansi():
    changes = compare(article_v1(), article_v2())
    out = render_terminal(changes, color=False)
    lines = out.splitlines()
    assert len(lines) == len(changes)
    assert not ANSI.search(out)
    assert lines[1].startswith("~ figure    homes: 2,300 → 3,100  (“More than 2,300 homes")
    assert lines[1].endswith("…”)")
    assert lines[4] == "- sentence  Damage is estimated at $45 million."
    assert "{+ and every school+}" in lines[3] and "Dana Whitlock: " in lines[3]


def test_render_terminal_colour_marks_removed_red_added_green():
    changes = compare(article_v2(), article_v1())
    out = render_terminal(changes, color=True)
    assert ANSI.search(out)
    added = [line for line in out.splitlines() if "Insurance adjusters" in line][0]
    assert added.startswith("\x1b[32m+ sentence")
    assert ANSI.sub("", out) == render_terminal(changes, color=False).replace(
        "[-", "").replace("-]", "").replace("{+", "").replace("+}", "")


def test_doctests():
    result = doctest.testmod(archive.text.diff)
    assert result.failed == 0 and result.attempted > 0
