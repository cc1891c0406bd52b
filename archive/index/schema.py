"""Tables of the SQLite index, and how a connection to it is opened.

The index is a materialised view of ``warcs/``: every row here can be rebuilt by
``archive reindex`` from the WARC files alone. Rows that point at bytes carry
``warc_file``, ``offset`` and ``length`` so the exact record can be re-read.

Concurrency: WAL mode, a busy timeout, and writes in ``BEGIN IMMEDIATE`` transactions,
so several capturing processes and a Datasette reader never see "database is locked".
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

SCHEMA_VERSION = 2   # 2: migrations through sqlite-utils, FTS as sqlite-utils lays it out
BUSY_TIMEOUT_MS = 30_000

# (captures_time and captures_facet_*: the captures page sorts by time and shows four facets
# from metadata.yml; without them each is a pass over the whole table, 388 ms at 200k
# captures in issue 19; with them a read of the newest rows and a small index scan each.)
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
    state TEXT,                     -- open (a writer holds it) | closed (cleanly, may be continued) | sealed
    stored TEXT,                    -- s3://… where the sealed file is kept, once its upload is verified
    stored_at TEXT                  -- when that upload was verified (the local copy is then removed)
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
CREATE INDEX IF NOT EXISTS captures_time ON captures(captured_at);
CREATE INDEX IF NOT EXISTS captures_facet_type ON captures(record_type);
CREATE INDEX IF NOT EXISTS captures_facet_status ON captures(status);
CREATE INDEX IF NOT EXISTS captures_facet_ctype ON captures(content_type);
CREATE INDEX IF NOT EXISTS captures_facet_fixity ON captures(fixity);
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
CREATE INDEX IF NOT EXISTS snapshots_text ON snapshots(text_sha256);
CREATE INDEX IF NOT EXISTS snapshots_time ON snapshots(first_captured_at);
CREATE INDEX IF NOT EXISTS snapshots_status ON snapshots(extract_status);
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,           -- canonical page URL
    host TEXT,
    title TEXT,
    first_captured_at TEXT,
    last_captured_at TEXT,
    captures INTEGER DEFAULT 0,
    versions INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS pages_time ON pages(last_captured_at);
CREATE INDEX IF NOT EXISTS pages_host ON pages(host);
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
CREATE TABLE IF NOT EXISTS browser_captures (
    record_id TEXT PRIMARY KEY,     -- the page's response (or revisit) record
    page_url TEXT,
    url TEXT,                       -- the URL the browser ended on
    captured_at TEXT,
    settled INTEGER,                -- 1: the network went idle within the limits, 0: cut
    cut TEXT,                       -- why not settled: budget, network_busy, load_failed, hung
    requests INTEGER,               -- responses recorded for the page load
    refused INTEGER,                -- requests the recording proxy did not relay
    screenshot_record_id TEXT,      -- resource record, image/png
    dom_record_id TEXT,             -- resource record, the DOM after scripts ran
    log_record_id TEXT,             -- the metadata record this row mirrors
    warc_file TEXT, offset INTEGER, length INTEGER
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
CREATE INDEX IF NOT EXISTS versions_time ON versions(first_captured_at);
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
CREATE TABLE IF NOT EXISTS diffs (
    page_url TEXT,
    from_version INTEGER,
    to_version INTEGER,
    ops TEXT,                       -- JSON [[op, before_start, before_end, after_start, after_end], ...]
    PRIMARY KEY (page_url, to_version)
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
    seq INTEGER,                    -- position in its chain
    entry_hash TEXT,
    prev_hash TEXT,
    kind TEXT,                      -- capture | citation | seal
    subject TEXT,                   -- record id / citation id / file name
    digests TEXT,                   -- JSON of what the entry vouches for
    at TEXT,
    warc_file TEXT, offset INTEGER, length INTEGER, record_id TEXT,
    chain TEXT,                     -- entry_hash of its chain's first entry: one chain per writing index
    PRIMARY KEY (warc_file, offset, seq)
);
CREATE INDEX IF NOT EXISTS ledger_subject ON ledger(subject, kind);
CREATE INDEX IF NOT EXISTS ledger_tree ON ledger(chain, seq, entry_hash);
CREATE INDEX IF NOT EXISTS ledger_entry ON ledger(entry_hash);
CREATE TABLE IF NOT EXISTS ledger_roots (
    signed_at TEXT,
    chains TEXT,                    -- JSON: [{chain, writer, seq, entry_hash, merkle_root}, ...]
    key_id TEXT,
    public_key TEXT,
    signature TEXT,                 -- base64 Ed25519 over the canonical JSON of chains, signed_at, key_id
    warc_file TEXT, offset INTEGER, length INTEGER, record_id TEXT,
    PRIMARY KEY (warc_file, offset)
);
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
CREATE TABLE IF NOT EXISTS facet_counts (
    table_name TEXT,                -- a large table whose facets the table pages show (FACETED)
    column_name TEXT,
    value,                          -- a value of that column (never NULL: facets leave NULL out)
    count INTEGER,                  -- rows of the table holding it, counted as rows are written
    PRIMARY KEY (table_name, column_name, value)
);
CREATE INDEX IF NOT EXISTS facet_counts_top ON facet_counts(table_name, column_name, count DESC, value);
CREATE TABLE IF NOT EXISTS facet_pairs (
    table_name TEXT,                -- a table of PAIRED
    column_name TEXT,               -- a faceted column and one of its values ...
    value,
    other_column TEXT,              -- ... and another faceted column and one of its values
    other_value,
    count INTEGER,                  -- rows holding both, counted as rows are written
    PRIMARY KEY (table_name, column_name, value, other_column, other_value)
);
CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT);
"""

