"""The citation page remembers what the archived bytes hashed to, and notices when they change.

Issue 19: under load, re-reading and re-hashing the cited record on every request was most
of the page's cost. :mod:`archive.provenance.hashed` keeps the digests with the state of
the file (inode, size, modification and change times) and re-hashes only when that state
differs; the page says when the bytes were last hashed. These tests tamper with the real
WARC file (and the index rows) between two requests to a real Datasette and check that the
second request fails where a fresh verification fails.
"""

from __future__ import annotations

import os
import sqlite3
import time

import pytest

import archive.warc.record as record_mod
from archive.provenance import hashed
from archive.store import Store
from tests import test_datasette
from tests.test_datasette import PASSAGE, get

archive = test_datasette.archive
ds = test_datasette.ds


@pytest.fixture
def settled(archive, monkeypatch):
    """The store's files older than the settling time, as they are on a server (files
    written in the same clock tick as a read are hashed again, whatever their state)."""
    monkeypatch.setattr(hashed, "SETTLED_S", 0.5)
    time.sleep(0.6)
    return archive


def _cited_file(archive) -> tuple:
    c = archive["citation"]
    with Store(archive["db"], archive["warcs"], recover=False) as store:
        cap = store.original_of(store.capture_row(c["record_id"]))
    return archive["warcs"] / cap["warc_file"], cap["offset"], cap["length"]


def _flip_a_byte(path, at: int) -> None:
    """Change one byte in place: same file, same size."""
    with open(path, "r+b") as f:
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ 0x01]))


def test_a_second_request_uses_the_remembered_hash_and_says_when(ds, settled, monkeypatch):
    c = settled["citation"]
    path, offset, _ = _cited_file(settled)
    first = get(ds, f"/-/cite/{c['id']}.json").json()
    assert first["archived"] == "verified"
    assert first["hashed"]["remembered"] is False and first["archived_hashed_at"]
    html = get(ds, f"/-/cite/{c['id']}").text
    assert "The archived bytes were last re-read and hashed" in html

    reads: list[tuple] = []
    real = record_mod.read_record_bytes

    def counting(src, off, length):
        reads.append((str(src), off))
        return real(src, off, length)

    monkeypatch.setattr(record_mod, "read_record_bytes", counting)
    second = get(ds, f"/-/cite/{c['id']}.json").json()
    assert second["archived"] == "verified"
    assert second["hashed"]["remembered"] is True
    assert second["archived_hashed_at"] == first["archived_hashed_at"]   # not hashed again
    assert (str(path), offset) not in reads   # the cited record was not read again
    readable = next(ch for ch in second["verification"]["checks"] if ch["check"] == "record_readable")
    assert "their file unchanged since" in readable["detail"]


def test_bytes_changed_in_place_after_a_request_fail_the_next_one(ds, settled):
    c = settled["citation"]
    path, offset, length = _cited_file(settled)
    assert get(ds, f"/-/cite/{c['id']}.json").json()["archived"] == "verified"
    assert get(ds, f"/-/cite/{c['id']}.json").json()["hashed"]["remembered"] is True
    size = path.stat().st_size
    _flip_a_byte(path, offset + length // 2)
    assert path.stat().st_size == size
    r = get(ds, f"/-/cite/{c['id']}")
    assert "integrity check failed" in r.text and PASSAGE not in r.text
    data = get(ds, f"/-/cite/{c['id']}.json").json()
    assert data["archived"] == "failed"


def test_bytes_changed_with_the_modification_time_put_back_still_fail(ds, settled):
    """``os.utime`` puts the modification time back, but it sets the change time (ctime),
    which the remembered state includes: the next request hashes the bytes again."""
    c = settled["citation"]
    path, offset, length = _cited_file(settled)
    assert get(ds, f"/-/cite/{c['id']}.json").json()["archived"] == "verified"
    assert get(ds, f"/-/cite/{c['id']}.json").json()["hashed"]["remembered"] is True
    before = path.stat()
    _flip_a_byte(path, offset + length // 2)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    r = get(ds, f"/-/cite/{c['id']}")
    assert "integrity check failed" in r.text and PASSAGE not in r.text


def test_citation_record_changed_after_a_request_fails_the_next_one(ds, settled):
    """The citation's own record (remembered with its block) is re-read once changed."""
    c = settled["citation"]
    conn = sqlite3.connect(settled["db"])
    wf, off, ln = conn.execute("SELECT warc_file, offset, length FROM citations WHERE id=?", (c["id"],)).fetchone()
    conn.close()
    assert get(ds, f"/-/cite/{c['id']}.json").json()["archived"] == "verified"
    _flip_a_byte(settled["warcs"] / wf, off + ln // 2)
    data = get(ds, f"/-/cite/{c['id']}.json").json()
    assert data["archived"] == "failed"
    assert any(ch["check"].startswith("citation_record") and ch["ok"] is False
               for ch in data["verification"]["checks"])


def test_index_rows_edited_after_a_request_fail_the_next_one(ds, settled):
    """The rows' digest is remembered only for rows read again identical, value for value."""
    c = settled["citation"]
    assert get(ds, f"/-/cite/{c['id']}.json").json()["archived"] == "verified"
    conn = sqlite3.connect(settled["db"])
    conn.execute("UPDATE figures SET text='9,999', value=9999 WHERE text='2,300'")
    conn.commit()
    conn.close()
    r = get(ds, f"/-/cite/{c['id']}")
    assert "integrity check failed" in r.text and "9,999" not in r.text


def test_a_file_written_just_now_is_hashed_on_every_request(ds, archive, monkeypatch):
    """Within the settling time of a change (a change in the same clock tick as the read
    would keep the file's times; a file still being written), nothing is remembered."""
    monkeypatch.setattr(hashed, "SETTLED_S", 3600.0)
    c = archive["citation"]
    for _ in range(2):
        data = get(ds, f"/-/cite/{c['id']}.json").json()
        assert data["archived"] == "verified" and data["hashed"]["remembered"] is False
    assert "The archived bytes were re-read and hashed just now" in get(ds, f"/-/cite/{c['id']}").text
