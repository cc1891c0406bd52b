"""Versions, changes and citations that survive edits (through the CLI a user runs)."""

from __future__ import annotations

import json
import sqlite3


from archive.site import demo_content, render_article
from archive.store import Store

from .conftest import invoke

PAGE = "/news/evacuations"


def article(**overrides):
    base = {
        "headline": "Floods force families from river towns",
        "published": "2026-03-01T08:00:00Z", "modified": "2026-03-01T08:00:00Z",
        "author": "Lena Ortiz", "caption": "Water covers the main road. Photo 1 of 9", "comments": 120,
        "paragraphs": [
            "About 4,000 displaced families were moved to shelters on Sunday, the regional government said.",
            "“We have never seen the river this high,” said Mayor Jonas Berg. “Everyone must stay away from the banks.”",
            "The flood defences were built in 1998 and raised by 40 centimetres in 2015.",
            "Rescue crews evacuated 85 patients from the district hospital overnight.",
        ],
    }
    base.update(overrides)
    return base


def publish(site, **overrides):
    content = demo_content()
    return site.set(PAGE, render_article(content["site"], article(**overrides), content["popular"]))


def lines(result):
    return [json.loads(l) for l in result.output.strip().splitlines() if l.startswith("{")]


def test_cite_edit_recapture_diff_check_reindex(runner, tmp_path, site):
    url = publish(site)
    assert invoke(runner, tmp_path, "capture", url).exit_code == 0
    cited = lines(invoke(runner, tmp_path, "cite", url, "About 4,000 displaced families", "--json"))[0]
    for key in ("id", "permalink", "url", "captured_at", "snapshot_sha256", "start", "end", "exact", "prefix", "suffix"):
        assert key in cited
    assert cited["exact"] == "About 4,000 displaced families"
    assert cited["permalink"].endswith(f"/-/cite/{cited['id']}")
    forms = cited["forms"]
    assert 'data-versionurl="' in forms["robust_link"] and "data-versiondate" in forms["robust_link"]
    assert "#:~:text=" in forms["text_fragment"] and forms["bibtex"].startswith("@misc{")
    assert forms["csl_json"]["URL"] == url

    # citing the same passage again gives the same id and writes no new record
    again = lines(invoke(runner, tmp_path, "cite", url, "About 4,000 displaced families", "--json"))[0]
    assert again["id"] == cited["id"]

    # the newspaper corrects the figure and removes a paragraph; we recapture
    paras = article()["paragraphs"]
    publish(site, headline="Floods: 6,500 families displaced as river peaks",
            paragraphs=[paras[0].replace("4,000", "6,500"), paras[1], paras[3]])
    assert invoke(runner, tmp_path, "capture", url).exit_code == 0

    versions = lines(invoke(runner, tmp_path, "versions", url, "--json"))
    assert [v["version"] for v in versions] == [1, 2]
    for key in ("version", "text_sha256", "first_captured_at", "last_captured_at", "captures"):
        assert key in versions[0]

    # the old citation still resolves to the original words and verifies
    v = invoke(runner, tmp_path, "verify", cited["id"], "--json")
    assert v.exit_code == 0, v.output
    assert lines(v)[0]["ok"] is True

    # diff names the figure change with both values
    changes = lines(invoke(runner, tmp_path, "diff", url, "--json"))
    figs = [c for c in changes if c["kind"] == "figure" and c["op"] == "changed"]
    assert any(c["before"] == "4,000" and c["after"] == "6,500" and c["before_value"] == 4000
               and c["after_value"] == 6500 for c in figs), changes
    assert any(c["kind"] == "title" for c in changes)
    assert any(c["kind"] == "sentence" and c["op"] == "removed" and "1998" in c["before"] for c in changes)
    human = invoke(runner, tmp_path, "diff", url)
    assert "4,000" in human.output and "6,500" in human.output and "\x1b[" not in human.output

    # check recaptures and reports the passage as changed, showing the new figure
    chk = invoke(runner, tmp_path, "check", cited["id"], "--json")
    assert chk.exit_code == 1
    status = lines(chk)[0]
    assert status["status"] == "changed" and "6,500" in status["now"]
    assert status["id"] == cited["id"]

    # reindex on a fresh database restores every citation with the same id
    db = tmp_path / "archive.db"
    db.unlink()
    for extra in ("-wal", "-shm"):
        (tmp_path / f"archive.db{extra}").unlink(missing_ok=True)
    r = invoke(runner, tmp_path, "reindex", "--json")
    assert r.exit_code == 0, r.output
    assert lines(r)[0]["citations"] == 1
    v2 = invoke(runner, tmp_path, "verify", "--all", "--json")
    assert v2.exit_code == 0, v2.output
    assert lines(v2)[0]["id"] == cited["id"]


