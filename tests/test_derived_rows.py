"""Derived rows vouched for by the ledger (issue 14): a page checks the text, quotes and
figures it shows against the digest the ledger vouched for when they were written, without
extracting the snapshot again; an edit of the rows, or of the rows and the ledger's row
together, still reads "integrity check failed"; ``verify --all`` re-derives everything.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from archive.index.versions import rows_sha256
from archive.provenance import ledger
from archive.store import Store
from archive.text.extract import EXTRACTOR_VERSION

from .conftest import invoke
from .test_datasette import archive, datasette_for, get  # noqa: F401 (the fixture)


@pytest.fixture
def extractions(monkeypatch):
    """Count every extraction this process runs from now on (the real extractor runs)."""
    from archive.index import versions
    from archive.text import extract as extract_module

    calls: list[str | None] = []
    real = extract_module.extract

    def counted(data, ctype=None, url=None, *args, **kwargs):
        calls.append(url)
        return real(data, ctype, url, *args, **kwargs)

    monkeypatch.setattr(extract_module, "extract", counted)
    monkeypatch.setattr(versions, "extract", counted)
    versions._EXTRACTED.clear()   # as in a server that extracted nothing yet
    return calls


def _text_entry(db, snapshot: str) -> dict:
    with Store(db, db.parent / "warcs", readonly=True) as s:
        return ledger.entry_for(s, "text", ledger.text_subject(snapshot, EXTRACTOR_VERSION))


def test_every_extraction_is_vouched_for_by_the_ledger(archive):  # noqa: F811
    with Store(archive["db"], archive["warcs"], readonly=True) as s:
        snaps = s.conn.execute("SELECT sha256, text_sha256 FROM snapshots WHERE extract_status='ok'").fetchall()
        assert len(snaps) >= 4
        for sha, text in snaps:
            e = ledger.entry_for(s, "text", ledger.text_subject(sha, EXTRACTOR_VERSION))
            assert e is not None, f"snapshot {sha} was extracted but its rows are not vouched for"
            assert e["digests"]["text_sha256"] == text
            assert e["digests"]["rows_sha256"] == rows_sha256(s.conn, text)
        assert ledger.check_chain(ledger.entries(s)) == []


def test_pages_check_the_rows_without_extracting_again(archive, extractions):  # noqa: F811
    ds = datasette_for(archive["db"])
    c = archive["citation"]
    data = get(ds, f"/-/cite/{c['id']}.json").json()
    assert data["archived"] == "verified"
    [derived] = [ch for ch in data["verification"]["checks"] if ch["check"] == "derived_rows"]
    assert derived["ok"] is True and "ledger entry" in derived["detail"]
    assert data["proof"]["full"]["ledger"]["text"]["ok"] is True
    snap = get(ds, f"/-/snapshot/{c['snapshot_sha256']}.json").json()
    assert snap["fixity"]["ok"] is True and snap["text"]["sha256"] == c["text_sha256"]
    assert "integrity check failed" not in get(ds, f"/-/cite/{c['id']}").text
    assert extractions == [], f"the pages extracted {extractions} again"


def test_rows_without_an_entry_are_checked_by_extracting_again(site, tmp_path, monkeypatch):
    """Rows no entry vouches for (a store written before these entries, or a ledger write
    that failed) are still checked, the slow way: shown when they hold, refused when not."""
    from archive.capture.http import Fetcher
    from archive.provenance.cite import cite
    from archive.site import publish_edition
    from archive.text import extract as extract_module

    urls = publish_edition(site, 0)
    with monkeypatch.context() as m:
        m.setattr(Store, "extracted", lambda self, texts: None)   # as the store did before
        with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
            s.capture(urls[:1], Fetcher(timeout=10))
            c = cite(s, urls[0], "More than 2,300 homes were evacuated")
            assert not ledger.entries(s, "text")
    calls = []
    real = extract_module.extract
    monkeypatch.setattr(extract_module, "extract", lambda *a, **k: calls.append(1) or real(*a, **k))
    from archive.index import versions

    monkeypatch.setattr(versions, "extract", extract_module.extract)
    versions._EXTRACTED.clear()
    ds = datasette_for(tmp_path / "archive.db")
    data = get(ds, f"/-/cite/{c['id']}.json").json()
    assert data["archived"] == "verified"
    assert not [ch for ch in data["verification"]["checks"] if ch["check"] == "derived_rows"]
    assert "text" not in data["proof"]["full"]["ledger"]
    assert calls, "rows nothing vouches for were shown unchecked"
    conn = sqlite3.connect(tmp_path / "archive.db")
    conn.execute("UPDATE figures SET text='9,999', value=9999 WHERE text='2,300'")
    conn.commit()
    conn.close()
    data = get(ds, f"/-/cite/{c['id']}.json").json()
    assert data["status"] == "failed"


def test_rows_edited_with_the_ledger_row_to_match_fail(archive, runner):  # noqa: F811
    """The attack of issue 14 one step further: edit the figure and text rows, then the
    ledger's rows so that their digests match the edited rows, and relink the whole chain
    (every entry hash recomputed). The entry's own WARC record still says otherwise: every
    page and command that shows the rows fails."""
    c = archive["citation"]
    conn = sqlite3.connect(archive["db"])
    # (an edited text no longer hashes to its name: the figures and the title are the target)
    conn.execute("UPDATE figures SET text='9,999', value=9999 WHERE text='2,300'")
    conn.execute("UPDATE texts SET title='Forged title' WHERE sha256=?", (c["text_sha256"],))
    # the whole chain rewritten in the index: every link and entry hash holds again
    texts = dict(conn.execute("SELECT sha256, text_sha256 FROM snapshots WHERE text_sha256 IS NOT NULL"))
    cols = [d[0] for d in conn.execute("SELECT * FROM ledger LIMIT 0").description]
    prev, forged = ledger.GENESIS_HASH, 0
    for row in conn.execute("SELECT * FROM ledger ORDER BY seq").fetchall():
        entry = ledger.entry_from_row(dict(zip(cols, row)))
        if entry["kind"] == "text":
            entry["digests"]["rows_sha256"] = rows_sha256(conn, texts[entry["digests"]["snapshot_sha256"]])
            forged += 1
        entry["prev_hash"] = prev
        entry["entry_hash"] = prev = ledger.entry_hash(entry)
        conn.execute("UPDATE ledger SET digests=?, prev_hash=?, entry_hash=? WHERE seq=?",
                     (json.dumps(entry["digests"], sort_keys=True), entry["prev_hash"], entry["entry_hash"],
                      entry["seq"]))
    conn.commit()
    with Store(archive["db"], archive["warcs"], readonly=True) as s:
        assert ledger.check_chain(ledger.entries(s)) == []
    conn.close()
    assert forged
    ds = datasette_for(archive["db"])
    r = get(ds, f"/-/cite/{c['id']}")
    assert "integrity check failed" in r.text and "Forged title" not in r.text and "9,999" not in r.text
    data = get(ds, f"/-/cite/{c['id']}.json").json()
    assert data["status"] == "failed"
    [rows] = [ch for ch in data["verification"]["checks"] if ch["check"] == "index_rows"]
    assert rows["ok"] is False and f"texts row {c['text_sha256']}: title" in rows["detail"]   # named
    r = get(ds, f"/-/snapshot/{c['snapshot_sha256']}")
    assert "integrity check failed" in r.text and "Forged title" not in r.text and "9,999" not in r.text
    result = invoke(runner, archive["db"].parent, "figures", c["url"])
    assert result.exit_code == 1 and "9,999" not in result.output and "integrity check failed" in result.output


def test_verify_all_fails_on_a_text_entry_the_bytes_do_not_give(archive, runner):  # noqa: F811
    """A text entry is re-derived by ``verify --all`` like every row: one that vouches for
    what the WARC bytes do not give (as a faulty extractor would write it) is named."""
    c = archive["citation"]
    ok = invoke(runner, archive["db"].parent, "verify", "--all")
    assert ok.exit_code == 0, ok.output
    with Store(archive["db"], archive["warcs"]) as s:
        # the "PNG" that is HTML has no text: an entry claiming one for it is false
        png = archive["png"]["payload_sha256"]
        assert s.conn.execute("SELECT text_sha256 FROM snapshots WHERE sha256=?", (png,)).fetchone()[0] is None
        [entry] = ledger.record_texts(s, [{"snapshot_sha256": png, "extractor_version": EXTRACTOR_VERSION,
                                           "text_sha256": c["text_sha256"], "rows_sha256": "0" * 64}])
    bad = invoke(runner, archive["db"].parent, "verify", "--all")
    assert bad.exit_code == 1
    assert f"ledger entry {entry['seq']} (text)" in bad.output, bad.output


@pytest.fixture
def older(site, tmp_path, monkeypatch):
    """A store whose two editions of a page were extracted by an earlier extractor version
    (as after an upgrade, before ``archive extract --all``): its rows are what that version
    gave, vouched for by the ledger's text entries of that version."""
    from archive.capture.http import Fetcher
    from archive.index import versions
    from archive.provenance.cite import cite
    from archive.site import publish_edition

    with monkeypatch.context() as m:
        m.setattr(versions, "EXTRACTOR_VERSION", "extract-older")
        with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
            url = publish_edition(site, 0)[0]
            s.capture([url], Fetcher(timeout=10))
            publish_edition(site, 1)
            s.capture([url], Fetcher(timeout=10))
            c = cite(s, url, "were evacuated")
            assert {r[0] for r in s.conn.execute("SELECT extractor_version FROM snapshots "
                                                 "WHERE extract_status='ok'")} == {"extract-older"}
            assert s.conn.execute("SELECT count(*) FROM changes WHERE page_url=?", (url,)).fetchone()[0] > 0
    versions._EXTRACTED.clear()
    return {"db": tmp_path / "archive.db", "dir": tmp_path, "citation": c, "url": url}


