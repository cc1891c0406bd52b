"""Every kind of file the store accepts (WARC, WARC.gz, ARC, ARC.gz, WACZ members) is
covered by reindex, verify and export (issue 14, high 4)."""

from __future__ import annotations

import gzip
import json
import zipfile

from archive.index.versions import process_pending
from archive.provenance.audit import audit
from archive.provenance.cite import cite, verify_citation
from archive.store import Store
from tests.conftest import invoke
from tests.test_reindex import dump

ARC = "warcio__example.arc"


def test_arc_capture_and_its_citation_survive_reindex(tmp_path, corpus, runner):
    """The attack as written: import the ARC, cite a passage, reindex. Captures went from 1
    to 0 and verify claimed "file is indexed but missing from warcs/"."""
    r = invoke(runner, tmp_path, "import", str(corpus / "warc" / ARC), "--json")
    assert r.exit_code == 0, r.output
    r = invoke(runner, tmp_path, "cite", "http://example.com/", "illustrative examples", "--json")
    assert r.exit_code == 0, r.output
    cid = json.loads(r.output)["id"]
    r = invoke(runner, tmp_path, "verify", "--all")
    assert "missing from warcs/" not in r.output
    assert r.exit_code == 0, r.output
    r = invoke(runner, tmp_path, "reindex", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["captures"] == 1
    assert json.loads(r.output)["citations"] == 1
    r = invoke(runner, tmp_path, "verify", cid, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["ok"] is True
    r = invoke(runner, tmp_path, "verify", "--all")
    assert r.exit_code == 0 and "missing from warcs/" not in r.output, r.output


def test_a_flipped_byte_in_an_arc_record_fails_its_citation(tmp_path, corpus):
    """An ARC record declares no digest: its citation is checked against the digest the
    ledger vouched for at import, so an edit of the stored bytes still fails."""
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        s.import_path(corpus / "warc" / ARC)
        process_pending(s)
        cid = cite(s, "http://example.com/", "illustrative examples")["id"]
        assert verify_citation(s, cid)["ok"] is True
        row = s.capture_row(s.conn.execute("SELECT record_id FROM citations").fetchone()[0])
        path = s.warcs.path_of(row["warc_file"])
    data = bytearray(path.read_bytes())
    at = data.index(b"illustrative", row["offset"])
    data[at] ^= 0x20
    path.write_bytes(bytes(data))
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        got = verify_citation(s, cid)
    assert got["ok"] is False
    assert any(f.startswith("block_digest") for f in got["failed"]), got["failed"]


def _arc_gz(corpus, tmp_path):
    """The corpus ARC recompressed one gzip member per record, as ARC.gz files are made."""
    from archive.warc.reader import Found, iter_records

    src = corpus / "warc" / ARC
    text = src.read_bytes()
    out = tmp_path / "example.arc.gz"
    with open(out, "wb") as f:
        for item in iter_records(src):
            assert isinstance(item, Found)
            f.write(gzip.compress(text[item.offset:item.offset + item.length] + b"\n", mtime=0))
    return out


def test_every_kind_of_file_is_listed_verified_and_exported(tmp_path, corpus):
    arcgz = _arc_gz(corpus, tmp_path)
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        for name in (ARC, "warcio__example.warc", "warcio__example-resource.warc.gz",
                     "pywb__valid_example_1.wacz"):
            s.import_path(corpus / "warc" / name)
        s.import_path(arcgz)
        stored = s.warcs.list_files()
        assert {n.rsplit("-", 1)[-1].split(".", 1)[-1] for n in stored} >= {"arc", "arc.gz", "warc", "warc.gz"}
        indexed = {r[0] for r in s.conn.execute("SELECT name FROM warc_files")}
        assert indexed == set(stored)
        results = audit(s)
        assert not [r for r in results if not r["ok"]], [r for r in results if not r["ok"]]
        seals = {r["file"] for r in results if r["check"] == "file_seal"}
        assert {n for n in stored if n.startswith("import-")} <= seals
        from archive.export import export_cdxj, export_wacz
        import io
        out = io.StringIO()
        export_cdxj(s, out)
        named = {json.loads(line.split(" ", 2)[2])["filename"] for line in out.getvalue().splitlines()}
        assert named == set(stored)
        export_wacz(s, tmp_path / "all.wacz")
    with zipfile.ZipFile(tmp_path / "all.wacz") as zf:
        assert {f"archive/{n}" for n in stored} <= set(zf.namelist())


def test_reindex_after_importing_every_corpus_file_reproduces_every_table(tmp_path, corpus):
    """Done-when of issue 14: every file of ../shared/corpus/warc/, imported in turn (the
    same records under two names included), then reindex: every table is the same."""
    files = sorted((corpus / "warc").iterdir())
    assert any(f.suffix == ".arc" for f in files) and any(f.suffix == ".wacz" for f in files)
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        for f in files:
            s.import_path(f)
        process_pending(s)
        s.warcs.close(seal=True)
    before = dump(tmp_path / "archive.db")
    assert len(before["captures"]) > 100
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        s.reindex()
    after = dump(tmp_path / "archive.db")
    for table in before:
        assert after[table] == before[table], f"{table} differs after reindex"


def test_arc_reader_goes_on_after_a_bad_record(tmp_path, corpus):
    """The ARC reader stopped at the first bad record, and later good ones were silently
    missing: now the bad one is reported at its offset and every later one is read."""
    from archive.warc.reader import Found, Problem, iter_records

    text = (corpus / "warc" / ARC).read_bytes()
    good = [i for i in iter_records(corpus / "warc" / ARC)]
    head = text[good[0].offset:good[0].offset + good[0].length] + b"\n"
    rec = text[good[1].offset:good[1].offset + good[1].length] + b"\n"
    bad_length = b"http://example.com/bad 93.184.216.119 20140216050221 text/html 9999\nshort body\n"
    bad_field = b"http://example.com/x 93.184.216.119 20140216050221 text/html abc\nbody\n"
    other = rec.replace(b"http://example.com/ ", b"http://example.com/2 ", 1)
    data = head + bad_length + rec + bad_field + other
    path = tmp_path / "mixed.arc"
    path.write_bytes(data)
    items = list(iter_records(path))
    problems = [i.offset for i in items if isinstance(i, Problem)]
    found = [i for i in items if isinstance(i, Found)]
    assert problems == [len(head), len(head) + len(bad_length) + len(rec)]
    urls = [i.record.header("WARC-Target-URI") for i in found]
    assert urls == [None, "http://example.com/", "http://example.com/2"]
    # Each found record re-reads by its pointer to the same record.
    from archive.warc.record import load_record
    for i in found:
        assert load_record(path, i.offset, i.length).record_id == i.record.record_id
