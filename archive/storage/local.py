"""Files in a local directory: the default backend, and the staging area of a remote one."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path
from typing import BinaryIO


class LocalBlob:
    """A file on the local disk."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = self.path.name

    def __str__(self) -> str:
        return str(self.path)

    def __fspath__(self) -> str:
        return str(self.path)

    def size(self) -> int:
        return self.path.stat().st_size

    def read_range(self, offset: int, length: int) -> bytes:
        with open(self.path, "rb") as f:
            f.seek(offset)
            return f.read(length)

    def open(self) -> BinaryIO:
        return open(self.path, "rb")


ARCHIVE_SUFFIXES = (".warc.gz", ".warc", ".arc.gz", ".arc")


def list_warcs(root: Path, suffixes: tuple[str, ...] = ARCHIVE_SUFFIXES) -> list[str]:
    """Names of the archive files directly in ``root`` (none if it does not exist), but
    not hidden ones (temporary copies, files being born)."""
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return []
    return sorted(e.name for e in entries if e.is_file() and not e.name.startswith(".")
                  and e.name.endswith(suffixes))


class CopyInProgress:
    """A copy of a local file that a thread of its own is writing, readable as a blob
    while it is made: each read waits until the bytes it asks for are written, so a
    reader of the copy sees exactly the bytes stored, never a byte of the original the
    copy does not hold. :meth:`finish` waits for the end, fsyncs the copy and returns
    the SHA-256 of the bytes written.

    An import indexes the copy as it is made instead of after it: the copy's writes to
    the disk overlap the indexing, where they used to precede it (seconds for a file of
    a few hundred MB).
    """

    CHUNK = 1 << 20   # 4 MiB cost 10 MB of peak memory and was no faster

    def __init__(self, source: Path, target: Path, stored_as: Path) -> None:
        """Copy ``source`` to ``target``, a temporary name of the file that will be
        ``stored_as``: the name the copy answers to (in errors, in ARC record ids)."""
        self.path = Path(target)
        self.stored_as = Path(stored_as)
        self.name = self.stored_as.name
        self._expected = os.stat(source).st_size
        self._cond = threading.Condition()
        self._written = 0
        self._done = False
        self._cancelled = False
        self._error: BaseException | None = None
        self._sha256 = hashlib.sha256()
        self._dst = open(self.path, "xb")   # created now: a reader may open it at once
        self._thread = threading.Thread(target=self._copy, args=(Path(source),), daemon=True,
                                        name=f"copy {self.name}")
        self._thread.start()

    def _copy(self, source: Path) -> None:
        try:
            with open(source, "rb") as src, self._dst as dst:
                while not self._cancelled and (chunk := src.read(self.CHUNK)):
                    self._sha256.update(chunk)
                    dst.write(chunk)
                    dst.flush()
                    with self._cond:
                        self._written += len(chunk)
                        self._cond.notify_all()
                if self._cancelled:
                    raise OSError("copy cancelled")
                os.fsync(dst.fileno())
        except BaseException as exc:   # re-raised to the readers and by finish()
            self._error = exc
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _wait_for(self, end: int) -> None:
        """Until ``end`` bytes are written, or the copy has ended (the file is shorter)."""
        with self._cond:
            while self._written < end and not self._done:
                self._cond.wait()
            if self._error is not None:
                raise self._error

    def finish(self) -> str:
        """Wait for the whole copy, fsynced; the SHA-256 (hex) of the bytes written."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._sha256.hexdigest()

    def close(self) -> None:
        """Stop copying if the copy is not finished, and wait for the copying thread to
        end; what was written stays where it is."""
        self._cancelled = True
        self._thread.join()

    # -- the Blob protocol ---------------------------------------------------------------
    def __str__(self) -> str:
        return str(self.stored_as)

    def size(self) -> int:
        with self._cond:
            return self._written if self._done else max(self._expected, self._written)

    def read_range(self, offset: int, length: int) -> bytes:
        self._wait_for(offset + length)
        with open(self.path, "rb") as f:
            f.seek(offset)
            return f.read(length)

    def open(self) -> BinaryIO:
        return _CopyReader(self)   # type: ignore[return-value]


class _CopyReader(io.RawIOBase):
    """A stream over a :class:`CopyInProgress` whose reads wait for their bytes."""

    def __init__(self, copy: CopyInProgress) -> None:
        super().__init__()
        self._copy = copy
        self._f = open(copy.path, "rb")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 2:
            self._copy._wait_for(1 << 62)
        return self._f.seek(pos, whence)

    def tell(self) -> int:
        return self._f.tell()

    def read(self, size: int | None = -1) -> bytes:
        here = self._f.tell()
        self._copy._wait_for(1 << 62 if size is None or size < 0 else here + size)
        return self._f.read(size)

    def readinto(self, buffer) -> int:
        self._copy._wait_for(self._f.tell() + len(buffer))
        return self._f.readinto(buffer)

    def readline(self, size: int | None = -1) -> bytes:
        here = self._f.tell()
        self._copy._wait_for(1 << 62 if size is None or size < 0 else here + size)
        return self._f.readline(size)

    def close(self) -> None:
        self._f.close()
        super().close()
