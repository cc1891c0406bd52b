"""The full fixity audit catches every way of damaging or forging a real store.

Each test builds a store by capturing the example news site, cites a figure, seals the
first WARC file and signs the ledger head; then damages it one way and checks that
:func:`archive.provenance.audit.audit` reports a failure naming the file and offset (or the row).
"""

from __future__ import annotations

import gzip
import io
import os
import sqlite3
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.provenance import ledger
from archive.provenance.audit import audit, proof_for_citation
from archive.capture.http import Fetcher
from archive.provenance.cite import cite
from archive.index.metadata import LEDGER_TYPE
from archive.provenance.keys import generate_private_key
from archive.warc.reader import Found, iter_records
from archive.site import publish_edition
from archive.store import Store
from archive.warc.writer import Sha256WARCWriter

PASSAGE = "More than 2,300 homes were evacuated overnight"



def cite_with_ledger(store: Store, url: str, passage: str) -> dict:
    c = cite(store, url, passage)
    row = store.conn.execute("SELECT * FROM citations WHERE id=?", (c["id"],)).fetchone()
    ledger.record_citation(store, row)
    return c


@pytest.fixture
def key():
    return generate_private_key()


@pytest.fixture
def built(tmp_path, site, key):
    """(store, citation, first file): file 1 sealed and vouched for, file 2 still open."""
    store = Store(tmp_path / "archive.db", tmp_path / "warcs")
    store.signing_key = key
    fetcher = Fetcher(timeout=10)
    urls = publish_edition(site, 0)
    store.capture(urls, fetcher)
    c = cite_with_ledger(store, urls[0], PASSAGE)
    first = store.warcs.current_file
    store.warcs.close(seal=True)
    ledger.record_seals(store)
    publish_edition(site, 1)
    store.capture([urls[0]], fetcher)
    store.warcs.close()
    yield store, c, first
    store.close()


def failures(results: list[dict]) -> list[dict]:
    return [r for r in results if r["ok"] is False]


def members(path: Path) -> list[Found]:
    return [i for i in iter_records(path) if isinstance(i, Found)]


def capture_member(store: Store, name: str, n: int = 0) -> Found:
    """The n-th response record of a file."""
    return [m for m in members(store.warcs.path_of(name)) if m.record.record_type == "response"][n]


def test_clean_store_passes_every_check(built, key):
    store, c, first = built
    results = audit(store, key.public_key())
    assert failures(results) == []
    assert [r for r in results if r["ok"] is None] == []
    checks = {r["check"] for r in results}
    assert {"record", "file_seal", "capture_row", "citation_row", "ledger_row", "ledger_chain",
            "ledger_vouch", "signature"} <= checks
    for r in results:
        assert set(r) >= {"id", "ok", "detail", "file", "offset", "check"}