def _edit(db, *statements: tuple[str, tuple]) -> None:
    conn = sqlite3.connect(db)
    for sql, args in statements:
        assert conn.execute(sql, args).rowcount >= 1, sql
    conn.commit()
    conn.close()


def test_an_older_extraction_the_ledger_vouches_for_verifies(older, runner):
    """Rows of an earlier extractor cannot be derived again by this one; the ledger's
    entries of that version vouch for them, and every row of the page is compared."""
    result = invoke(runner, older["dir"], "verify", "--all")
    assert result.exit_code == 0, result.output
    data = get(datasette_for(older["db"]), f"/-/cite/{older['citation']['id']}.json").json()
    assert data["archived"] == "verified", data


@pytest.mark.parametrize("edit", [
    # the text's rows, as that extractor wrote them
    ("UPDATE figures SET text='9,999', value=9999 WHERE text='2,300'", ()),
    # the claim of which extractor wrote them (no entry vouches for that version)
    ("UPDATE snapshots SET extractor_version='extract-other' WHERE extractor_version='extract-older'", ()),
    ("UPDATE texts SET extractor_version='extract-other' WHERE extractor_version='extract-older'", ()),
    # what changed between the versions of the page those texts make
    ("UPDATE changes SET after='9,999' WHERE after IS NOT NULL", ()),
])
def test_an_edit_of_an_older_extraction_fails_verify_all(older, runner, edit):
    _edit(older["db"], edit)
    result = invoke(runner, older["dir"], "verify", "--all")
    assert result.exit_code == 1, result.output
    assert "derived_row" in result.output, result.output


