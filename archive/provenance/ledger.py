"""The ledger: a tamper-evident hash chain over every capture, citation and file seal.

Each entry vouches for bytes already in the store::

    {"seq": 7, "prev_hash": "<entry_hash of seq 6>", "kind": "capture",
     "subject": "<urn:uuid:...>",
     "digests": {"block_sha256": ..., "payload_sha256": ..., "warc_file": ..., "offset": ..., "length": ...},
     "at": "2026-11-25T03:36:57.123456Z"}

``entry_hash`` is the SHA-256 of the entry's canonical JSON (keys sorted, no spaces,
UTF-8); the first entry's ``prev_hash`` is 64 zeros. ``kind`` is one of

* ``capture``: ``subject`` is the WARC-Record-ID of a response, revisit or resource
  record; ``digests`` are its block and payload SHA-256 and where it is stored;
* ``citation``: ``subject`` is the citation id; ``digests`` are the SHA-256 of the
  citation record's block, where that record is, and what it pins (cited record id,
  snapshot and text SHA-256);
* ``seal``: ``subject`` is a file name in ``warcs/``; ``digests`` are the SHA-256 and
  size of the whole sealed file (this is how imported files are vouched for);
* ``text``: ``subject`` is ``<snapshot sha256>/<extractor version>`` (see
  :func:`text_subject`); ``digests`` are what that extractor gave for those bytes: the
  ``text_sha256`` and ``rows_sha256``, the digest of the text's ``texts``, ``quotes`` and
  ``figures`` rows (:func:`archive.index.versions.rows_sha256`), so that a page checks the
  rows it shows without extracting again (``verify --all`` still re-derives them).

Like citations, entries are user data, kept in WARC ``metadata`` records with
``Content-Type: application/vnd.archive-store.ledger+json`` whose body is either one
entry or ``{"entries": [entry, ...]}`` — the entries written together, in ``seq`` order,
at most ``BATCH_ENTRIES`` of them: one record per batch keeps an import of thousands of
captures from writing thousands of records. The ``ledger`` table only mirrors them (each
row names the record holding its entry), so ``archive reindex`` restores it.

Over the entry hashes sits a Merkle tree hashed as in Certificate Transparency
(RFC 6962 section 2.1): a leaf is ``SHA-256(0x00 || entry_hash bytes)``, an inner node
``SHA-256(0x01 || left || right)``. The *head* of the ledger (``seq``, the last
``entry_hash`` and the Merkle root of entries 1..seq) is signed with Ed25519 and stored
as a ``metadata`` record of type ``application/vnd.archive-store.seal+json``; an
inclusion proof shows that one entry is in a signed head without the rest of the log.

Hooks, called by the store after its own writes (each is idempotent: an entry is only
written once per subject, so calling twice is harmless):

* :func:`record_captures` ``(store, capture_rows)``: after ``Store.write_records``;
* :func:`record_citation` ``(store, citation_row)``: after a citation record is indexed;
* :func:`record_seals` ``(store)``: vouch for files sealed since the last entry (the two
  hooks above call it too).

Writers of several processes share one chain: a ``flock`` on ``warcs/.ledger.lock`` is
held from reading the head to indexing the new entries, so two entries never get the
same ``seq``. When ``$ARCHIVE_SIGNING_KEY`` names a private key (or ``store.signing_key``
holds one), every batch of entries is followed by a signed head.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from archive import SIGNING_KEY_ENV
from archive.errors import StoreError, UsageError
from archive.index.metadata import (
    LEDGER_GENESIS,
    LEDGER_TYPE,
    OWN_CHAIN_KEY,
    ROOT_TYPE,
    SEAL_TYPE,
    canonical_json,
    metadata_record,
    record_urn,
    text_subject,
)
from archive.index.rows import CAPTURE_TYPES
from archive.times import iso, warc_date
from archive.warc.digests import file_sha256
from archive.warc.record import load_record

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from archive.index.journal import Journal

GENESIS_HASH = LEDGER_GENESIS
ENTRY_FIELDS = ("seq", "prev_hash", "kind", "subject", "digests", "at")
HEAD_FIELDS = ("seq", "entry_hash", "merkle_root", "signed_at", "key_id")
ROOT_FIELDS = ("chains", "signed_at", "key_id")
ROOT_CHAIN_FIELDS = ("chain", "writer", "seq", "entry_hash", "merkle_root")
KINDS = ("capture", "citation", "seal", "text")
LOCK_NAME = ".ledger.lock"
BATCH_ENTRIES = 1000   # entries per ledger record, at most


# -- entries ----------------------------------------------------------------------------


def entry_hash(entry: dict) -> str:
    """SHA-256 (hex) of the canonical JSON of the entry's fields (``entry_hash`` excluded)."""
    return hashlib.sha256(canonical_json({k: entry.get(k) for k in ENTRY_FIELDS})).hexdigest()


def make_entry(seq: int, prev_hash: str, kind: str, subject: str, digests: dict, at: str) -> dict:
    if kind not in KINDS:
        raise ValueError(f"unknown ledger entry kind {kind!r}")
    entry = {"seq": seq, "prev_hash": prev_hash, "kind": kind, "subject": subject,
             "digests": digests, "at": at}
    entry["entry_hash"] = entry_hash(entry)
    return entry