def test_flipped_bit_on_disk_is_caught_at_its_offset(built):
    store, c, first = built
    m = capture_member(store, first)
    path = store.warcs.path_of(first)
    data = bytearray(path.read_bytes())
    data[m.offset + m.length // 2] ^= 0x10
    path.write_bytes(bytes(data))
    bad = failures(audit(store))
    assert any(r["check"] == "record" and r["file"] == first and r["offset"] == m.offset for r in bad)
    assert any(r["check"] == "file_seal" and r["file"] == first for r in bad)


def test_flipped_bit_in_payload_fails_the_digest(built):
    """The bit is flipped in the payload and the member recompressed: gzip is happy, the
    declared digest is not."""
    store, c, first = built
    m = capture_member(store, first)
    path = store.warcs.path_of(first)
    data = path.read_bytes()
    raw = bytearray(gzip.decompress(data[m.offset:m.offset + m.length]))
    at = raw.index(b"2,300")
    raw[at] ^= 0x01
    forged = gzip.compress(bytes(raw))
    path.write_bytes(data[:m.offset] + forged + data[m.offset + m.length:])
    bad = failures(audit(store))
    rec = [r for r in bad if r["check"] == "record" and r["file"] == first]
    assert rec and rec[0]["offset"] == m.offset and rec[0]["id"] == m.record.record_id
    assert "WARC-Block-Digest" in rec[0]["detail"]


def test_truncated_file(built):
    store, c, first = built
    path = store.warcs.path_of(first)
    size = path.stat().st_size
    last = members(path)[-1]
    os.truncate(path, size - 40)
    bad = failures(audit(store))
    assert any(r["check"] == "record" and r["file"] == first and r["offset"] == last.offset
               and "truncated" in r["detail"] for r in bad)
    assert any(r["check"] == "file_seal" and r["file"] == first for r in bad)
    # whatever the last record was, the index or the ledger points past the end now
    assert any(r["check"] in ("capture_row", "citation_row", "ledger_row") and "past end" in r["detail"]
               for r in bad)


def test_deleted_record(built):
    store, c, first = built
    m = capture_member(store, first, 1)
    path = store.warcs.path_of(first)
    data = path.read_bytes()
    path.write_bytes(data[:m.offset] + data[m.offset + m.length:])
    bad = failures(audit(store))
    rows = [r for r in bad if r["check"] == "capture_row" and r["file"] == first]
    assert rows and rows[0]["offset"] == m.offset and rows[0]["id"] == m.record.record_id
    assert any(r["check"] == "ledger_vouch" and r["id"] == m.record.record_id
               and "not in any WARC file" in r["detail"] for r in bad)


def test_two_records_swapped(built):
    store, c, first = built
    a, b = capture_member(store, first, 0), capture_member(store, first, 1)
    path = store.warcs.path_of(first)
    data = path.read_bytes()
    A, B = data[a.offset:a.offset + a.length], data[b.offset:b.offset + b.length]
    path.write_bytes(data[:a.offset] + B + data[a.offset + a.length:b.offset] + A + data[b.offset + b.length:])
    bad = failures(audit(store))
    assert not any(r["check"] == "record" for r in bad)  # every record is intact...
    rows = [r for r in bad if r["check"] == "capture_row" and r["file"] == first]
    assert rows and rows[0]["offset"] == a.offset  # ...but not where the index says
    assert any(r["check"] == "ledger_vouch" and "moved" in r["detail"] for r in bad)
    assert any(r["check"] == "file_seal" and r["file"] == first for r in bad)


def _forge(store: Store, name: str, record_id: str, old: bytes, new: bytes,
           drop_ledger: bool = False, drop_heads: bool = False) -> None:
    """Rewrite a file with one record's payload edited and its digests recomputed, as a
    forger with write access would; optionally drop the ledger records too."""
    path = store.warcs.path_of(name)
    out = io.BytesIO()
    writer = Sha256WARCWriter(out, gzip=True, warc_version="WARC/1.1")
    with open(path, "rb") as f:
        for rec in ArchiveIterator(f, no_record_parse=False, ensure_http_headers=False):
            ctype = rec.rec_headers.get_header("Content-Type") or ""
            if rec.rec_type == "metadata" and ((drop_ledger and ctype == LEDGER_TYPE)
                                              or (drop_heads and ctype.endswith("seal+json"))):
                rec.raw_stream.read()
                continue
            body = rec.content_stream().read() if rec.http_headers else rec.raw_stream.read()
            if rec.rec_headers.get_header("WARC-Record-ID") == record_id:
                body = body.replace(old, new)
            for h in ("WARC-Block-Digest", "WARC-Payload-Digest", "Content-Length"):
                if rec.rec_type != "revisit" or h != "WARC-Payload-Digest":
                    rec.rec_headers.remove_header(h)
            if rec.http_headers is not None:
                rec.http_headers.remove_header("Content-Length")
                rec.http_headers.remove_header("Transfer-Encoding")
                rec.http_headers.add_header("Content-Length", str(len(body)))
            forged = writer.create_warc_record(
                rec.rec_headers.get_header("WARC-Target-URI"), rec.rec_type, payload=io.BytesIO(body),
                length=len(body), warc_headers=rec.rec_headers, http_headers=rec.http_headers)
            writer.write_record(forged)
    path.write_bytes(out.getvalue())


def test_rehashed_forgery_is_caught_by_the_ledger(built, key):
    store, c, first = built
    _forge(store, first, c["record_id"], b"2,300", b"3,100")
    store.reindex(extract=False)  # the forger rebuilds a consistent index
    results = audit(store, key.public_key())
    bad = failures(results)
    assert not any(r["check"] in ("record", "capture_row") for r in bad)  # self-consistent...
    vouch = [r for r in bad if r["check"] == "ledger_vouch" and r["id"] == c["record_id"]]
    assert vouch and vouch[0]["file"] == first and "block sha256" in vouch[0]["detail"]
    assert any(r["check"] == "file_seal" for r in bad)
    proof = proof_for_citation(store, c["id"], key.public_key())
    assert proof["ok"] is False


def test_forgery_with_a_rewritten_ledger_is_caught_by_the_signature(built, key):
    """The forger also replaces the ledger with a fresh chain vouching for the forgery;
    without the private key the old signed heads no longer match."""
    store, c, first = built
    for name in store.warcs.list_files():
        _forge(store, name, c["record_id"], b"2,300", b"3,100", drop_ledger=True)
    store.reindex(extract=False)
    store.signing_key = None
    store.conn.execute("UPDATE warc_files SET sha256=NULL, sealed_at=NULL")  # the forger re-seals too
    ledger.backfill(store)
    bad = failures(audit(store, key.public_key()))
    assert not any(r["check"] in ("record", "capture_row", "ledger_chain", "ledger_vouch") for r in bad)
    sig = [r for r in bad if r["check"] == "signature"]
    assert sig and "rewritten" in sig[0]["detail"] and sig[0]["file"]
    # also without a trusted key: the heads left behind do not fit the new chain
    assert any(r["check"] == "signature" for r in failures(audit(store)))


def test_forgery_that_drops_the_signatures_fails_with_a_trusted_key(built, key):
    store, c, first = built
    for name in store.warcs.list_files():
        _forge(store, name, c["record_id"], b"2,300", b"3,100", drop_ledger=True, drop_heads=True)
    store.reindex(extract=False)
    store.signing_key = None
    store.conn.execute("UPDATE warc_files SET sha256=NULL, sealed_at=NULL")
    ledger.backfill(store)
    bad = failures(audit(store, key.public_key()))
    assert not any(r["check"] in ("record", "capture_row", "ledger_chain", "ledger_vouch") for r in bad)
    sig = [r for r in bad if r["check"] == "signature"]
    assert sig and "no signed ledger head" in sig[0]["detail"]


def test_forgery_signed_with_another_key_fails(built, key):
    store, c, first = built
    for name in store.warcs.list_files():
        _forge(store, name, c["record_id"], b"2,300", b"3,100", drop_ledger=True, drop_heads=True)
    store.reindex(extract=False)
    store.signing_key = generate_private_key()
    store.conn.execute("UPDATE warc_files SET sha256=NULL, sealed_at=NULL")
    ledger.backfill(store)
    bad = failures(audit(store, key.public_key()))
    assert any(r["check"] == "signature" and "not by the given key" in r["detail"] for r in bad)


def test_edited_capture_row(built):
    store, c, first = built
    store.conn.execute("UPDATE captures SET payload_sha256=? WHERE record_id=?", ("0" * 64, c["record_id"]))
    bad = failures(audit(store))
    row = [r for r in bad if r["check"] == "capture_row"]
    assert row and row[0]["id"] == c["record_id"] and row[0]["file"] == first
    assert "payload sha256" in row[0]["detail"]


def test_capture_row_pointing_past_eof(built):
    store, c, first = built
    store.conn.execute("UPDATE captures SET offset=offset+1000000 WHERE record_id=?", (c["record_id"],))
    bad = failures(audit(store))
    assert any(r["check"] == "capture_row" and r["id"] == c["record_id"] and "past end" in r["detail"]
               for r in bad)


def test_edited_citation_row(built):
    store, c, first = built
    store.conn.execute("UPDATE citations SET exact=? WHERE id=?", ("More than 3,100 homes", c["id"]))
    bad = failures(audit(store))
    row = [r for r in bad if r["check"] == "citation_row"]
    assert row and row[0]["id"] == c["id"] and "exact" in row[0]["detail"]
    assert row[0]["file"] == first and row[0]["offset"] is not None


def test_edited_ledger_row(built):
    store, c, first = built
    store.conn.execute("UPDATE ledger SET subject='<urn:uuid:forged>' WHERE seq=1")
    bad = failures(audit(store))
    assert any(r["check"] == "ledger_row" and r["id"] == "ledger:1" for r in bad)


def test_duplicate_record_id_across_files(built):
    store, c, first = built
    second = [n for n in store.warcs.list_files() if n != first][0]
    m = capture_member(store, first)
    path = store.warcs.path_of(second)
    with open(path, "ab") as f:
        f.write(store.warcs.path_of(first).read_bytes()[m.offset:m.offset + m.length])
    bad = failures(audit(store))
    dup = [r for r in bad if r["check"] == "duplicate_id"]
    assert dup and dup[0]["id"] == m.record.record_id and first in dup[0]["detail"] and second in dup[0]["detail"]


def test_unvouched_record_is_not_a_pass(built):
    store, c, first = built
    # a record appended by something that bypasses the ledger: straight into a WARC file
    # and the index, without Store.write_records
    import io

    from archive.index.rows import index_record
    from archive.warc.record import load_record

    rec = store.warcs.builder.create_warc_record(
        c["url"], "resource", payload=io.BytesIO(b"slipped in"), length=10,
        warc_headers_dict={"WARC-Record-ID": "<urn:uuid:00000000-0000-4000-8000-00000000beef>",
                           "WARC-Date": "2026-01-01T00:00:00.000000Z", "Content-Type": "text/plain"})
    [p] = store.warcs.append([rec])
    with store.transaction() as conn:
        index_record(conn, p.warc_file, p.offset, p.length,
                     load_record(store.warcs.path_of(p.warc_file), p.offset, p.length))
    results = audit(store)
    assert any(r["check"] == "ledger_cover" and r["ok"] is False for r in results)


def test_quarantined_crash_tail_is_reported_as_recovered(built, tmp_path):
    store, c, first = built
    second = [n for n in store.warcs.list_files() if n != first][0]
    m = capture_member(store, second)
    with open(store.warcs.path_of(second), "ab") as f:
        f.write(store.warcs.path_of(second).read_bytes()[m.offset:m.offset + m.length // 2])
    store.close()
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as again:
        assert again.recovered and again.recovered[0]["quarantined"]
        results = audit(again)
        assert failures(results) == []
        q = [r for r in results if r["check"] == "quarantine"]
        assert q and q[0]["ok"] is True and q[0]["file"] == second and "recovered" in q[0]["detail"]


def test_proof_for_citation(built, key):
    store, c, first = built
    proof = proof_for_citation(store, c["id"], key.public_key())
    assert proof["ok"] is True
    assert proof["record"]["payload_sha256"] == c["snapshot_sha256"]
    assert proof["file_seal"]["warc_file"] == first and proof["file_seal"]["ledger_seq"]
    for kind in ("capture", "citation"):
        p = proof["ledger"][kind]["inclusion_proof"]
        assert ledger.verify_proof(p)
    sig = proof["signature"]
    assert sig["status"] == "valid" and sig["trusted_key"]
    for p in sig["inclusion_proofs"].values():
        assert p["root"] == sig["head"]["merkle_root"] and ledger.verify_proof(p)
    other = generate_private_key().public_key()
    assert proof_for_citation(store, c["id"], other)["signature"]["ok"] is False


def _rewrite_ledger_batch(path: Path, edit) -> None:
    """Rewrite a file with ``edit(body)`` applied to each batch ledger record's JSON body,
    digests recomputed: an edit only the chain itself can reveal."""
    import json

    out = io.BytesIO()
    writer = Sha256WARCWriter(out, gzip=True, warc_version="WARC/1.1")
    with open(path, "rb") as f:
        for rec in ArchiveIterator(f, no_record_parse=False, ensure_http_headers=False):
            body = rec.content_stream().read() if rec.http_headers else rec.raw_stream.read()
            if (rec.rec_headers.get_header("Content-Type") or "") == LEDGER_TYPE and b'"entries"' in body:
                body = json.dumps(edit(json.loads(body))).encode()
            for h in ("WARC-Block-Digest", "WARC-Payload-Digest", "Content-Length"):
                rec.rec_headers.remove_header(h)
            if rec.http_headers is not None:
                rec.http_headers.remove_header("Content-Length")
                rec.http_headers.remove_header("Transfer-Encoding")
                rec.http_headers.add_header("Content-Length", str(len(body)))
            writer.write_record(writer.create_warc_record(
                rec.rec_headers.get_header("WARC-Target-URI"), rec.rec_type, payload=io.BytesIO(body),
                length=len(body), warc_headers=rec.rec_headers, http_headers=rec.http_headers))
    path.write_bytes(out.getvalue())


def test_an_import_is_vouched_for_in_batch_records_each_entry_checked(tmp_path, site):
    source = Store(tmp_path / "src.db", tmp_path / "src")
    urls = publish_edition(site, 0) + publish_edition(site, 1)
    source.capture(urls, Fetcher(timeout=10), extract=False)
    src_file = source.warcs.path_of(source.warcs.current_file)
    source.close()
    store = Store(tmp_path / "archive.db", tmp_path / "warcs")
    store.import_path(src_file)
    entries = store.conn.execute("SELECT seq, kind, warc_file, offset FROM ledger ORDER BY seq").fetchall()
    captures = [e for e in entries if e["kind"] == "capture"]
    assert len(captures) == store.conn.execute("SELECT count(*) FROM captures").fetchone()[0] >= 3
    # one ledger record holds the import's capture entries, not one record each
    assert len({(e["warc_file"], e["offset"]) for e in captures}) == 1
    assert not failures(audit(store))
    before = [tuple(r) for r in store.conn.execute("SELECT * FROM ledger ORDER BY seq")]
    store.reindex(extract=False)
    assert [tuple(r) for r in store.conn.execute("SELECT * FROM ledger ORDER BY seq")] == before

    # a forger edits what the second entry of the batch vouches for: the chain breaks there
    def edit(body):
        body["entries"][1]["digests"]["block_sha256"] = "0" * 64
        return body

    ledger_file = store.warcs.path_of(captures[0]["warc_file"])
    store.close()
    _rewrite_ledger_batch(ledger_file, edit)
    store = Store(tmp_path / "archive.db", tmp_path / "warcs")
    bad = failures(audit(store))
    seq = captures[1]["seq"]
    assert any(r["check"] == "ledger_chain" and r["id"] == f"ledger:{seq}" for r in bad)
    assert any(r["check"] == "ledger_vouch" and f"ledger entry {seq} " in r["detail"]
               and "0" * 64 in r["detail"] for r in bad)
    store.close()


# Columns an edit of which verify --all cannot see, each with the reason it cannot
# mislead a reader. Every other column of every table must be named when edited.
NOT_CHECKED = {
    ("warc_files", "created_at"): "when the writer started the file: bookkeeping, shown nowhere as evidence",
    ("warc_files", "sealed_at"): "when the writer sealed the file: bookkeeping; the seal (sha256, size) is checked",
    ("warc_files", "state"): "whether a writer holds the file now: changes with every command",
    ("warc_files", "stored_at"): "when the uploader verified the upload: bookkeeping; where the file is kept "
                                 "(stored) is checked",
    ("_meta", "key"): "schema bookkeeping (migrations), never shown",
    ("_meta", "value"): "schema bookkeeping (migrations), never shown",
    ("_sqlite_migrations", "id"): "sqlite-utils' record of applied migrations, never shown",
    ("_sqlite_migrations", "migration_set"): "sqlite-utils' record of applied migrations, never shown",
    ("_sqlite_migrations", "name"): "sqlite-utils' record of applied migrations, never shown",
    ("_sqlite_migrations", "applied_at"): "sqlite-utils' record of applied migrations, never shown",
}
# Tables not derived from the WARC files yet: a known gap of issue 14, listed here so the
# loop below names it instead of passing over it.
NOT_YET_CHECKED = {
    "checks": "written by `archive check` from recaptures, not kept in WARC records",
    "drift": "written by `archive check`/`watch run` from recaptures, not kept in WARC records",
    "import_errors": "the import's error report, not kept in WARC records",
}
# Columns likewise (none today: a row that claims another extractor version is compared
# where the ledger vouches for that version's rows, and named where it does not).
NOT_YET_CHECKED_COLUMNS: dict[tuple[str, str], str] = {}


def _edited(value, decl: str):
    if value is None:
        return 1 if decl in ("INTEGER", "REAL") else "forged"
    if isinstance(value, (int, float)):
        return value + 7
    return value + "!" if value else "forged"


def test_verify_all_names_an_edit_of_every_column_of_every_table(built):
    """Issue 14: UPDATE any column of any row of the index, and verify --all names it."""
    store, c, first = built
    conn = store.conn
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'texts_fts%' ORDER BY name")]
    missed = []
    for table in tables:
        if table in NOT_YET_CHECKED:
            continue
        row = conn.execute(f'SELECT rowid AS _row, * FROM "{table}" ORDER BY rowid LIMIT 1').fetchone()
        if row is None:
            continue
        for _, col, decl, *_ in conn.execute(f'PRAGMA table_info("{table}")').fetchall():
            if (table, col) in NOT_CHECKED or (table, col) in NOT_YET_CHECKED_COLUMNS:
                continue
            old = row[col]
            new = _edited(old, decl)
            try:
                conn.execute(f'UPDATE "{table}" SET "{col}" = ? WHERE rowid = ?', (new, row["_row"]))
            except sqlite3.IntegrityError:   # a key taken by another row: take a free one
                new = new + 1000 if isinstance(new, (int, float)) else new + "?"
                conn.execute(f'UPDATE "{table}" SET "{col}" = ? WHERE rowid = ?', (new, row["_row"]))
            try:
                bad = failures(audit(store))
            finally:
                conn.execute(f'UPDATE "{table}" SET "{col}" = ? WHERE rowid = ?', (old, row["_row"]))
            if not bad:
                missed.append(f"{table}.{col}")
    assert missed == [], f"verify --all passed although these columns were edited: {missed}"


def _verify_all(store: Store, key, tmp_path) -> tuple[int, str]:
    from click.testing import CliRunner

    from archive.cli import cli
    from archive.provenance.keys import public_pem

    pub = tmp_path / "key.pub"
    pub.write_text(public_pem(key.public_key()))
    result = CliRunner().invoke(cli, ["--db", str(store.db_path), "--warcs", str(store.warcs_dir),
                                      "verify", "--all", "--public-key", str(pub)], catch_exceptions=False)
    return result.exit_code, result.output


def test_edited_text_and_figure_fail_verify_all(built, key, tmp_path):
    """Issue 14, finding 1, as written: edit a text and a figure in the index; verify
    --all --public-key exits 1 naming the table and the row."""
    store, c, first = built
    assert _verify_all(store, key, tmp_path)[0] == 0
    store.conn.execute("UPDATE texts SET text=replace(text, 'evacuated overnight', 'evacuated on Sunday!')")
    code, out = _verify_all(store, key, tmp_path)
    assert code == 1 and "FAIL derived_row texts:" in out, out
    store.conn.execute("UPDATE texts SET text=replace(text, 'evacuated on Sunday!', 'evacuated overnight')")
    store.conn.execute("UPDATE figures SET text='9,999', value=9999 WHERE text='2,300'")
    code, out = _verify_all(store, key, tmp_path)
    assert code == 1 and "FAIL derived_row figures:" in out and "9999" in out, out