def test_a_page_refuses_an_edited_older_extraction(older):
    _edit(older["db"], ("UPDATE figures SET text='9,999', value=9999 WHERE text_sha256=? AND n=0",
                        (older["citation"]["text_sha256"],)))
    data = get(datasette_for(older["db"]), f"/-/cite/{older['citation']['id']}.json").json()
    assert data["status"] == "failed", data


def test_an_older_extraction_nothing_vouches_for_is_not_shown_as_verified(site, tmp_path, monkeypatch, runner):
    """A store extracted by an earlier version before the ledger vouched for extractions:
    this extractor cannot give those rows again, so no page calls them verified; the
    detail says which command extracts them again, and after it they verify."""
    from archive.capture.http import Fetcher
    from archive.index import versions
    from archive.provenance.cite import cite
    from archive.site import publish_edition

    with monkeypatch.context() as m:
        m.setattr(versions, "EXTRACTOR_VERSION", "extract-older")
        m.setattr(Store, "extracted", lambda self, texts: None)   # no text entries then
        with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
            url = publish_edition(site, 0)[0]
            s.capture([url], Fetcher(timeout=10))
            c = cite(s, url, "were evacuated")
    versions._EXTRACTED.clear()
    data = get(datasette_for(tmp_path / "archive.db"), f"/-/cite/{c['id']}.json").json()
    assert data["status"] == "failed", data
    assert "archive extract --all" in json.dumps(data["verification"]), data["verification"]
    result = invoke(runner, tmp_path, "verify", "--all")
    assert result.exit_code == 1 and "archive extract --all" in result.output, result.output
    assert invoke(runner, tmp_path, "extract", "--all").exit_code == 0
    versions._EXTRACTED.clear()
    data = get(datasette_for(tmp_path / "archive.db"), f"/-/cite/{c['id']}.json").json()
    assert data["archived"] == "verified", data
    result = invoke(runner, tmp_path, "verify", "--all")
    assert result.exit_code == 0, result.output


def test_verify_all_no_extract_checks_the_rows_against_the_ledger_without_extracting(archive, runner):  # noqa: F811
    """``verify --all --no-extract``: every check of ``--all`` but the extraction of every
    page again; the rows extraction gave are checked against the ledger entries that
    vouch for them, so an edited figure still fails, and the output says what was not
    derived again."""
    c = archive["citation"]
    store_dir = archive["db"].parent
    ok = invoke(runner, store_dir, "verify", "--all", "--no-extract")
    assert ok.exit_code == 0, ok.output
    assert "ok   ledger_vouch texts: the rows of all" in ok.output
    assert "?    derived_row index: texts, quotes, figures, versions and changes were not derived" in ok.output
    assert "rows are what the WARC files give" not in ok.output   # nothing was derived again
    conn = sqlite3.connect(archive["db"])
    conn.execute("UPDATE figures SET text='9,999', value=9999 WHERE text='2,300'")
    conn.commit()
    conn.close()
    bad = invoke(runner, store_dir, "verify", "--all", "--no-extract")
    assert bad.exit_code == 1
    assert f"FAIL ledger_vouch texts:{c['text_sha256']}" in bad.output, bad.output
    alone = invoke(runner, store_dir, "verify", "--no-extract", c["id"])
    assert alone.exit_code == 2 and "--no-extract goes with --all" in alone.output
