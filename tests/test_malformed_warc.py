"""Malformed and hostile WARC input: a clear error with file and byte offset, nothing lost.

RELIABILITY.md cases 13-21. Real damaged files come from ``../shared/corpus/warc-bad``;
generated ones break exactly one thing so the expected offset is known.
"""

from __future__ import annotations

import csv
import json
import signal
import sqlite3
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import pytest

from archive.warc import reader
from archive.errors import WarcFormatError
from archive.warc.reader import Found, Problem, iter_records
from archive.store import Store
from archive.warc.record import load_record
from archive.index.rows import warc_record_id

from .conftest import CORPUS, invoke
from .helpers_faults import (assert_all_inside, files_inside, gz, http_block, sha256_b32,
                             valid_warc_gz, warc_record)


@contextmanager
def hang_guard(seconds: int = 20):
    """Fail instead of hanging forever (warcio #122-style loops); not a timing check."""
    def boom(*_):
        raise TimeoutError(f"did not finish within {seconds} s")
    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def items(path) -> list:
    with hang_guard():
        return list(iter_records(path))


def kinds(found: list) -> list[tuple[str, int]]:
    return [("F" if isinstance(i, Found) else "P", i.offset) for i in found]


def cli_import(runner, tmp_path, *paths):
    result = invoke(runner, tmp_path, "import", "--no-extract", "--json", *map(str, paths))
    out = result.output
    assert "Traceback" not in out
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result, lines


def db_rows(tmp_path, sql: str) -> list:
    conn = sqlite3.connect(tmp_path / "archive.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# -- the corpus -------------------------------------------------------------------------

# Files of warc-bad/ that are damaged: import exits 2 and names (at least) the offsets
# of the damage. The others in warc-bad/ are edge cases other tools read (an FEXTRA gzip
# field, a space in a file: URI, unknown record types): they import, with warnings.
BAD = {
    "pywb__example.warc": [4061],                       # Content-Length 320, block 323
    "resiliparse__clipped.warc.gz": [0],                # block far shorter than declared
    "warcio__example-bad-non-chunked.warc.gz": [0],     # whole-file gzip
    "warcio__example-trunc.warc": [1197],               # zero padding after the block
    "warcio__example-wrong-chunks.warc.gz": [0, 516, 1130],  # one record over 3 members
    "warcio__bad.arc": [0, 134, 262],                   # ARC lengths -1 and 'abc'
    # (their repeated record ids, at 922, 1840, 2758 and 3207, 5199, 5910, are warnings:
    # wget repeats ids in valid files; issue 15)
    "warcio__example-digest.warc": [0],                 # payload digest 'sha1:1112…' is not base32
    "pywb__example-extra.warc": [3207],                 # a digest warcio check fails too
    "resiliparse__clueweb-quirk.warc.gz": [317, 9348],  # payload digests do not verify
}
READABLE = {
    "jwarc__gzip_extra_sl.warc.gz": 1,
    "resiliparse__block-sized-records.warc": 3,
    "warcio__example-space-in-target-uri.warc.gz": 2,
    "warcio__example-wget-bad-target-uri.warc.gz": 6,
    # Heritrix ARC whose records are not separated by a line break: warcio stops at byte
    # 1459, our reader takes the next header as the end of the record (with a warning).
    "webarchivecommons__IAH-blackbook-truncated.arc": 9,
}


def test_every_bad_corpus_file_is_classified(corpus):
    names = {p.name for p in (corpus / "warc-bad").iterdir()}
    assert names == set(BAD) | set(READABLE), "a new corpus file needs an expectation here"


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(BAD))
def test_damaged_corpus_file_exit_2_with_offset(corpus, runner, tmp_path, name):
    path = corpus / "warc-bad" / name
    result, lines = cli_import(runner, tmp_path, path)
    assert result.exit_code == 2
    assert len(lines) == 1
    reported = {e["offset"] for e in lines[0]["errors"]}
    assert set(BAD[name]) <= reported
    for off in BAD[name]:
        assert f"{path} at byte {off}:" in result.stderr
    # Every error names the offset where a record (or damage) starts, never a guess.
    read = items(path)
    assert reported <= {i.offset for i in read}
    # Whatever could be read is indexed, and every indexed capture re-reads by pointer.
    assert lines[0]["records"] == sum(isinstance(i, Found) for i in read)
    for rec_id, wf, off, ln in db_rows(tmp_path, "SELECT record_id, warc_file, offset, length FROM captures"):
        assert load_record(tmp_path / "warcs" / wf, off, ln).record_id == warc_record_id(rec_id)


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(READABLE))
def test_edge_case_corpus_file_imports(corpus, runner, tmp_path, name):
    result, lines = cli_import(runner, tmp_path, corpus / "warc-bad" / name)
    assert result.exit_code == 0, result.output
    assert lines[0]["records"] == READABLE[name]
    assert lines[0]["errors"] == []


