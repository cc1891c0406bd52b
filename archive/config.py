"""Settings the store keeps beside its index: ``<db>.toml`` (``archive.toml`` for ``archive.db``).

The index is a materialised view that ``archive reindex`` rebuilds from the WARC files, so a
setting that must survive a rebuild (the public address citation links use) does not live in
it. Today the file holds one key::

    base_url = "https://cite.example.org"

``archive serve --base-url URL`` writes it; every command that makes a link (``cite``,
``serve``, the citation pages) reads it, after an explicit option or ``ARCHIVE_BASE_URL``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from archive.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Where links point when nothing says otherwise: ``archive serve``'s default address.
DEFAULT_BASE_URL = "http://127.0.0.1:8001"


def config_path(db: str | Path) -> Path:
    """The settings file of the store whose index is ``db``.

    >>> config_path("/srv/archive/archive.db").as_posix()
    '/srv/archive/archive.toml'
    """
    return Path(db).with_suffix(".toml")


def read_config(db: str | Path) -> dict:
    """The store's settings; ``{}`` when there is no file. A file that is not TOML is an
    error that names it, not a silent default."""
    path = config_path(db)
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a valid settings file ({exc})") from None


def write_config(db: str | Path, **values: str | None) -> Path:
    """Set (or, with ``None``, remove) keys in the store's settings file, atomically."""
    path = config_path(db)
    data = {**read_config(db), **values}
    data = {k: v for k, v in data.items() if v is not None}
    # A JSON string is a valid TOML basic string (same escapes).
    text = "# archive-store settings (see archive/config.py)\n" + "".join(
        f"{k} = {json.dumps(str(v), ensure_ascii=False)}\n" for k, v in sorted(data.items()))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def check_base_url(url: str) -> str:
    """A public base URL, validated and without its trailing slash.

    >>> check_base_url("https://cite.example.org/")
    'https://cite.example.org'
    >>> check_base_url("cite.example.org")
    Traceback (most recent call last):
    ...
    archive.errors.UsageError: --base-url must be an absolute http(s) URL such as https://cite.example.org, not 'cite.example.org'
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise UsageError("--base-url must be an absolute http(s) URL such as "
                         f"https://cite.example.org, not {url!r}")
    return url.strip().rstrip("/")


def base_url(db: str | Path | None, given: str | None = None) -> str:
    """The address links are made with: ``given``, else env ``ARCHIVE_BASE_URL``, else the
    store's settings file, else :data:`DEFAULT_BASE_URL`."""
    for candidate in (given, os.environ.get("ARCHIVE_BASE_URL"),
                      read_config(db).get("base_url") if db else None):
        if candidate:
            return check_base_url(candidate)
    return DEFAULT_BASE_URL
