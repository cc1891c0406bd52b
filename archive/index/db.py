"""Opening the index for writing: connect (WAL, busy timeout), then bring the schema up
to date. The check is one query; sqlite-utils is loaded only when a migration is pending
in an index that already has tables (a new one gets the schema in one script).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from archive.errors import StoreError
from archive.index.schema import MIGRATION_NAMES, MIGRATION_SET, SCHEMA_VERSION, connect, pending_migrations, tables_sha


def ensure_schema(conn: sqlite3.Connection, path: str | Path | None = None) -> None:
    """Apply the migrations this index has not had (all of them for a new one)."""
    if pending_migrations(conn) and not create_new(conn, path):
        from archive.index.migrations import migrate

        migrate(conn, path)


def create_new(conn: sqlite3.Connection, path: str | Path | None = None) -> bool:
    """Give an index without any table the schema its migrations would, in one transaction,
    from the statements sqlite-utils made for it (:mod:`archive.index.new_index`), and
    record the migrations as applied. False, and nothing done, when the index has tables
    or those statements are not the ones for the ``TABLES`` of this version."""
    from archive.index import new_index

    if new_index.TABLES_SHA != tables_sha() or new_index.MIGRATIONS != MIGRATION_NAMES:
        return False
    # As migrate(): processes creating the same new store take turns.
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644) if path is not None else None
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                conn.execute("ROLLBACK")
                return False
            for sql in new_index.STATEMENTS:
                conn.execute(sql)
            applied = str(datetime.now(timezone.utc))   # as sqlite-utils writes applied_at
            conn.executemany("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
                             [(MIGRATION_SET, name, applied) for name in MIGRATION_NAMES])
            conn.executemany("INSERT INTO _meta VALUES (?, ?)",
                             [("schema_version", str(SCHEMA_VERSION)), ("tables_sha256", tables_sha())])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return True
    finally:
        if fd is not None:
            os.close(fd)


def open_db(path: str | Path) -> sqlite3.Connection:
    conn = connect(path)
    try:
        ensure_schema(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path} is not a usable archive index ({exc}); "
                         "rebuild it from the WARC files with `archive reindex`") from None
    return conn
