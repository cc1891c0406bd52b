"""The exception tree of the archive store.

Every expected failure raises one of these with a message a user can act on; only
``cli.py`` turns them into exit codes (2 for bad input, 1 for a failed check)::

    ArchiveError
    ├── UsageError            bad arguments: unknown URL scheme, no such citation, ...
    │   └── AmbiguousPassage  a passage to cite occurs more than once (.matches)
    ├── CaptureError          a fetch failed (.code: blocked_address, too_many_redirects,
    │                         bad_response, timeout, connection_failed, invalid_url)
    ├── WarcFormatError       a malformed WARC/ARC record (.path, .offset, .reason)
    ├── StoreError            the store itself is unusable (disk full, locked, missing file)
    ├── PassageNotFound       a cited passage is not on the page (.closest)
    ├── IntegrityError        rows of the index differ from what the WARC bytes give (exit 1)
    └── NotExtractable        a payload no article can be read from (.reason)
"""

from __future__ import annotations


class ArchiveError(Exception):
    """Base class: an expected failure with a message meant for the user."""

    exit_code = 2


class UsageError(ArchiveError):
    """The request itself is wrong (bad argument, unknown id, unsupported scheme)."""


class AmbiguousPassage(UsageError):
    """A passage to cite occurs in several places and none was chosen. ``matches`` lists them
    (``{"occurrence", "start", "end", "context"}``), in text order."""

    def __init__(self, message: str, matches: list[dict]):
        super().__init__(message)
        self.matches = matches


class CaptureError(ArchiveError):
    """Fetching a URL failed. ``code`` is a stable machine-readable reason."""

    def __init__(self, message: str, code: str = "capture_failed", url: str | None = None):
        super().__init__(message)
        self.code = code
        self.url = url


class WarcFormatError(ArchiveError):
    """A WARC or ARC record could not be read. Names the file and byte offset."""

    def __init__(self, reason: str, path: str | None = None, offset: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}"
            if offset is not None:
                where += f" at byte {offset}"
            where += ": "
        super().__init__(f"{where}{reason}")
        self.reason = reason
        self.path = path
        self.offset = offset


class StoreError(ArchiveError):
    """The store cannot do what was asked (disk full, file missing, database locked)."""


class IntegrityError(ArchiveError):
    """What the index says is not what the WARC files give: a failed check (exit 1)."""

    exit_code = 1


class PassageNotFound(ArchiveError):
    """A passage to cite is not in the text. ``closest`` lists near matches."""

    def __init__(self, message: str, closest: list[str] | None = None):
        super().__init__(message)
        self.closest = closest or []


class NotExtractable(ArchiveError):
    """The payload is not an HTML page an article can be read from. ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(f"not extractable: {reason}")
        self.reason = reason
