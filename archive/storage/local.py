"""Files in a local directory: the default backend, and the staging area of a remote one."""

from __future__ import annotations

import os
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
