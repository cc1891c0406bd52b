"""The writers' gate of an index: every write holds it shared, a swap holds it alone.

``archive reindex`` and ``archive import-parquet`` build a new database and put it in
place of ``archive.db``. Without a gate, whatever another process wrote to the old index
between the start of the build and the swap (a capture, a ledger entry) would be indexed
nowhere, and its next ledger entry could take a number the new index gives another (a
fork). The new database is copied into the old file (:func:`replace_index`), so readers
that keep a connection open (Datasette) see it at once.

So every write of a :class:`archive.index.journal.Journal` — appending records and
indexing them, a transaction, an import — holds ``<db>.writers`` with a shared ``flock``,
and notices, when it takes the gate, that the database at ``<db>`` is no longer the file
its connection has open (an index replaced by renaming: then it opens the new one). A
swap takes the gate exclusively: no write is half done while it checks whether files
changed since its build began and while it replaces the index. The kernel releases a
``flock`` when its holder dies, so a killed writer never holds the gate.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def db_identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``: which database a path names now."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class WritersGate:
    """The gate of the index at ``db_path`` for one process: its threads share one
    ``flock`` (taken by the first that enters, let go by the last that leaves)."""

    def __init__(self, db_path: str | Path) -> None:
        self.path = Path(f"{db_path}.writers")
        self._mutex = threading.Lock()
        self._holders = 0
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        return self._fd

    @contextmanager
    def shared(self, on_enter=None) -> Iterator[None]:
        """Hold the gate with the other writers; ``on_enter`` runs when this process takes
        it (not when a thread joins the others already in), before anything is written."""
        with self._mutex:
            if self._holders == 0:
                fd = self._open()
                fcntl.flock(fd, fcntl.LOCK_SH)
                try:
                    if on_enter is not None:
                        on_enter()
                except BaseException:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    raise
            self._holders += 1
        try:
            yield
        finally:
            with self._mutex:
                self._holders -= 1
                if self._holders == 0 and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    @contextmanager
    def alone(self) -> Iterator[None]:
        """Hold the gate with no writer in: every write of every process waits."""
        with self._mutex:
            if self._holders:
                raise RuntimeError("an index cannot be swapped by a process writing to it")
            fd = self._open()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._mutex:
            if self._fd is not None and self._holders == 0:
                os.close(self._fd)
                self._fd = None


def replace_index(built: Path, db_path: Path) -> None:
    """Put the database at ``built`` in place of the index at ``db_path`` (hold the gate
    alone while it runs).

    Copied into the file that is there with SQLite's backup API, in one transaction: every
    connection already open to ``db_path`` — a Datasette server's, another process's —
    reads the new index from its next statement (the copy changes the schema cookie, so
    they read the new schema too). Renaming the new file over the old one would leave them
    reading the file it replaced, for as long as they run. An index the copy cannot go
    into (damaged, or of another page size) is replaced by renaming."""
    try:
        src = sqlite3.connect(built)
        try:
            dst = sqlite3.connect(db_path, timeout=60)
            try:
                src.backup(dst)
                dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.DatabaseError:
        os.replace(built, db_path)
        for suffix in ("-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    else:
        built.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(built) + suffix).unlink(missing_ok=True)