def test_check_statuses_present_removed_gone(runner, tmp_path, site):
    url = publish(site)
    invoke(runner, tmp_path, "capture", url)
    c = lines(invoke(runner, tmp_path, "cite", url, "85 patients", "--json"))[0]
    # unchanged: same bytes
    assert lines(invoke(runner, tmp_path, "check", c["id"], "--json"))[0]["status"] == "unchanged"
    # present: page edited elsewhere, passage intact
    publish(site, comments=999, headline="Floods force families from river towns, officials say")
    assert lines(invoke(runner, tmp_path, "check", c["id"], "--json"))[0]["status"] == "present"
    # removed: the paragraph is gone
    publish(site, paragraphs=article()["paragraphs"][:3])
    res = invoke(runner, tmp_path, "check", c["id"], "--json")
    assert res.exit_code == 1 and lines(res)[0]["status"] == "removed"
    # gone: 404
    site.set(PAGE, "<h1>Not found</h1>", status=404)
    assert lines(invoke(runner, tmp_path, "check", c["id"], "--json"))[0]["status"] == "gone"
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        drift = s.conn.execute("SELECT status FROM drift ORDER BY detected_at").fetchall()
    assert [d[0] for d in drift] == ["removed", "gone"]


def test_cite_tolerates_typography_and_reports_closest_when_missing(runner, tmp_path, site):
    url = publish(site)
    invoke(runner, tmp_path, "capture", url)
    ok = invoke(runner, tmp_path, "cite", url, '"We have never seen   the river this high,"  said Mayor', "--json")
    assert ok.exit_code == 0, ok.output
    assert lines(ok)[0]["exact"].startswith("“We have never seen the river")
    missing = invoke(runner, tmp_path, "cite", url, "About 9,000 displaced families were moved")
    assert missing.exit_code == 2
    assert "About 4,000 displaced families" in missing.output and "Traceback" not in missing.output


def test_cite_at_time_pins_the_version_current_then(runner, tmp_path, site):
    url = publish(site)
    first = lines(invoke(runner, tmp_path, "capture", url, "--json"))[0]
    publish(site, paragraphs=[p.replace("85", "120") for p in article()["paragraphs"]])
    invoke(runner, tmp_path, "capture", url)
    old = invoke(runner, tmp_path, "cite", url, "85 patients", "--at", first["captured_at"], "--json")
    assert old.exit_code == 0, old.output
    assert lines(old)[0]["snapshot_sha256"] == first["payload_sha256"]
    latest = invoke(runner, tmp_path, "cite", url, "85 patients")
    assert latest.exit_code == 2
    figs_then = lines(invoke(runner, tmp_path, "figures", url, "--at", first["captured_at"], "--json"))
    assert any(f["value"] == 85 and f["counts"] == "patients" for f in figs_then)


