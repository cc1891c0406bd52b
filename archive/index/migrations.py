"""The schema migrations, through sqlite-utils: each runs once per index, recorded in
``_sqlite_migrations``. A change to the schema is a new function here (and its name in
:data:`archive.index.schema.MIGRATION_NAMES`), never an edit of one that has run.

Imported only when an index has a migration pending (sqlite-utils brings click with it,
which commands that only read the index need not load).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from archive.index.schema import (
    FTS_TABLE,
    MIGRATION_SET,
    PAIRED,
    SCHEMA_VERSION,
    TABLES,
    pending_migrations,
    recount_facets,
    refresh_facet_counts,
    tables_sha,
)

FTS_COLUMNS = ("title", "text")
FTS_TOKENIZE = "unicode61 remove_diacritics 2"
MIGRATIONS = Migrations(MIGRATION_SET)


def declared() -> sqlite_utils.Database:
    """The schema ``TABLES`` declares, as an in-memory database to compare with.

    >>> ("state", str) in declared()["warc_files"].columns_dict.items()
    True
    >>> list(declared()["quotes"].columns_dict)[-3:]
    ['exact', 'prefix', 'suffix']
    """
    db = sqlite_utils.Database(memory=True)
    db.conn.executescript(TABLES)
    return db


@MIGRATIONS()
def m001_tables(db: sqlite_utils.Database) -> None:
    """Every table and index of ``TABLES`` (each statement is ``IF NOT EXISTS``)."""
    for stmt in TABLES.split(";"):
        if stmt.strip():
            db.execute(stmt)


def add_declared_columns(db: sqlite_utils.Database) -> None:
    """Add each column ``TABLES`` declares that a table of this index lacks (new columns
    are nullable, so the rows already there stay valid)."""
    want = declared()
    for name in want.table_names():
        have = db.table(name).columns_dict
        for column, kind in want.table(name).columns_dict.items():
            if column not in have:
                db.table(name).add_column(column, kind)


def sync_declared(db: sqlite_utils.Database) -> None:
    """Bring the index to what ``TABLES`` declares now: new tables, new columns, then new
    indexes (which may be on the new columns). Runs whenever ``TABLES`` changed since the
    index was last opened for writing; every statement is ``IF NOT EXISTS``."""
    statements = [s.strip() for s in TABLES.split(";") if s.strip()]
    for stmt in statements:
        if stmt.upper().startswith("CREATE TABLE"):
            db.execute(stmt)
    add_declared_columns(db)
    for stmt in statements:
        if not stmt.upper().startswith("CREATE TABLE"):
            db.execute(stmt)


@MIGRATIONS()
def m002_columns_of_earlier_indexes(db: sqlite_utils.Database) -> None:
    """Indexes written before migrations existed may lack columns added since."""
    add_declared_columns(db)


@MIGRATIONS(transactional=False)   # enable_fts runs a script, which commits
def m003_fts_that_datasette_finds(db: sqlite_utils.Database) -> None:
    """Full-text search over texts, as sqlite-utils lays it out (``content=[texts]`` and
    the ``texts_ai/ad/au`` triggers), so Datasette and its plugins detect it. An index of
    an earlier version declared ``content='texts'``, which Datasette does not recognise:
    that table is dropped and rebuilt."""
    texts = db.table("texts")
    if db.table(FTS_TABLE).exists() and texts.detect_fts() != FTS_TABLE:
        for trigger in ("texts_ai", "texts_ad", "texts_au"):
            db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        db.execute(f"DROP TABLE {FTS_TABLE}")
    texts.enable_fts(FTS_COLUMNS, create_triggers=True, tokenize=FTS_TOKENIZE, replace=True)


@MIGRATIONS(transactional=False)   # transform runs its own transaction
def m004_ledger_chains(db: sqlite_utils.Database) -> None:
    """Several ledger chains side by side (one per writing index: capture machines that
    share a bucket): entries are keyed by the record holding them and name their chain,
    signed heads likewise. The entries already indexed are one chain, this index's own."""
    from archive.index.metadata import LEDGER_GENESIS, OWN_CHAIN_KEY, resolve_chains

    sync_declared(db)   # the chain columns, the ledger_roots table
    ledger = db.table("ledger")
    if ledger.pks != ["warc_file", "offset", "seq"]:
        ledger.transform(pk=("warc_file", "offset", "seq"))
    heads = db.table("ledger_heads")
    if heads.exists():
        if "chain" not in heads.columns_dict:
            heads.add_column("chain", str)
        if heads.pks != ["warc_file", "offset"]:
            heads.transform(pk=("warc_file", "offset"))
    with db.atomic():
        db.execute("UPDATE ledger SET chain=entry_hash WHERE seq=1 AND prev_hash=? AND chain IS NULL",
                   [LEDGER_GENESIS])
        resolve_chains(db.conn)
        recount_facets(db.conn, "ledger")   # (an index keeping counts already: chains were set above)
        if db.execute("SELECT 1 FROM _meta WHERE key=?", [OWN_CHAIN_KEY]).fetchone() is None:
            row = db.execute("SELECT chain FROM ledger WHERE chain IS NOT NULL ORDER BY seq DESC LIMIT 1").fetchone()
            if row is not None:
                db.execute("INSERT INTO _meta (key, value) VALUES (?, ?)", [OWN_CHAIN_KEY, row[0]])


