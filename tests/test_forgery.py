"""Issue 14, finding 2: a record no acknowledged write produced never becomes a capture.

A store is built once (captures of the example news site, a citation, a sealed file, a
closed file, a file whose writer was killed with SIGKILL, an imported file, a signed
ledger). Each test copies it, puts a forged but well-formed record (valid digests, a later
date, "2,300" changed to "9,999") into one kind of file by appending, inserting or
splicing it, then runs the next write command (``archive capture``) and
``archive verify --all``: the forgery must not be indexed, and verify must exit 1 naming
it (its record id, or the quarantine file it was moved to).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.capture.http import Fetcher
from archive.cli import cli
from archive.index.metadata import CITATION_TYPE, metadata_record, record_urn
from archive.provenance import ledger
from archive.provenance.cite import cite
from archive.provenance.keys import generate_private_key, public_pem
from archive.site import SiteServer, publish_edition
from archive.store import Store
from archive.warc.reader import Found, iter_records
from archive.warc.writer import Sha256RecordBuilder, encode_records

from .helpers_faults import gz, http_block, warc_record

ROOT = Path(__file__).resolve().parents[1]
PASSAGE = "More than 2,300 homes were evacuated overnight"
FORGED_ID = "<urn:uuid:f0f0f0f0-0000-4000-8000-00000000f0f0>"
FORGED_CITATION_ID = "<urn:uuid:f0f0f0f0-0000-4000-8000-00000000c17e>"

# A child that captures one page into the store, says so, and waits to be killed: its
# file is left "open" with no writer, as a crash leaves it.
DYING_WRITER = r"""
import sys, time
from archive.store import Store
from archive.capture.http import Fetcher
store = Store(sys.argv[1], sys.argv[2])
store.warcs.adoptable = lambda: None   # a file of its own, not the closed one continued
store.capture([sys.argv[3]], Fetcher(timeout=10), extract=False)
print("acked", flush=True)
time.sleep(600)
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """(directory holding archive.db and warcs/, {file kind: file name}, key, site)."""
    root = tmp_path_factory.mktemp("forgery-template")
    db, warcs = root / "archive.db", root / "warcs"
    key = generate_private_key()
    (root / "key.pub").write_text(public_pem(key.public_key()))
    with SiteServer() as site:
        urls = publish_edition(site, 0)
        kinds = {}
        with Store(db, warcs) as store:
            store.signing_key = key
            store.capture(urls, Fetcher(timeout=10))
            c = cite(store, urls[0], PASSAGE)
            ledger.record_citation(store, store.conn.execute("SELECT * FROM citations WHERE id=?",
                                                              (c["id"],)).fetchone())
            kinds["sealed"] = store.warcs.current_file
            store.warcs.close(seal=True)
            ledger.record_seals(store)
            publish_edition(site, 1)
            store.capture([urls[0]], Fetcher(timeout=10))
            kinds["closed"] = store.warcs.current_file
            store.warcs.close()
        # an imported file, as another tool would hand it over
        other = root / "other.warc.gz"
        other.write_bytes(b"".join(gz(warc_record("response", http_block(f"<p>Imported {i} homes</p>".encode()),
                                                  url=f"http://example.org/imported/{i}")) for i in range(3)))
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        with Store(db, warcs) as store:
            store.signing_key = key
            kinds["imported"] = store.import_path(other)["stored_as"]
        # a file whose writer was killed after it acknowledged a capture
        before = set(p.name for p in warcs.iterdir())
        site.set("/late", "<p>A late story: 12 homes.</p>")
        proc = subprocess.Popen([sys.executable, "-c", DYING_WRITER, str(db), str(warcs), site.url("/late")],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        assert proc.stdout.readline().strip() == b"acked"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        new = [n for n in set(p.name for p in warcs.iterdir()) - before if n.endswith(".warc.gz")]
        assert len(new) == 1
        kinds["open"] = new[0]
        yield root, kinds, key, site, urls


def _forged_response(store_dir: Path, url: str) -> bytes:
    """The first response of ``url`` in the store, changed the way a forger would: later
    date, new id, "2,300" made "9,999", digests recomputed (valid)."""
    for p in sorted((store_dir / "warcs").glob("archive-*.warc.gz")):
        for item in iter_records(p):
            if isinstance(item, Found) and item.record.record_type == "response" and \
                    item.record.header("WARC-Target-URI") == url:
                rec = item.record
                break
        else:
            continue
        break
    http = rec.block.replace(b"2,300", b"9,999")
    builder = Sha256RecordBuilder(warc_version="WARC/1.1")
    forged = builder.create_warc_record(
        url, "response", payload=io.BytesIO(http), length=len(http),
        warc_headers_dict={"WARC-Record-ID": FORGED_ID, "WARC-Date": "2027-01-01T00:00:00Z",
                           "Content-Type": "application/http; msgtype=response"})
    return encode_records([forged])[0].member


def _forged_citation(store_dir: Path) -> bytes:
    conn_rows = []
    import sqlite3

    conn = sqlite3.connect(store_dir / "archive.db")
    conn.row_factory = sqlite3.Row
    conn_rows = conn.execute("SELECT * FROM citations").fetchall()
    conn.close()
    body = {k: conn_rows[0][k] for k in conn_rows[0].keys()
            if k not in ("warc_file", "offset", "length", "citation_record_id")}
    body.update(id="c-forged", exact=body["exact"].replace("2,300", "9,999"))
    rec = metadata_record(Sha256RecordBuilder(warc_version="WARC/1.1"), record_urn("citation", "c-forged"),
                          CITATION_TYPE, body, FORGED_CITATION_ID, "2027-01-01T00:00:00Z")
    return encode_records([rec])[0].member


def _boundaries(path: Path) -> list[tuple[int, int]]:
    return [(i.offset, i.length) for i in iter_records(path) if isinstance(i, Found)]


def _forge(path: Path, how: str, forged: bytes) -> None:
    data = path.read_bytes()
    members = _boundaries(path)
    if how == "append":
        data = data + forged
    elif how == "insert":      # between two records in the middle of the file
        at = members[len(members) // 2][0]
        data = data[:at] + forged + data[at:]
    elif how == "splice":      # in place of the last response-bearing record but one
        off, length = members[-2]
        data = data[:off] + forged + data[off + length:]
    path.write_bytes(data)


def _run(store_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(store_dir / "archive.db"), "--warcs", str(store_dir / "warcs"),
                                    *args], catch_exceptions=False)


@pytest.mark.parametrize("how", ["append", "insert", "splice"])
@pytest.mark.parametrize("kind", ["sealed", "closed", "open", "imported"])
def test_forged_record_is_never_indexed_and_fails_verify(template, tmp_path, kind, how):
    root, kinds, key, site, urls = template
    store_dir = tmp_path / "store"
    shutil.copytree(root, store_dir)
    name = kinds[kind]
    forged = _forged_response(store_dir, urls[0]) + _forged_citation(store_dir)
    _forge(store_dir / "warcs" / name, how, forged)

    # the next write command
    result = _run(store_dir, "capture", site.url("/late"))
    assert result.exit_code == 0, result.output

    import sqlite3

    conn = sqlite3.connect(store_dir / "archive.db")
    try:
        assert conn.execute("SELECT count(*) FROM captures WHERE record_id=?", (FORGED_ID,)).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM citations WHERE id='c-forged'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM figures WHERE text='9,999'").fetchone()[0] == 0
    finally:
        conn.close()
    diff = _run(store_dir, "diff", urls[0], "--json")
    assert "9,999" not in diff.output

    result = _run(store_dir, "verify", "--all", "--public-key", str(root / "key.pub"))
    assert result.exit_code == 1, result.output
    named = [line for line in result.output.splitlines() if line.startswith("FAIL")
             and (FORGED_ID in line or FORGED_CITATION_ID in line or ".foreign" in line or name in line)]
    assert named, result.output


def test_forged_record_appended_to_a_closed_file_as_in_the_issue(template, tmp_path):
    """Issue 14 as written: a response appended by hand to a closed WARC file, the next
    write command, then `diff`, `versions` and `verify --all --public-key`."""
    root, kinds, key, site, urls = template
    store_dir = tmp_path / "store"
    shutil.copytree(root, store_dir)
    path = store_dir / "warcs" / kinds["closed"]
    with open(path, "ab") as f:
        f.write(_forged_response(store_dir, urls[0]))
    assert _run(store_dir, "capture", site.url("/late")).exit_code == 0
    versions = [json.loads(line) for line in _run(store_dir, "versions", urls[0], "--json").output.splitlines()]
    assert all(v["first_captured_at"] < "2027" for v in versions)
    assert "9,999" not in _run(store_dir, "diff", urls[0], "--json").output
    quarantined = list((store_dir / "warcs" / "quarantine").glob(f"{kinds['closed']}.*.foreign"))
    assert len(quarantined) == 1
    result = _run(store_dir, "verify", "--all", "--public-key", str(root / "key.pub"))
    assert result.exit_code == 1
    assert any(line.startswith("FAIL quarantine") and quarantined[0].name in line
               for line in result.output.splitlines()), result.output


def test_unvouched_record_in_the_index_fails_verify(template, tmp_path):
    """A capture row with no ledger entry (slipped into the index with its record)."""
    root, kinds, key, site, urls = template
    store_dir = tmp_path / "store"
    shutil.copytree(root, store_dir)
    path = store_dir / "warcs" / kinds["closed"]
    with Store(store_dir / "archive.db", store_dir / "warcs") as store:
        from archive.index.rows import index_record
        from archive.warc.record import load_record

        with open(path, "ab") as f:
            offset = f.tell()
            member = _forged_response(store_dir, urls[0])
            f.write(member)
        with store.transaction() as conn:
            index_record(conn, kinds["closed"], offset, len(member), load_record(path, offset, len(member)))
            conn.execute("UPDATE warc_files SET size=? WHERE name=?", (offset + len(member), kinds["closed"]))
    result = _run(store_dir, "verify", "--all")
    assert result.exit_code == 1
    assert any(line.startswith("FAIL ledger_cover") and FORGED_ID in line for line in result.output.splitlines())


def test_acknowledged_capture_of_a_killed_writer_is_indexed_and_vouched(template, tmp_path):
    """The dead writer's file: its acknowledged capture is indexed, vouched for after the
    next open, and verify --all passes when nothing was forged."""
    root, kinds, key, site, urls = template
    store_dir = tmp_path / "store"
    shutil.copytree(root, store_dir)
    assert _run(store_dir, "capture", site.url("/late")).exit_code == 0
    result = _run(store_dir, "verify", "--all")
    assert result.exit_code == 0, result.output
