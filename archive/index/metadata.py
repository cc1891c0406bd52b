"""Our own WARC ``metadata`` records: their content types, how one is written, and the
explicit map from content type to the function that mirrors its JSON body into a table.

Citations, watch entries and ledger entries are user data that cannot be derived from
captures, so they are written as WARC records first (DESIGN.md principle 1) and the
index only mirrors them; ``archive reindex`` restores those tables from these records.
Every such record is made by :func:`metadata_record`; :data:`HANDLERS` is the one place
that says which table each kind of record fills.
"""

from __future__ import annotations

import io
import json
import sqlite3
from typing import Any, Callable

from archive.index.schema import FacetTally

CITATION_TYPE = "application/vnd.archive-store.citation+json"
LEDGER_TYPE = "application/vnd.archive-store.ledger+json"
SEAL_TYPE = "application/vnd.archive-store.seal+json"
ROOT_TYPE = "application/vnd.archive-store.ledger-root+json"   # one signed root over every chain
WATCH_TYPE = "application/vnd.archive-store.watch+json"
BROWSER_LOG_TYPE = "application/vnd.archive-store.browser-log+json"   # a browser capture's log

CITATION_FIELDS = ("id", "url", "page_url", "captured_at", "record_id", "snapshot_sha256",
                   "text_sha256", "exact", "prefix", "suffix", "start", "end", "created_at", "note")
SCHEDULE_KEY = "watch_schedule"   # _meta key of the default watch schedule


LEDGER_GENESIS = "0" * 64   # the prev_hash of a chain's first entry
OWN_CHAIN_KEY = "ledger_chain"   # _meta key: the chain this index's writers extend


def text_subject(snapshot_sha256: str, extractor_version: str | None) -> str:
    """The subject of a ledger ``text`` entry: one per snapshot and extractor version."""
    return f"{snapshot_sha256}/{extractor_version}"

HEADS_TABLE = """CREATE TABLE IF NOT EXISTS ledger_heads (
    seq INTEGER,                    -- entries 1..seq of its chain are covered
    entry_hash TEXT,                -- entry_hash of entry seq
    merkle_root TEXT,               -- RFC 6962 tree head over entries 1..seq
    signed_at TEXT,
    key_id TEXT,                    -- SHA-256 of the raw Ed25519 public key
    public_key TEXT,                -- PEM, as the signer declared it (check against your own copy)
    signature TEXT,                 -- base64 Ed25519 over the canonical JSON of the fields above
    warc_file TEXT, offset INTEGER, length INTEGER, record_id TEXT,
    chain TEXT,                     -- the chain it signs (see ledger.chain)
    PRIMARY KEY (warc_file, offset)
)"""


def is_foreign(pointer: dict) -> bool:
    """Records in imported files belong to another store's chain, not ours.

    They stay in the WARC byte for byte (checkable with that store's proof and key);
    merging them by ``seq`` would overwrite this store's own entries.
    """
    return str(pointer.get("warc_file", "")).startswith("import-")


def entries_in(body: Any) -> list[dict]:
    """The entries a ledger record's decoded body holds: ``{"entries": [...]}`` (a batch)
    or a single entry. Anything that is not an entry dict is left out."""
    if isinstance(body, dict) and isinstance(body.get("entries"), list):
        return [e for e in body["entries"] if isinstance(e, dict)]
    return [body] if isinstance(body, dict) else []


def _chain_of(conn: sqlite3.Connection, prev_hash: Any) -> str | None:
    """The chain of the entry whose hash is ``prev_hash``, if the index holds it."""
    row = conn.execute("SELECT chain FROM ledger WHERE entry_hash=? AND chain IS NOT NULL LIMIT 1",
                       (prev_hash,)).fetchone()
    return row[0] if row else None


