"""Tables of the SQLite index, and how a connection to it is opened.

The index is a materialised view of ``warcs/``: every row here can be rebuilt by
``archive reindex`` from the WARC files alone. Rows that point at bytes carry
``warc_file``, ``offset`` and ``length`` so the exact record can be re-read.

Concurrency: WAL mode, a busy timeout, and writes in ``BEGIN IMMEDIATE`` transactions,
so several capturing processes and a Datasette reader never see "database is locked".
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

SCHEMA_VERSION = 2   # 2: migrations through sqlite-utils, FTS as sqlite-utils lays it out
BUSY_TIMEOUT_MS = 30_000

# The declared schema. Migrations (below, through sqlite-utils) bring any index to it;
# statements are split on ";", so comments inside must not contain one.
TABLES = """
CREATE TABLE IF NOT EXISTS warc_files (
    name TEXT PRIMARY KEY,          -- file name inside warcs/
    created_at TEXT,                -- ISO 8601 UTC
    size INTEGER,                   -- bytes indexed so far (the acknowledged end)
    records INTEGER DEFAULT 0,
    sealed_at TEXT,                 -- set when the file is rotated out / finalised
    sha256 TEXT,                    -- SHA-256 of the whole sealed file
    origin TEXT DEFAULT 'capture',  -- capture | import
    state TEXT                      -- open (a writer holds it) | closed (cleanly, may be continued) | sealed
);
CREATE TABLE IF NOT EXISTS captures (
    record_id TEXT PRIMARY KEY,     -- WARC-Record-ID of the response/revisit/resource
    record_type TEXT,               -- response | revisit | resource
    url TEXT,                       -- WARC-Target-URI as fetched
    page_url TEXT,                  -- canonical page URL (see urls.py)
    captured_at TEXT,               -- WARC-Date, ISO 8601 UTC
    status INTEGER,                 -- HTTP status (NULL for resource records)
    content_type TEXT,
    warc_file TEXT,
    offset INTEGER,                 -- byte offset of the record's gzip member
    length INTEGER,                 -- compressed length of the record
    payload_sha256 TEXT,            -- hex, for a revisit, the original's payload
    block_sha256 TEXT,              -- hex of the record block as stored
    refers_to TEXT,                 -- revisit: WARC-Refers-To record id
    request_record_id TEXT,
    redirect_to TEXT,               -- Location of a 3xx hop
    truncated TEXT,                 -- WARC-Truncated reason (length, time, disconnect)
    fixity TEXT,                    -- declared digests at index time: ok | failed | unverifiable
    http_headers TEXT               -- JSON list of [name, value]
);
CREATE INDEX IF NOT EXISTS captures_page ON captures(page_url, captured_at);
CREATE INDEX IF NOT EXISTS captures_payload ON captures(payload_sha256);
CREATE INDEX IF NOT EXISTS captures_file ON captures(warc_file, offset);
CREATE INDEX IF NOT EXISTS captures_concurrent ON captures(request_record_id);
CREATE TABLE IF NOT EXISTS snapshots (
    sha256 TEXT PRIMARY KEY,        -- SHA-256 of the HTTP payload (hex)
    size INTEGER,
    content_type TEXT,
    record_id TEXT,                 -- first capture holding these bytes
    first_captured_at TEXT,
    truncated TEXT,                 -- never a complete citation source when set
    text_sha256 TEXT,               -- extracted text, NULL if not extracted
    extract_status TEXT,            -- pending | ok | not_html | failed | truncated
    extract_error TEXT,
    extractor_version TEXT
);
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,           -- canonical page URL
    host TEXT,
    title TEXT,
    first_captured_at TEXT,
    last_captured_at TEXT,
    captures INTEGER DEFAULT 0,
    versions INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS texts (
    sha256 TEXT PRIMARY KEY,        -- SHA-256 of the UTF-8 text
    title TEXT,
    text TEXT,
    author TEXT,
    published TEXT,
    modified TEXT,
    language TEXT,
    charset TEXT,
    extractor_version TEXT,
    truncated INTEGER DEFAULT 0     -- decoding stopped at a cap
);
CREATE TABLE IF NOT EXISTS versions (
    page_url TEXT,
    version INTEGER,                -- 1, 2, ... in order of first capture
    text_sha256 TEXT,
    snapshot_sha256 TEXT,           -- snapshot of the first capture of this version
    record_id TEXT,                 -- that first capture
    title TEXT,
    first_captured_at TEXT,
    last_captured_at TEXT,
    captures INTEGER,
    text_source TEXT,               -- http (the HTML as served) | rendered_dom (a browser capture's DOM)
    PRIMARY KEY (page_url, version)
);
CREATE INDEX IF NOT EXISTS versions_text ON versions(text_sha256);
CREATE TABLE IF NOT EXISTS quotes (
    text_sha256 TEXT,
    n INTEGER,                      -- order in the text
    statement INTEGER,              -- parts of one split quotation share a statement
    text TEXT,                      -- the quoted words
    speaker TEXT,
    is_term INTEGER DEFAULT 0,      -- scare quotes around a term
    start INTEGER,
    "end" INTEGER,
    exact TEXT, prefix TEXT, suffix TEXT,
    PRIMARY KEY (text_sha256, n)
);
CREATE TABLE IF NOT EXISTS figures (
    text_sha256 TEXT,
    n INTEGER,
    value REAL,
    text TEXT,                      -- as written: "2,300", "1.5 million", "a third"
    kind TEXT,                      -- number | percent | money | date | ordinal
    unit TEXT,                      -- currency or unit where given
    counts TEXT,                    -- the noun it quantifies
    qualifier TEXT,                 -- "more than", "up to", ...
    sentence TEXT,
    start INTEGER,
    "end" INTEGER,
    exact TEXT, prefix TEXT, suffix TEXT,
    PRIMARY KEY (text_sha256, n)
);
CREATE TABLE IF NOT EXISTS changes (
    page_url TEXT,
    from_version INTEGER,
    to_version INTEGER,
    n INTEGER,
    kind TEXT,                      -- figure | sentence | quote | title
    op TEXT,                        -- added | removed | edited | changed
    before TEXT,
    after TEXT,
    before_value REAL,
    after_value REAL,
    counts TEXT,
    detail TEXT,                    -- JSON
    PRIMARY KEY (page_url, to_version, n)
);
CREATE TABLE IF NOT EXISTS citations (
    id TEXT PRIMARY KEY,
    url TEXT,
    page_url TEXT,
    captured_at TEXT,
    record_id TEXT,                 -- capture the passage was cited from
    snapshot_sha256 TEXT,
    text_sha256 TEXT,
    exact TEXT, prefix TEXT, suffix TEXT,
    start INTEGER,
    "end" INTEGER,
    created_at TEXT,
    note TEXT,
    warc_file TEXT,                 -- where the citation record itself is stored
    offset INTEGER,
    length INTEGER,
    citation_record_id TEXT
);
CREATE TABLE IF NOT EXISTS checks (
    citation_id TEXT,
    checked_at TEXT,
    status TEXT,                    -- unchanged | present | changed | removed | gone
    record_id TEXT,                 -- the recapture
    now TEXT,                       -- what the passage says now
    detail TEXT,
    PRIMARY KEY (citation_id, checked_at)
);
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY,
    entry_hash TEXT,
    prev_hash TEXT,
    kind TEXT,                      -- capture | citation | seal
    subject TEXT,                   -- record id / citation id / file name
    digests TEXT,                   -- JSON of what the entry vouches for
    at TEXT,
    warc_file TEXT, offset INTEGER, length INTEGER, record_id TEXT
);
CREATE INDEX IF NOT EXISTS ledger_subject ON ledger(subject, kind);
CREATE TABLE IF NOT EXISTS drift (
    citation_id TEXT,
    detected_at TEXT,
    status TEXT,
    before TEXT,
    now TEXT,
    record_id TEXT,
    PRIMARY KEY (citation_id, detected_at)
);
CREATE TABLE IF NOT EXISTS watches (
    url TEXT PRIMARY KEY,
    feed_url TEXT,
    added_at TEXT,
    schedule TEXT,
    next_due TEXT,
    last_captured_at TEXT,
    etag TEXT,
    last_modified TEXT,
    errors INTEGER DEFAULT 0,
    active INTEGER DEFAULT 1
);
CREATE TABLE IF NOT EXISTS import_errors (
    path TEXT,
    offset INTEGER,
    reason TEXT,
    at TEXT
);
CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT);
"""

FTS_TABLE = "texts_fts"


def connect(path: str | Path, readonly: bool = False) -> sqlite3.Connection:
    """Open the index with WAL, a busy timeout and autocommit off-by-explicit-BEGIN."""
    from archive.errors import StoreError

    try:
        return _connect(Path(path), readonly)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the index {path}: {exc}") from None
    except OSError as exc:
        raise StoreError(f"cannot open the index {path}: {exc.strerror or exc}") from None


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, waiting out another process doing the same.

    The switch needs an exclusive lock, and SQLite may answer "database is locked"
    at once instead of calling the busy handler when two processes open a new store
    together; retry for up to the busy timeout before giving up.
    """
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    if not readonly:
        path.parent.mkdir(parents=True, exist_ok=True)
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _enable_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.row_factory = sqlite3.Row
    return conn