@pytest.mark.corpus
def test_corpus_bad_digests_are_failed_never_ok(corpus, tmp_path):
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        store.import_path(corpus / "warc-bad" / "resiliparse__clueweb-quirk.warc.gz")
        fix = dict(store.conn.execute("SELECT fixity, count(*) FROM captures GROUP BY fixity").fetchall())
    # ClueWeb payload digests do not verify (warcio check fails all 29).
    assert fix.get("ok", 0) == 0
    assert fix.get("failed", 0) == 29


def _manifest() -> dict[str, int]:
    out = {}
    with open(CORPUS / "MANIFEST.tsv", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\"):
            if row["path"].startswith("warc/"):
                total = row["expected_warcio"].split("(total ", 1)[1].split(")", 1)[0]
                out[row["path"].split("/", 1)[1]] = int(total)
    return out


@pytest.mark.corpus
def test_every_valid_corpus_file_imports_with_manifest_counts(corpus, runner, tmp_path):
    expected = _manifest()
    files = sorted(p for p in (corpus / "warc").iterdir() if p.is_file())
    assert {p.name for p in files} == set(expected)
    for path in files:
        # One store per file: the WACZ holds the same records as pywacz__example-collection.
        here = tmp_path / path.name
        here.mkdir()
        result, lines = cli_import(runner, here, path)
        assert result.exit_code == 0, (path.name, result.output)
        assert lines[0]["errors"] == [], path.name
        if path.suffix == ".wacz":
            # warcio cannot read a zip (total 0); the WARC inside holds 4 records.
            assert lines[0]["records"] == 4
        else:
            assert lines[0]["records"] == expected[path.name], path.name
        # Every capture indexed from the corpus re-reads from its pointer, same id.
        for rec_id, wf, off, ln in db_rows(here, "SELECT record_id, warc_file, offset, length FROM captures"):
            assert load_record(here / "warcs" / wf, off, ln).record_id == rec_id, path.name


# -- generated damage ---------------------------------------------------------------------

def test_truncated_last_member_at_every_offset(tmp_path):
    data, offsets = valid_warc_gz(3)
    last = offsets[-1]
    path = tmp_path / "cut.warc.gz"
    for cut in range(last + 1, len(data)):
        path.write_bytes(data[:cut])
        got = items(path)
        assert kinds(got) == [("F", offsets[0]), ("F", offsets[1]), ("P", last)], cut
        assert got[-1].reason.startswith("truncated_record"), (cut, got[-1].reason)
    path.write_bytes(data[:last])
    assert kinds(items(path)) == [("F", offsets[0]), ("F", offsets[1])]


def test_truncated_file_import_reports_offset_and_keeps_earlier_records(runner, tmp_path):
    data, offsets = valid_warc_gz(3)
    src = tmp_path / "in"
    src.mkdir()
    for cut in (offsets[-1] + 1, offsets[-1] + 10, (offsets[-1] + len(data)) // 2, len(data) - 1):
        path = src / f"cut{cut}.warc.gz"
        path.write_bytes(data[:cut])
        here = tmp_path / f"store{cut}"   # one store each: the files share record ids
        here.mkdir()
        result, lines = cli_import(runner, here, path)
        assert result.exit_code == 2
        assert lines[0]["records"] == 2
        assert [e["offset"] for e in lines[0]["errors"]] == [offsets[-1]]
        assert "truncated_record" in lines[0]["errors"][0]["reason"]
        assert f"at byte {offsets[-1]}" in result.stderr


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("delta", [-7, -1, 9, 10 ** 12])
def test_wrong_content_length_gives_defined_error(tmp_path, plain, delta):
    good1 = warc_record(url="http://example.com/1")
    block = http_block(b"<p>" + b"y" * 300 + b"</p>")
    bad = warc_record(url="http://example.com/2", block=block, content_length=len(block) + delta)
    good2 = warc_record(url="http://example.com/3")
    if plain:
        data = good1 + bad + good2
        bad_off = len(good1)
    else:
        data = gz(good1) + gz(bad) + gz(good2)
        bad_off = len(gz(good1))
    path = tmp_path / ("x.warc" if plain else "x.warc.gz")
    path.write_bytes(data)
    got = items(path)
    assert ("F", 0) in kinds(got)
    problems = [i for i in got if isinstance(i, Problem)]
    assert [p.offset for p in problems][:1] == [bad_off]
    assert not any(isinstance(i, Found) and i.offset == bad_off for i in got)
    if not plain or delta < 0:
        # The record after the damaged one is still found (gzip members resync exactly;
        # a plain file resyncs on the next WARC/ line).
        assert any(isinstance(i, Found) and i.record.header("WARC-Target-URI") == "http://example.com/3"
                   for i in got)


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("delta", [1, 2])
def test_content_length_swallowing_the_trailer_is_read_with_a_warning(tmp_path, plain, delta):
    """A Content-Length too long by a line break or two: the record is read (warcio does
    too) but flagged, and its block digest, computed over the real block, fails."""
    block = http_block(b"<p>z</p>")
    bad = warc_record(block=block, content_length=len(block) + delta)
    good = warc_record(url="http://example.com/next")
    path = tmp_path / ("x.warc" if plain else "x.warc.gz")
    path.write_bytes(bad + good if plain else gz(bad) + gz(good))
    got = items(path)
    assert [type(i) for i in got] == [Found, Found]
    assert got[0].warnings and "CRLF CRLF" in got[0].warnings[0]
    assert got[1].warnings == []
    from archive.index.rows import fixity_of
    assert fixity_of(got[0].record) == "failed"


def test_single_crlf_trailer_is_read(tmp_path):
    r1 = warc_record(url="http://example.com/1")[:-2]   # ends with one CRLF only
    r2 = warc_record(url="http://example.com/2")
    path = tmp_path / "t.warc"
    path.write_bytes(r1 + r2)
    got = items(path)
    assert [i.record.header("WARC-Target-URI") for i in got if isinstance(i, Found)] == [
        "http://example.com/1", "http://example.com/2"]
    assert got[1].offset == len(r1)


def _fixity_of(tmp_path, raw: bytes) -> str:
    path = tmp_path / "d.warc.gz"
    path.write_bytes(gz(raw))
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        store.import_path(path)
        (fix,) = store.conn.execute("SELECT fixity FROM captures").fetchone()
    return fix


BODY = b"<html><body>digest</body></html>"


@pytest.mark.parametrize("block_digest,payload_digest,expected", [
    (None, None, "ok"),
    ("sha256:" + "A" * 52, None, "failed"),                 # right shape, wrong value
    (None, "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", "failed"),  # sha1 of b"" != payload
    ("xxx:ABCDEFGH", None, "unverifiable"),                # unknown algorithm
    ("sha256:!!!!not-base32!!!!", None, "unverifiable"),   # bad encoding
    ("sha256:AAAA", None, "unverifiable"),                 # wrong length
    ("sha256", None, "unverifiable"),                      # no value at all
])
def test_digest_outcomes(tmp_path, block_digest, payload_digest, expected):
    raw = warc_record(payload=BODY, block=http_block(BODY), block_digest=block_digest,
                      payload_digest=payload_digest)
    assert _fixity_of(tmp_path, raw) == expected


def test_digest_encodings_all_verify(tmp_path):
    import base64
    import hashlib
    block = http_block(BODY)
    for label in ("sha1:" + base64.b32encode(hashlib.sha1(block).digest()).decode(),
                  "sha256:" + hashlib.sha256(block).hexdigest(),
                  "sha256:" + base64.b64encode(hashlib.sha256(block).digest()).decode(),
                  sha256_b32(block)):
        sub = tmp_path / label.replace(":", "_").replace("/", "_").replace("+", "-")[:40]
        sub.mkdir()
        assert _fixity_of(sub, warc_record(payload=BODY, block=block, block_digest=label)) == "ok", label


def _sha1_label(data: bytes) -> str:
    import base64
    import hashlib
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


@pytest.mark.parametrize("spelling", ["sha1", "SHA-1"])
@pytest.mark.parametrize("tamper", ["none", "block", "payload"])
def test_sha1_digests_are_checked_with_sha1(tmp_path, spelling, tamper):
    # As wget, warcio and Heritrix write them: both digests SHA-1, checked against the
    # SHA-1 the reader computes beside the SHA-256 the index keeps.
    block = http_block(BODY)
    payload = BODY
    block_label = _sha1_label(block if tamper != "block" else block + b"x")
    payload_label = _sha1_label(payload if tamper != "payload" else payload + b"x")
    raw = warc_record(payload=BODY, block=block, block_digest=block_label.replace("sha1", spelling, 1),
                      payload_digest=payload_label.replace("sha1", spelling, 1))
    assert _fixity_of(tmp_path, raw) == ("ok" if tamper == "none" else "failed")


def test_the_reader_hashes_each_part_once_in_each_declared_algorithm(tmp_path):
    import hashlib
    block = http_block(BODY)
    path = tmp_path / "d.warc.gz"
    path.write_bytes(gz(warc_record(payload=BODY, block=block, block_digest=_sha1_label(block))))
    (item,) = items(path)
    rec = item.record
    assert rec.known_sha256 == {"block": hashlib.sha256(block).hexdigest(),
                                "payload": hashlib.sha256(BODY).hexdigest()}
    # the block's SHA-1 (declared), not the payload's (its digest is SHA-256 here)
    assert rec.known_digests == {("sha1", "block"): hashlib.sha1(block).hexdigest()}


def test_revisit_digest_is_never_a_pass(tmp_path):
    raw = warc_record("revisit", block=b"HTTP/1.1 200 OK\r\n\r\n", payload=BODY,
                      drop=("WARC-Block-Digest",),
                      extra=[("WARC-Refers-To", "<urn:uuid:00000000-0000-0000-0000-000000000000>")])
    assert _fixity_of(tmp_path, raw) == "unverifiable"


@pytest.mark.parametrize("plain", [False, True])
def test_garbage_between_records(tmp_path, plain):
    r1, r2 = warc_record(url="http://example.com/a"), warc_record(url="http://example.com/b")
    junk = b"\x00garbage\xff" * 50
    if plain:
        data = r1 + junk + b"\r\n" + r2
    else:
        data = gz(r1) + junk + gz(r2)
    path = tmp_path / ("g.warc" if plain else "g.warc.gz")
    path.write_bytes(data)
    got = items(path)
    urls = [i.record.header("WARC-Target-URI") for i in got if isinstance(i, Found)]
    assert urls == ["http://example.com/a", "http://example.com/b"]
    problems = [i for i in got if isinstance(i, Problem)]
    assert len(problems) == 1
    assert problems[0].offset == len(r1 if plain else gz(r1))


def test_gzip_bomb_record_is_refused_and_the_next_read(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_RECORD_BYTES", 4 * 1024 * 1024)
    head = (b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
            b"WARC-Date: 2026-01-01T00:00:00Z\r\nContent-Length: 100000000\r\n\r\n")
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = c.compress(head)
    zeros = b"\0" * (1 << 20)
    for _ in range(100):
        bomb += c.compress(zeros)
    bomb += c.compress(b"\r\n\r\n") + c.flush()
    assert len(bomb) < 200_000
    good = gz(warc_record(url="http://example.com/after"))
    path = tmp_path / "bomb.warc.gz"
    path.write_bytes(bomb + good)
    got = items(path)
    assert kinds(got) == [("P", 0), ("F", len(bomb))]
    assert "gzip bomb" in got[0].reason


def test_whole_file_gzip_is_rejected_with_advice(tmp_path):
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gz(warc_record() + warc_record() + warc_record()))
    got = items(path)
    assert kinds(got) == [("P", 0)]
    assert "whole-file gzip" in got[0].reason


@pytest.mark.parametrize("header", ["WARC-Record-ID", "WARC-Date", "WARC-Type", "Content-Length"])
@pytest.mark.parametrize("plain", [False, True])
def test_missing_mandatory_header(tmp_path, header, plain):
    bad = warc_record(drop=(header,))
    good = warc_record(url="http://example.com/ok")
    path = tmp_path / ("m.warc" if plain else "m.warc.gz")
    path.write_bytes(bad + good if plain else gz(bad) + gz(good))
    got = items(path)
    assert isinstance(got[0], Problem) and got[0].offset == 0
    assert header in got[0].reason or "Content-Length" in got[0].reason
    assert [i.record.header("WARC-Target-URI") for i in got if isinstance(i, Found)] == ["http://example.com/ok"]


@pytest.mark.parametrize("raw", [
    b"WARC/1.0", b"WARC/1.0\r\n", b"WARC/1.0\r\nWARC-Type: resp",
    b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 10\r\n\r\nabc",
    b"WARC/1.0\r\nno colon here\r\n\r\n",
])
def test_minimal_and_cut_records_are_rejected(tmp_path, raw):
    for name, data in (("c.warc.gz", gz(raw)), ("c.warc", raw)):
        path = tmp_path / name
        path.write_bytes(data)
        got = items(path)
        assert got and all(isinstance(i, Problem) for i in got), (name, got)


def test_pointer_past_eof_is_an_error(tmp_path):
    data, offsets = valid_warc_gz(2)
    path = tmp_path / "p.warc.gz"
    path.write_bytes(data)
    with pytest.raises(WarcFormatError, match="past end of file"):
        load_record(path, offsets[1], len(data))
    with pytest.raises(WarcFormatError):
        load_record(path, offsets[1], len(data) - offsets[1] - 3)


def test_not_a_warc_is_refused_by_cli(runner, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some text\n")
    result, lines = cli_import(runner, tmp_path, path)
    assert result.exit_code == 2
    assert str(path) in result.stderr and "byte 0" in result.stderr


# -- WACZ with hostile member names ------------------------------------------------------

def test_wacz_member_names_never_escape_the_store(runner, tmp_path):
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    src = tmp_path / "in"
    src.mkdir()
    record = gz(warc_record(url="http://example.com/wacz"))
    wacz = src / "evil.wacz"
    names = ["archive/../../escaped.warc.gz", "archive/../../../../tmp/escaped2.warc.gz",
             "archive//abs.warc.gz", "archive/..\\..\\win.warc.gz", "archive/ok.warc.gz",
             "archive/\x00nul.warc.gz",
             "../../outside.warc.gz", "/etc/absolute.warc.gz"]
    with zipfile.ZipFile(wacz, "w") as zf:
        for n in names:
            zf.writestr(zipfile.ZipInfo(n), record)
        zf.writestr("datapackage.json", "{}")
    before = {p.resolve() for p in files_inside(tmp_path)}
    result = invoke(runner, store_dir, "import", "--no-extract", "--json", str(wacz))
    assert "Traceback" not in result.output
    after = {p.resolve() for p in files_inside(tmp_path)}
    new = after - before
    assert new, "nothing was imported"
    assert_all_inside(store_dir, store_dir)
    for p in new:
        assert store_dir.resolve() in p.parents, f"{p} written outside the store"
    assert not Path("/tmp/escaped2.warc.gz").exists()
    warcs = [p for p in new if p.parent == (store_dir / "warcs").resolve()]
    # names come from our own ids and hashes only: imported copies, the store's own
    # files (the ledger vouching for the import) and its lock
    assert warcs and all(p.name.startswith(("import-", "archive-")) or p.name == ".ledger.lock"
                         for p in warcs), warcs
    assert any(p.name.startswith("import-") for p in warcs)


def test_wacz_member_with_a_very_long_name(runner, tmp_path):
    (tmp_path / "store").mkdir()
    wacz = tmp_path / "long.wacz"
    with zipfile.ZipFile(wacz, "w") as zf:
        zf.writestr("archive/" + "L" * 300 + ".warc.gz", gz(warc_record()))
    result, lines = cli_import(runner, tmp_path / "store", wacz)
    assert result.exit_code == 0
    assert lines[0]["records"] == 1