# The facets the table pages show over the whole of a large table: counted as rows are
# written, into ``facet_counts``, so that a page reads a few rows instead of making a pass
# over a million (four facets of the captures page took 300 ms at 200,000 captures, issue
# 19). Filtered pages still count the rows they match.
FACETED: dict[str, tuple[str, ...]] = {
    "captures": ("record_type", "status", "content_type", "fixity"),
    "snapshots": ("extract_status", "content_type"),
    "pages": ("host",),
    "ledger": ("kind", "chain"),
    "versions": ("page_url",),
    "quotes": ("speaker", "is_term"),
    "figures": ("kind", "counts", "qualifier"),
    "changes": ("kind", "op", "page_url"),
}
# Tables whose rows are also counted by pairs of faceted values (``facet_pairs``): a page
# of the table filtered by one faceted value (the link a facet gives) reads the other
# facets there. Only tables whose faceted columns :class:`FacetTally` alone keeps.
PAIRED: tuple[str, ...] = ("captures",)
# Who keeps the counts. Tables written a few rows per page while extracting: triggers.
# Tables the index's hot loops write (an import, thousands of rows a second): those loops,
# a batch at a time (:class:`FacetTally`, in ``RowBatch.flush`` and the ledger's
# indexing): a trigger on them made every insert keep a statement journal of the pages it
# touched, 40% more CPU for an import. Their columns change only there, except a
# snapshot's ``extract_status``, which extraction sets (a trigger on that column).
# A migration that rebuilds a triggered table (sqlite-utils' transform) drops its
# triggers: it must call refresh_facet_counts() after.
TRIGGERED = ("versions", "quotes", "figures", "changes")


class FacetTally:
    """Changes to ``facet_counts`` gathered while a batch of rows is written, then written
    at once (one upsert per value that changed, not one per row)."""

    def __init__(self) -> None:
        self.delta: dict[tuple[str, str, object], int] = {}
        self.pairs: dict[tuple[str, str, object, str, object], int] = {}

    def add(self, table: str, row, sign: int = 1) -> None:
        """Count ``row`` (a mapping with the table's faceted columns) in, or out (``sign=-1``)."""
        values = [(column, row[column]) for column in FACETED[table] if row[column] is not None]
        for column, value in values:
            key = (table, column, value)
            self.delta[key] = self.delta.get(key, 0) + sign
        if table in PAIRED:
            for column, value in values:
                for other, other_value in values:
                    if other != column:
                        pair = (table, column, value, other, other_value)
                        self.pairs[pair] = self.pairs.get(pair, 0) + sign

    def write(self, conn: sqlite3.Connection) -> None:
        changed = [(t, c, v, n) for (t, c, v), n in self.delta.items() if n]
        if changed:
            conn.executemany("INSERT INTO facet_counts (table_name, column_name, value, count) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT (table_name, column_name, value) DO UPDATE SET count = count + excluded.count",
                             changed)
            if any(n < 0 for *_, n in changed):
                conn.execute("DELETE FROM facet_counts WHERE count <= 0")
        pairs = [(*k, n) for k, n in self.pairs.items() if n]
        if pairs:
            conn.executemany("INSERT INTO facet_pairs (table_name, column_name, value, other_column, other_value, "
                             "count) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (table_name, column_name, value, "
                             "other_column, other_value) DO UPDATE SET count = count + excluded.count", pairs)
            if any(n < 0 for *_, n in pairs):
                conn.execute("DELETE FROM facet_pairs WHERE count <= 0")
        self.delta, self.pairs = {}, {}


def existing_rows(conn: sqlite3.Connection, table: str, key: str, keys: list) -> list[dict]:
    """The faceted columns and ``key`` of the rows of ``table`` whose ``key`` is in ``keys``
    (what an upsert or a replace of them will find)."""
    cols = ", ".join(f'"{c}"' for c in (key, *FACETED[table]))
    out: list[dict] = []
    unique = list(dict.fromkeys(k for k in keys if k is not None))
    for i in range(0, len(unique), 500):
        part = unique[i:i + 500]
        cur = conn.execute(f'SELECT {cols} FROM {table} WHERE "{key}" IN ({", ".join("?" * len(part))})', part)
        names = [d[0] for d in cur.description]
        out += [dict(zip(names, r)) for r in cur]
    return out


def _count_up(table: str, column: str) -> str:
    return (f"INSERT INTO facet_counts (table_name, column_name, value, count) SELECT '{table}', '{column}', "
            f'NEW."{column}", 1 WHERE NEW."{column}" IS NOT NULL '
            "ON CONFLICT (table_name, column_name, value) DO UPDATE SET count = count + 1;")


