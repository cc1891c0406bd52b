"""``archive diff`` on an edited page that was also re-encoded: the figure first, the noise counted.

The second edition of the page changes one figure, and is served with its text mis-decoded
(UTF-8 read as Windows-1252: ``“`` becomes ``â€œ``), extra whitespace and a new
"Advertisement" line. A reader must see the figure change first and the rest as counted
noise; ``--kind figure`` lists the figure alone.
"""

from __future__ import annotations

import json

from archive.site import render_article
from tests.conftest import invoke

PARAS = [
    "More than 2,300 homes were evacuated overnight as the fire spread towards the valley.",
    "“We grabbed the dog and drove,” said Tom Reyes, who lives on Birch Lane near the river.",
    "“The wind turned at midnight,” said the fire chief, Ana Ruiz, at a briefing on Tuesday.",
    "Schools in the district will stay closed until the end of the week, officials said.",
    "The county opened two shelters at the fairgrounds and at Lincoln High School.",
]


def mojibake(s: str) -> str:
    """UTF-8 read as Windows-1252, as browsers read it (undefined bytes as Latin-1)."""
    import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)

    return s.encode("utf-8").decode("sloppy-windows-1252")


def article(paras: list[str]) -> dict:
    return {"headline": "Wildfire forces thousands from homes", "author": "Dana Whitfield",
            "published": "2026-03-01T10:00:00Z", "modified": "2026-03-01T10:00:00Z",
            "caption": "c", "comments": 0, "paragraphs": paras}


def edited(site) -> str:
    url = site.set("/news/fire", render_article("The Courier", article(PARAS), ["a"]))
    return url


def second_edition(site) -> None:
    paras = [PARAS[0].replace("2,300", "3,100"), mojibake(PARAS[1]), mojibake(PARAS[2]),
             PARAS[3].replace(" will ", "  will "), "Advertisement", PARAS[4]]
    site.set("/news/fire", render_article("The Courier", article(paras), ["a"]))


def test_figure_first_and_encoding_changes_collapsed(runner, tmp_path, site):
    url = edited(site)
    assert invoke(runner, tmp_path, "capture", url).exit_code == 0
    second_edition(site)
    assert invoke(runner, tmp_path, "capture", url).exit_code == 0
    r = invoke(runner, tmp_path, "diff", url)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "version 1 → 2"
    assert lines[1].startswith("~ figure    homes: 2,300 → 3,100"), r.output
    assert "â€œ" not in "\n".join(lines[1:-1]), r.output   # no re-encoded line among the changes
    assert "encoding repairs" in lines[-1] and "--kind noise" in lines[-1], r.output
    changes = [json.loads(x) for x in invoke(runner, tmp_path, "diff", url, "--json").output.splitlines()]
    assert changes[0]["kind"] == "figure" and changes[0]["noise"] is None
    encoding = [c for c in changes if c["noise"] == "encoding"]
    assert encoding and all("â€œ" in (c.get("after") or "") for c in encoding)
    assert not [c for c in changes if c["noise"] is None and "â€" in (c.get("after") or "")]


def test_kind_figure_lists_only_figures(runner, tmp_path, site):
    url = edited(site)
    invoke(runner, tmp_path, "capture", url)
    second_edition(site)
    invoke(runner, tmp_path, "capture", url)
    out = invoke(runner, tmp_path, "diff", url, "--kind", "figure", "--json").output.splitlines()
    changes = [json.loads(x) for x in out]
    assert [(c["kind"], c["before"], c["after"]) for c in changes] == [("figure", "2,300", "3,100")]
    noise = [json.loads(x) for x in invoke(runner, tmp_path, "diff", url, "--kind", "noise", "--json").output.splitlines()]
    assert noise and all(c["noise"] for c in noise)


def test_web_diff_page_puts_the_figure_first_collapses_noise_and_filters_by_kind(runner, tmp_path, site):
    from tests.test_datasette import datasette_for, get

    url = edited(site)
    invoke(runner, tmp_path, "capture", url)
    second_edition(site)
    invoke(runner, tmp_path, "capture", url)
    ds = datasette_for(tmp_path / "archive.db")
    html = get(ds, "/-/diff", params={"page": url}).text
    changes = html[html.index('<ul class="changes">'):html.index("</ul>")]
    assert changes.index("change-figure") < changes.index("change-sentence") if "change-sentence" in changes else True
    assert changes.split("<li", 2)[1].startswith(' class="change change-figure"')
    assert "â€œ" not in changes
    noise = html[html.index('<details class="noise"'):]
    assert "encoding repairs" in noise[:noise.index("</summary>")] and "â€œ" in noise
    data = get(ds, "/-/diff.json", params={"page": url, "kind": "figure"}).json()
    assert [(c["kind"], c["before"], c["after"]) for c in data["changes"]] == [("figure", "2,300", "3,100")]
    page = get(ds, "/-/diff", params={"page": url, "kind": "figure"}).text
    assert "change-sentence" not in page and "<strong>figures</strong>" in page
    assert get(ds, "/-/diff", params={"page": url, "kind": "nonsense"}).status_code == 400