FTS_COLUMNS = ("title", "text")
FTS_TOKENIZE = "unicode61 remove_diacritics 2"
MIGRATIONS = Migrations("archive-store")


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


@MIGRATIONS()
def m002_columns_of_earlier_indexes(db: sqlite_utils.Database) -> None:
    """Indexes written before migrations existed may lack columns added since: add them
    (they are nullable, so the rows already there stay valid)."""
    want = declared()
    for name in want.table_names():
        have = db.table(name).columns_dict
        for column, kind in want.table(name).columns_dict.items():
            if column not in have:
                db.table(name).add_column(column, kind)


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


def ensure_schema(conn: sqlite3.Connection, path: str | Path | None = None) -> None:
    """Apply every pending migration (all of them for a new index).

    Checking costs one read; when something is pending, processes opening the same new
    store take turns through an exclusive lock on a file beside the index, so no two
    apply the same migration.
    """
    db = sqlite_utils.Database(conn)
    if not MIGRATIONS.pending(db):
        return
    lock = Path(f"{path}.lock") if path is not None else None
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644) if lock is not None else None
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        MIGRATIONS.apply(db)
        conn.execute("INSERT OR REPLACE INTO _meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    finally:
        if fd is not None:
            os.close(fd)


def open_db(path: str | Path) -> sqlite3.Connection:
    from archive.errors import StoreError

    conn = connect(path)
    try:
        ensure_schema(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path} is not a usable archive index ({exc}); "
                         "rebuild it from the WARC files with `archive reindex`") from None
    return conn
