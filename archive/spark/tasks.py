"""What the Spark job's tasks compute, written as plain functions over the code of the
single-machine path, so that both give the same rows.

Two stages, as the data allows:

1. **per file** (:func:`index_file`): the file is indexed by
   :meth:`archive.index.journal.Journal._index_file` into a scratch SQLite database —
   reading, digests and fixity, capture and snapshot rows — and its snapshots are
   extracted by :func:`archive.index.versions._extract_chunk` (text, quotes, figures).
   The rows come out as dicts by table.
2. **per page** (:func:`page_tables`): a page's captures from every file, with the
   snapshots and texts they point at, go into an in-memory index where
   :func:`archive.index.versions.rebuild_versions` numbers the versions and computes the
   changes, exactly as after an import.

Between them the job merges snapshots seen in several files by the rule of the index's
upsert (:func:`merge_snapshots`): the row of the earliest capture wins.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Iterable

# Tables the job writes, each with the columns of the SQLite table (schema.TABLES).
TABLES = ("captures", "snapshots", "pages", "texts", "quotes", "figures", "versions", "changes",
          "citations", "import_errors", "warc_files")
# Rows of these come from the per-file stage unchanged (keyed by content or record).
PER_FILE = ("texts", "quotes", "figures", "citations", "import_errors", "warc_files")


def columns() -> dict[str, list[tuple[str, str]]]:
    """Each table's (column, type) as the index creates them (TEXT, INTEGER or REAL)."""
    conn = _scratch_index()
    try:
        return {t: [(r[1], (r[2] or "TEXT").upper()) for r in conn.execute(f"PRAGMA table_info([{t}])")]
                for t in TABLES}
    finally:
        conn.close()


def _scratch_index() -> sqlite3.Connection:
    from archive.index.db import ensure_schema

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    ensure_schema(conn)
    return conn


def list_files(source: str) -> list[str]:
    """The archive files of a collection: a local directory or ``s3://bucket/prefix``."""
    from archive.storage import is_remote

    if is_remote(source):
        from archive.storage.s3 import S3Backend

        return S3Backend(source).list()
    from archive.storage.local import list_warcs

    return list_warcs(Path(source))


def index_file(source: str, name: str) -> dict[str, list[dict]]:
    """Stage 1: every row one file gives, by table (``pages`` rows are partial: the page
    stage recounts them over all files)."""
    from archive.index.journal import Journal
    from archive.index.versions import _extract_chunk

    with tempfile.TemporaryDirectory(prefix="archive-spark-") as tmp:
        journal = Journal(Path(tmp) / "file.db", source, staging=Path(tmp) / "staging", recover=False)
        try:
            origin = "import" if name.startswith("import-") else "capture"
            journal._index_file(name, origin)
            pending = [r[0] for r in journal.conn.execute(
                "SELECT sha256 FROM snapshots WHERE extract_status='pending' ORDER BY first_captured_at")]
            for i in range(0, len(pending), 256):
                _extract_chunk(journal, pending[i:i + 256], None)
            out = {t: _rows(journal.conn, t) for t in TABLES if t not in ("versions", "changes")}
        finally:
            journal.conn.close()
    for row in out["warc_files"]:
        # When the task ran is not a fact of the collection; the seal is.
        row["created_at"] = row["sealed_at"] = None
    return out


def _rows(conn: sqlite3.Connection, table: str) -> list[dict]:
    return [dict(r) for r in conn.execute(f"SELECT * FROM {table}")]


def merge_snapshots(a: dict, b: dict) -> dict:
    """Two rows of one snapshot from different files: the earlier capture's, as the
    index's upsert keeps it (ties go to the smaller record id, so the order of the
    files read does not matter)."""
    return a if (a["first_captured_at"], a["record_id"]) <= (b["first_captured_at"], b["record_id"]) else b


def page_tables(page_url: str, captures: Iterable[dict], snapshots: Iterable[dict],
                texts: Iterable[dict], quotes: Iterable[dict], figures: Iterable[dict],
                hosts: Iterable[str | None]) -> dict[str, list[dict]]:
    """Stage 2: the page's row, its versions and changes, and its captures with revisits
    resolved, computed by the index's own code over the page's rows."""
    from archive.index.journal import _resolve_revisits
    from archive.index.versions import rebuild_versions

    conn = _scratch_index()
    captures = list(captures)
    _insert(conn, "captures", captures)
    _insert(conn, "snapshots", snapshots)
    _insert(conn, "texts", texts)
    _insert(conn, "quotes", quotes)
    _insert(conn, "figures", figures)
    host = next((h for h in hosts if h is not None), None)
    conn.execute("BEGIN")
    _resolve_revisits(conn)
    if page_url is not None and captures:
        conn.execute(
            "INSERT INTO pages (url, host, first_captured_at, last_captured_at, captures) "
            "SELECT ?, ?, min(captured_at), max(captured_at), count(*) FROM captures WHERE page_url=?",
            (page_url, host, page_url))
        rebuild_versions(conn, page_url)
    conn.execute("COMMIT")
    out = {t: _rows(conn, t) for t in ("captures", "pages", "versions", "changes")}
    conn.close()
    return out


def _insert(conn: sqlite3.Connection, table: str, rows: Iterable[dict]) -> None:
    rows = list(rows)
    if not rows:
        return
    cols = list(rows[0])
    names = ", ".join(f'"{c}"' for c in cols)
    conn.executemany(f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' for _ in cols)})",
                     [tuple(r[c] for c in cols) for r in rows])
