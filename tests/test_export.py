"""WACZ and CDXJ exports, checked by the reference tools (py-wacz, pywb's cdxj-indexer)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from click.testing import CliRunner

from archive.provenance import ledger
from archive.provenance.audit import audit
from archive.capture.http import Fetcher
from archive.provenance.cite import cite
from archive.cli.export import export_cli
from archive.export import export_wacz, surt_key, verify_wacz_signature
from archive.provenance.waczauth import AnonymousSigner
from archive.site import publish_edition
from archive.store import Store

BIN = Path(sys.executable).parent
PASSAGE = "More than 2,300 homes were evacuated overnight"


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "wacz"), "validate", "-f", str(path)], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def filled(tmp_path, site):
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        fetcher = Fetcher(timeout=10)
        urls = publish_edition(site, 0)
        store.capture(urls, fetcher)
        c = cite(store, urls[0], PASSAGE)
        row = store.conn.execute("SELECT * FROM citations WHERE id=?", (c["id"],)).fetchone()
        ledger.backfill(store)
        ledger.record_citation(store, row)
        publish_edition(site, 1)
        store.capture([urls[0]], fetcher)
        ledger.record_captures(store, store.conn.execute("SELECT * FROM captures").fetchall())
        yield store, c, urls


@pytest.mark.skipif(not (BIN / "wacz").exists(), reason="py-wacz is not installed")
@pytest.mark.parametrize("kind", ["store", "page", "citation"])
def test_wacz_passes_the_reference_validator(filled, tmp_path, kind):
    store, c, urls = filled
    target = tmp_path / f"{kind}.wacz"
    key = ec.generate_private_key(ec.SECP384R1())
    args = {"page": {"page": urls[0]}, "citation": {"citation": c["id"]}, "store": {}}[kind]
    export_wacz(store, target, signer=AnonymousSigner(key), **args)
    result = validate(target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded" in result.stdout
    assert verify_wacz_signature(target, key.public_key())["ok"]
    assert not verify_wacz_signature(target, ec.generate_private_key(ec.SECP384R1()).public_key())["ok"]
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
        assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdx", "pages/pages.jsonl"} <= set(names)
        for info in zf.infolist():
            if info.filename.startswith("archive/"):
                assert info.compress_type == zipfile.ZIP_STORED
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()]
        assert pages[0]["format"] == "json-pages-1.0" and any(p["url"] == urls[0] for p in pages[1:])
        if kind == "citation":
            proof = json.loads(zf.read("provenance/proof.json"))
            assert proof["id"] == c["id"] and proof["record"]["ok"]


def test_citation_wacz_keeps_the_exact_record_bytes(filled, tmp_path):
    """Members are copied, not rewritten: the digests and ledger entries still match."""
    store, c, urls = filled
    target = tmp_path / "c.wacz"
    export_wacz(store, target, citation=c["id"])
    with Store(tmp_path / "other.db", tmp_path / "other-warcs") as other:
        r = other.import_path(target)
        assert r["errors"] == []
        orig = store.capture_row(c["record_id"])
        copy = other.capture_row(c["record_id"])
        assert copy["block_sha256"] == orig["block_sha256"]
        assert copy["payload_sha256"] == c["snapshot_sha256"] and copy["fixity"] == "ok"
        assert other.conn.execute("SELECT id FROM citations").fetchone()[0] == c["id"]
        # the other store's own ledger vouches for what it imported; the exporter's
        # ledger records travel inside the WARC, unmerged
        kinds = dict(other.conn.execute("SELECT kind, count(*) FROM ledger GROUP BY kind").fetchall())
        assert kinds["capture"] == other.conn.execute("SELECT count(*) FROM captures").fetchone()[0]
        assert kinds["citation"] == 1
        assert not [r for r in audit(other) if r["ok"] is False]


def test_wacz_round_trip_into_a_fresh_store(filled, tmp_path):
    store, c, urls = filled
    target = tmp_path / "all.wacz"
    export_wacz(store, target)
    with Store(tmp_path / "fresh.db", tmp_path / "fresh-warcs") as fresh:
        r = fresh.import_path(target)
        assert r["errors"] == []
        q = "SELECT record_id, payload_sha256, block_sha256, captured_at FROM captures ORDER BY record_id"
        assert fresh.conn.execute(q).fetchall() == store.conn.execute(q).fetchall()
        cq = "SELECT id, snapshot_sha256, exact, start, \"end\" FROM citations ORDER BY id"
        assert fresh.conn.execute(cq).fetchall() == store.conn.execute(cq).fetchall()
        # the source's ledger records are carried byte for byte inside the imported WARC
        from archive.index.metadata import LEDGER_TYPE
        from archive.warc.reader import Found, iter_records
        carried = {item.record.record_id for name in fresh.warcs.list_files() if name.startswith("import-")
                   for item in iter_records(fresh.warcs.path_of(name))
                   if isinstance(item, Found) and (item.record.header("Content-Type") or "").startswith(LEDGER_TYPE)}
        source = {r[0] for r in store.conn.execute("SELECT record_id FROM ledger")}
        assert source <= carried
        assert not [r for r in audit(fresh) if r["ok"] is False]


def test_export_cli(filled, tmp_path):
    store, c, urls = filled
    runner = CliRunner()
    common = ["--db", str(store.db_path), "--warcs", str(store.warcs_dir)]
    r = runner.invoke(export_cli, ["wacz", str(tmp_path / "x.wacz"), "--citation", c["id"],
                                   "--sign-key", str(tmp_path / "keys" / "wacz.key"), *common],
                      catch_exceptions=False)
    assert r.exit_code == 0 and "signed" in r.output
    r = runner.invoke(export_cli, ["wacz", str(tmp_path / "y.wacz"), "--citation", "c-nope", *common],
                      catch_exceptions=False)
    assert r.exit_code == 2 and "no citation" in r.output
    r = runner.invoke(export_cli, ["cdxj", *common], catch_exceptions=False)
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines == sorted(lines) and len(lines) >= 4
    key, ts, body = lines[0].split(" ", 2)
    assert len(ts) == 14 and ts.isdigit()
    assert set(json.loads(body)) >= {"url", "digest", "length", "offset", "filename"}


@pytest.mark.parametrize("url,key", [
    ("http://www.example.com/", "com,example)/"),
    ("https://WWW2.Example.com:443/A/./B/?b=2&a=1#frag", "com,example)/a/b?a=1&b=2"),
    ("http://example.com/%7Efoo/", "com,example)/~foo"),
    ("http://user:pw@example.com:8080/a b", "com,example:8080)/a%20b"),
    ("http://[::1]:8000/a", "::1:8000)/a"),
    ("http://2130706433/", "1,0,0,127)/"),
    ("dns:Example.com", "dns:example.com"),
])
def test_surt_key(url, key):
    assert surt_key(url) == key


def _key_fields(line: str) -> tuple:
    key, ts, body = line.split(" ", 2)
    d = json.loads(body)
    return (key, ts, d.get("url"), d.get("digest"), d.get("offset"), d.get("length"), d.get("filename"),
            d.get("mime"), d.get("status"))


def test_cdxj_matches_cdxj_indexer_on_the_corpus(corpus, tmp_path):
    """Import the corpus, index the stored copies with pywb's cdxj-indexer, and compare
    every line's key fields with ours."""
    indexer = BIN / "cdxj-indexer"
    if not indexer.exists():
        pytest.skip("cdxj-indexer is not installed")
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        for p in sorted((corpus / "warc").iterdir()):
            if p.suffix == ".wacz":
                continue
            try:
                store.import_path(p)
            except Exception:  # a file our importer refuses is not this test's subject
                continue
        from io import StringIO

        from archive.export import export_cdxj

        buf = StringIO()
        export_cdxj(store, buf)
        ours = buf.getvalue().splitlines()
        names = [n for n in store.warcs.list_files()]
    assert names
    ref = subprocess.run([str(indexer), *[str(tmp_path / "warcs" / n) for n in names]],
                         capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr
    theirs = sorted(ref.stdout.splitlines())
    ours_by_pos = {(json.loads(l.split(" ", 2)[2])["filename"], json.loads(l.split(" ", 2)[2])["offset"]): l
                   for l in ours}
    theirs_by_pos = {(json.loads(l.split(" ", 2)[2])["filename"], json.loads(l.split(" ", 2)[2])["offset"]): l
                     for l in theirs}
    assert set(ours_by_pos) == set(theirs_by_pos)
    mismatches = [(theirs_by_pos[k], ours_by_pos[k]) for k in sorted(theirs_by_pos)
                  if _key_fields(theirs_by_pos[k]) != _key_fields(ours_by_pos[k])]
    assert mismatches == []
    assert len(ours) == len(theirs)


def _hand_signed_wacz(path: Path, private_key, signature: str) -> Path:
    """A WACZ holding only its package and digest, signed (as the auth spec lays out) by
    ``private_key``, whose public key is embedded."""
    import base64
    import hashlib

    from cryptography.hazmat.primitives import serialization

    package = b'{"profile": "data-package", "resources": []}'
    digest = "sha256:" + hashlib.sha256(package).hexdigest()
    der = private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    signed = {"hash": digest, "signature": signature(digest.encode("ascii")),
              "publicKey": base64.b64encode(der).decode("ascii")}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("datapackage.json", package)
        zf.writestr("datapackage-digest.json", json.dumps({"path": "datapackage.json", "hash": digest,
                                                           "signedData": signed}))
    return path


def test_wacz_signed_another_way_is_reported_unverified_not_a_crash(tmp_path):
    """The spec's anonymous form is ECDSA with an r||s signature (WebCrypto's encoding). Our
    former Ed25519 packages and a DER-encoded ECDSA signature are reported not ok."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    from archive.provenance.keys import sign

    ed = Ed25519PrivateKey.generate()
    result = verify_wacz_signature(_hand_signed_wacz(tmp_path / "ed.wacz", ed, lambda d: sign(ed, d)))
    assert result["ok"] is False and ("publicKey is an ECDSA key", False) in result["checks"]
    p256 = ec.generate_private_key(ec.SECP256R1())
    der = _hand_signed_wacz(tmp_path / "der.wacz", p256, lambda d: base64.b64encode(
        p256.sign(d, ec.ECDSA(hashes.SHA256()))).decode("ascii"))
    assert verify_wacz_signature(der)["ok"] is False

    def raw(d: bytes) -> str:
        r, s_ = decode_dss_signature(p256.sign(d, ec.ECDSA(hashes.SHA256())))
        return base64.b64encode(r.to_bytes(32, "big") + s_.to_bytes(32, "big")).decode("ascii")

    assert verify_wacz_signature(_hand_signed_wacz(tmp_path / "raw.wacz", p256, raw))["ok"] is True