@MIGRATIONS()
def m005_facet_counts(db: sqlite_utils.Database) -> None:
    """The facets of large tables counted as rows are written (``facet_counts`` and its
    triggers, see :data:`archive.index.schema.FACETED`), counted once here from the rows
    an index already holds."""
    sync_declared(db)   # the facet_counts table
    refresh_facet_counts(db.conn)


@MIGRATIONS()
def m006_ledger_tree_index(db: sqlite_utils.Database) -> None:
    """A chain's entry hashes in seq order read from an index alone (``ledger_tree``, made
    by the declared schema), where the one on (chain, seq) read every row from the table:
    a citation's proof reads blocks of a thousand of them."""
    db.execute("DROP INDEX IF EXISTS ledger_chain")


@MIGRATIONS()
def m007_facet_pairs(db: sqlite_utils.Database) -> None:
    """Counts by pairs of faceted values (``facet_pairs``, see
    :data:`archive.index.schema.PAIRED`), counted once here from the rows an index holds."""
    sync_declared(db)   # the facet_pairs table
    for table in PAIRED:
        recount_facets(db.conn, table)


def migrate(conn: sqlite3.Connection, path: str | Path | None = None) -> None:
    """Apply every pending migration (all of them for a new index).

    Processes opening the same new store at once take turns through an exclusive lock on
    a file beside the index, so no two apply the same migration.
    """
    db = sqlite_utils.Database(conn)
    lock = Path(f"{path}.lock") if path is not None else None
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644) if lock is not None else None
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # Another process may have migrated while we waited: then it is done, and
            # writing now (in a transaction begun before its captures) would only collide.
            if not pending_migrations(conn):
                return
        MIGRATIONS.apply(db)
        with db.atomic():
            sync_declared(db)
            conn.execute("INSERT OR REPLACE INTO _meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            conn.execute("INSERT OR REPLACE INTO _meta VALUES ('tables_sha256', ?)", (tables_sha(),))
    finally:
        if fd is not None:
            os.close(fd)


# -- a new index in one script ----------------------------------------------------------
#
# Opening a store that does not exist yet would load sqlite-utils (and numpy, which it
# imports) and run every migration: a fifth of a second, most of the time of a small
# import. The schema those migrations give a new index is kept in
# ``archive/index/new_index.py`` as the statements sqlite-utils itself made, and
# ``archive.index.db`` replays them; ``tests/test_reindex.py`` checks that the file is
# what this function makes now and that both ways give the same schema. After a change
# to ``TABLES`` or to a migration: ``python -m archive.index.migrations``.

NEW_INDEX_FILE = Path(__file__).with_name("new_index.py")


def new_index_source() -> str:
    """The text of ``new_index.py``: the DDL the migrations give a new index, in order."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn)
    # Tables FTS5 makes for its virtual table, and SQLite's own indexes of primary keys,
    # come with the statements that create them.
    statements = [sql for (sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
        "AND NOT (type = 'table' AND name LIKE ? || '_%' AND name != ?) ORDER BY rowid",
        (FTS_TABLE, FTS_TABLE))]
    migrations = [name for (name,) in conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set=? ORDER BY id", (MIGRATION_SET,))]
    lines = ['"""The schema of a new index, as the migrations of :mod:`archive.index.migrations`',
             "make it (generated by ``python -m archive.index.migrations``; do not edit).", '"""', "",
             f"TABLES_SHA = {tables_sha()!r}", f"MIGRATIONS = {tuple(migrations)!r}", "STATEMENTS = ("]
    lines += [f"    {sql!r}," for sql in statements]
    lines += [")", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    NEW_INDEX_FILE.write_text(new_index_source())
    print(f"wrote {NEW_INDEX_FILE}")
