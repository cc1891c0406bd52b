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


# Keys Datasette 1.0 reads from its configuration (``datasette.yaml``, ``config=``) and no
# longer from metadata; 0.65 reads them all from metadata.
CONFIG_KEYS = ("queries", "plugins", "allow", "allow_sql", "permissions", "fts_table", "fts_pk",
               "searchmode", "sort", "sort_desc", "sortable_columns", "facets", "facet_size",
               "hidden", "label_column", "size", "units")


def datasette_major() -> int:
    """The installed Datasette's major version: 0 (0.65.x) or 1 (1.0 and its alphas)."""
    from datasette.version import __version__

    return int(__version__.split(".", 1)[0])


def split_metadata(metadata: dict, major: int | None = None) -> tuple[dict, dict | None]:
    """``(metadata, config)`` for the installed Datasette: on 1.0 the canned queries,
    plugin settings, permissions and table options move from the metadata to the
    configuration (where 1.0 reads them; left in metadata it ignores them); on 0.65
    everything stays in the metadata and there is no configuration.

    >>> meta = {"title": "t", "plugins": {"archive": {}},
    ...         "databases": {"archive": {"description": "d", "queries": {"q": "select 1"},
    ...                                   "tables": {"texts": {"description": "x", "fts_table": "f"}}}}}
    >>> split_metadata(meta, major=0) == (meta, None)
    True
    >>> m, c = split_metadata(meta, major=1)
    >>> c
    {'plugins': {'archive': {}}, 'databases': {'archive': {'queries': {'q': 'select 1'}, 'tables': {'texts': {'fts_table': 'f'}}}}}
    >>> m
    {'title': 't', 'databases': {'archive': {'description': 'd', 'tables': {'texts': {'description': 'x'}}}}}
    """
    if (datasette_major() if major is None else major) < 1:
        return metadata, None

    def split(level: dict) -> tuple[dict, dict]:
        meta = {k: v for k, v in level.items() if k not in CONFIG_KEYS}
        conf = {k: v for k, v in level.items() if k in CONFIG_KEYS}
        return meta, conf

    meta, config = split(metadata)
    for dbname, db in (metadata.get("databases") or {}).items():
        db_meta, db_conf = split({k: v for k, v in db.items() if k != "tables"})
        tables_meta, tables_conf = {}, {}
        for tname, table in (db.get("tables") or {}).items():
            tables_meta[tname], t_conf = split(table)
            if t_conf:
                tables_conf[tname] = t_conf
        if "tables" in db:
            db_meta["tables"] = tables_meta
        if tables_conf:
            db_conf["tables"] = tables_conf
        meta.setdefault("databases", {})[dbname] = db_meta
        if db_conf:
            config.setdefault("databases", {})[dbname] = db_conf
    return meta, config


def datasette_files(metadata_path: str | Path) -> tuple[Path, Path | None]:
    """The metadata file, and on Datasette 1.0 a configuration file, to pass to
    ``datasette serve`` for ``metadata_path`` (written beside a temporary copy: the
    project's file serves both versions)."""
    import hashlib
    import json
    import tempfile

    import yaml

    metadata_path = Path(metadata_path)
    text = metadata_path.read_text("utf-8")
    meta, config = split_metadata(yaml.safe_load(text) or {})
    if config is None:
        return metadata_path, None
    tag = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"archive-store-datasette-{os.getuid()}-{tag}"
    out.mkdir(parents=True, exist_ok=True)
    meta_file, config_file = out / "metadata.json", out / "datasette.json"
    for path, data in ((meta_file, meta), (config_file, config)):
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
        os.replace(tmp, path)
    return meta_file, config_file


def datasette_args(db: str, host: str, port: int, metadata_path: str | None = None,
                   base_url: str | None = None) -> list[str]:
    """The ``datasette serve`` command line. A public ``base_url`` with a path
    (``https://example.org/archive``) becomes Datasette's ``base_url`` setting
    (``/archive/``), so that the pages' own links carry the prefix a reverse proxy expects."""
    args = [sys.executable, "-m", "datasette", "serve", str(db), "--host", host, "--port", str(port)]
    meta = metadata_path or metadata_file()
    if meta:
        meta_file, config_file = datasette_files(meta)
        args += ["--metadata", str(meta_file)]
        if config_file is not None:
            args += ["--config", str(config_file)]
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
    # (-c, not -m archive.web.replay: the package imports that module first, and runpy
    # would run a second copy of it, with a RuntimeWarning on every start)
    return subprocess.Popen([sys.executable, "-c", "from archive.web.replay import main; main()",
                             str(Path(db).resolve()),
                             str(Path(warcs).resolve()), str(replay_port), app_origins, str(os.getpid())],
                            env=env, stdin=subprocess.DEVNULL)


def run_datasette(db: str, warcs: str, host: str = "127.0.0.1", port: int = 8001,
                  metadata_path: str | None = None, wait: bool = True,
                  base_url: str | None = None, replay_port: int = 0,
                  workers: int = 1) -> subprocess.Popen | int:
    """Serve ``db`` with Datasette. ``base_url``, the public address readers use, is stored
    in the store's settings file (``archive.toml``) so that ``archive cite`` and later
    ``archive serve`` runs use it too; without it, the stored one (if any) applies. With
    ``workers`` above 1, that many Datasette processes share the port
    (:mod:`archive.web.prefork`)."""
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
    if workers > 1:
        # [python, -m, datasette, serve, ...] -> [python, -m, archive.web.prefork, N, serve, ...]
        args = [args[0], "-m", "archive.web.prefork", str(workers), *args[3:]]
    if wait:
        # Become Datasette: signals (SIGTERM from a supervisor, Ctrl-C) reach it
        # directly and no orphan is left holding the port.
        os.execve(args[0], args, env)
    return subprocess.Popen(args, env=env)