def check_chain(entries: Iterable[dict]) -> list[dict]:
    """Problems in a sequence of entries ordered by ``seq``: gaps, duplicates, bad links.

    Each problem is ``{"seq", "problem", "detail"}``; an empty list means the chain holds.
    """
    problems = []
    expected_seq, prev = 1, GENESIS_HASH
    for e in entries:
        seq = e.get("seq")
        if seq != expected_seq:
            kind = "duplicate_seq" if isinstance(seq, int) and seq < expected_seq else "seq_gap"
            problems.append({"seq": seq, "problem": kind,
                             "detail": f"expected entry {expected_seq}, found {seq}"})
            return problems
        if e.get("prev_hash") != prev:
            problems.append({"seq": seq, "problem": "broken_link",
                             "detail": f"prev_hash {str(e.get('prev_hash'))[:16]}… does not match "
                                       f"entry {seq - 1}'s hash {prev[:16]}…"})
            return problems
        got = entry_hash(e)
        if e.get("entry_hash") != got:
            problems.append({"seq": seq, "problem": "entry_hash",
                             "detail": f"entry hash is {got[:16]}…, recorded {str(e.get('entry_hash'))[:16]}…"})
            return problems
        prev = got
        expected_seq += 1
    return problems


def _has_heads_table(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='ledger_heads'"
                        ).fetchone() is not None


def entry_from_row(row: sqlite3.Row | dict) -> dict:
    """A ledger table row as an entry dict (``digests`` decoded), with the ``chain`` it is in."""
    return {"seq": row["seq"], "prev_hash": row["prev_hash"], "kind": row["kind"],
            "subject": row["subject"], "digests": json.loads(row["digests"]) if row["digests"] else None,
            "at": row["at"], "entry_hash": row["entry_hash"], "chain": row["chain"]}


def entries(store: "Journal", kind: str | None = None, chain: str | None = None) -> list[dict]:
    """The entries of ``chain`` (default: this index's own chain), in ``seq`` order."""
    chain = chain or own_chain(store)
    if chain is None:
        return []
    sql = "SELECT * FROM ledger WHERE chain=?" + (" AND kind=?" if kind else "") + " ORDER BY seq"
    return [entry_from_row(r) for r in store.conn.execute(sql, (chain, kind) if kind else (chain,))]


_OWN = object()


def entry_for(store: "Journal", kind: str, subject: str, own: "str | None | object" = _OWN) -> dict | None:
    """The first entry vouching for ``subject``, in whichever chain (this index's own
    first: an import vouches for captures another machine's chain vouched for too).
    ``own``: :func:`own_chain`, when the caller has just asked for it (a citation page
    asks for five entries)."""
    row = store.conn.execute("SELECT * FROM ledger WHERE kind=? AND subject=? "
                             "ORDER BY chain IS NOT ?, seq LIMIT 1",
                             (kind, subject, own_chain(store) if own is _OWN else own)).fetchone()
    return entry_from_row(row) if row else None


# -- chains --------------------------------------------------------------------------------
#
# Every index that writes keeps its own chain: the capture machines writing into one
# bucket, and the machine that imports what they wrote, each append to theirs. A chain
# is named by the entry_hash of its first entry (seq 1, prev_hash 64 zeros): nothing to
# configure and nothing a second chain can claim. The index mirrors every chain it
# holds (``ledger.chain``); which one is this index's own is kept in ``_meta``.

def own_chain(store: "Journal") -> str | None:
    """The chain this index's writers extend, or None when it has written none yet.

    Recorded in ``_meta`` when the chain begins. An index rebuilt without it finds its
    chain again through the files its writers opened (``<db>.writer-keys``); failing
    that, the next entry begins a new chain (never another machine's: a fork)."""
    conn = store.conn
    row = conn.execute("SELECT value FROM _meta WHERE key=?", (OWN_CHAIN_KEY,)).fetchone()
    if row and conn.execute("SELECT 1 FROM ledger WHERE chain=? LIMIT 1", (row[0],)).fetchone():
        return row[0]
    mine = store.writer_keys() if hasattr(store, "writer_keys") else {}
    if not mine:
        return None
    best: tuple[int, str] | None = None
    for chain, file, top in conn.execute("SELECT chain, warc_file, max(seq) FROM ledger "
                                         "WHERE chain IS NOT NULL GROUP BY chain, warc_file"):
        if file in mine and (best is None or top > best[0]):
            best = (top, chain)
    return best[1] if best else None


def _set_own_chain(store: "Journal", chain: str) -> None:
    with store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO _meta (key, value) VALUES (?, ?)", (OWN_CHAIN_KEY, chain))


def writer_of(warc_file: str | None) -> str:
    """The writer a file name names (``archive-TIME-MACHINE-PID-TOKEN-SEQ.warc.gz``), to
    label a chain by the machine that holds it; any other name is its own label.

    >>> writer_of("archive-20261129121128-crawler1-3965-873e99-00001.warc.gz")
    'crawler1'
    >>> writer_of("archive-20261129121128-eu-west-7-3965-873e99-00001.warc.gz")
    'eu-west-7'
    """
    name = str(warc_file or "")
    for suffix in (".warc.gz", ".warc"):
        if name.endswith(suffix):
            parts = name[: -len(suffix)].split("-")
            if len(parts) >= 6 and parts[0] == "archive":
                return "-".join(parts[2:-3])
    return name or "?"