def _count_down(table: str, column: str) -> str:
    where = f"table_name = '{table}' AND column_name = '{column}' AND value = OLD.\"{column}\""
    return (f"UPDATE facet_counts SET count = count - 1 WHERE {where}; "
            f"DELETE FROM facet_counts WHERE {where} AND count <= 0;")


def _update_trigger(table: str, column: str) -> str:
    return (f'CREATE TRIGGER IF NOT EXISTS facet_{table}_{column}_update AFTER UPDATE OF "{column}" ON {table} '
            f'WHEN OLD."{column}" IS NOT NEW."{column}" BEGIN {_count_down(table, column)} '
            f"{_count_up(table, column)} END")


def facet_triggers() -> list[str]:
    """The statements creating the triggers that keep ``facet_counts`` of the tables of
    ``TRIGGERED`` and of a snapshot's ``extract_status`` (each a single statement: they
    hold ``;`` and cannot be part of ``TABLES``). Writers enable ``recursive_triggers``
    (:func:`connect`), so a row an ``INSERT OR REPLACE`` replaces is counted out by the
    delete trigger."""
    out = []
    for table in TRIGGERED:
        columns = FACETED[table]
        out.append(f"CREATE TRIGGER IF NOT EXISTS facet_{table}_insert AFTER INSERT ON {table} BEGIN "
                   + " ".join(_count_up(table, c) for c in columns) + " END")
        out.append(f"CREATE TRIGGER IF NOT EXISTS facet_{table}_delete AFTER DELETE ON {table} BEGIN "
                   + " ".join(_count_down(table, c) for c in columns) + " END")
        out += [_update_trigger(table, c) for c in columns]
    out.append(_update_trigger("snapshots", "extract_status"))
    return out


def recount_facets(conn: sqlite3.Connection, table: str) -> None:
    """Count the facets of one table of ``FACETED`` again (after a migration rewrote some
    of its faceted columns in bulk), if the index keeps counts yet."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='facet_counts'").fetchone() is None:
        return
    conn.execute("DELETE FROM facet_counts WHERE table_name=?", (table,))
    for c in FACETED[table]:
        conn.execute(f"INSERT INTO facet_counts (table_name, column_name, value, count) "
                     f'SELECT ?, ?, "{c}", count(*) FROM {table} WHERE "{c}" IS NOT NULL GROUP BY "{c}"',
                     (table, c))
    if table in PAIRED and conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='facet_pairs'").fetchone() is not None:
        conn.execute("DELETE FROM facet_pairs WHERE table_name=?", (table,))
        for c in FACETED[table]:
            for o in FACETED[table]:
                if o != c:
                    conn.execute("INSERT INTO facet_pairs (table_name, column_name, value, other_column, "
                                 f'other_value, count) SELECT ?, ?, "{c}", ?, "{o}", count(*) FROM {table} '
                                 f'WHERE "{c}" IS NOT NULL AND "{o}" IS NOT NULL GROUP BY "{c}", "{o}"',
                                 (table, c, o))


def refresh_facet_counts(conn: sqlite3.Connection) -> None:
    """Count the facets of ``FACETED`` again from the tables and (re)create the triggers
    that keep some of them, in the caller's transaction (a migration; a load that writes
    the tables in bulk)."""
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'facet!_%' "
                                "ESCAPE '!'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    for table in FACETED:
        recount_facets(conn, table)
    for stmt in facet_triggers():
        conn.execute(stmt)


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
        # A row INSERT OR REPLACE replaces fires the delete triggers (facet_counts).
        conn.execute("PRAGMA recursive_triggers=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.row_factory = sqlite3.Row
    return conn


MIGRATION_SET = "archive-store"
# The names of the migrations in archive/index/migrations.py, in order: opening a store
# checks them with one query, and imports sqlite-utils only when one is pending.
MIGRATION_NAMES = ("m001_tables", "m002_columns_of_earlier_indexes", "m003_fts_that_datasette_finds",
                   "m004_ledger_chains", "m005_facet_counts", "m006_ledger_tree_index", "m007_facet_pairs")


def tables_sha() -> str:
    """SHA-256 of the declared schema: when it differs from the one recorded in ``_meta``,
    a column was added to ``TABLES`` since this index was last brought up to date."""
    return hashlib.sha256(TABLES.encode("utf-8")).hexdigest()


def pending_migrations(conn: sqlite3.Connection) -> list[str]:
    """What this index has not had: the names of pending migrations (all of them for a new
    index), and ``"columns"`` when ``TABLES`` declares something it may lack."""
    try:
        done = {r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set=?",
                                           (MIGRATION_SET,))}
        recorded = conn.execute("SELECT value FROM _meta WHERE key='tables_sha256'").fetchone()
    except sqlite3.OperationalError:   # no such table: a new index, or an older one
        done, recorded = set(), None
    pending = [n for n in MIGRATION_NAMES if n not in done]
    if recorded is None or recorded[0] != tables_sha():
        pending.append("columns")
    return pending
