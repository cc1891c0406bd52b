"""Where WARC files are kept: a local directory, or an S3-compatible bucket.

Every reader of stored bytes (:mod:`archive.warc.record`, :mod:`archive.warc.reader`,
:mod:`archive.warc.digests`) takes a *source*: a path, or a :class:`Blob` from a backend.
A blob answers three questions — its size, a byte range, a seekable stream — so a record
is re-read by its pointer (file, offset, length) from the disk or, with one ranged GET,
from the bucket, through the same code.

* :mod:`archive.storage.local` — files in a directory (the default: nothing else is
  imported on the local path);
* :mod:`archive.storage.s3` — objects in a bucket under a prefix, through boto3
  (imported only when a ``s3://`` location is used).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable


@runtime_checkable
class Blob(Protocol):
    """One stored file, read by range or as a stream."""

    name: str

    def size(self) -> int:
        """Its length in bytes (raises ``FileNotFoundError`` if it is not stored)."""

    def read_range(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` (fewer only at the end of the file)."""

    def open(self) -> BinaryIO:
        """A seekable binary stream over the whole file; the caller closes it."""


Source = "str | Path | Blob"


def as_blob(source: "str | Path | Blob") -> Blob:
    """``source`` as a :class:`Blob`: a path becomes a local file blob."""
    if isinstance(source, (str, Path)):
        from archive.storage.local import LocalBlob

        return LocalBlob(Path(source))
    return source


def is_remote(location: "str | Path | None") -> bool:
    """True for a ``s3://bucket/prefix`` location (the only remote kind there is).

    >>> is_remote("s3://archive/warcs"), is_remote("warcs"), is_remote(None)
    (True, False, False)
    """
    return isinstance(location, str) and location.startswith("s3://")


def default_staging(location: str) -> Path:
    """Where files bound for ``location`` are written until sealed and uploaded:
    ``$XDG_CACHE_HOME/archive-store/BUCKET/PREFIX`` (``~/.cache`` by default).

    >>> import os; os.environ["XDG_CACHE_HOME"] = "/var/cache"
    >>> str(default_staging("s3://news/warcs/2026"))
    '/var/cache/archive-store/news/warcs/2026'
    >>> del os.environ["XDG_CACHE_HOME"]
    """
    import os

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    rest = location[len("s3://"):].strip("/")
    parts = [p for p in rest.split("/") if p not in ("", ".", "..")]
    return base.joinpath("archive-store", *parts)
