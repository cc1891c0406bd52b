"""Starting Datasette over the index with the project's plugin and metadata.

The plugin (``archive.web.pages``) is registered through the ``datasette`` entry
point, so plain ``datasette archive.db`` loads it too; ``archive serve`` adds the
metadata, safe settings and tells the plugin where ``warcs/`` is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from archive.config import check_base_url, read_config, write_config
from archive.errors import UsageError

# Limits that keep one expensive query from starving everyone else (RELIABILITY.md).
SETTINGS = {
    "sql_time_limit_ms": "1000",
    "max_returned_rows": "1000",
    "facet_time_limit_ms": "200",
    "facet_suggest_time_limit_ms": "100",
    "allow_download": "off",
    # Facet suggestions cost up to 100 ms per column on every table page (bench/).
    "suggest_facets": "off",
}


def metadata_file() -> Path | None:
    """The project's ``metadata.yml``: shipped in the package (``archive/web/metadata.yml``,
    in a checkout a link to the top-level file that the design card names)."""
    candidate = Path(__file__).parent / "metadata.yml"
    return candidate if candidate.exists() else None


def datasette_args(db: str, host: str, port: int, metadata_path: str | None = None,
                   base_url: str | None = None) -> list[str]:
    """The ``datasette serve`` command line. A public ``base_url`` with a path
    (``https://example.org/archive``) becomes Datasette's ``base_url`` setting
    (``/archive/``), so that the pages' own links carry the prefix a reverse proxy expects."""
    args = [sys.executable, "-m", "datasette", "serve", str(db), "--host", host, "--port", str(port)]
    meta = metadata_path or metadata_file()
    if meta:
        args += ["--metadata", str(meta)]
    for k, v in SETTINGS.items():
        args += ["--setting", k, v]
    prefix = urlsplit(base_url).path.strip("/") if base_url else ""
    if prefix:
        args += ["--setting", "base_url", f"/{prefix}/"]
    return args


def start_replay(db: str, warcs: str, app_host: str, app_port: int, replay_port: int,
                 env: dict) -> subprocess.Popen:
    """Start the replay origin (:mod:`archive.web.replay`) as a child process that ends
    when its parent does, and note its origin in ``env`` for the app's pages."""
    from archive.web.replay import replay_origin_for

    origin = env.get("ARCHIVE_REPLAY_ORIGIN") or replay_origin_for(app_host, replay_port)
    env["ARCHIVE_REPLAY_ORIGIN"] = origin
    app_origins = " ".join(f"http://{h}:{app_port}" for h in sorted({app_host, "127.0.0.1", "localhost"})
                           if h != "0.0.0.0")
    return subprocess.Popen([sys.executable, "-m", "archive.web.replay", str(Path(db).resolve()),
                             str(Path(warcs).resolve()), str(replay_port), app_origins],
                            env=env, stdin=subprocess.DEVNULL)


def run_datasette(db: str, warcs: str, host: str = "127.0.0.1", port: int = 8001,
                  metadata_path: str | None = None, wait: bool = True,
                  base_url: str | None = None, replay_port: int = 0) -> subprocess.Popen | int:
    """Serve ``db`` with Datasette. ``base_url``, the public address readers use, is stored
    in the store's settings file (``archive.toml``) so that ``archive cite`` and later
    ``archive serve`` runs use it too; without it, the stored one (if any) applies."""
    if not Path(db).exists():
        raise UsageError(f"{db} does not exist: capture or import something first")
    if base_url:
        write_config(db, base_url=check_base_url(base_url))
    base_url = read_config(db).get("base_url")
    env = dict(os.environ)
    env["ARCHIVE_WARCS"] = warcs if str(warcs).startswith("s3://") else str(Path(warcs).resolve())
    env["ARCHIVE_DB"] = str(Path(db).resolve())
    if base_url:
        env["ARCHIVE_BASE_URL"] = base_url
    if replay_port:
        start_replay(db, warcs, host, port, replay_port, env)
    args = datasette_args(db, host, port, metadata_path, base_url)
    if wait:
        # Become Datasette: signals (SIGTERM from a supervisor, Ctrl-C) reach it
        # directly and no orphan is left holding the port.
        os.execve(args[0], args, env)
    return subprocess.Popen(args, env=env)
