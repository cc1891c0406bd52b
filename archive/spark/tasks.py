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

Between them the job does what indexing the files one after another does across files,
with the same rules, in the order ``archive reindex`` reads the files
(:func:`file_ranks`):

* a ``WARC-Record-ID`` in several files (the same crawl imported twice, wget's repeated
  ids): the first file's record keeps the id, the same record again is indexed once,
  a different one is keyed by its file and offset (:func:`duplicate_decisions`);
* a snapshot seen in several files is merged as the index's upsert merges it
  (:func:`merge_snapshots`);
* a revisit whose original is in another file is resolved by ``WARC-Refers-To``, else by
  its declared payload digest against the captures of its URL (:func:`resolve_by_digest`).
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Iterable

# Tables the job writes, each with the columns of the SQLite table (schema.TABLES).
TABLES = ("captures", "snapshots", "pages", "texts", "quotes", "figures", "versions", "changes",
          "citations", "import_errors", "warc_files", "ledger", "ledger_heads", "ledger_roots")
# Rows of these come from the per-file stage unchanged (keyed by content or record).
PER_FILE = ("texts", "quotes", "figures", "citations", "import_errors", "warc_files", "ledger", "ledger_heads",
            "ledger_roots")


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
    from archive.index.metadata import HEADS_TABLE

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    ensure_schema(conn)
    conn.execute(HEADS_TABLE)
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
    stage recounts them over all files); snapshot rows name their ``_file``. Two more
    kinds of row serve the merge: ``seal`` (the ledger's seal entries in the file, which
    order the imports) and ``revisit_hint`` (what a revisit still unresolved in this
    file is resolved by across files: :func:`archive.index.journal.digest_lookup`)."""
    from archive.index.journal import Journal, digest_lookup
    from archive.index.versions import _extract_chunk
    from archive.warc.record import load_record

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
            out["seal"] = [{"subject": r[0], "seq": r[1]} for r in journal.conn.execute(
                "SELECT subject, seq FROM ledger WHERE kind='seal'")] if not name.startswith("import-") else []
            hints = []
            for r in journal.conn.execute("SELECT * FROM captures WHERE record_type='revisit' "
                                          "AND payload_sha256 IS NULL"):
                try:
                    rec = load_record(journal.warcs.source(name), r["offset"], r["length"])
                except Exception:   # unreadable: the single-machine path gives up on it too
                    continue
                label, pages = digest_lookup(rec, r["url"])
                if label and pages:
                    hints.append({"record_id": r["record_id"], "label": label, "pages": pages,
                                  "captured_at": r["captured_at"]})
            out["revisit_hint"] = hints
            if journal.remote is not None:
                # Read from the bucket, kept there: as `archive import s3://…` records it.
                for row in out["warc_files"]:
                    row["stored"] = journal.remote.url_of(row["name"])
        finally:
            journal.conn.close()
    for row in out["warc_files"]:
        # When the task ran is not a fact of the collection; the seal is.
        row["created_at"] = row["sealed_at"] = None
    for row in out["snapshots"]:
        row["_file"] = name
    return out


def file_ranks(names: Iterable[str], seals: Iterable[dict]) -> dict[str, int]:
    """The order ``archive reindex`` indexes the files in, as ranks: our own files by
    name (time), then imports in the order our ledger sealed them, then by name
    (:meth:`archive.index.journal.Journal._import_order` on a fresh index)."""
    names = list(names)
    own = sorted(n for n in names if not n.startswith("import-"))
    first: dict[str, int] = {}
    if own:
        for s in seals:
            first[s["subject"]] = min(first.get(s["subject"], s["seq"]), s["seq"])
    imported = sorted((n for n in names if n.startswith("import-")),
                      key=lambda n: (n not in first, first.get(n, 0), n))
    return {n: i for i, n in enumerate(own + imported)}


def later_citation(ranks: dict[str, int]):
    """Of two rows of one citation id (the same passage of the same snapshot cited on two
    machines, or cited again), the one ``reindex`` keeps: it replaces a citation's row by
    each record of that id it reads, so the record of the file it reads last, the later
    one within a file.

    >>> keep = later_citation({"a.warc.gz": 0, "b.warc.gz": 1})
    >>> keep({"warc_file": "b.warc.gz", "offset": 0}, {"warc_file": "a.warc.gz", "offset": 900})["warc_file"]
    'b.warc.gz'
    """
    def place(r: dict) -> tuple[int, int]:
        return ranks.get(r["warc_file"], 1 << 62), r["offset"] or 0

    return lambda a, b: a if place(a) > place(b) else b


def inner_id(key: str) -> str:
    """The WARC-Record-ID a capture's key stands for."""
    from archive.index.rows import warc_record_id

    return warc_record_id(key) or key