def _index_entry(conn: sqlite3.Connection, pointer: dict, rec, body: dict) -> None:
    if is_foreign(pointer):
        return
    rows = []
    last: dict | None = None
    chain: str | None = None
    for e in entries_in(body):
        # A chain is named by its first entry's hash; every later entry links to it
        # through prev_hash. Writers on several machines (one bucket) keep one chain each.
        if e.get("seq") == 1 and e.get("prev_hash") == LEDGER_GENESIS:
            chain = e.get("entry_hash")
        elif last is None or e.get("prev_hash") != last.get("entry_hash"):
            chain = _chain_of(conn, e.get("prev_hash"))   # None: resolved once its file is indexed
        last = e
        rows.append((e.get("seq"), e.get("entry_hash"), e.get("prev_hash"), e.get("kind"),
                     e.get("subject"), json.dumps(e.get("digests"), sort_keys=True), e.get("at"),
                     pointer["warc_file"], pointer["offset"], pointer["length"], rec.record_id, chain))
    # facet_counts: the entries a record held before (indexed again) are counted out.
    tally = FacetTally()
    seqs = {r[0] for r in rows if r[0] is not None}
    for seq, kind, chain in conn.execute("SELECT seq, kind, chain FROM ledger WHERE warc_file=? AND offset=?",
                                         (pointer["warc_file"], pointer["offset"])):
        if seq in seqs:
            tally.add("ledger", {"kind": kind, "chain": chain}, -1)
    # One row per seq stays (a later one replaces an earlier); a row without one is kept.
    kept = list({r[0]: r for r in rows if r[0] is not None}.values()) + [r for r in rows if r[0] is None]
    for r in kept:
        tally.add("ledger", {"kind": r[3], "chain": r[11]})
    conn.executemany(
        "INSERT OR REPLACE INTO ledger (seq, entry_hash, prev_hash, kind, subject, digests, at, "
        "warc_file, offset, length, record_id, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    tally.write(conn)


def resolve_chains(conn: sqlite3.Connection) -> int:
    """Give entries (and signed heads) indexed before the entry they link to the chain of
    that entry, now that it is indexed: a chain's records may be spread over files that
    are indexed in any order (several processes, several machines). Entries that link
    to nothing the index holds keep no chain (``verify --all`` names them). Returns how
    many rows were resolved."""
    loose = conn.execute("SELECT rowid, entry_hash, prev_hash FROM ledger WHERE chain IS NULL").fetchall()
    done = 0
    if loose:
        by_hash = {r[1]: r for r in loose}
        found: dict[str, str | None] = {}

        def chain_of(entry_hash: str) -> str | None:
            path = []
            h: Any = entry_hash
            while h is not None and h not in found:
                row = by_hash.get(h)
                if row is None:
                    found[h] = _chain_of(conn, h)
                    break
                path.append(h)
                if len(path) > len(by_hash):   # a cycle cannot come from hashes; stop anyway
                    found[h] = None
                    break
                h = row[2]
            result = found.get(h) if h is not None else None
            for p in path:
                found[p] = result
            return result

        updates = []
        for rowid, entry_hash, prev in loose:
            c = chain_of(prev) if prev != LEDGER_GENESIS else None
            if c is not None:
                updates.append((c, rowid))
        conn.executemany("UPDATE ledger SET chain=? WHERE rowid=?", updates)
        tally = FacetTally()
        for chain, _ in updates:   # (each had none)
            tally.add("ledger", {"kind": None, "chain": chain})
        tally.write(conn)
        done += len(updates)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='ledger_heads'").fetchone():
        cur = conn.execute("UPDATE ledger_heads SET chain=(SELECT l.chain FROM ledger l WHERE "
                           "l.entry_hash=ledger_heads.entry_hash AND l.seq=ledger_heads.seq AND l.chain IS NOT NULL "
                           "LIMIT 1) WHERE chain IS NULL")
        done += max(cur.rowcount, 0)
    return done


def _index_head(conn: sqlite3.Connection, pointer: dict, rec, body: dict) -> None:
    if is_foreign(pointer):
        return
    # execute, not executescript: that would COMMIT the indexing transaction midway.
    conn.execute(HEADS_TABLE)
    row = conn.execute("SELECT chain FROM ledger WHERE entry_hash=? AND seq=? AND chain IS NOT NULL LIMIT 1",
                       (body.get("entry_hash"), body.get("seq"))).fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO ledger_heads (seq, entry_hash, merkle_root, signed_at, key_id, "
        "public_key, signature, warc_file, offset, length, record_id, chain) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (body.get("seq"), body.get("entry_hash"), body.get("merkle_root"), body.get("signed_at"),
         body.get("key_id"), body.get("public_key"), body.get("signature"),
         pointer["warc_file"], pointer["offset"], pointer["length"], rec.record_id, row[0] if row else None))


def _index_root(conn: sqlite3.Connection, pointer: dict, rec, body: dict) -> None:
    if is_foreign(pointer):
        return
    chains = body.get("chains")
    conn.execute(
        "INSERT OR REPLACE INTO ledger_roots (signed_at, chains, key_id, public_key, signature, "
        "warc_file, offset, length, record_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (body.get("signed_at"), json.dumps(chains, sort_keys=True) if chains is not None else None,
         body.get("key_id"), body.get("public_key"), body.get("signature"),
         pointer["warc_file"], pointer["offset"], pointer["length"], rec.record_id))


def _index_citation(conn: sqlite3.Connection, pointer: dict, rec, body: dict) -> None:
    row = {k: body.get(k) for k in CITATION_FIELDS}
    row.update({"warc_file": pointer["warc_file"], "offset": pointer["offset"],
                "length": pointer["length"], "citation_record_id": rec.record_id})
    cols = ", ".join(f'"{k}"' for k in row)
    conn.execute(f"INSERT OR REPLACE INTO citations ({cols}) VALUES ({', '.join('?' for _ in row)})",
                 list(row.values()))