def chains(store: "Journal") -> list[dict]:
    """Every chain the index holds: ``chain``, ``writer`` (from the file of its first
    entry), ``seq`` and ``entry_hash`` of its head, its ``merkle_root``, whether it is
    this index's ``own``, and ``problems`` found in its rows (a fork, a gap, a broken
    link: :func:`check_chain`). Entries that link to no chain are one more item with
    ``chain`` None."""
    own = own_chain(store)
    out = []
    for (chain,) in store.conn.execute("SELECT DISTINCT chain FROM ledger ORDER BY chain IS NULL, chain"):
        rows = [entry_from_row(r) for r in store.conn.execute(
            "SELECT * FROM ledger WHERE chain IS ? ORDER BY seq, warc_file, offset", (chain,))]
        first = store.conn.execute("SELECT warc_file FROM ledger WHERE chain IS ? ORDER BY seq LIMIT 1",
                                   (chain,)).fetchone()
        problems = check_chain(rows) if chain is not None else \
            [{"seq": rows[0]["seq"], "problem": "unlinked",
              "detail": f"{len(rows)} entries link to no chain the index holds"}]
        last = rows[-1]
        out.append({"chain": chain, "writer": writer_of(first[0] if first else None), "seq": last["seq"],
                    "entry_hash": last["entry_hash"],
                    "merkle_root": merkle_root_of([bytes.fromhex(e["entry_hash"]) for e in rows]).hex()
                    if not problems else None,
                    "own": chain is not None and chain == own, "problems": problems})
    return out


# -- what an entry vouches for ------------------------------------------------------------

def capture_digests(row: sqlite3.Row | dict) -> dict:
    """What a capture entry vouches for, from its index row."""
    return {"block_sha256": row["block_sha256"], "payload_sha256": row["payload_sha256"],
            "warc_file": row["warc_file"], "offset": row["offset"], "length": row["length"]}


def citation_digests(store: "Journal", row: sqlite3.Row | dict) -> dict:
    """What a citation entry vouches for: the citation record's bytes, re-read now."""
    rec = load_record(store.warcs.source(row["warc_file"]), row["offset"], row["length"])
    if rec.record_id != row["citation_record_id"]:
        raise StoreError(f"citation {row['id']}: the record at {row['warc_file']} @ {row['offset']} "
                         f"is {rec.record_id}, not {row['citation_record_id']}")
    return {"block_sha256": hashlib.sha256(rec.block).hexdigest(),
            "record_id": row["citation_record_id"], "warc_file": row["warc_file"],
            "offset": row["offset"], "length": row["length"], "cited_record_id": row["record_id"],
            "snapshot_sha256": row["snapshot_sha256"], "text_sha256": row["text_sha256"]}


# -- writing --------------------------------------------------------------------------------

