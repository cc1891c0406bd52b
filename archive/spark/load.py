"""``archive import-parquet``: load the Spark job's Parquet tables into the SQLite index.

The index is built beside the target and swapped in by rename (as ``reindex`` does), so
Datasette, reading the old one, never sees half a load. Columns are matched by name with
the SQLite table's; a table the job did not write stays empty.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from archive.errors import UsageError

BATCH = 10_000


def import_parquet(directory: str | Path, db_path: str | Path) -> dict[str, int]:
    """Replace the index at ``db_path`` by the tables in ``directory``; rows per table."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError("import-parquet needs pyarrow: pip install 'archive-store[spark]'") from None
    from archive.index.db import open_db
    from archive.index.gate import WritersGate, replace_index
    from archive.index.metadata import HEADS_TABLE, resolve_chains
    from archive.index.schema import refresh_facet_counts
    from archive.spark.tasks import TABLES, columns

    directory = Path(directory)
    if not directory.is_dir():
        raise UsageError(f"{directory}: no such directory")
    present = [t for t in TABLES if (directory / t).is_dir()]
    if not present:
        raise UsageError(f"{directory} holds none of the tables {', '.join(TABLES)}")
    for t in present:
        if not (directory / t / "_SUCCESS").exists():
            raise UsageError(f"{directory / t}: no _SUCCESS marker: the job that wrote it did not finish")
    db_path = Path(db_path)
    tmp = db_path.with_name(f".{db_path.name}.parquet-{os.getpid()}")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    conn = open_db(tmp)
    counts: dict[str, int] = {}
    try:
        conn.execute(HEADS_TABLE)
        conn.execute("BEGIN IMMEDIATE")
        for table in present:
            cols = [c for c, _ in columns()[table]]
            names = ", ".join(f'"{c}"' for c in cols)
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in cols)})"
            n = 0
            for batch in _batches(pq, directory / table):
                data = batch.to_pydict()
                rows = list(zip(*(data.get(c, [None] * batch.num_rows) for c in cols)))
                try:
                    conn.executemany(sql, rows)
                except sqlite3.IntegrityError as exc:
                    # The job writes each key once: two rows for one are not its output
                    # (parts of two runs mixed in one directory?). Nothing is loaded.
                    raise UsageError(f"{directory / table}: two rows for one key ({exc}): not the "
                                     "output of one run of the job; nothing was loaded") from None
                n += len(rows)
            counts[table] = n
        # Each task linked the ledger entries of its own file; a chain's entries in other
        # files are linked now, as reindex links them.
        resolve_chains(conn)
        refresh_facet_counts(conn)   # rows written in bulk: their facets counted once
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        raise
    conn.close()
    # Processes writing to the index it replaces wait, then write to this one.
    gate = WritersGate(db_path)
    try:
        with gate.alone():
            replace_index(tmp, db_path)
    finally:
        gate.close()
    Path(str(tmp) + ".lock").unlink(missing_ok=True)
    return counts


def _batches(pq, table_dir: Path):
    """Record batches of every part file of a table directory, in name order."""
    for part in sorted(table_dir.glob("*.parquet")):
        yield from pq.ParquetFile(part).iter_batches(BATCH)
