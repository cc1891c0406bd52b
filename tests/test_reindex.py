"""`archive reindex` rebuilds the index from warcs/ alone, table for table."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from archive.capture.http import Fetcher
from archive.provenance.cite import cite
from archive.site import publish_edition
from archive.store import Store

TABLES = {
    # table: ORDER BY
    "captures": "record_id",
    "snapshots": "sha256",
    "pages": "url",
    "texts": "sha256",
    "versions": "page_url, version",
    "quotes": "text_sha256, n",
    "figures": "text_sha256, n",
    "changes": "page_url, to_version, n",
    "citations": "id",
}


def dump(db_path) -> dict:
    con = sqlite3.connect(db_path)
    out = {t: con.execute(f"SELECT * FROM {t} ORDER BY {order}").fetchall() for t, order in TABLES.items()}
    out["warc_files"] = con.execute("SELECT name, size, records, sha256 FROM warc_files ORDER BY name").fetchall()
    out["fts"] = con.execute("SELECT rowid, title FROM texts_fts WHERE texts_fts MATCH 'homes' ORDER BY rowid").fetchall()
    con.close()
    return out


def build(tmp_path, site, corpus_files=()):
    urls = publish_edition(site, 0)
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        f = Fetcher(timeout=5)
        s.capture(urls, f)
        cite(s, urls[0], "More than 2,300 homes were evacuated")
        cite(s, urls[2], "22,000 vehicles a day")
        s.capture(urls[1:2], f)  # a revisit
        publish_edition(site, 1)
        s.capture(urls[:1], f)
        for p in corpus_files:
            s.import_path(p)
        from archive.index.versions import process_pending
        process_pending(s)
        s.warcs.close(seal=True)
    return urls


def test_reindex_reproduces_every_table(tmp_path, site):
    build(tmp_path, site)
    before = dump(tmp_path / "archive.db")
    assert len(before["citations"]) == 2 and len(before["changes"]) > 0
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        counts = s.reindex()
    assert counts["citations"] == 2
    after = dump(tmp_path / "archive.db")
    for table in before:
        assert after[table] == before[table], f"{table} differs after reindex"


def test_reindex_into_a_fresh_database_and_twice_is_identical(tmp_path, site):
    build(tmp_path, site)
    before = dump(tmp_path / "archive.db")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copytree(tmp_path / "warcs", fresh / "warcs")
    for _ in range(2):
        with Store(fresh / "archive.db", fresh / "warcs") as s:
            s.reindex()
        got = dump(fresh / "archive.db")
        for table in ("captures", "snapshots", "texts", "versions", "figures", "quotes", "changes", "citations"):
            assert got[table] == before[table], table


def test_reindex_includes_imported_corpus_files(tmp_path, site, corpus):
    files = sorted((corpus / "warc").glob("*.warc*"))[:6]
    build(tmp_path, site, files)
    before = dump(tmp_path / "archive.db")
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        s.reindex()
    after = dump(tmp_path / "archive.db")
    assert after["captures"] == before["captures"]
    assert after["snapshots"] == before["snapshots"]


def test_orphan_record_after_crash_before_commit_is_indexed_on_open(tmp_path, site):
    """A record fsynced to the WARC whose index commit never happened is recovered."""
    url = site.set("/o", "<p>orphan 12 homes</p>")
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        s.capture([url], Fetcher(timeout=5))
        name = s.warcs.current_file
    con = sqlite3.connect(tmp_path / "archive.db")
    # Simulate the crash: the WARC has the records, the index lost them.
    con.execute("DELETE FROM captures")
    con.execute("DELETE FROM snapshots")
    # (a writer that dies leaves its file open: closing it records its size)
    con.execute("UPDATE warc_files SET size = 0, sealed_at = NULL, records = 0, state = 'open'")
    con.commit()
    con.close()
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        assert any(r["file"] == name and r["orphans_indexed"] == 1 for r in s.recovered)
        assert s.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 1


def test_partial_tail_is_quarantined_and_earlier_records_survive(tmp_path, site):
    url = site.set("/t", "<p>tail 7 homes</p>")
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        r = s.capture([url], Fetcher(timeout=5))[0]
        name = s.warcs.current_file
    path = tmp_path / "warcs" / name
    good = path.stat().st_size
    with open(path, "ab") as f:
        f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03partial-write")
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        assert path.stat().st_size == good
        quarantined = list((tmp_path / "warcs" / "quarantine").iterdir())
        assert len(quarantined) == 1 and quarantined[0].read_bytes().endswith(b"partial-write")
        data, _ = s.payload(r["record_id"])
        assert data == b"<p>tail 7 homes</p>"


def test_an_index_from_an_earlier_version_gains_new_columns(tmp_path, site):
    """A store made before a column existed, and before migrations were recorded (with
    its FTS table declared as ``content='texts'``, which Datasette cannot see), opens and
    works: the column is added and the search table is rebuilt where Datasette finds it."""
    from datasette.utils import detect_fts

    url = site.set("/old", "<p>12 homes were flooded</p>")
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        s.capture([url], Fetcher(timeout=5))
    con = sqlite3.connect(tmp_path / "archive.db")
    # as an earlier version left it
    con.execute("ALTER TABLE warc_files DROP COLUMN state")
    con.execute("DROP TABLE _sqlite_migrations")
    for trigger in ("texts_ai", "texts_ad", "texts_au"):
        con.execute(f"DROP TRIGGER {trigger}")
    con.execute("DROP TABLE texts_fts")
    con.execute("CREATE VIRTUAL TABLE texts_fts USING fts5(title, text, content='texts', content_rowid='rowid')")
    con.execute("INSERT INTO texts_fts (texts_fts) VALUES ('rebuild')")
    con.commit()
    assert detect_fts(con, "texts") is None
    con.close()
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        site.set("/old", "<p>13 homes were flooded</p>")
        r = s.capture([url], Fetcher(timeout=5))[0]
        assert "error" not in r
        cols = {row[1] for row in s.conn.execute("PRAGMA table_info(warc_files)")}
        assert detect_fts(s.conn, "texts") == "texts_fts"
        hits = s.conn.execute("SELECT count(*) FROM texts_fts WHERE texts_fts MATCH 'flooded'").fetchone()[0]
    assert "state" in cols
    assert hits == 2   # the text from before the upgrade and the one captured after



def test_an_import_copy_left_by_a_killed_process_is_removed(tmp_path, site):
    import os
    import subprocess
    import sys

    with Store(tmp_path / "src.db", tmp_path / "src") as source:
        source.capture(publish_edition(site, 0)[:1], Fetcher(timeout=10), extract=False)
        src = source.warcs.path_of(source.warcs.current_file)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    warcs = tmp_path / "warcs"
    warcs.mkdir()
    stale = warcs / f".import-{dead}-1.tmp"
    stale.write_bytes(b"half a copy")
    live = warcs / f".import-{os.getpid()}-2.tmp"   # a running import's copy stays
    live.write_bytes(b"in progress")
    with Store(tmp_path / "a.db", warcs) as store:
        result = store.import_path(src)
        assert result["records"] and not result["errors"]
        assert result["stored_as"] in store.warcs.list_files()
    assert not stale.exists() and live.exists()


def test_the_fast_schema_check_knows_every_migration():
    """Opening a store checks MIGRATION_NAMES without loading sqlite-utils: a migration
    missing from that list would never run on an existing index."""
    from archive.index.migrations import MIGRATIONS
    from archive.index.schema import MIGRATION_NAMES

    assert tuple(m.name for m in MIGRATIONS._migrations) == MIGRATION_NAMES


def _schema_of(db) -> dict:
    con = sqlite3.connect(db)
    return {"master": con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall(),
            "meta": con.execute("SELECT * FROM _meta ORDER BY key").fetchall(),
            "migrations": con.execute("SELECT migration_set, name FROM _sqlite_migrations ORDER BY id").fetchall(),
            "fts": con.execute("SELECT * FROM texts_fts_config").fetchall()}


def test_the_schema_script_of_a_new_index_is_what_the_migrations_make_now():
    """archive/index/new_index.py is generated: after a change to TABLES or to a migration,
    run `python -m archive.index.migrations`."""
    from archive.index.migrations import NEW_INDEX_FILE, new_index_source

    assert NEW_INDEX_FILE.read_text() == new_index_source()


def test_a_new_index_gets_the_schema_of_the_migrations_in_one_script(tmp_path, monkeypatch):
    import subprocess
    import sys

    from archive.index import new_index
    from archive.index.db import open_db
    from archive.index.migrations import migrate
    from archive.index.schema import connect, pending_migrations

    # the way every new store takes: without sqlite-utils
    out = subprocess.run([sys.executable, "-c", "import sys\nfrom archive.index.db import open_db\n"
                          f"c = open_db({str(tmp_path / 'fast.db')!r})\n"
                          "print('sqlite_utils' in sys.modules)"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    # the migrations themselves, on another new index
    slow = connect(tmp_path / "slow.db")
    migrate(slow, tmp_path / "slow.db")
    slow.close()
    assert _schema_of(tmp_path / "fast.db") == _schema_of(tmp_path / "slow.db")
    assert pending_migrations(open_db(tmp_path / "fast.db")) == []
    # statements made for another TABLES are not replayed: the migrations run instead
    monkeypatch.setattr(new_index, "TABLES_SHA", "another schema")
    open_db(tmp_path / "other.db").close()
    assert _schema_of(tmp_path / "other.db") == _schema_of(tmp_path / "slow.db")


def test_a_column_declared_later_is_added_to_an_index_that_has_had_every_migration(tmp_path):
    """Adding a column to TABLES is enough: an index opened after that gains it."""
    from archive.index import schema
    from archive.index.db import open_db

    db = tmp_path / "archive.db"
    open_db(db).close()
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE captures DROP COLUMN truncated")
    con.execute("UPDATE _meta SET value='an older schema' WHERE key='tables_sha256'")
    con.commit()
    con.close()
    assert schema.pending_migrations(sqlite3.connect(db)) == ["columns"]
    conn = open_db(db)
    assert "truncated" in {r[1] for r in conn.execute("PRAGMA table_info(captures)")}
    assert schema.pending_migrations(conn) == []


def test_a_table_and_index_declared_later_reach_an_index_that_has_had_every_migration(tmp_path):
    from archive.index.db import open_db

    db = tmp_path / "archive.db"
    open_db(db).close()
    con = sqlite3.connect(db)
    con.execute("DROP TABLE import_errors")
    idx = con.execute("SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
                      "AND tbl_name='captures' LIMIT 1").fetchone()[0]
    con.execute(f"DROP INDEX {idx}")
    con.execute("UPDATE _meta SET value='an older schema' WHERE key='tables_sha256'")
    con.commit()
    con.close()
    conn = open_db(db)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "import_errors" in names and idx in names


def _one_capture_warc(tmp_path, site) -> Path:
    with Store(tmp_path / "src.db", tmp_path / "src") as source:
        source.capture(publish_edition(site, 0)[:2], Fetcher(timeout=10), extract=False)
        return source.warcs.path_of(source.warcs.current_file)


def test_an_import_reads_its_copy_as_the_copy_is_made(tmp_path, monkeypatch):
    import hashlib
    import threading

    from archive.storage.local import CopyInProgress

    src = tmp_path / "src.bin"
    data = bytes(range(256)) * 40_000   # 10 MB
    src.write_bytes(data)
    monkeypatch.setattr(CopyInProgress, "CHUNK", 4096)   # many small writes, so reads wait for them
    copy = CopyInProgress(src, tmp_path / ".tmp", tmp_path / "stored.bin")
    with copy.open() as f:
        f.seek(5_000_000)
        middle = f.read(1000)
        f.seek(0)
        whole = f.read()
    assert middle == data[5_000_000:5_001_000] and whole == data
    assert copy.read_range(len(data) - 10, 100) == data[-10:]
    assert str(copy) == str(tmp_path / "stored.bin")
    assert copy.finish() == hashlib.sha256(data).hexdigest()
    assert not any(t.name.startswith("copy ") for t in threading.enumerate())


def test_a_file_that_changes_while_it_is_imported_is_not_imported(tmp_path, site, monkeypatch):
    import pytest

    from archive.errors import StoreError
    from archive.index import journal
    from archive.warc.digests import file_sha256

    src = _one_capture_warc(tmp_path, site)
    original = src.read_bytes()

    def hash_then_append(path):
        sha = file_sha256(path)
        with open(path, "ab") as f:   # a writer still appending to the file
            f.write(original[:200])
        return sha

    monkeypatch.setattr(journal, "file_sha256", hash_then_append)
    warcs = tmp_path / "warcs"
    with Store(tmp_path / "a.db", warcs) as store:
        with pytest.raises(StoreError, match="changed while it was imported"):
            store.import_path(src)
        assert store.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 0
        assert not [p.name for p in warcs.iterdir() if p.name.startswith((".import-", "import-"))]
        monkeypatch.undo()
        src.write_bytes(original)
        assert store.import_path(src)["records"]


def test_an_import_stopped_midway_leaves_neither_its_copy_nor_rows(tmp_path, site, monkeypatch):
    import threading

    import pytest

    from archive.index import journal

    src = _one_capture_warc(tmp_path, site)
    calls = []
    real = journal.index_record

    def stop_after_two(*args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(journal, "index_record", stop_after_two)
    warcs = tmp_path / "warcs"
    with Store(tmp_path / "a.db", warcs) as store:
        with pytest.raises(KeyboardInterrupt):
            store.import_path(src)
        assert store.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 0
    assert not [p.name for p in warcs.iterdir() if p.name.startswith((".import-", "import-"))]
    assert not any(t.name.startswith("copy ") for t in threading.enumerate())
