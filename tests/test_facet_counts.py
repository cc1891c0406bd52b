"""The facets of large tables are counted as rows are written (``facet_counts``, kept by
triggers), so a table page reads a few rows instead of a pass over a million (issue 19).
The counts must be exactly what a ``GROUP BY`` over the table gives, after every kind of
write: capture, revisit, extraction and versions, a capture indexed again (``INSERT OR
REPLACE``), reindex, and an index made before the counts existed."""

from __future__ import annotations

import sqlite3

import pytest

from archive.capture.http import Fetcher
from archive.index.rows import RowBatch
from archive.index.schema import FACETED, PAIRED
from archive.provenance.audit import audit
from archive.site import publish_edition
from archive.store import Store
from tests.test_reindex import build


def mismatches(db_path) -> list[str]:
    con = sqlite3.connect(db_path)
    out = []
    try:
        for table, columns in FACETED.items():
            for column in columns:
                want = sorted(con.execute(f'SELECT "{column}", count(*) FROM {table} WHERE "{column}" IS NOT NULL '
                                          f'GROUP BY "{column}"').fetchall(), key=repr)
                have = sorted(con.execute("SELECT value, count FROM facet_counts WHERE table_name=? AND "
                                          "column_name=?", (table, column)).fetchall(), key=repr)
                if want != have:
                    out.append(f"{table}.{column}: GROUP BY gives {want[:4]}, facet_counts {have[:4]}")
                for other in columns if table in PAIRED else ():
                    if other == column:
                        continue
                    want = sorted(con.execute(f'SELECT "{column}", "{other}", count(*) FROM {table} WHERE "{column}" '
                                              f'IS NOT NULL AND "{other}" IS NOT NULL GROUP BY "{column}", "{other}"'
                                              ).fetchall(), key=repr)
                    have = sorted(con.execute("SELECT value, other_value, count FROM facet_pairs WHERE table_name=? "
                                              "AND column_name=? AND other_column=?", (table, column, other)
                                              ).fetchall(), key=repr)
                    if want != have:
                        out.append(f"{table}.{column}×{other}: GROUP BY gives {want[:4]}, facet_pairs {have[:4]}")
    finally:
        con.close()
    return out


def test_facet_counts_are_what_the_tables_hold_after_every_kind_of_write(tmp_path, site):
    build(tmp_path, site)
    db = tmp_path / "archive.db"
    con = sqlite3.connect(db)
    counted = dict(con.execute("SELECT table_name, sum(count) FROM facet_counts WHERE column_name IN "
                               "('record_type', 'extract_status', 'host', 'page_url', 'kind') "
                               "GROUP BY table_name").fetchall())
    con.close()
    # Every large table has rows here, so every trigger has fired.
    assert {"captures", "snapshots", "pages", "versions", "figures", "changes", "ledger"} <= set(counted)
    assert mismatches(db) == []

    # A capture indexed again (recovery and reindex write captures with INSERT OR REPLACE,
    # through RowBatch) is counted once, under the values it is written with.
    with Store(db, tmp_path / "warcs") as s:
        with s.transaction() as c:
            row = dict(c.execute("SELECT * FROM captures WHERE record_type='response' LIMIT 1").fetchone())
            batch = RowBatch(c)
            batch.captures += [dict(row), dict(row, status=299), dict(row)]
            batch.flush()
        assert mismatches(db) == []
        with s.transaction() as c:
            batch = RowBatch(c)
            batch.captures.append(dict(row, status=299))
            batch.flush()
        assert mismatches(db) == []
        s.capture(publish_edition(site, 2)[:1], Fetcher(timeout=5))
        s.reindex()
    assert mismatches(db) == []


def test_an_index_made_before_the_counts_gets_them(tmp_path, site):
    build(tmp_path, site)
    db = tmp_path / "archive.db"
    con = sqlite3.connect(db, isolation_level=None)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'facet%'").fetchall():
        con.execute(f'DROP TRIGGER "{name}"')
    con.execute("DROP TABLE facet_counts")
    con.execute("DROP TABLE facet_pairs")
    con.execute("DELETE FROM _sqlite_migrations WHERE name IN ('m005_facet_counts', 'm007_facet_pairs')")
    con.close()
    with Store(db, tmp_path / "warcs"):
        pass
    assert mismatches(db) == []


@pytest.mark.parametrize("edit, named", [
    ("UPDATE facet_counts SET count = count + 1000 WHERE table_name='captures' AND column_name='status' "
     "AND value=200", "facet_counts:captures:status:200"),
    ("UPDATE facet_pairs SET count = count + 7 WHERE table_name='captures' AND column_name='status' "
     "AND value=200 AND other_column='record_type' AND other_value='response'",
     "facet_pairs:captures:status:200:record_type:response"),
])
def test_an_edited_count_is_named_by_the_audit(tmp_path, site, edit, named):
    """facet_counts and facet_pairs are derived like every other table a reader sees:
    verify --all builds them again from the WARC files and names a count that differs."""
    build(tmp_path, site)
    db = tmp_path / "archive.db"
    con = sqlite3.connect(db, isolation_level=None)
    con.execute(edit)
    con.close()
    with Store(db, tmp_path / "warcs") as s:
        failed = [r for r in audit(s) if r["ok"] is False]
    assert [r["id"] for r in failed] == [named], failed
