"""The ledger: hash chain, RFC 6962 Merkle proofs, signed heads, reindex, concurrency, keys."""

from __future__ import annotations

import stat
import threading

import pytest
from click.testing import CliRunner

from archive.provenance import ledger
from archive.capture.http import Fetcher
from archive.index.versions import rows_sha256
from archive.provenance.cite import cite
from archive.text.extract import EXTRACTOR_VERSION
from archive.cli.keys import keys_cli
from archive.provenance.keys import generate_private_key, load_private_key, load_public_key
from archive.site import publish_edition
from archive.store import Store

PASSAGE = "More than 2,300 homes were evacuated overnight"



@pytest.fixture
def lstore(tmp_path):
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        yield s


def test_rfc6962_reference_root():
    # certificate-transparency's eight-leaf test tree
    leaves = [bytes.fromhex(x) for x in ["", "00", "10", "2021", "3031", "40414243",
                                          "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
    assert ledger.merkle_root_of(leaves).hex() == \
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


@pytest.mark.parametrize("n", list(range(1, 34)))
def test_every_inclusion_proof_verifies_and_tampering_fails(n):
    data = [bytes([i]) * 32 for i in range(n)]
    root = ledger.merkle_root_of(data).hex()
    for m in range(n):
        path = [p.hex() for p in ledger.inclusion_path(data, m)]
        h = data[m].hex()
        assert ledger.verify_inclusion(h, m, n, path, root)
        assert not ledger.verify_inclusion(h, n, n, path, root)  # index outside the tree
        assert not ledger.verify_inclusion((bytes([255]) * 32).hex(), m, n, path, root)
        if path:
            bad = list(path)
            bad[0] = "00" * 32
            assert not ledger.verify_inclusion(h, m, n, bad, root)


def test_captures_and_citations_are_chained(lstore, site):
    urls = publish_edition(site, 0)
    lstore.capture(urls, Fetcher(timeout=10))
    c = cite(lstore, urls[0], PASSAGE)
    row = lstore.conn.execute("SELECT * FROM citations WHERE id=?", (c["id"],)).fetchone()
    ledger.record_citation(lstore, row)
    ledger.record_citation(lstore, row)  # idempotent
    entries = ledger.entries(lstore)
    # the texts extracted after the captures are vouched for in between (kind "text")
    assert [e["kind"] for e in entries if e["kind"] != "text"] == ["capture"] * 3 + ["citation"]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    text = ledger.entry_for(lstore, "text", ledger.text_subject(c["snapshot_sha256"], EXTRACTOR_VERSION))
    assert text["digests"]["text_sha256"] == c["text_sha256"]
    assert text["digests"]["rows_sha256"] == rows_sha256(lstore.conn, c["text_sha256"])
    assert entries[0]["prev_hash"] == ledger.GENESIS_HASH
    assert ledger.check_chain(entries) == []
    cap = lstore.capture_row(c["record_id"])
    e = ledger.entry_for(lstore, "capture", c["record_id"])
    assert e["digests"]["block_sha256"] == cap["block_sha256"]
    assert e["digests"]["payload_sha256"] == c["snapshot_sha256"]
    assert ledger.entry_for(lstore, "citation", c["id"])["digests"]["snapshot_sha256"] == c["snapshot_sha256"]
    # calling the hook again for the same rows adds nothing
    ledger.record_captures(lstore, lstore.conn.execute("SELECT * FROM captures").fetchall())
    assert len(ledger.entries(lstore)) == len(entries)
    for seq in range(1, len(entries) + 1):
        assert ledger.verify_proof(ledger.inclusion_proof(lstore, seq))


def test_check_chain_finds_each_kind_of_break():
    es = []
    prev = ledger.GENESIS_HASH
    for i in range(1, 5):
        e = ledger.make_entry(i, prev, "capture", f"<urn:uuid:{i}>", {"block_sha256": "a" * 64}, "t")
        es.append(e)
        prev = e["entry_hash"]
    assert ledger.check_chain(es) == []
    edited = [dict(e) for e in es]
    edited[2]["subject"] = "<urn:uuid:forged>"
    assert ledger.check_chain(edited)[0]["problem"] == "entry_hash"
    assert ledger.check_chain(es[:1] + es[2:])[0]["problem"] == "seq_gap"
    assert ledger.check_chain(es[:2] + es[1:])[0]["problem"] == "duplicate_seq"
    relinked = [dict(e) for e in es]
    relinked[3]["prev_hash"] = "f" * 64
    relinked[3]["entry_hash"] = ledger.entry_hash(relinked[3])
    assert ledger.check_chain(relinked)[0]["problem"] == "broken_link"


def test_seals_and_signed_heads_survive_reindex(lstore, site):
    key = generate_private_key()
    urls = publish_edition(site, 0)
    lstore.capture(urls[:2], Fetcher(timeout=10), extract=False)
    first = lstore.warcs.current_file
    lstore.warcs.close(seal=True)
    head = ledger.sign_head(lstore, key)
    seal = ledger.entry_for(lstore, "seal", first)
    assert seal is not None and seal["digests"]["size"] == lstore.warcs.path_of(first).stat().st_size
    assert head["seq"] == 3 and head["merkle_root"] == ledger.merkle_root(lstore)
    assert ledger.check_head_signature(head, key.public_key())[0]
    ok, why = ledger.check_head_signature(head, generate_private_key().public_key())
    assert not ok and "not by the given key" in why
    forged = dict(head, merkle_root="0" * 64)
    assert not ledger.check_head_signature(forged, key.public_key())[0]
    before = lstore.conn.execute("SELECT seq, entry_hash, kind, subject, digests FROM ledger ORDER BY seq").fetchall()
    heads = ledger.signed_heads(lstore)
    lstore.reindex(extract=False)
    after = lstore.conn.execute("SELECT seq, entry_hash, kind, subject, digests FROM ledger ORDER BY seq").fetchall()
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    assert ledger.signed_heads(lstore) == heads


def test_signing_key_signs_every_batch(lstore, site):
    key = generate_private_key()
    lstore.signing_key = key
    urls = publish_edition(site, 0)
    lstore.capture(urls, Fetcher(timeout=10), extract=False)
    # one capture command appends its entries in batches: here one batch of three
    heads = ledger.signed_heads(lstore)
    assert [h["seq"] for h in heads] == [3]
    lstore.capture(urls[:1], Fetcher(timeout=10), extract=False)  # a revisit: one more batch, one more head
    heads = ledger.signed_heads(lstore)
    assert [h["seq"] for h in heads] == [3, 4]
    assert heads[-1]["merkle_root"] == ledger.merkle_root(lstore)


def test_two_writers_share_one_chain(tmp_path, site):
    """Two stores on the same files (as two processes would be) never fork the chain."""
    urls = publish_edition(site, 0)
    a = Store(tmp_path / "archive.db", tmp_path / "warcs")
    b = Store(tmp_path / "archive.db", tmp_path / "warcs")
    fetcher = Fetcher(timeout=10)

    def run(store):
        for _ in range(4):
            store.capture(urls, fetcher, extract=False)

    threads = [threading.Thread(target=run, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = ledger.entries(a)
    assert len(entries) == 24
    assert ledger.check_chain(entries) == []
    a.close()
    b.close()


def test_keys_generate_cli(tmp_path):
    runner = CliRunner()
    d = tmp_path / "k"
    r = runner.invoke(keys_cli, ["generate", "--dir", str(d)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    priv, pub = d / "archive-signing.key", d / "archive-signing.pub"
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600
    key = load_private_key(priv)
    assert load_public_key(pub).public_bytes_raw() == key.public_key().public_bytes_raw()
    r = runner.invoke(keys_cli, ["generate", "--dir", str(d)], catch_exceptions=False)
    assert r.exit_code == 2 and "refusing to overwrite" in r.output
    assert load_private_key(priv).private_bytes_raw() == key.private_bytes_raw()


def test_keys_sign_cli(tmp_path, site):
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        s.capture(publish_edition(site, 0)[:1], Fetcher(timeout=10), extract=False)
    runner = CliRunner()
    runner.invoke(keys_cli, ["generate", "--dir", str(tmp_path / "k")], catch_exceptions=False)
    r = runner.invoke(keys_cli, ["sign", "--key", str(tmp_path / "k" / "archive-signing.key"),
                                 "--db", str(tmp_path / "archive.db"), "--warcs", str(tmp_path / "warcs")],
                      catch_exceptions=False)
    # the capture (its file was closed cleanly, not sealed: the next capture continues it)
    assert r.exit_code == 0 and "signed ledger head: 1 entries" in r.output
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        pub = load_public_key(tmp_path / "k" / "archive-signing.pub")
        assert ledger.check_head_signature(ledger.signed_heads(s)[-1], pub)[0]
    r = runner.invoke(keys_cli, ["sign", "--key", str(tmp_path / "nope.key"),
                                 "--db", str(tmp_path / "archive.db"), "--warcs", str(tmp_path / "warcs")],
                      catch_exceptions=False)
    assert r.exit_code == 2 and "cannot read signing key" in r.output
