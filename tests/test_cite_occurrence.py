"""``archive cite`` never silently pins the first of several places a passage occurs."""

from __future__ import annotations

import json
import sqlite3

from archive.site import render_article
from tests.conftest import invoke


def twice(site) -> str:
    return site.set("/news/twice", render_article("The Harbour Gazette", {
        "headline": "Flood defences to be raised", "author": "Jane Doe",
        "published": "2026-03-01T10:00:00Z", "modified": "2026-03-01T10:00:00Z",
        "caption": "c", "comments": 0,
        "paragraphs": [
            "The council said 2,300 homes were at risk of flooding along the estuary this winter.",
            "Engineers will raise the wall by a metre, the council said on Tuesday evening.",
            "Last year 2,300 homes were at risk of flooding too, according to the same report.",
        ]}, ["a"]))


def citations(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        return conn.execute("SELECT count(*) FROM citations").fetchone()[0]


def test_ambiguous_passage_lists_the_places_and_pins_nothing(runner, tmp_path, site):
    url = twice(site)
    assert invoke(runner, tmp_path, "capture", url).exit_code == 0
    r = invoke(runner, tmp_path, "cite", url, "2,300 homes were at risk")
    assert r.exit_code == 2
    assert "occurs 2 times" in r.output and "--occurrence N (1-2)" in r.output
    assert "1. …The council said [2,300 homes were at risk]" in r.output
    assert citations(tmp_path) == 0
    r = invoke(runner, tmp_path, "cite", url, "2,300 homes were at risk", "--json")
    assert r.exit_code == 2
    err = json.loads(r.stdout.splitlines()[0])
    assert err["error"] == "ambiguous_passage" and err["occurrences"] == 2
    assert [m["occurrence"] for m in err["matches"]] == [1, 2]


def test_occurrence_pins_the_one_asked_for_and_says_so(runner, tmp_path, site):
    url = twice(site)
    invoke(runner, tmp_path, "capture", url)
    r = invoke(runner, tmp_path, "cite", url, "2,300 homes were at risk", "--occurrence", "2", "--json")
    assert r.exit_code == 0, r.output
    c = json.loads(r.output)
    assert (c["occurrence"], c["occurrences"]) == (2, 2)
    assert c["prefix"].endswith("Last year ")
    first = json.loads(invoke(runner, tmp_path, "cite", url, "2,300 homes were at risk", "--occurrence", "1",
                              "--json").output)
    assert first["start"] < c["start"] and first["id"] != c["id"]
    r = invoke(runner, tmp_path, "cite", url, "2,300 homes were at risk", "--occurrence", "3")
    assert r.exit_code == 2 and "occurs 2 times" in r.output
    # a passage found once needs no --occurrence, and says it was the only one
    one = json.loads(invoke(runner, tmp_path, "cite", url, "Last year 2,300 homes", "--json").output)
    assert (one["occurrence"], one["occurrences"]) == (1, 1)
