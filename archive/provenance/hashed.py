"""What a record's bytes hashed to, remembered while its file provably has not changed.

A citation page re-reads the cited record, the citation's own record and a ledger record,
inflates them and hashes them on every request; under load that is most of the page's
cost, and the answer cannot change unless the file does. This module remembers, per
process, what each record ``(file, offset, length)`` hashed to, together with the state of
its file when it was read: ``(device, inode, size, mtime_ns, ctime_ns)`` from ``stat``,
taken *before* the read. A later request stats the file again (one system call) and uses
the remembered result only if that state is identical; otherwise it reads and hashes
again.

What this can and cannot notice:

* Bytes changed in place, even at the same size, change the modification and change
  times. Putting the modification time back with ``os.utime`` still sets the change time
  (``ctime``), which no system call sets to an earlier value: the state differs, the
  record is hashed again.
* A file replaced (renamed over, restored from a copy) has another inode or change time.
* A change made in the same clock tick as the read would keep the times (file systems
  keep them at a coarse granularity): a result is therefore only reused when the file's
  times were at least :data:`SETTLED_S` seconds older than the read (as git treats
  "racily clean" files). A file still being written is hashed on every request.
* What no ``stat`` can show is not noticed: the disk's blocks written behind the file
  system's back, or the clock set back to the very nanosecond. That is why the page says
  *when* the bytes were last hashed (``hashed_at``), and claims no more than that the file
  has not changed since, by these signs.

Remote (bucket) files have no such state here: they are read and hashed every time.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from archive.index.rows import fixity_of
from archive.storage.local import LocalBlob
from archive.times import warc_date
from archive.warc.digests import check_digest
from archive.warc.record import ParsedRecord, load_record

#: A file's times must be this much older than the read for its result to be reused.
SETTLED_S = 2.0
#: Records remembered per process (least recently used go first).
MAX_RECORDS = 8192
#: Blocks up to this size are kept with the result (metadata records: citations, ledger
#: batches); larger ones (captures) keep only their digests.
KEEP_BLOCK = 256 * 1024


@dataclass(frozen=True)
class HashedRecord:
    """A record's identity and digests, as hashed at ``hashed_at`` (epoch seconds)."""

    record_id: str | None
    warc_headers: tuple[tuple[str, str], ...]
    block_sha256: str
    payload_sha256: str
    block_digest_ok: bool | None      # the declared WARC-Block-Digest, checked (None: none or unknown)
    fixity: str                        # fixity_of: ok, failed or unverifiable
    block: bytes | None                # kept for small records only
    hashed_at: float
    from_memory: bool = False          # True: the file's state matched, the bytes were not read again

    @property
    def hashed_at_iso(self) -> str:
        """``hashed_at`` as an ISO 8601 UTC time, to the microsecond."""
        return iso_time(self.hashed_at)

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.warc_headers if k.lower() == name), None)


def iso_time(t: float) -> str:
    """Epoch seconds as ISO 8601 UTC (``2026-12-08T01:02:03.456789Z``)."""
    return warc_date(datetime.fromtimestamp(t, timezone.utc))


def _state(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class RecordHashes:
    """The per-process memory of :func:`hashed_record` (thread-safe, bounded)."""

    def __init__(self, max_records: int = MAX_RECORDS) -> None:
        self._max = max_records
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple, tuple[tuple, HashedRecord]] = OrderedDict()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def get(self, source, offset: int, length: int,
            fresh: bool = False) -> tuple[HashedRecord, ParsedRecord | None]:
        """The record at the pointer, hashed now or remembered from a read of the very same
        file state; the parsed record too when it was read now (None when remembered).
        ``fresh``: read and hash now whatever is remembered (and remember that).
        Raises what :func:`load_record` raises."""
        if not isinstance(source, LocalBlob):
            rec = load_record(source, offset, length)
            return _hash(rec, time.time()), rec
        key = (str(source.path), offset, length)
        try:
            st = os.stat(source.path)
        except OSError:
            st = None
        state = _state(st) if st is not None else None
        if state is not None and not fresh:
            with self._lock:
                hit = self._items.get(key)
                if hit is not None and hit[0] == state:
                    self._items.move_to_end(key)
                    return replace(hit[1], from_memory=True), None
        now = time.time()
        rec = load_record(source, offset, length)
        h = _hash(rec, now)
        if st is not None and state is not None and max(st.st_mtime_ns, st.st_ctime_ns) / 1e9 + SETTLED_S <= now:
            with self._lock:
                self._items[key] = (state, h)
                self._items.move_to_end(key)
                while len(self._items) > self._max:
                    self._items.popitem(last=False)
        return h, rec


def _hash(rec: ParsedRecord, at: float) -> HashedRecord:
    label = rec.header("WARC-Block-Digest")
    return HashedRecord(
        record_id=rec.record_id, warc_headers=tuple(rec.warc_headers),
        block_sha256=hashlib.sha256(rec.block).hexdigest(),
        payload_sha256=hashlib.sha256(rec.payload).hexdigest(),
        block_digest_ok=check_digest(label, rec.block),
        fixity=fixity_of(rec), block=rec.block if len(rec.block) <= KEEP_BLOCK else None,
        hashed_at=at)


#: The process's memory of hashed records (the web pages').
RECORDS = RecordHashes()


def hashed_record(source, offset: int, length: int,
                  fresh: bool = False) -> tuple[HashedRecord, ParsedRecord | None]:
    """:meth:`RecordHashes.get` on this process's memory."""
    return RECORDS.get(source, offset, length, fresh)