def _index_watch(conn: sqlite3.Connection, pointer: dict, rec, body: dict) -> None:
    action = body.get("action")
    if action == "add" and body.get("url"):
        # A re-add (new schedule, or re-activation) clears next_due: refresh() recomputes it.
        conn.execute(
            "INSERT INTO watches (url, feed_url, added_at, schedule, next_due, errors, active) "
            "VALUES (?, ?, ?, ?, ?, 0, 1) ON CONFLICT(url) DO UPDATE SET "
            "feed_url = coalesce(watches.feed_url, excluded.feed_url), "
            "added_at = min(watches.added_at, excluded.added_at), "
            "schedule = excluded.schedule, next_due = NULL, active = 1",
            (body["url"], body.get("feed_url"), body.get("at"), body.get("schedule"), body.get("at")))
    elif action == "remove" and body.get("url"):
        conn.execute("UPDATE watches SET active = 0, next_due = NULL WHERE url = ?", (body["url"],))
    elif action == "settings":
        conn.execute("INSERT OR REPLACE INTO _meta (key, value) VALUES (?, ?)",
                     (SCHEDULE_KEY, body.get("schedule")))


def canonical_json(obj: Any) -> bytes:
    """Canonical JSON (keys sorted, no spaces, UTF-8): the bytes that are hashed and signed.

    >>> canonical_json({"b": 1, "a": "é"})
    b'{"a":"\\xc3\\xa9","b":1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


URN_PREFIX = "urn:archive-store:"


def record_urn(kind: str, key: str) -> str:
    """The ``WARC-Target-URI`` of one of our metadata records: a ``urn:``, never a page's
    URL, so that replay tools (pywb, cdxj-indexer) and our own CDXJ export do not take a
    citation or a watch entry for a capture of the page it is about.

    >>> record_urn("citation", "c-0123")
    'urn:archive-store:citation:c-0123'
    >>> record_urn("watch", "https://example.org/a b")
    'urn:archive-store:watch:https%3A%2F%2Fexample.org%2Fa%20b'
    """
    from urllib.parse import quote

    return f"{URN_PREFIX}{kind}:{quote(key, safe='-._~')}"


def is_own_metadata(record_type: str | None, content_type: str | None) -> bool:
    """A metadata record of ours (citation, watch, ledger entry or head), by its type.

    Stores written before our records had ``urn:`` targets carry the page's URL in the
    citation and watch records: this is how an index tells them from captures anyway.
    """
    if record_type != "metadata" or not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() in HANDLERS


def metadata_record(builder, uri: str, content_type: str, body: dict, record_id: str, date: str,
                    refers_to: str | None = None, concurrent_to: str | None = None,
                    refers_to_uri: str | None = None, refers_to_date: str | None = None):
    """The one way a metadata record of ours is made: canonical JSON as the block.

    ``uri`` is the record's ``WARC-Target-URI`` and must be a ``urn:`` (see
    :func:`record_urn`): a metadata record about a page is not a capture of it.
    ``refers_to`` (a ``<urn:…>`` record id) becomes ``WARC-Refers-To``, linking the record
    to the capture it is about, with that capture's URL and date in
    ``WARC-Refers-To-Target-URI``/``-Date``; ``concurrent_to`` a record written with it.
    """
    if not uri.startswith("urn:"):
        raise ValueError(f"metadata record target {uri!r} is not a urn: (it would pose as a capture)")
    payload = canonical_json(body)
    headers = {"WARC-Record-ID": record_id, "WARC-Date": date}
    if refers_to:
        headers["WARC-Refers-To"] = refers_to
        if refers_to_uri:
            headers["WARC-Refers-To-Target-URI"] = refers_to_uri
        if refers_to_date:
            headers["WARC-Refers-To-Date"] = refers_to_date
    if concurrent_to:
        headers["WARC-Concurrent-To"] = concurrent_to
    return builder.create_warc_record(uri, "metadata", payload=io.BytesIO(payload), length=len(payload),
                                      warc_content_type=content_type, warc_headers_dict=headers)


def _index_browser_log(conn: sqlite3.Connection, pointer: dict, rec: Any, body: dict) -> None:
    """A browser capture's log: one ``browser_captures`` row per page load, naming its
    response, screenshot and rendered DOM records (the layout stays in the record)."""
    if not body.get("page_record_id"):
        return
    conn.execute(
        "INSERT OR REPLACE INTO browser_captures (record_id, page_url, url, captured_at, settled, cut, "
        "requests, refused, screenshot_record_id, dom_record_id, log_record_id, warc_file, offset, length) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (body["page_record_id"], body.get("page_url"), body.get("final_url") or body.get("url"),
         body.get("captured_at"), int(bool(body.get("settled"))), body.get("cut"), body.get("requests"),
         len(body.get("refused") or []), body.get("screenshot_record_id"), body.get("dom_record_id"),
         rec.header("WARC-Record-ID"), pointer["warc_file"], pointer["offset"], pointer["length"]))


MetadataHandler = Callable[[sqlite3.Connection, dict, Any, dict], None]

# content type of a metadata record -> handler(conn, pointer dict, parsed record, JSON body)
HANDLERS: dict[str, MetadataHandler] = {
    CITATION_TYPE: _index_citation,
    WATCH_TYPE: _index_watch,
    LEDGER_TYPE: _index_entry,
    SEAL_TYPE: _index_head,
    ROOT_TYPE: _index_root,
    BROWSER_LOG_TYPE: _index_browser_log,
}
