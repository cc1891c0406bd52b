"""Several capture machines, one archive, without a bucket: each machine has its own
index and writes WARC files into one shared directory (an NFS mount, or files rsynced
there), so each keeps its own ledger chain; the serving machine rebuilds its index from
the directory, signs one root over every chain, and `verify --all` checks each chain on
its own and the root over them (issue 20). The same with SeaweedFS is in
tests/test_scale_s3.py."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archive.capture.http import Fetcher
from archive.cli import cli
from archive.index.metadata import ROOT_TYPE
from archive.provenance import ledger
from archive.provenance.audit import audit, proof_for_citation
from archive.provenance.cite import cite
from archive.provenance.keys import load_public_key
from archive.site import publish_edition
from archive.store import Store
from archive.warc.writer import Sha256WARCWriter

PASSAGE = "More than 2,300 homes were evacuated overnight"


@pytest.fixture
def keys(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["keys", "generate", "--dir", str(tmp_path / "k")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return tmp_path / "k" / "archive-signing.key", tmp_path / "k" / "archive-signing.pub"


def on(machine: str, tmp_path: Path, shared: Path, monkeypatch) -> Store:
    """The store of capture machine ``machine``: its own index, the shared directory."""
    monkeypatch.setenv("ARCHIVE_MACHINE", machine)
    return Store(tmp_path / f"{machine}.db", shared)


def capture_on(machine: str, tmp_path: Path, shared: Path, monkeypatch, urls: list[str],
               seal: bool = False) -> list[dict]:
    with on(machine, tmp_path, shared, monkeypatch) as store:
        results = store.capture(urls, Fetcher(timeout=10), extract=False)
        assert all("error" not in r for r in results), results
        if seal:
            store.warcs.close(seal=True)
    return results


def serve(tmp_path: Path, shared: Path, monkeypatch) -> None:
    """The serving machine rebuilds its index from everything in the directory."""
    with on("serve", tmp_path, shared, monkeypatch) as store:
        store.reindex(extract=False)


def run(*args: str) -> tuple[int, list[dict], str]:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    out = [json.loads(line) for line in r.output.splitlines() if line.startswith("{")]
    return r.exit_code, out, r.output


def verify(tmp_path: Path, shared: Path, pub: Path | None = None) -> tuple[int, list[dict]]:
    args = ["--db", str(tmp_path / "serve.db"), "--warcs", str(shared), "verify", "--all", "--json"]
    code, out, _ = run(*args, *(["--public-key", str(pub)] if pub else []))
    return code, [r for r in out if "check" in r]   # the audit's results (citations' have "checks")


def two_machines(tmp_path: Path, site, monkeypatch) -> tuple[Path, list[str], str]:
    """Machine alpha captures some pages and beta the first one, citing it, into one shared
    ``warcs/``; the serving machine imports both. The shared directory, the pages' URLs
    and the citation id."""
    shared = tmp_path / "warcs"
    urls = publish_edition(site, 0)
    capture_on("alpha", tmp_path, shared, monkeypatch, urls[1:])
    with on("beta", tmp_path, shared, monkeypatch) as beta:
        beta.capture(urls[:1], Fetcher(timeout=10))
        cid = cite(beta, urls[0], PASSAGE)["id"]
    serve(tmp_path, shared, monkeypatch)
    return shared, urls, cid


def sign(tmp_path: Path, shared: Path, key: Path) -> tuple[int, str]:
    code, _, output = run("keys", "sign", "--key", str(key), "--db", str(tmp_path / "serve.db"),
                          "--warcs", str(shared))
    return code, output


def failed(results: list[dict], check: str | None = None) -> list[dict]:
    return [r for r in results if r["ok"] is False and (check is None or r["check"] == check)]


def test_two_machines_keep_two_chains_and_one_signed_root_covers_both(tmp_path, site, keys, monkeypatch):
    key, pub = keys
    shared, urls, cid = two_machines(tmp_path, site, monkeypatch)
    with on("serve", tmp_path, shared, monkeypatch) as store:
        found = ledger.chains(store)
        assert sorted(ch["writer"] for ch in found) == ["alpha", "beta"]
        assert all(not ch["problems"] and not ch["own"] for ch in found)
        # Each chain starts at entry 1: two chains, not one chain and a fork.
        assert {e["seq"] for e in ledger.entries(store, chain=found[0]["chain"])} >= {1}

    # Two chains and no root: each is named as not covered; neither is called a fork.
    code, results = verify(tmp_path, shared)
    assert code == 1
    uncovered = failed(results, "ledger_root")
    assert sorted(next(w for w in ("alpha", "beta") if f"of {w}" in r["detail"]) for r in uncovered) == ["alpha", "beta"]
    assert all("not covered by a signed root" in r["detail"] for r in uncovered)
    assert not failed(results, "ledger_chain") and not any("fork" in r["detail"] for r in results)

    code, output = sign(tmp_path, shared, key)
    assert code == 0, output
    assert "signed root over 2 chains" in output and "alpha" in output and "beta" in output
    code, results = verify(tmp_path, shared, pub)
    assert code == 0, failed(results)
    assert {r["id"].split("/")[0] for r in results if r["check"] == "ledger_root" and r["ok"]} == \
        {"chain:alpha", "chain:beta"}
    assert len([r for r in results if r["check"] == "ledger_chain" and r["ok"]]) == 2

    # A citation made on beta is proved on the serving machine through the root.
    with on("serve", tmp_path, shared, monkeypatch) as store:
        proof = proof_for_citation(store, cid, load_public_key(pub))
        assert proof["ledger"]["citation"]["entry"]["chain"] != ledger.own_chain(store)
        assert proof["signature"]["status"] == "valid" and proof["signature"]["root"]
        assert proof["ok"], proof

    # A third machine appears after the root: its chain fails until a root covers it.
    capture_on("gamma", tmp_path, shared, monkeypatch, urls[:1])
    serve(tmp_path, shared, monkeypatch)
    code, results = verify(tmp_path, shared, pub)
    assert code == 1
    [bad] = failed(results)
    assert bad["check"] == "ledger_root" and "of gamma" in bad["detail"] and "not covered" in bad["detail"]
    code, output = sign(tmp_path, shared, key)
    assert code == 0 and "signed root over 3 chains" in output
    code, results = verify(tmp_path, shared, pub)
    assert code == 0, failed(results)


def test_a_fork_within_one_chain_fails_naming_it_and_is_not_signed(tmp_path, site, keys, monkeypatch):
    """A capture machine cloned with its index (a copied VM) extends the same chain from
    the same head as the original: two entries claim one place in that chain."""
    key, pub = keys
    shared = tmp_path / "warcs"
    urls = publish_edition(site, 0)
    capture_on("alpha", tmp_path, shared, monkeypatch, urls[:2], seal=True)
    capture_on("beta", tmp_path, shared, monkeypatch, urls[2:])
    serve(tmp_path, shared, monkeypatch)
    assert sign(tmp_path, shared, key)[0] == 0
    assert verify(tmp_path, shared, pub)[0] == 0
    # The clone: alpha's index copied to another machine, which captures on.
    src, dst = sqlite3.connect(tmp_path / "alpha.db"), sqlite3.connect(tmp_path / "alpha2.db")
    src.backup(dst)
    src.close()
    dst.close()
    shutil.copy(tmp_path / "alpha.db.writer-keys", tmp_path / "alpha2.db.writer-keys")
    capture_on("alpha", tmp_path, shared, monkeypatch, urls[:1])
    capture_on("alpha2", tmp_path, shared, monkeypatch, urls[1:2])
    serve(tmp_path, shared, monkeypatch)
    code, results = verify(tmp_path, shared, pub)
    assert code == 1
    forks = [r for r in failed(results, "ledger_chain") if "fork" in r["detail"]]
    assert forks and all("of alpha" in r["detail"] for r in forks), failed(results)
    assert forks[0]["id"].startswith("ledger:alpha/")
    assert not any("of beta" in r["detail"] for r in failed(results))
    code, output = sign(tmp_path, shared, key)
    assert code == 2 and "not signing a root" in output and "of alpha" in output and "duplicate_seq" in output


def _rewrite_roots(path: Path, edit) -> None:
    """Rewrite a file with ``edit(body)`` applied to each root record, digests recomputed:
    only the signature can tell."""
    out = io.BytesIO()
    writer = Sha256WARCWriter(out, gzip=True, warc_version="WARC/1.1")
    with open(path, "rb") as f:
        for rec in ArchiveIterator(f, no_record_parse=False, ensure_http_headers=False):
            body = rec.content_stream().read() if rec.http_headers else rec.raw_stream.read()
            if (rec.rec_headers.get_header("Content-Type") or "") == ROOT_TYPE:
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


def test_a_root_whose_signature_or_heads_do_not_match_fails(tmp_path, site, keys, monkeypatch):
    key, pub = keys
    shared = tmp_path / "warcs"
    urls = publish_edition(site, 0)
    capture_on("alpha", tmp_path, shared, monkeypatch, urls[:2])
    capture_on("beta", tmp_path, shared, monkeypatch, urls[2:3], seal=True)
    beta_first = {p.name for p in shared.glob("*-beta-*")}
    capture_on("beta", tmp_path, shared, monkeypatch, urls[3:] or urls[:1])
    serve(tmp_path, shared, monkeypatch)
    assert sign(tmp_path, shared, key)[0] == 0
    assert verify(tmp_path, shared, pub)[0] == 0

    # Checked against another key, the root is not the archive's.
    other = tmp_path / "other"
    run("keys", "generate", "--dir", str(other))
    code, results = verify(tmp_path, shared, other / "archive-signing.pub")
    assert code == 1 and any("not by the given key" in r["detail"] for r in failed(results, "ledger_root"))

    # The root's heads edited, its signature kept: it no longer verifies.
    [root_file] = [p for p in shared.glob("*-serve-*") if ROOT_TYPE.encode() in _gunzip(p)]
    saved = root_file.read_bytes()

    def shorten(body):
        body["chains"][0]["seq"] -= 1
        return body

    _rewrite_roots(root_file, shorten)
    serve(tmp_path, shared, monkeypatch)
    code, results = verify(tmp_path, shared, pub)
    assert code == 1 and any("signature does not verify" in r["detail"] for r in failed(results, "ledger_root"))
    root_file.write_bytes(saved)
    serve(tmp_path, shared, monkeypatch)
    assert verify(tmp_path, shared, pub)[0] == 0

    # beta's later file goes missing: the root's head of beta is no longer in its chain.
    for p in shared.glob("*-beta-*"):
        if p.name not in beta_first:
            p.unlink()
    serve(tmp_path, shared, monkeypatch)
    code, results = verify(tmp_path, shared, pub)
    assert code == 1
    bad = failed(results, "ledger_root")
    assert bad and all("of beta" in r["detail"] for r in bad), [r["detail"] for r in bad]
    assert any("the WARC files hold" in r["detail"] for r in bad), bad


def _gunzip(path: Path) -> bytes:
    import gzip

    return gzip.decompress(path.read_bytes())


def test_an_index_from_before_chains_keeps_extending_its_own(tmp_path, site):
    """An index whose ledger table was keyed by seq alone (one chain) is migrated: its
    entries are one chain, its own, and the next capture extends it, not a new one."""
    key_store = tmp_path / "archive.db"
    urls = publish_edition(site, 0)
    with Store(key_store, tmp_path / "warcs") as store:
        store.capture(urls[:2], Fetcher(timeout=10), extract=False)
        before = ledger.entries(store)
    con = sqlite3.connect(key_store)
    # as the earlier version left it
    con.executescript("""
        CREATE TABLE old_ledger (seq INTEGER PRIMARY KEY, entry_hash TEXT, prev_hash TEXT, kind TEXT,
            subject TEXT, digests TEXT, at TEXT, warc_file TEXT, offset INTEGER, length INTEGER, record_id TEXT);
        INSERT INTO old_ledger SELECT seq, entry_hash, prev_hash, kind, subject, digests, at, warc_file,
            offset, length, record_id FROM ledger;
        DROP TABLE ledger;
        ALTER TABLE old_ledger RENAME TO ledger;
        CREATE INDEX ledger_subject ON ledger(subject, kind);
        DROP TABLE ledger_roots;
        DELETE FROM _meta WHERE key='ledger_chain';
        DELETE FROM _sqlite_migrations WHERE name='m004_ledger_chains';
    """)
    con.commit()
    con.close()
    (tmp_path / "archive.db.writer-keys").unlink()   # nothing else to tell its chain by
    with Store(key_store, tmp_path / "warcs") as store:
        keyed = sorted((r[5], r[1]) for r in store.conn.execute("PRAGMA table_info(ledger)") if r[5])
        assert [name for _, name in keyed] == ["warc_file", "offset", "seq"]
        store.capture(urls[2:], Fetcher(timeout=10), extract=False)
        after = ledger.entries(store)
        assert [e["entry_hash"] for e in after[:len(before)]] == [e["entry_hash"] for e in before]
        assert len(after) > len(before) and ledger.check_chain(after) == []
        assert len(ledger.chains(store)) == 1
        assert not [r for r in audit(store) if r["ok"] is False]


def test_a_signature_is_verified_only_against_a_pinned_key(tmp_path, site, keys, monkeypatch):
    """Without --public-key a root or head whose signature matches the key it declares
    proves only that it is unchanged (anyone can sign with a key of their own): verify
    says which key signed and that it is not pinned (?, exit 0), never that it verified;
    with the key pinned it verifies, and a root by another key fails."""
    from archive.provenance.keys import generate_private_key, key_id

    key, pub = keys
    shared, _, cid = two_machines(tmp_path, site, monkeypatch)
    assert sign(tmp_path, shared, key)[0] == 0
    kid = key_id(load_public_key(pub))[:16]

    def signed(results):
        return [r for r in results if r["check"] in ("ledger_root", "signature")]

    code, results = verify(tmp_path, shared)
    assert code == 0, failed(results)
    sig = signed(results)
    assert {r["id"].split("/")[0] for r in sig if r["check"] == "ledger_root"} == {"chain:alpha", "chain:beta"}
    for r in sig:
        assert r["ok"] is None, r
        assert f"key {kid}" in r["detail"] and "not pinned" in r["detail"] and "--public-key" in r["detail"], r
        assert "verified" not in r["detail"], r
    code, _, text = run("--db", str(tmp_path / "serve.db"), "--warcs", str(shared), "verify", "--all")
    lines = [line for line in text.splitlines() if " ledger_root " in line]
    assert code == 0 and lines and all(line.startswith("?") and "not pinned" in line for line in lines), text

    # Pinned: the same root verifies.
    code, results = verify(tmp_path, shared, pub)
    assert code == 0, failed(results)
    roots = [r for r in signed(results) if r["check"] == "ledger_root"]
    assert roots and all(r["ok"] is True and "verified with the pinned key" in r["detail"] for r in roots)

    # A citation's proof (what its page shows) says the same.
    with on("serve", tmp_path, shared, monkeypatch) as store:
        sig = proof_for_citation(store, cid)["signature"]
        assert sig["status"] == "unpinned" and sig["ok"] is None and f"key {kid}" in sig["detail"], sig
        assert "not pinned" in sig["detail"] and "verified" not in sig["detail"]
        sig = proof_for_citation(store, cid, load_public_key(pub))["signature"]
        assert sig["status"] == "valid" and sig["ok"] is True and sig["root"], sig
    # And the citation page's summary line, served without and with the key pinned.
    from .test_datasette import datasette_for, get

    page = get(datasette_for(tmp_path / "serve.db"), f"/-/cite/{cid}").text
    assert "signature: signed by a key that is not pinned" in page, page
    monkeypatch.setenv("ARCHIVE_PUBLIC_KEY", str(pub))
    page = get(datasette_for(tmp_path / "serve.db"), f"/-/cite/{cid}").text
    assert "not pinned" not in page and "verified with the pinned key" in page, page
    monkeypatch.delenv("ARCHIVE_PUBLIC_KEY")

    # Someone with write access adds a root signed with a key of their own over the same
    # chains: unpinned it is one more unchecked signature (and names its key); pinned, it
    # fails, and a citation's proof still rests on the archive's root.
    impostor = generate_private_key()
    with on("serve", tmp_path, shared, monkeypatch) as store:
        ledger.sign_root(store, impostor)
    other = key_id(impostor.public_key())[:16]
    code, results = verify(tmp_path, shared)
    assert code == 0 and not failed(results), failed(results)
    assert all(r["ok"] is None and "not pinned" in r["detail"] for r in signed(results)), signed(results)
    assert any(f"key {other}" in r["detail"] for r in signed(results))
    code, results = verify(tmp_path, shared, pub)
    assert code == 1 and any("not by the given key" in r["detail"] for r in failed(results, "ledger_root"))
    with on("serve", tmp_path, shared, monkeypatch) as store:
        sig = proof_for_citation(store, cid, load_public_key(pub))["signature"]
        assert sig["status"] == "valid" and sig["root"]["key_id"].startswith(kid), sig
        sig = proof_for_citation(store, cid)["signature"]
        assert sig["status"] == "unpinned" and sig["root"]["key_id"].startswith(other), sig
