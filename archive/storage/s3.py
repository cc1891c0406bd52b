"""WARC files as objects in an S3-compatible bucket, read by byte range.

The client is boto3, the AWS SDK: it takes the endpoint and the credentials the way the
``aws`` command does (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
``AWS_PROFILE`` and ``~/.aws/config``, instance roles), retries what S3 says may be
retried, and switches to multipart uploads for large files, so none of that is ours to
get wrong. It is imported only when a ``s3://`` location is used.

Layout: ``s3://BUCKET/PREFIX/NAME`` for each WARC file ``NAME``; names are the writer's
own (time, host, pid, random token, sequence), so machines writing to one bucket never
collide.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import BinaryIO, Callable

from archive.errors import StoreError, UsageError
from archive.storage.local import ARCHIVE_SUFFIXES

STREAM_WINDOW = 8 << 20   # bytes fetched per ranged GET when a file is streamed


def parse_location(url: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``s3://bucket/prefix`` (the prefix without slashes at the ends).

    >>> parse_location("s3://news-archive/warcs/2026/")
    ('news-archive', 'warcs/2026')
    >>> parse_location("s3://news-archive")
    ('news-archive', '')
    """
    if not url.startswith("s3://"):
        raise UsageError(f"not an s3:// location: {url!r}")
    bucket, _, prefix = url[len("s3://"):].partition("/")
    if not bucket:
        raise UsageError(f"no bucket in {url!r} (expected s3://bucket/prefix)")
    return bucket, prefix.strip("/")


def make_client():
    """A boto3 S3 client configured as the AWS tools are (environment, profile).

    With a custom endpoint (``AWS_ENDPOINT_URL`` or ``AWS_ENDPOINT_URL_S3``: MinIO,
    SeaweedFS, Ceph) path-style addressing is used, which they all serve; AWS itself keeps
    boto3's default.
    """
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise UsageError("s3:// locations need boto3: pip install 'archive-store[s3]'") from None
    custom = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    config = Config(s3={"addressing_style": "path"} if custom else {},
                    retries={"max_attempts": int(os.environ.get("AWS_MAX_ATTEMPTS", "3")), "mode": "standard"},
                    connect_timeout=10, read_timeout=60,
                    # Checksums only where S3 requires them: S3-compatible servers differ in
                    # which they accept, and we check SHA-256 of every upload ourselves.
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required")
    session = boto3.session.Session()
    return session.client("s3", config=config)


def _missing(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code in ("NoSuchKey", "404", "NotFound", "NoSuchBucket")


class S3Backend:
    """The WARC files under ``s3://bucket/prefix``."""

    def __init__(self, url: str, client=None) -> None:
        self.url = url.rstrip("/")
        self.bucket, self.prefix = parse_location(url)
        self.client = client or make_client()
        # How local files are opened for upload: a test may wrap it to inject faults.
        self.open_local: Callable[[Path], BinaryIO] = lambda p: open(p, "rb")

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def url_of(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.key(name)}"

    def blob(self, name: str) -> "S3Blob":
        return S3Blob(self, name)

    def _call(self, what: str, fn, *args, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(*args, **kwargs)
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(what) from None
            raise StoreError(f"{what}: {exc}") from None
        except BotoCoreError as exc:
            raise StoreError(f"{what}: cannot reach the object store ({exc})") from None

    def list(self) -> list[str]:
        """Names of the WARC files directly under the prefix."""
        start = f"{self.prefix}/" if self.prefix else ""
        names = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start, Delimiter="/")
        try:
            for page in self._call(f"listing {self.url}", lambda: list(pages)):
                for obj in page.get("Contents", []):
                    name = obj["Key"][len(start):]
                    if name.endswith(ARCHIVE_SUFFIXES) and not name.startswith("."):
                        names.append(name)
        except FileNotFoundError:
            raise StoreError(f"{self.url}: no such bucket") from None
        return sorted(names)

    def exists(self, name: str) -> bool:
        try:
            self.blob(name).size()
            return True
        except FileNotFoundError:
            return False

    def put(self, name: str, path: Path, sha256: str) -> None:
        """Upload the local file ``path`` as ``name``, then read the object back and check
        its SHA-256 against ``sha256`` (the seal). Raises :class:`StoreError` if either
        fails; a mismatching object is deleted, so only verified bytes stay under a name."""
        with self.open_local(path) as body:
            self._call(f"uploading {name} to {self.url}", self.client.upload_fileobj,
                       body, self.bucket, self.key(name))
        got = self.sha256(name)
        if got != sha256:
            try:
                self.client.delete_object(Bucket=self.bucket, Key=self.key(name))
            except Exception:   # the mismatch is what we report; the object goes on the retry
                pass
            raise StoreError(f"{self.url_of(name)}: uploaded bytes have SHA-256 {got[:16]}…, "
                             f"the sealed file {sha256[:16]}…; not marked as stored")

    def sha256(self, name: str) -> str:
        """SHA-256 of the stored object, streamed."""
        h = hashlib.sha256()
        with self.blob(name).open() as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()


class S3Blob:
    """One object, read by byte range."""

    def __init__(self, backend: S3Backend, name: str) -> None:
        self.backend = backend
        self.name = name
        self._size: int | None = None

    def __str__(self) -> str:
        return self.backend.url_of(self.name)

    def size(self) -> int:
        if self._size is None:
            b = self.backend
            head = b._call(f"reading {self}", b.client.head_object, Bucket=b.bucket, Key=b.key(self.name))
            self._size = int(head["ContentLength"])
        return self._size

    def read_range(self, offset: int, length: int) -> bytes:
        if length <= 0:
            return b""
        b = self.backend
        from botocore.exceptions import ClientError

        try:
            resp = b.client.get_object(Bucket=b.bucket, Key=b.key(self.name),
                                       Range=f"bytes={offset}-{offset + length - 1}")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return b""   # wholly past the end, as a local read would be
            return b._call(f"reading {self} at byte {offset}", _raise, exc)
        except Exception as exc:
            return b._call(f"reading {self} at byte {offset}", _raise, exc)
        with resp["Body"] as body:
            return body.read()

    def open(self) -> BinaryIO:
        return io.BufferedReader(_RangeStream(self), buffer_size=STREAM_WINDOW)


def _raise(exc: Exception):
    raise exc


class _RangeStream(io.RawIOBase):
    """A seekable raw stream over an object: each read is a ranged GET."""

    def __init__(self, blob: S3Blob) -> None:
        self.blob = blob
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            self.pos = offset
        elif whence == 1:
            self.pos += offset
        else:
            self.pos = self.blob.size() + offset
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, b) -> int:
        want = len(b)
        if want == 0 or self.pos >= self.blob.size():
            return 0
        data = self.blob.read_range(self.pos, want)
        b[:len(data)] = data
        self.pos += len(data)
        return len(data)
