"""Opening the index for writing: connect (WAL, busy timeout), then bring the schema up
to date. The check is one query; sqlite-utils is loaded only when a migration is pending.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archive.errors import StoreError
from archive.index.schema import connect, pending_migrations


def ensure_schema(conn: sqlite3.Connection, path: str | Path | None = None) -> None:
    """Apply the migrations this index has not had (all of them for a new one)."""
    if pending_migrations(conn):
        from archive.index.migrations import migrate

        migrate(conn, path)


def open_db(path: str | Path) -> sqlite3.Connection:
    conn = connect(path)
    try:
        ensure_schema(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path} is not a usable archive index ({exc}); "
                         "rebuild it from the WARC files with `archive reindex`") from None
    return conn
