"""WARC files in an S3-compatible bucket: written locally and durably, uploaded when sealed,
checked against their SHA-256, read back by byte range — against a real SeaweedFS server
started by the test run on 127.0.0.1 (skipped where ``weed`` is not installed)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from archive.capture.http import Fetcher
from archive.provenance.cite import cite
from archive.site import publish_edition
from archive.store import Store

from .scale_servers import SeaweedS3

pytest.importorskip("boto3", reason="the s3 extra is not installed (pip install 'archive-store[s3]')")

ROOT = Path(__file__).resolve().parents[1]
PASSAGE = "More than 2,300 homes were evacuated overnight"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    server = SeaweedS3(tmp_path_factory.mktemp("seaweed")).start()
    saved = {k: os.environ.get(k) for k in server.env()}
    os.environ.update(server.env())
    try:
        yield server
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def bucket(s3):
    """One bucket for the module's tests (each a collection of volumes in SeaweedFS), and a
    prefix of its own for each test: ``bucket/<prefix>`` stands for a bucket."""
    s3.ensure_bucket("archive-test")
    return f"archive-test/t{uuid.uuid4().hex[:12]}"


def objects(s3, bucket: str) -> list[str]:
    """Keys under ``bucket`` (``name/prefix``), without the prefix."""
    name, _, prefix = bucket.partition("/")
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket=name, Prefix=prefix).get("Contents", [])]
    return sorted(k[len(prefix) + 1:] if prefix else k for k in keys)


def local_warcs(staging: Path) -> list[str]:
    return sorted(p.name for p in staging.glob("*.warc.gz")) if staging.exists() else []


def test_a_sealed_file_goes_to_the_bucket_and_is_read_back_by_range(tmp_path, site, s3, bucket):
    urls = publish_edition(site, 0)
    staging = tmp_path / "staging"
    with Store(tmp_path / "archive.db", f"s3://{bucket}/warcs", staging=staging) as store:
        results = store.capture(urls, Fetcher(timeout=5))
        # Acknowledged while the file is still local: it is written, fsynced and indexed.
        assert local_warcs(staging) and not objects(s3, bucket)
    # Closing sealed the file; it was uploaded, checked and its local copy removed.
    assert local_warcs(staging) == []
    names = {r["warc_file"] for r in results}
    assert objects(s3, bucket) == sorted(f"warcs/{n}" for n in names)
    with Store(tmp_path / "archive.db", f"s3://{bucket}/warcs", staging=staging) as store:
        rows = store.conn.execute("SELECT name, stored, sha256 FROM warc_files").fetchall()
        assert all(r["stored"] == f"s3://{bucket}/warcs/{r['name']}" for r in rows)
        for r in results:
            payload, row = store.payload(r["record_id"])
            assert row["warc_file"] == r["warc_file"]
            import hashlib
            assert hashlib.sha256(payload).hexdigest() == r["payload_sha256"]
        c = cite(store, urls[0], PASSAGE)
        assert c["exact"] == PASSAGE
    # `show` and `verify --all` read from the bucket: nothing is left on the local disk.
    assert local_warcs(staging) == []
    env = dict(os.environ, ARCHIVE_STAGING=str(staging))
    cmd = [str(Path(sys.executable).parent / "archive"), "--db", str(tmp_path / "archive.db"),
           "--warcs", f"s3://{bucket}/warcs"]
    shown = subprocess.run(cmd + ["show", results[0]["payload_sha256"]], env=env, capture_output=True)
    assert shown.returncode == 0, shown.stderr.decode()
    assert PASSAGE.encode() in shown.stdout
    verified = subprocess.run(cmd + ["verify", "--all", "--json"], env=env, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    checks = [json.loads(line) for line in verified.stdout.splitlines()]
    assert any(c.get("check") == "file_seal" and c["ok"] for c in checks), checks


class _Corrupting(io.RawIOBase):
    """The local file as the uploader reads it, with one byte flipped on the way: the
    bytes that reach the bucket are not the sealed ones."""

    def __init__(self, path: Path, at: int) -> None:
        self.f = open(path, "rb")
        self.at = at

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        pos = self.f.tell()
        data = self.f.read(len(b))
        if pos <= self.at < pos + len(data):
            k = self.at - pos
            data = data[:k] + bytes([data[k] ^ 0x01]) + data[k + 1:]
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self.f.close()
        super().close()


def test_a_wrong_checksum_on_upload_keeps_the_file_local_until_an_upload_matches(tmp_path, site, s3, bucket):
    urls = publish_edition(site, 0)
    staging = tmp_path / "staging"
    location = f"s3://{bucket}/warcs"
    store = Store(tmp_path / "archive.db", location, staging=staging)
    store.remote.open_local = lambda p: io.BufferedReader(_Corrupting(p, 700))
    results = store.capture(urls[:2], Fetcher(timeout=5))
    store.close()
    # The upload did not match the seal: the object is gone, the file stays local and
    # unmarked, and every acknowledged capture still reads (from the local copy).
    assert objects(s3, bucket) == []
    [name] = local_warcs(staging)
    with Store(tmp_path / "archive.db", location, staging=staging, recover=False) as store:
        assert store.conn.execute("SELECT stored FROM warc_files WHERE name=?", (name,)).fetchone()[0] is None
    # The next open uploads it again, this time intact.
    with Store(tmp_path / "archive.db", location, staging=staging) as store:
        assert {"file": name, "stored": f"{location}/{name}"} in store.recovered
        for r in results:
            payload, _ = store.payload(r["record_id"])
            assert payload
    assert local_warcs(staging) == [] and objects(s3, bucket) == [f"warcs/{name}"]


class _ServerDiesMidway(io.RawIOBase):
    """Reads the local file for the uploader and kills the S3 server halfway through."""

    def __init__(self, path: Path, server: SeaweedS3) -> None:
        self.f = open(path, "rb")
        self.server = server
        self.half = path.stat().st_size // 2

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self.f.tell() >= self.half:
            self.server.stop()
        data = self.f.read(min(len(b), max(1, self.half - self.f.tell())) if self.f.tell() < self.half
                           else len(b))
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self.f.close()
        super().close()


def test_the_bucket_going_away_mid_upload_loses_nothing_acknowledged(tmp_path, site):
    server = SeaweedS3(tmp_path / "seaweed").start()
    saved = dict(os.environ)
    os.environ.update(server.env())
    try:
        server.client().create_bucket(Bucket="newsroom")
        location, staging = "s3://newsroom/warcs", tmp_path / "staging"
        urls = publish_edition(site, 0)
        store = Store(tmp_path / "archive.db", location, staging=staging)
        store.remote.open_local = lambda p: io.BufferedReader(_ServerDiesMidway(p, server))
        results = store.capture(urls, Fetcher(timeout=5))
        store.close()                      # seal, upload: the server dies halfway
        assert server.proc is None
        [name] = local_warcs(staging)
        # Acknowledged captures read back with the bucket gone.
        with Store(tmp_path / "archive.db", location, staging=staging, recover=False) as store:
            for r in results:
                assert store.payload(r["record_id"])[0]
            assert store.conn.execute("SELECT stored FROM warc_files").fetchone()[0] is None
        server.start()                     # the same data directory and ports
        with Store(tmp_path / "archive.db", location, staging=staging) as store:
            assert {"file": name, "stored": f"{location}/{name}"} in store.recovered
            for r in results:
                payload, row = store.payload(r["record_id"])
                import hashlib
                assert hashlib.sha256(payload).hexdigest() == r["payload_sha256"]
        assert local_warcs(staging) == [] and objects(server, "newsroom") == [f"warcs/{name}"]
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)


def test_the_citation_page_reads_its_bytes_from_the_bucket(tmp_path, site, s3, bucket, monkeypatch):
    from .test_datasette import datasette_for

    urls = publish_edition(site, 0)
    staging = tmp_path / "staging"
    location = f"s3://{bucket}/warcs"
    with Store(tmp_path / "archive.db", location, staging=staging) as store:
        store.capture(urls[:1], Fetcher(timeout=5))
        c = cite(store, urls[0], PASSAGE)
    assert local_warcs(staging) == []
    monkeypatch.setenv("ARCHIVE_WARCS", location)
    monkeypatch.setenv("ARCHIVE_STAGING", str(staging))
    ds = datasette_for(tmp_path / "archive.db")
    page = asyncio.run(ds.client.get(f"/-/cite/{c['id']}"))
    assert page.status_code == 200, page.text
    assert "status-verified" in page.text and PASSAGE in page.text
    data = asyncio.run(ds.client.get(f"/-/cite/{c['id']}.json")).json()
    name = data["provenance"]["warc_file"]
    assert not (staging / name).exists()
    assert data["provenance"].get("stored", f"{location}/{name}") == f"{location}/{name}"
    # Take the object away: the page can no longer show the passage as verified.
    s3.client().delete_object(Bucket="archive-test", Key=f"{bucket.partition('/')[2]}/warcs/{name}")
    from archive.provenance import cite as cite_mod   # noqa: F401  (verification re-reads bytes)
    page = asyncio.run(ds.client.get(f"/-/cite/{c['id']}"))
    assert "status-verified" not in page.text


def test_two_machines_capture_into_one_bucket_and_one_index_holds_both(tmp_path, site, s3, bucket):
    """Two capture processes with their own index and staging (two machines), one bucket;
    `archive import s3://…` on a third indexes what both wrote, in place."""
    urls = publish_edition(site, 0)
    location = f"s3://{bucket}/warcs"
    archive = str(Path(sys.executable).parent / "archive")
    acked = []
    for machine, mine in (("alpha", urls[:2]), ("beta", urls[2:])):
        env = dict(os.environ, ARCHIVE_MACHINE=machine)
        proc = subprocess.run([archive, "--db", str(tmp_path / f"{machine}.db"), "--warcs", location,
                               "--staging", str(tmp_path / machine), "capture", "--json", *mine],
                              env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        acked += [json.loads(line) for line in proc.stdout.splitlines()]
        settle(tmp_path / f"{machine}.db")                  # its extraction drainer's file too
        assert local_warcs(tmp_path / machine) == []        # sealed, uploaded, verified
    names = objects(s3, bucket)
    assert any("-alpha-" in n for n in names) and any("-beta-" in n for n in names)
    serve = [archive, "--db", str(tmp_path / "serve.db"), "--warcs", location,
             "--staging", str(tmp_path / "serve")]
    proc = subprocess.run(serve + ["import", location, "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["records"] > 0
    with Store(tmp_path / "serve.db", location, staging=tmp_path / "serve", recover=False) as store:
        for a in acked:
            payload, row = store.payload(a["record_id"])
            assert row["warc_file"] == a["warc_file"] and payload
        assert store.conn.execute("SELECT count(*) FROM versions").fetchone()[0] == len(urls)
    proc = subprocess.run(serve + ["import", location, "--json"], capture_output=True, text=True)
    assert json.loads(proc.stdout.splitlines()[0])["records"] == 0      # nothing twice
    # Each machine's ledger is its own chain (and the serving index's a third, vouching
    # for the files it took in): verify --all names each chain no signed root covers yet.
    proc = subprocess.run(serve + ["verify", "--all", "--json"], capture_output=True, text=True)
    checks = [json.loads(line) for line in proc.stdout.splitlines()]
    failed = [c for c in checks if c.get("ok") is False]
    assert proc.returncode == 1 and failed and all(c["check"] == "ledger_root" for c in failed), failed
    assert {w for w in ("alpha", "beta") for c in failed if f"of {w} " in c["detail"]} == {"alpha", "beta"}
    assert not any("fork" in c.get("detail", "") for c in checks)
    # The archive's key holder signs one root over every chain: then everything verifies.
    keys = tmp_path / "keys"
    subprocess.run([archive, "keys", "generate", "--dir", str(keys)], check=True, capture_output=True)
    proc = subprocess.run(serve + ["keys", "sign", "--key", str(keys / "archive-signing.key")],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "signed root over 3 chains" in proc.stdout, proc.stdout + proc.stderr
    verify = serve + ["verify", "--all", "--json", "--public-key", str(keys / "archive-signing.pub")]
    proc = subprocess.run(verify, capture_output=True, text=True)
    checks = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0, [c for c in checks if c.get("ok") is False]
    assert any(c.get("check") == "file_seal" and c["ok"] for c in checks)
    assert sum(c.get("check") == "ledger_root" and c["ok"] is True for c in checks) == 3
    # A machine writing on after the root: its chain grows past it, still covered.
    env = dict(os.environ, ARCHIVE_MACHINE="alpha")
    subprocess.run([archive, "--db", str(tmp_path / "alpha.db"), "--warcs", location, "--staging",
                    str(tmp_path / "alpha"), "capture", urls[0]], env=env, check=True, capture_output=True)
    settle(tmp_path / "alpha.db")
    subprocess.run(serve + ["import", location], check=True, capture_output=True)
    proc = subprocess.run(verify, capture_output=True, text=True)
    checks = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0, [c for c in checks if c.get("ok") is False]
    assert any("came after it" in c["detail"] for c in checks if c.get("check") == "ledger_root")
    # A bucket object holding another machine's records removed: the root no longer matches.
    beta = [n for n in objects(s3, bucket) if "-beta-" in n]
    name, _, prefix = bucket.partition("/")
    for n in beta:
        s3.client().delete_object(Bucket=name, Key=f"{prefix}/{n}")
    proc = subprocess.run(verify, capture_output=True, text=True)
    checks = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 1
    assert any(c["check"] == "ledger_root" and "of beta" in c["detail"] and "no WARC file holds" in c["detail"]
               for c in checks if c.get("ok") is False), [c for c in checks if c.get("ok") is False]


def test_a_whole_archive_wacz_reads_its_warc_files_from_the_bucket(tmp_path, site, s3, bucket):
    """`archive export wacz` of a store whose WARC files are in the bucket packs them (one
    ranged stream each, nothing left on the local disk), and the package holds every
    record: py-wacz validates it and a fresh store imports the same captures."""
    import hashlib
    import zipfile

    urls = publish_edition(site, 0)
    staging = tmp_path / "staging"
    location = f"s3://{bucket}/warcs"
    with Store(tmp_path / "archive.db", location, staging=staging) as store:
        store.capture(urls[:1], Fetcher(timeout=5))
        cite(store, urls[0], PASSAGE)
    with Store(tmp_path / "archive.db", location, staging=staging) as store:   # a second file
        store.capture(urls[1:], Fetcher(timeout=5))
    names = [n.split("/", 1)[1] for n in objects(s3, bucket)]
    assert len(names) > 1 and local_warcs(staging) == []
    archive = str(Path(sys.executable).parent / "archive")
    env = dict(os.environ, ARCHIVE_STAGING=str(staging))
    target = tmp_path / "out" / "all.wacz"
    proc = subprocess.run([archive, "--db", str(tmp_path / "archive.db"), "--warcs", location,
                           "export", "wacz", str(target)], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert local_warcs(staging) == [] and sorted(p.name for p in target.parent.iterdir()) == ["all.wacz"]
    name, _, prefix = bucket.partition("/")
    with zipfile.ZipFile(target) as zf:
        packed = sorted(m[len("archive/"):] for m in zf.namelist() if m.startswith("archive/"))
        assert packed == sorted(names)
        for n in names:
            obj = s3.client().get_object(Bucket=name, Key=f"{prefix}/warcs/{n}")["Body"].read()
            assert hashlib.sha256(zf.read(f"archive/{n}")).digest() == hashlib.sha256(obj).digest()
        index = zf.read("indexes/index.cdx").decode()
    assert all(u.split("//", 1)[1].split("/", 1)[1] in index for u in urls)
    wacz = Path(sys.executable).parent / "wacz"
    if wacz.exists():
        check = subprocess.run([str(wacz), "validate", "-f", str(target)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    with Store(tmp_path / "fresh.db", tmp_path / "fresh") as fresh, \
            Store(tmp_path / "archive.db", location, staging=staging, recover=False) as store:
        assert fresh.import_path(target)["errors"] == []
        q = "SELECT record_id, payload_sha256, block_sha256, captured_at FROM captures ORDER BY record_id"
        assert fresh.conn.execute(q).fetchall() == store.conn.execute(q).fetchall()


def settle(db: Path, timeout: float = 60) -> None:
    """Wait for the extraction drainer a capture started in the background: until nothing
    is pending, then until the drainer lets go of the queue (having sealed and uploaded
    the file its ledger entries went to)."""
    import sqlite3
    import time

    from archive.index.drain import queue_lock

    deadline = time.monotonic() + timeout
    while True:
        con = sqlite3.connect(db)
        try:
            pending = con.execute("SELECT count(*) FROM snapshots WHERE extract_status='pending'").fetchone()[0]
        finally:
            con.close()
        if not pending:
            break
        assert time.monotonic() < deadline, f"{pending} snapshots still pending in {db}"
        time.sleep(0.2)
    with queue_lock(db):
        pass


def test_the_background_drainer_of_a_bucket_store_reads_files_already_uploaded(tmp_path, site, s3, bucket):
    """A capture starts a drainer and ends by sealing its file, uploading it and removing
    the local copy: the drainer, started after, must read the bytes from the bucket."""
    import sqlite3

    urls = publish_edition(site, 0)
    staging, location = tmp_path / "staging", f"s3://{bucket}/warcs"
    with Store(tmp_path / "archive.db", location, staging=staging) as store:
        store.capture(urls[:2], Fetcher(timeout=5), extract=False)
    assert local_warcs(staging) == []                  # uploaded, local copy gone
    with Store(tmp_path / "archive.db", location, staging=staging) as store:
        proc = store.extract_in_background()
        assert proc is not None and proc.wait(timeout=120) == 0
    con = sqlite3.connect(tmp_path / "archive.db")
    statuses = con.execute("SELECT extract_status, extract_error FROM snapshots").fetchall()
    con.close()
    assert statuses and all(s == ("ok", None) for s in statuses), statuses


def test_verify_on_one_machine_names_the_other_machines_files_as_not_imported(tmp_path, site, s3, bucket):
    """Two capture machines (two indexes, two staging directories) write into one bucket.
    `verify --all` on one of them reads the other's files too: it says they are another
    writer's and not imported here (not a failure), and asks no signed root for a chain
    it does not hold. Once it imports them they are checked like its own."""
    urls = publish_edition(site, 0)
    location = f"s3://{bucket}/warcs"
    archive = str(Path(sys.executable).parent / "archive")

    def machine(name: str) -> list[str]:
        return [archive, "--db", str(tmp_path / f"{name}.db"), "--warcs", location,
                "--staging", str(tmp_path / name)]

    def env(name: str) -> dict:
        return dict(os.environ, ARCHIVE_MACHINE=name)

    # Overlapping pages: beta's captures of urls[1] would change alpha's versions if its
    # files were taken for alpha's.
    for name, mine in (("alpha", urls[:2]), ("beta", urls[1:])):
        proc = subprocess.run(machine(name) + ["capture", "--json", *mine], env=env(name),
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        settle(tmp_path / f"{name}.db")
    beta_files = {n.split("/", 1)[1] for n in objects(s3, bucket) if "-beta-" in n}
    assert len(beta_files) >= 1

    def verify(*extra: str) -> tuple[int, list[dict]]:
        proc = subprocess.run(machine("alpha") + ["verify", "--all", "--json", *extra], env=env("alpha"),
                              capture_output=True, text=True)
        return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()]

    code, checks = verify()
    failed = [c for c in checks if c.get("ok") is False]
    assert code == 0 and not failed, failed
    others = [c for c in checks if c.get("check") == "not_imported"]
    assert {c["file"] for c in others} == beta_files, others
    assert all(c["ok"] is None and "of beta" in c["detail"] and f"archive import {location}" in c["detail"]
               for c in others), others
    # Beta's records were still read and its chain checked.
    assert {c["file"] for c in checks if c.get("check") == "record" and c["ok"]} >= beta_files
    assert any(c.get("check") == "ledger_chain" and c["ok"] and "of beta" in c["detail"] for c in checks)
    # Text output: a '?' line, not FAIL.
    proc = subprocess.run(machine("alpha") + ["verify", "--all"], env=env("alpha"), capture_output=True, text=True)
    assert proc.returncode == 0 and "FAIL" not in proc.stdout
    assert any(line.startswith("?") and "not_imported" in line for line in proc.stdout.splitlines())

    # Alpha imports what beta wrote: nothing is "not imported" any more, every file is
    # checked against its seal; two chains in one index now ask for one signed root.
    proc = subprocess.run(machine("alpha") + ["import", location, "--json"], env=env("alpha"),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    settle(tmp_path / "alpha.db")
    code, checks = verify()
    failed = [c for c in checks if c.get("ok") is False]
    assert code == 1 and failed and all(c["check"] == "ledger_root" for c in failed), failed
    assert not [c for c in checks if c.get("check") == "not_imported"]
    keys = tmp_path / "keys"
    subprocess.run([archive, "keys", "generate", "--dir", str(keys)], check=True, capture_output=True)
    proc = subprocess.run(machine("alpha") + ["keys", "sign", "--key", str(keys / "archive-signing.key")],
                          env=env("alpha"), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    code, checks = verify("--public-key", str(keys / "archive-signing.pub"))
    assert code == 0, [c for c in checks if c.get("ok") is False]
    sealed = {c["file"] for c in checks if c.get("check") == "file_seal" and c["ok"]}
    assert sealed >= beta_files
