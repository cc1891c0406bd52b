"""The derived rows a page shows, checked against the digest the ledger vouches for.

A snapshot's text, quotes and figures are derived from its WARC bytes by the extractor;
when they are written, the ledger vouches for their digest (a ``text`` entry, see
:mod:`archive.provenance.ledger`). A page checks the rows it is about to show against that
digest, which costs a read of the rows, not an extraction. Where no entry vouches for them
(rows written before entries existed, by another extractor, or a ledger write that failed)
or the rows do not match it, the rows are compared with a fresh extraction of the bytes,
which names the table and row that differ. ``archive verify --all`` re-derives everything
whatever the ledger says (:mod:`archive.provenance.audit`).
"""

from __future__ import annotations

import json
import marshal
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from archive.errors import ArchiveError
from archive.index.metadata import entries_in
from archive.index.versions import index_rows, rows_digest, text_row_problems, text_sha256
from archive.provenance import ledger
from archive.provenance.hashed import hashed_record
from archive.warc.record import load_record

if TYPE_CHECKING:
    from archive.index.journal import Journal


def vouched_rows(store: "Journal", snapshot_sha: str, text_sha: str, remembered: bool = False) -> dict:
    """Whether the ledger vouches that ``snapshot_sha`` gives the text ``text_sha`` with
    exactly the ``texts``, ``quotes`` and ``figures`` rows the index holds for it.

    ``{"ok": True, "entry": …, "detail": …}`` when it does; ``ok`` None when no entry
    speaks of them (nothing to check this way); False, with what differs, otherwise.
    ``remembered``: the ledger's WARC record is hashed again only if its file changed
    since it was last hashed in this process (:mod:`archive.provenance.hashed`).
    """
    conn = store.conn
    row = conn.execute("SELECT extractor_version, text FROM texts WHERE sha256=?", (text_sha,)).fetchone()
    if row is None:
        return {"ok": False, "entry": None, "detail": f"texts row {text_sha} is missing"}
    entry = ledger.entry_for(store, "text", ledger.text_subject(snapshot_sha, row["extractor_version"]))
    if entry is None:
        return {"ok": None, "entry": None,
                "detail": f"no ledger entry vouches for the rows of snapshot {snapshot_sha}"}
    seq, d = entry["seq"], entry["digests"] or {}
    problem = ""
    if ledger.entry_hash(entry) != entry["entry_hash"]:
        problem = f"ledger entry {seq} does not hash to its entry_hash"
    elif (after := conn.execute("SELECT prev_hash FROM ledger WHERE chain IS ? AND seq=?",
                                (entry["chain"], seq + 1)).fetchone()) and after[0] != entry["entry_hash"]:
        problem = f"ledger entry {seq + 1} does not link to entry {seq}"
    elif held := _entry_in_warc(store, entry, remembered):
        problem = held
    elif d.get("text_sha256") != text_sha:
        problem = (f"ledger entry {seq} vouches that snapshot {snapshot_sha} gives text "
                   f"{d.get('text_sha256')}, not {text_sha}")
    elif text_sha256(row["text"] or "") != text_sha:
        problem = f"texts row {text_sha}: its text does not hash to {text_sha}"
    elif _rows_sha256(conn, text_sha) != d.get("rows_sha256"):
        problem = f"texts, quotes or figures rows of {text_sha} differ from those ledger entry {seq} vouches for"
    if problem:
        return {"ok": False, "entry": entry, "detail": problem}
    return {"ok": True, "entry": entry,
            "detail": f"ledger entry {seq} vouches that {d.get('extractor_version')} gives text {text_sha} "
                      f"and these rows for snapshot {snapshot_sha}"}


#: The digest of the rows of the texts recently checked, with the rows it was computed
#: from: rows read again and found identical, value for value and type for type, have
#: that digest without being serialised as JSON and hashed again (that was most of a
#: citation page's cost under load). The rows are compared as ``marshal`` bytes (format 2,
#: which has no back-references): equal bytes are equal values of the same types (1 and
#: 1.0, 0.0 and -0.0 differ), so the remembered digest is the one hashing would give.
_ROW_DIGESTS: "OrderedDict[str, tuple[bytes, str]]" = OrderedDict()
_ROW_DIGESTS_MAX = 256
_ROW_DIGESTS_LOCK = threading.Lock()


def _rows_sha256(conn, text_sha: str) -> str:
    """:func:`archive.index.versions.rows_sha256`, the rows read now, their digest
    remembered for rows equal to them."""
    rows = index_rows(conn, text_sha)
    try:
        seen = marshal.dumps(rows, 2)
    except ValueError:   # a value marshal cannot write: hashed every time
        return rows_digest(rows)
    with _ROW_DIGESTS_LOCK:
        hit = _ROW_DIGESTS.get(text_sha)
    if hit is not None and hit[0] == seen:
        return hit[1]
    digest = rows_digest(rows)
    with _ROW_DIGESTS_LOCK:
        _ROW_DIGESTS[text_sha] = (seen, digest)
        _ROW_DIGESTS.move_to_end(text_sha)
        while len(_ROW_DIGESTS) > _ROW_DIGESTS_MAX:
            _ROW_DIGESTS.popitem(last=False)
    return digest


def _entry_in_warc(store: "Journal", entry: dict, remembered: bool = False) -> str:
    """Why the ledger row of ``entry`` is not the entry its WARC record holds ("" when it
    is): the index is what an attacker of the rows would edit, the ledger's record is in
    ``warcs/`` under its own block digest. One record read (a batch of entries at most)."""
    seq = entry["seq"]
    row = store.conn.execute("SELECT * FROM ledger WHERE chain IS ? AND seq=? AND entry_hash=?",
                             (entry["chain"], seq, entry["entry_hash"])).fetchone()
    try:
        source = store.warcs.source(row["warc_file"])
        h, rec = hashed_record(source, row["offset"], row["length"], fresh=not remembered)
        if h.block_digest_ok is not True:
            return f"the record of ledger entry {seq} fails its block digest"
        block = h.block if h.block is not None else (rec or load_record(source, row["offset"], row["length"])).block
        held = next((e for e in entries_in(json.loads(block)) if e.get("seq") == seq), None)
    except (ArchiveError, ValueError, TypeError) as exc:
        return f"the record of ledger entry {seq} cannot be read: {exc}"
    if held is None:
        return f"the record at {row['warc_file']} @ {row['offset']} holds no ledger entry {seq}"
    fields = (*ledger.ENTRY_FIELDS, "entry_hash")
    if {k: ledger.entry_from_row(row)[k] for k in fields} != {k: held.get(k) for k in fields}:
        return f"ledger row {seq} differs from the entry its WARC record holds"
    return ""


def row_problems(store: "Journal", text_sha: str, snapshot_sha: str | None = None) -> list[str]:
    """How the rows of a text differ from what its snapshot's bytes give (empty: they do
    not). Checked against the ledger's digest (:func:`vouched_rows`); only when it does not
    vouch for them are they compared with a fresh extraction, which names the row."""
    if snapshot_sha is None:
        snap = store.conn.execute("SELECT sha256 FROM snapshots WHERE text_sha256=? AND extract_status IN "
                                  "('ok', 'truncated') ORDER BY first_captured_at LIMIT 1", (text_sha,)).fetchone()
        snapshot_sha = snap[0] if snap else None
    v = vouched_rows(store, snapshot_sha, text_sha) if snapshot_sha else {"ok": None, "detail": ""}
    if v["ok"] is True:
        return []
    problems = text_row_problems(store, text_sha)
    if v["ok"] is False and not problems:
        problems = [str(v["detail"])]
    return problems