@contextmanager
def _ledger_lock(store: "Journal") -> Iterator[None]:
    """The writers' gate (see :meth:`Journal.writing`: the head is read from the index
    every writer writes to), this store's thread lock, then a cross-process flock on
    ``warcs/.ledger.lock``."""
    with store.writing(), store.exclusive():
        store.warcs_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(store.warcs_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the flock


def _head(conn: sqlite3.Connection, chain: str | None) -> tuple[int, str]:
    row = conn.execute("SELECT seq, entry_hash FROM ledger WHERE chain=? ORDER BY seq DESC LIMIT 1",
                       (chain,)).fetchone() if chain else None
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def _already(conn: sqlite3.Connection, pending: list[tuple[str, str, dict]]) -> set[tuple[str, str]]:
    """The (kind, subject) pairs of ``pending`` that have an entry in the ledger: a few
    queries for a batch (an import vouches for thousands of captures at once)."""
    found: set[tuple[str, str]] = set()
    subjects = sorted({subject for _, subject, _ in pending})
    for i in range(0, len(subjects), 500):
        part = subjects[i:i + 500]
        found.update((kind, subject) for kind, subject in conn.execute(
            f"SELECT kind, subject FROM ledger WHERE subject IN ({','.join('?' * len(part))})", part))
    return found


def _metadata_record(store: "Journal", uri: str, content_type: str, body: dict,
                     refers_to: str | None = None):
    # Only a record id refers to a record; a seal's subject is a file name.
    refers = refers_to if refers_to and refers_to.startswith("<urn:") else None
    return metadata_record(store.warcs.builder, uri, content_type, body, store.id_factory(),
                           warc_date(store.clock()), refers_to=refers)


def _ledger_record(store: "Journal", batch: list[dict]):
    """One record for entries written together: a lone entry as itself (it refers to the
    record it vouches for), several as ``{"entries": [...]}``."""
    if len(batch) == 1:
        e = batch[0]
        return _metadata_record(store, f"urn:archive-store:ledger:{e['seq']}", LEDGER_TYPE, e,
                                refers_to=e["digests"].get("record_id") or e["subject"])
    return _metadata_record(store, f"urn:archive-store:ledger:{batch[0]['seq']}-{batch[-1]['seq']}",
                            LEDGER_TYPE, {"entries": batch})


def signing_key_for(store: "Journal") -> "Ed25519PrivateKey | None":
    """``store.signing_key`` if set, else the key named by ``$ARCHIVE_SIGNING_KEY``."""
    key = getattr(store, "signing_key", None)
    if key is not None:
        return key
    if not os.environ.get(SIGNING_KEY_ENV):
        return None   # no key: no need to import cryptography (13 ms)
    from archive.provenance.keys import configured_private_key

    return configured_private_key()


def _write(store: "Journal", pending: list[tuple[str, str, dict]],
           private_key: "Ed25519PrivateKey | None" = None, sign_anyway: bool = False) -> list[dict]:
    """Append entries for ``pending`` (kind, subject, digests) not yet in the ledger."""
    with _ledger_lock(store):
        conn = store.conn
        chain = own_chain(store)
        seq, prev = _head(conn, chain)
        at = iso(store.clock())
        seen = _already(conn, pending)
        new: list[dict] = []
        for kind, subject, digests in pending:
            if (kind, subject) in seen:
                continue
            seen.add((kind, subject))
            seq += 1
            entry = make_entry(seq, prev, kind, subject, digests, at)
            prev = entry["entry_hash"]
            new.append(entry)
        if not new and not sign_anyway:
            return []
        records = [_ledger_record(store, new[i:i + BATCH_ENTRIES])
                   for i in range(0, len(new), BATCH_ENTRIES)]
        if private_key is not None and seq > 0:
            hashes = [bytes.fromhex(h) for h in _entry_hashes(conn, chain=chain)] + \
                     [bytes.fromhex(e["entry_hash"]) for e in new]
            head = _signed_head(seq, prev, merkle_root_of(hashes).hex(), at, private_key)
            records.append(_metadata_record(store, f"urn:archive-store:ledger-head:{seq}",
                                            SEAL_TYPE, head))
        if records:
            store.append(records)   # the journal's write: ledger records vouch for nothing
        if new and chain is None:
            chain = new[0]["entry_hash"]   # this write began the chain
        if chain:
            known = conn.execute("SELECT value FROM _meta WHERE key=?", (OWN_CHAIN_KEY,)).fetchone()
            if known is None or known[0] != chain:
                _set_own_chain(store, chain)
        return new


def _pending_seals(store: "Journal") -> list[tuple[str, str, dict]]:
    rows = store.conn.execute(
        "SELECT name, sha256, size FROM warc_files WHERE sealed_at IS NOT NULL AND sha256 IS NOT NULL "
        "AND name NOT IN (SELECT subject FROM ledger WHERE kind='seal') ORDER BY name").fetchall()
    out = []
    for r in rows:
        if r["name"] == store.warcs.current_file:
            continue
        try:
            source = store.warcs.source(r["name"])   # the local file, or the object in the bucket
            st = source.path.stat() if hasattr(source, "path") else None
            size = st.st_size if st else source.size()
        except (OSError, StoreError):
            continue
        # Vouch only for what is stored and agrees with the seal: a file that changed
        # after sealing is the audit's to report, not the ledger's to bless.
        if size != r["size"]:
            continue
        known = store.hashed_files.get(r["name"])
        if st and known and known[:2] == (st.st_size, st.st_mtime_ns):
            sha = known[2]   # this process hashed the stored bytes and they are unchanged
        else:
            try:
                sha = file_sha256(source)
            except (OSError, StoreError):
                continue
        if sha != r["sha256"]:
            continue
        out.append(("seal", r["name"], {"sha256": r["sha256"], "size": r["size"]}))
    return out


def record_captures(store: "Journal", capture_rows: Iterable[Any]) -> list[dict]:
    """Hook for ``Store.write_records``: vouch for the captures of a batch just indexed.

    ``capture_rows`` are the rows ``write_records`` returns; rows that are not captures
    are ignored, so passing every row of every batch is right. Files sealed since the
    last entry are vouched for in the same batch. Signs the new head when a signing key
    is configured (:func:`signing_key_for`).
    """
    rows = list(capture_rows)
    pending = []
    for row in rows:
        try:
            rtype = row["record_type"]
        except (KeyError, IndexError):   # not a capture row (dict, or sqlite3.Row)
            continue
        if rtype in CAPTURE_TYPES:
            pending.append(("capture", row["record_id"], capture_digests(row)))
    pending.extend(_pending_seals(store))
    if not pending:
        return []
    return _write(store, pending, signing_key_for(store))


def record_citation(store: "Journal", citation_row: sqlite3.Row | dict) -> list[dict]:
    """Hook for ``cite``: vouch for a citation record once it is indexed.

    ``citation_row`` is the row of the ``citations`` table (it names the citation record
    by ``warc_file``/``offset``/``length``/``citation_record_id``).
    """
    pending = [("citation", citation_row["id"], citation_digests(store, citation_row))]
    pending.extend(_pending_seals(store))
    return _write(store, pending, signing_key_for(store))


def record_texts(store: "Journal", texts: Iterable[dict]) -> list[dict]:
    """Hook for extraction: vouch for the derived rows of snapshots just extracted (each
    a dict with ``snapshot_sha256``, ``extractor_version``, ``text_sha256``,
    ``rows_sha256``, as :meth:`archive.index.journal.Journal.extracted` gets them)."""
    pending = [("text", text_subject(t["snapshot_sha256"], t["extractor_version"]), dict(t)) for t in texts]
    return _write(store, pending, signing_key_for(store)) if pending else []


def record_seals(store: "Journal") -> list[dict]:
    """Vouch for every sealed file the ledger does not cover yet (e.g. after an import)."""
    pending = _pending_seals(store)
    return _write(store, pending, signing_key_for(store)) if pending else []


def backfill(store: "Journal") -> list[dict]:
    """Vouch for captures and citations indexed before the ledger existed.

    Trust on first use: whatever the store holds now is what the entries vouch for, so
    run it once, on a store you have audited, not routinely.
    """
    pending: list[tuple[str, str, dict]] = []
    for row in store.conn.execute("SELECT * FROM captures WHERE record_id NOT IN "
                                  "(SELECT subject FROM ledger WHERE kind='capture') "
                                  "ORDER BY warc_file, offset"):
        pending.append(("capture", row["record_id"], capture_digests(row)))
    for row in store.conn.execute("SELECT * FROM citations WHERE id NOT IN "
                                  "(SELECT subject FROM ledger WHERE kind='citation') ORDER BY created_at, id"):
        pending.append(("citation", row["id"], citation_digests(store, row)))
    pending.extend(_pending_seals(store))
    return _write(store, pending, signing_key_for(store))


# -- Merkle tree (RFC 6962) ------------------------------------------------------------------

def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _mth(leaves: list[bytes], lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[lo]
    k = _split(n)
    return node_hash(_mth(leaves, lo, lo + k), _mth(leaves, lo + k, hi))


def merkle_root_of(data: list[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash of a list of leaf inputs (here: raw entry hashes).

    >>> merkle_root_of([]).hex()[:16]
    'e3b0c44298fc1c14'
    >>> merkle_root_of([b""]).hex()[:16]
    '6e340b9cffb37a98'
    """
    return _mth([leaf_hash(d) for d in data], 0, len(data))


class MerkleFrontier:
    """The RFC 6962 Merkle Tree Hash of a list of leaf inputs given one at a time, in
    memory that grows with the logarithm of their number: only the roots of the perfect
    subtrees the leaves so far make are kept (the audit reads a million entries' hashes
    once and asks for the root at each place a head was signed).

    >>> f = MerkleFrontier()
    >>> ok = []
    >>> for i in range(1, 40):
    ...     f.add(bytes([i]))
    ...     ok.append(f.root() == merkle_root_of([bytes([k]) for k in range(1, i + 1)]))
    >>> all(ok), f.size, MerkleFrontier().root() == merkle_root_of([])
    (True, 39, True)
    """

    def __init__(self) -> None:
        self.size = 0
        self._peaks: list[bytes] = []   # roots of perfect subtrees, largest (leftmost) first

    def add(self, data: bytes) -> None:
        node = leaf_hash(data)
        self.size += 1
        k = self.size
        while k % 2 == 0:   # as many merges as trailing zero bits of the new size
            node = node_hash(self._peaks.pop(), node)
            k //= 2
        self._peaks.append(node)

    def root(self) -> bytes:
        """The Merkle Tree Hash of the leaves added so far."""
        if not self._peaks:
            return hashlib.sha256(b"").digest()
        node = self._peaks[-1]
        for left in reversed(self._peaks[:-1]):
            node = node_hash(left, node)
        return node


def _path(leaves: list[bytes], m: int, lo: int, hi: int) -> list[bytes]:
    n = hi - lo
    if n <= 1:
        return []
    k = _split(n)
    if m < k:
        return _path(leaves, m, lo, lo + k) + [_mth(leaves, lo + k, hi)]
    return _path(leaves, m - k, lo + k, hi) + [_mth(leaves, lo, lo + k)]


def inclusion_path(data: list[bytes], index: int) -> list[bytes]:
    """RFC 6962 audit path for leaf ``index`` (0-based) of the tree over ``data``."""
    if not 0 <= index < len(data):
        raise ValueError(f"leaf {index} is not in a tree of {len(data)}")
    return _path([leaf_hash(d) for d in data], index, 0, len(data))


def verify_inclusion(entry_hash: str, leaf_index: int, tree_size: int, path: list[str],
                     root: str) -> bool:
    """Check an audit path (RFC 9162 section 2.1.3.2): is ``entry_hash`` leaf ``leaf_index``
    of the tree of ``tree_size`` entries whose root is ``root``? All hashes in hex."""
    if not 0 <= leaf_index < tree_size:
        return False
    try:
        r = leaf_hash(bytes.fromhex(entry_hash))
        proof = [bytes.fromhex(p) for p in path]
        want = bytes.fromhex(root)
    except (ValueError, TypeError):
        return False
    fn, sn = leaf_index, tree_size - 1
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == want


# Complete subtrees of at least this many entries are kept once hashed (per process, per
# index file and chain); smaller ranges are read from the ledger table and hashed. (A
# proof reads and hashes about two blocks; at a million entries 8,000 subtrees are kept.)
MERKLE_BLOCK = 256
_SUBTREES: dict[tuple, dict[tuple[int, int], tuple[bytes, str]]] = {}
_SUBTREES_LOCK = threading.Lock()
# The blocks proofs looked into, per process: the entry hashes read, their leaf hashes and
# the hashes of the ranges inside the block. A block is read from the ledger table on
# every request all the same; only when it reads exactly as it did (every seq, every
# entry hash) are its hashes taken from here instead of being computed again.
_BLOCKS: "OrderedDict[tuple, tuple[list, list[bytes], dict]]" = OrderedDict()
_BLOCKS_MAX = 512


class _NotOneToN(Exception):
    """A block of the chain whose seqs are not the next ones, each once."""


class ChainTree:
    """The RFC 6962 Merkle tree over one chain's entry hashes, for roots and inclusion
    proofs against a ledger of a million entries without reading or hashing all of it on
    every request (a citation page did both, several times: seconds at a million).

    The hash of every complete subtree of at least :data:`MERKLE_BLOCK` entries is kept
    once computed, in this process, for this index file: entries are only appended, so
    such a subtree never changes (each use checks that its last entry is still the one it
    was hashed with, so a chain cut short or rebuilt is hashed again). What a proof
    proves is read from the ledger table each time: the block of the entry proved, and
    the incomplete block at the end; the kept subtrees are its siblings, so an entry of
    that block edited in place gives a path that no longer leads to the root, and the
    proof fails. (An entry edited elsewhere is found by ``verify --all``, which reads the
    WARC files, and by the proofs of its own block.) A chain whose seqs are not exactly
    1..n (a damaged ledger) is read whole, as before.

    >>> import sqlite3
    >>> conn = sqlite3.connect(":memory:")
    >>> _ = conn.execute("CREATE TABLE ledger (seq INTEGER, entry_hash TEXT, chain TEXT)")
    >>> data = [hashlib.sha256(bytes([i % 256, i // 256])).digest() for i in range(3000)]
    >>> _ = conn.executemany("INSERT INTO ledger VALUES (?, ?, 'c')", [(i + 1, d.hex()) for i, d in enumerate(data)])
    >>> t = ChainTree(conn, "c")
    >>> t.size, t.root(2500) == merkle_root_of(data[:2500]), t.root(3000) == merkle_root_of(data)
    (3000, True, True)
    >>> t.path(1700, 2999) == inclusion_path(data[:2999], 1700)
    True
    """

    def __init__(self, conn: sqlite3.Connection, chain: str | None) -> None:
        self.conn, self.chain = conn, chain
        # The last seq, from the index: the size if the seqs are 1..n, which each block
        # read checks (counting the entries would read them all).
        self.size = conn.execute("SELECT coalesce(max(seq), 0) FROM ledger WHERE chain=?", (chain,)).fetchone()[0]
        self._whole: list[bytes] | None = None
        path = next((r[2] for r in conn.execute("PRAGMA database_list") if r[1] == "main"), "")
        try:
            st = os.stat(path) if path else None
        except OSError:
            st = None
        key = (path, st.st_dev, st.st_ino, chain) if st is not None else None
        self._key = key
        self._blocks: dict[int, list[bytes]] = {}   # leaf hashes of the blocks this request looked into
        self._memo: dict[int, dict[tuple[int, int], bytes]] = {}
        # Kept subtrees this tree (one request) has checked against the table already.
        self._checked: dict[tuple[int, int], bytes] = {}
        with _SUBTREES_LOCK:
            self._nodes: dict[tuple[int, int], tuple[bytes, str]] = (
                _SUBTREES.setdefault(key, {}) if key is not None else {})

    def _read_whole(self) -> list[bytes]:
        """Every entry hash of the chain in seq order (its seqs are not 1..n: a damaged
        ledger, proved over as it stands)."""
        if self._whole is None:
            self._whole = [bytes.fromhex(h) for h in _entry_hashes(self.conn, chain=self.chain)]
            self.size = len(self._whole)
        return self._whole

    def entry_hash(self, index: int) -> str:
        """The hex hash of leaf ``index`` (0-based: the entry with seq ``index + 1``)."""
        if self._whole is not None:
            return self._whole[index].hex()
        row = self.conn.execute("SELECT entry_hash FROM ledger WHERE chain=? AND seq=?",
                                (self.chain, index + 1)).fetchone()
        return row[0] if row else ""

    def root(self, size: int) -> bytes:
        """The Merkle Tree Hash of the first ``size`` entries."""
        if self._whole is None:
            try:
                with _SUBTREES_LOCK:   # one thread fills what others then read
                    return self._node(0, size)
            except _NotOneToN:
                pass
        return merkle_root_of(self._read_whole()[:size])

    def path(self, index: int, size: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of the first ``size`` entries."""
        if self._whole is None:
            if not 0 <= index < size:
                raise ValueError(f"leaf {index} is not in a tree of {size}")
            try:
                with _SUBTREES_LOCK:
                    return self._path(index, 0, size)
            except _NotOneToN:
                pass
        return inclusion_path(self._read_whole()[:size], index)

    def _leaves(self, lo: int, hi: int) -> list[bytes]:
        return self._leaves_of(self._rows(lo, hi))

    def _rows(self, lo: int, hi: int) -> list[tuple[int, str]]:
        rows = self.conn.execute("SELECT seq, entry_hash FROM ledger WHERE chain=? AND seq > ? AND seq <= ? "
                                 "ORDER BY seq", (self.chain, lo, hi)).fetchall()
        if len(rows) != hi - lo or any(seq != lo + 1 + i for i, (seq, _) in enumerate(rows)):
            raise _NotOneToN()
        return rows

    @staticmethod
    def _leaves_of(rows: list[tuple[int, str]]) -> list[bytes]:
        return [leaf_hash(bytes.fromhex(h)) for _, h in rows]

    def _block(self, lo: int, hi: int) -> tuple[list[bytes], dict]:
        """The leaf hashes of a block read now and the memo of its range hashes: those
        of the same block read before, in this process, if it read exactly the same
        (called under ``_SUBTREES_LOCK``, as :meth:`_within` is)."""
        rows = self._rows(lo, hi)
        key = (self._key, lo, hi)
        kept = _BLOCKS.get(key) if self._key is not None else None
        if kept is not None and kept[0] == rows:
            _BLOCKS.move_to_end(key)
            return kept[1], kept[2]
        leaves = self._leaves_of(rows)
        memo: dict[tuple[int, int], bytes] = {}
        if self._key is not None:
            _BLOCKS[key] = (rows, leaves, memo)
            while len(_BLOCKS) > _BLOCKS_MAX:
                _BLOCKS.popitem(last=False)
        return leaves, memo

    def _node(self, lo: int, hi: int) -> bytes:
        n = hi - lo
        complete = n >= MERKLE_BLOCK and n & (n - 1) == 0 and lo % n == 0
        if complete:
            if (lo, hi) in self._checked:   # already checked against the table by this tree
                return self._checked[(lo, hi)]
            kept = self._nodes.get((lo, hi))
            if kept is not None and kept[1] == self.entry_hash(hi - 1):
                self._checked[(lo, hi)] = kept[0]
                return kept[0]
        if n < MERKLE_BLOCK or (n == MERKLE_BLOCK and lo // n in self._blocks):
            node = self._within(lo, hi)
        elif n == MERKLE_BLOCK:
            # A whole block no proof of this request looks into: hashed and let go
            # (filling the subtrees of a million entries reads a thousand of these).
            node = _mth(self._leaves(lo, hi), 0, n)
        else:
            k = _split(n)
            node = node_hash(self._node(lo, lo + k), self._node(lo + k, hi))
        if complete:
            self._nodes[(lo, hi)] = (node, self.entry_hash(hi - 1))
            self._checked[(lo, hi)] = node
        return node

    def _within(self, lo: int, hi: int) -> bytes:
        """The hash of a range inside one block, the block read and its subtrees hashed
        once per ChainTree (one request asks for several proofs and roots over the block
        of an entry and the last block)."""
        b = lo // MERKLE_BLOCK
        if b not in self._blocks:
            start = b * MERKLE_BLOCK
            self._blocks[b], self._memo[b] = self._block(start, min(start + MERKLE_BLOCK, self.size))
        memo = self._memo[b]
        if (lo, hi) not in memo:
            n = hi - lo
            if n <= 1:
                memo[(lo, hi)] = self._blocks[b][lo - b * MERKLE_BLOCK] if n else hashlib.sha256(b"").digest()
            else:
                k = _split(n)
                memo[(lo, hi)] = node_hash(self._within(lo, lo + k), self._within(lo + k, hi))
        return memo[(lo, hi)]

    def _path(self, m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n <= 1:
            return []
        k = _split(n)
        if m < lo + k:
            return self._path(m, lo, lo + k) + [self._node(lo + k, hi)]
        return self._path(m, lo + k, hi) + [self._node(lo, lo + k)]


def _entry_hashes(conn: sqlite3.Connection, size: int | None = None, chain: str | None = None) -> list[str]:
    """The entry hashes of ``chain`` (none when it is None), entries 1..``size``."""
    sql = "SELECT entry_hash FROM ledger WHERE chain=?" + (" AND seq <= ?" if size is not None else "") + \
          " ORDER BY seq"
    return [r[0] for r in conn.execute(sql, (chain, size) if size is not None else (chain,))]


def merkle_root(store: "Journal", size: int | None = None, chain: str | None = None) -> str:
    """Hex Merkle root over entries 1..``size`` (default: all) of ``chain`` (default: own)."""
    tree = ChainTree(store.conn, chain or own_chain(store))
    return tree.root(tree.size if size is None else min(size, tree.size)).hex()


def inclusion_proof(store: "Journal", seq: int, tree_size: int | None = None, chain: str | None = None) -> dict:
    """Proof that entry ``seq`` is in the tree of the first ``tree_size`` entries.

    The result's ``entry_hash``, ``leaf_index``, ``tree_size``, ``path`` and ``root`` are
    exactly the arguments of :func:`verify_inclusion`.
    """
    tree = ChainTree(store.conn, chain or own_chain(store))
    size = tree.size if tree_size is None else min(tree_size, tree.size)
    if not 1 <= seq <= size:
        raise UsageError(f"ledger entry {seq} is not in a tree of {size} entries")
    return {"seq": seq, "entry_hash": tree.entry_hash(seq - 1), "leaf_index": seq - 1, "tree_size": size,
            "path": [p.hex() for p in tree.path(seq - 1, size)], "root": tree.root(size).hex()}


def verify_proof(proof: dict) -> bool:
    """:func:`verify_inclusion` on a dict made by :func:`inclusion_proof`."""
    return verify_inclusion(proof["entry_hash"], proof["leaf_index"], proof["tree_size"],
                            proof["path"], proof["root"])


# -- signed heads ------------------------------------------------------------------------------

def head(store: "Journal") -> dict:
    """The current head: ``seq`` (the tree size), its ``entry_hash`` and the Merkle root."""
    chain = own_chain(store)
    seq, last = _head(store.conn, chain)
    return {"seq": seq, "entry_hash": last if seq else None, "merkle_root": merkle_root(store, chain=chain),
            "chain": chain}


def head_message(head: dict) -> bytes:
    """The bytes an Ed25519 head signature covers."""
    return canonical_json({k: head.get(k) for k in HEAD_FIELDS})


def _signed_head(seq: int, last: str, root: str, at: str, private_key: "Ed25519PrivateKey") -> dict:
    from archive.provenance.keys import key_id, public_pem, sign

    pub = private_key.public_key()
    h = {"seq": seq, "entry_hash": last, "merkle_root": root, "signed_at": at, "key_id": key_id(pub)}
    h["public_key"] = public_pem(pub)
    h["signature"] = sign(private_key, head_message(h))
    return h


def sign_head(store: "Journal", private_key: "Ed25519PrivateKey") -> dict:
    """Sign the current head and store the signature as a WARC record; returns the head.

    Files sealed since the last entry are vouched for first, so the signature covers them.
    """
    pending = _pending_seals(store)
    _write(store, pending, private_key, sign_anyway=True)
    heads = signed_heads(store)
    if not heads:
        raise UsageError("the ledger is empty: there is nothing to sign yet")
    return heads[-1]


def signed_heads(store: "Journal", chain: str | None = None) -> list[dict]:
    """Every signed head of ``chain`` (default: this index's own) the index holds, oldest first."""
    chain = chain or own_chain(store)
    if chain is None or not _has_heads_table(store.conn):
        return []
    return [dict(r) for r in store.conn.execute("SELECT * FROM ledger_heads WHERE chain=? "
                                                "ORDER BY seq, signed_at", (chain,))]


def check_head_signature(head: dict, public_key: "Ed25519PublicKey | None" = None) -> tuple[bool, str]:
    """Is the head's signature valid, and by whom? Against ``public_key`` when given
    (the only check of who signed), else against the key the head itself declares: a
    match then proves only that the head is unchanged (see :func:`pinned_outcome`)."""
    return _check_signature(head, head_message(head), public_key, "signed head")


def _check_signature(signed: dict, message: bytes, public_key: "Ed25519PublicKey | None",
                     what: str) -> tuple[bool, str]:
    from archive.provenance.keys import key_id, load_public_key, verify_signature

    try:
        declared = load_public_key(signed["public_key"].encode("ascii")) if signed.get("public_key") else None
    except (UsageError, AttributeError):
        declared = None
    key = public_key or declared
    if key is None:
        return False, f"the {what} names no public key and none was given"
    if public_key is not None and signed.get("key_id") != key_id(public_key):
        return False, f"signed by key {str(signed.get('key_id'))[:16]}…, not by the given key {key_id(public_key)[:16]}…"
    if key_id(key) != signed.get("key_id"):
        return False, f"the declared key does not match the {what}'s key id"
    if not verify_signature(key, message, signed.get("signature") or ""):
        return False, "signature does not verify"
    kid = str(signed["key_id"])[:16]
    if public_key is not None:
        return True, f"signature verified with the pinned key {kid}…"
    # Anyone can sign with a key of their own and declare it: a match proves the bytes
    # were not changed since someone signed them, not who that was.
    return True, (f"signed by key {kid}…, not pinned: the signature matches the key the {what} declares, "
                  f"which says nothing of who signed; pass --public-key (or ARCHIVE_PUBLIC_KEY) to check "
                  f"it is the archive's key")


def pinned_outcome(ok: bool, public_key: "Ed25519PublicKey | None") -> bool | None:
    """What a signature check amounts to: a failure fails, a match is a pass only against
    a pinned key (``public_key``); against the key the signed record declares it is
    ``None``, nothing checked of who signed (three outcomes, as for digests)."""
    return ok if not ok or public_key is not None else None


# -- one signed root over every chain ----------------------------------------------------------
#
# Several capture machines write into one bucket, each extending its own chain; the
# archive imports what they wrote. A *root* is what the archive's key holder signs over
# all of them: for each chain its id, the machine that writes it, and its head (seq,
# entry_hash, Merkle root), in one metadata record of type ROOT_TYPE, target
# ``urn:archive-store:ledger-root:<signed_at>``:
#
#     {"chains": [{"chain", "writer", "seq", "entry_hash", "merkle_root"}, ...],
#      "signed_at", "key_id", "public_key", "signature"}
#
# The signature covers the canonical JSON of ``chains``, ``signed_at`` and ``key_id``.
# ``verify --all`` accepts several chains only when a root covers each of them: a chain
# no root names (a machine the key holder never vouched for, or a history forged from
# its first entry) fails, and so does a root whose heads are not in the chains.

def root_message(root: dict) -> bytes:
    """The bytes an Ed25519 root signature covers."""
    return canonical_json({k: root.get(k) for k in ROOT_FIELDS})


def check_root_signature(root: dict, public_key: "Ed25519PublicKey | None" = None) -> tuple[bool, str]:
    """Like :func:`check_head_signature`, for a root."""
    return _check_signature(root, root_message(root), public_key, "root")


def sign_root(store: "Journal", private_key: "Ed25519PrivateKey") -> dict:
    """Sign one root over the head of every chain the index holds and store it as a WARC
    record; returns the root. Files sealed since the last entry are vouched for first.

    Refuses (:class:`UsageError`, naming the chain) when a chain does not hold in the
    index — a fork, a gap, a broken link, entries linked to no chain — since signing it
    would vouch for a history that is not one. Run ``verify --all`` before, as the root
    says every chain it names is the archive's."""
    from archive.provenance.keys import key_id, public_pem, sign

    pending = _pending_seals(store)
    if pending:
        _write(store, pending, signing_key_for(store))
    with _ledger_lock(store):
        found = chains(store)
        if not found:
            raise UsageError("the ledger is empty: there is nothing to sign yet")
        bad = [c for c in found if c["problems"]]
        if bad:
            raise UsageError("not signing a root over chains that do not hold: " + "; ".join(
                f"{chain_label(c)}: {c['problems'][0]['problem']} at entry {c['problems'][0]['seq']} "
                f"({c['problems'][0]['detail']})" for c in bad))
        at = iso(store.clock())
        pub = private_key.public_key()
        root = {"chains": [{k: c[k] for k in ROOT_CHAIN_FIELDS} for c in found],
                "signed_at": at, "key_id": key_id(pub), "public_key": public_pem(pub)}
        root["signature"] = sign(private_key, root_message(root))
        store.append([_metadata_record(store, record_urn("ledger-root", at), ROOT_TYPE, root)])
    return root


def chain_label(c: dict) -> str:
    """How a chain is named to a reader: its writer and the start of its id."""
    if not c.get("chain"):
        return "entries linked to no chain"
    return f"chain {c['chain'][:12]}… of {c.get('writer') or '?'}"


def signed_roots(store: "Journal") -> list[dict]:
    """Every root the index holds, oldest first, ``chains`` decoded."""
    out = []
    for r in store.conn.execute("SELECT * FROM ledger_roots ORDER BY signed_at, warc_file, offset"):
        d = dict(r)
        d["chains"] = json.loads(d["chains"]) if d["chains"] else []
        out.append(d)
    return out
