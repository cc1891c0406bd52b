"""The extraction queue's locks: one drainer at a time, and at most one waiting its turn.

The queue itself is in the index (``snapshots.extract_status = 'pending'``); these are
``flock`` locks on files beside the database, which the kernel releases when their holder
dies, so a killed drainer never blocks the queue. Kept apart from
:mod:`archive.index.versions` so that asking whether a drainer waits does not load the
extractor.
"""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _lock_path(db_path: str | Path, what: str) -> Path:
    return Path(f"{db_path}.{what}")


@contextmanager
def queue_lock(db_path: str | Path) -> Iterator[None]:
    """Hold the extraction queue of the index at ``db_path``: one drainer at a time.

    A lock file beside the database, locked with ``flock``: the kernel releases it when
    the holder dies, so a crashed drainer never blocks the queue. Waiting (not giving up
    when it is held) matters: a drainer that has just found the queue empty may still hold
    the lock while a capture commits new pending snapshots and asks for another drainer.
    """
    with open(_lock_path(db_path, "extract-lock"), "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def drainer_waiting(db_path: str | Path) -> bool:
    """Whether a background drainer is already waiting for its turn (see :func:`drain_turn`):
    then it will see whatever is pending now, and starting another is useless."""
    with open(_lock_path(db_path, "extract-next"), "a+b") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
        return False


@contextmanager
def drain_turn(db_path: str | Path) -> Iterator[bool]:
    """The turn of a background drainer: yields False at once if another drainer is already
    waiting for the queue (this one has nothing to add), else True once it holds the queue.

    At most one drainer waits: it holds a second lock file (``.extract-next``) until it has
    the queue, and lets go of it *before* it reads what is pending. So whatever a capture
    commits before it asks for a drainer is read by the waiting one, or, if that one has
    already read the queue, the capture finds the waiting place free and starts another.
    Without this, every capture of a busy run left a drainer process waiting its turn.
    """
    with open(_lock_path(db_path, "extract-next"), "a+b") as slot:
        try:
            fcntl.flock(slot.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            with queue_lock(db_path):
                fcntl.flock(slot.fileno(), fcntl.LOCK_UN)
                yield True
        finally:
            fcntl.flock(slot.fileno(), fcntl.LOCK_UN)