def duplicate_decisions(rows: Iterable[dict], ranks: dict[str, int]) -> dict[tuple[str, int], str | None]:
    """For the captures of record ids found in several files (each indexed on its own,
    so each file's first holds the plain id), what indexing the files in order makes of
    them: ``(warc_file, offset) -> new key``, or None for the same record (same block)
    already indexed from an earlier file (kept in the file, indexed once); captures not
    named keep their key. As :meth:`archive.index.journal.Journal._index_file` decides:
    a plain id taken by an earlier file is keyed by file and offset (:func:`repeat_key`)."""
    from archive.index.rows import repeat_key

    by_file: dict[str, list[dict]] = {}
    for r in rows:
        by_file.setdefault(r["warc_file"], []).append(r)
    taken: set[str] = set()
    blocks: dict[str, set[str]] = {}
    out: dict[tuple[str, int], str | None] = {}
    for name in sorted(by_file, key=lambda n: ranks.get(n, 1 << 62)):
        kept = []
        for r in sorted(by_file[name], key=lambda r: r["offset"]):
            rid = inner_id(r["record_id"])
            plain = r["record_id"] == rid
            if plain and rid not in taken:
                key = r["record_id"]
            elif r["block_sha256"] in blocks.get(rid, ()):
                out[(name, r["offset"])] = None
                continue
            else:
                key = repeat_key(rid, name, r["offset"]) if plain else r["record_id"]
                if key != r["record_id"]:
                    out[(name, r["offset"])] = key
            kept.append((rid, key, r["block_sha256"]))
        # Only earlier files count: a file's own repeats are keyed by its own indexing.
        for rid, key, block in kept:
            if key == rid:
                taken.add(rid)
            blocks.setdefault(rid, set()).add(block)
    return out


def _julian(ts: str | None) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(ts).replace("Z", "+00:00")).timestamp() / 86400
    except ValueError:
        return 0.0


def resolve_by_digest(source: str, hint: dict, candidates: Iterable[dict], ranks: dict[str, int]) -> str | None:
    """The payload SHA-256 of the capture a revisit's declared digest matches, among the
    captures of its pages (``hint`` from :func:`index_file`), tried in the order
    :meth:`archive.index.journal.Journal._original_by_digest` tries them: not after the
    revisit first, nearest in time, at most ``DIGEST_CANDIDATES``."""
    from archive.index.journal import DIGEST_CANDIDATES, payload_matches

    at = hint["captured_at"]
    order = sorted(candidates, key=lambda c: (c["captured_at"] > at, abs(_julian(c["captured_at"]) - _julian(at)),
                                              ranks.get(c["warc_file"], 1 << 62), c["offset"]))
    for cand in order[:DIGEST_CANDIDATES]:
        if payload_matches(_blob(source, cand["warc_file"]), cand, hint["label"]):
            return cand["payload_sha256"]
    return None


def _blob(source: str, name: str):
    from archive.storage import is_remote

    if is_remote(source):
        from archive.storage.s3 import S3Backend

        return S3Backend(source).blob(name)
    from archive.storage.local import LocalBlob

    return LocalBlob(Path(source) / name)


def _rows(conn: sqlite3.Connection, table: str) -> list[dict]:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone():
        return []   # ledger_heads: made when the first signed head is indexed
    return [dict(r) for r in conn.execute(f"SELECT * FROM {table}")]


def merge_snapshots(a: dict, b: dict) -> dict:
    """Two rows of one snapshot from different files (each with ``_rank``, its file's
    rank, and ``_first_rank``, the rank of its earliest capture's file), merged as the
    index's upsert merges them when the files are indexed in rank order: the row of the
    first file indexed, with the earliest capture's ``record_id`` and
    ``first_captured_at`` (a tie goes to the file indexed first)."""
    base = a if a["_rank"] <= b["_rank"] else b
    first = min(a, b, key=lambda r: (r["first_captured_at"] or "", r["_first_rank"]))
    return dict(base, record_id=first["record_id"], first_captured_at=first["first_captured_at"],
                _first_rank=first["_first_rank"])


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