def test_verify_fails_on_a_flipped_byte_and_on_an_edited_passage(runner, tmp_path, site):
    url = publish(site)
    invoke(runner, tmp_path, "capture", url)
    c = lines(invoke(runner, tmp_path, "cite", url, "About 4,000 displaced families", "--json"))[0]
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        row = s.capture_row(s.conn.execute("SELECT record_id FROM citations").fetchone()[0])
        path = s.warcs.path_of(row["warc_file"])
        offset, length = row["offset"], row["length"]
    # edit the passage in the database: verify names the citation record check
    con = sqlite3.connect(tmp_path / "archive.db")
    con.execute("UPDATE citations SET exact='About 9,000 displaced families'")
    con.commit()
    con.close()
    res = invoke(runner, tmp_path, "verify", c["id"], "--json")
    assert res.exit_code == 1
    failed = [x["check"] for x in lines(res)[0]["checks"] if x["ok"] is False]
    assert "citation_record" in failed and "passage_position" in failed
    invoke(runner, tmp_path, "reindex")  # restore the row from the WARC record
    assert invoke(runner, tmp_path, "verify", c["id"]).exit_code == 0
    # flip one byte inside the cited record's gzip member
    data = bytearray(path.read_bytes())
    data[offset + length // 2] ^= 0x01
    path.write_bytes(bytes(data))
    res = invoke(runner, tmp_path, "verify", c["id"])
    assert res.exit_code == 1
    assert row["warc_file"] in res.output and "FAIL" in res.output and "Traceback" not in res.output


def test_versions_count_recaptures_of_the_same_text(runner, tmp_path, site):
    url = publish(site)
    invoke(runner, tmp_path, "capture", url)
    publish(site, comments=121)  # only boilerplate changes: same article text
    invoke(runner, tmp_path, "capture", url)
    invoke(runner, tmp_path, "capture", url)
    vs = lines(invoke(runner, tmp_path, "versions", url, "--json"))
    assert len(vs) == 1 and vs[0]["captures"] == 3
    assert vs[0]["first_captured_at"] < vs[0]["last_captured_at"]


def test_restored_text_attaches_to_its_earlier_version(runner, tmp_path, site):
    url = publish(site)
    invoke(runner, tmp_path, "capture", url)
    publish(site, paragraphs=[p.replace("“We have never seen the river this high,”", "“We have never seen the water this high,”")
                              for p in article()["paragraphs"]])
    invoke(runner, tmp_path, "capture", url)
    publish(site)
    invoke(runner, tmp_path, "capture", url)
    vs = lines(invoke(runner, tmp_path, "versions", url, "--json"))
    assert [v["captures"] for v in vs] == [2, 1]
    changes = lines(invoke(runner, tmp_path, "diff", url, "--json"))
    assert any(c["kind"] == "quote" and c["op"] == "edited" for c in changes)
    # the change back is visible by time
    back = lines(invoke(runner, tmp_path, "diff", url, "--from", vs[1]["first_captured_at"], "--json"))
    assert any(c["kind"] == "quote" and "never seen" in (c["after"] or "") for c in back)


def test_quotes_and_figures_commands(runner, tmp_path, site):
    url = publish(site)
    invoke(runner, tmp_path, "capture", url)
    qs = lines(invoke(runner, tmp_path, "quotes", url, "--json"))
    assert any(q["speaker"] and "Jonas Berg" in q["speaker"] for q in qs)
    for key in ("text", "speaker", "start", "end"):
        assert key in qs[0]
    figs = lines(invoke(runner, tmp_path, "figures", url, "--json"))
    for key in ("value", "text", "counts", "qualifier", "start", "end", "sentence"):
        assert key in figs[0]
    fam = [f for f in figs if f["value"] == 4000]
    assert fam and fam[0]["counts"] and "famil" in fam[0]["counts"] and fam[0]["qualifier"] == "about"
    # sidebar and comment-count numbers are not figures of the article
    assert not any(f["value"] in (120, 4500, 12) and "comment" in (f["sentence"] or "").lower() for f in figs)
    assert not any("bakeries" in (f["sentence"] or "") for f in figs)
    # dates and years are not figures by default; --all lists them with their kind
    assert not any(f["kind"] in ("date", "time", "ordinal") for f in figs)
    every = lines(invoke(runner, tmp_path, "figures", url, "--all", "--json"))
    dates = [f for f in every if f["kind"] == "date"]
    assert dates and len(every) == len(figs) + len([f for f in every if f["kind"] in ("date", "time", "ordinal")])
    assert not any(q["is_term"] for q in qs)
    assert len(lines(invoke(runner, tmp_path, "quotes", url, "--all", "--json"))) >= len(qs)


def test_unknown_page_and_bad_time_are_usage_errors(runner, tmp_path, site):
    url = publish(site)
    invoke(runner, tmp_path, "capture", url)
    r = invoke(runner, tmp_path, "figures", "http://127.0.0.1:1/never")
    assert r.exit_code == 2 and "not in the archive" in r.output
    r = invoke(runner, tmp_path, "quotes", url, "--at", "yesterday-ish")
    assert r.exit_code == 2 and "cannot read time" in r.output
    r = invoke(runner, tmp_path, "verify")
    assert r.exit_code == 2
