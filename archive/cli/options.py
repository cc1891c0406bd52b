"""Option decorators and error handling shared by every command module (kept apart to
avoid import cycles)."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
from typing import Any

import click

from archive.errors import ArchiveError, PassageNotFound


def _from_group(ctx: click.Context, param: click.Parameter, value):
    """A subcommand's --db/--warcs, or else the one given before the command."""
    if value is not None:
        return value
    env = {"db": "ARCHIVE_DB", "warcs": "ARCHIVE_WARCS"}[param.name]
    return ctx.find_root().params.get(param.name) or os.environ.get(env) or param.metavar


def store_options(fn):
    """``--db`` and ``--warcs``, shared by every command that opens the store.

    They are global options of ``archive`` (``archive --db my.db capture URL``, as the
    command-line contract has it) and may also follow the command.
    """
    fn = click.option("--warcs", "warcs", default=None, callback=_from_group, metavar="warcs",
                      type=click.Path(file_okay=False),
                      help="Directory of WARC files (default: warcs, env ARCHIVE_WARCS).")(fn)
    fn = click.option("--db", "db", default=None, callback=_from_group, metavar="archive.db",
                      type=click.Path(dir_okay=False),
                      help="SQLite index (default: archive.db, env ARCHIVE_DB).")(fn)
    return fn


def handle_errors(fn):
    """Turn expected failures into a message and exit status 2 (1 for failed checks)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PassageNotFound as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except ArchiveError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except sqlite3.DatabaseError as exc:
            # A backstop: the index is not what this version expects. It can always be
            # rebuilt from the WARC files, which this error never touches.
            click.echo(f"Error: the index cannot be used ({exc}); rebuild it from the WARC files "
                       "with `archive reindex`", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
    return wrapper


JSON_HELP = "Print JSON lines, one object per item."


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help=JSON_HELP)(fn)


def open_store(db: str, warcs: str, must_exist: bool | None = None, **kwargs):
    """The store, for a command. A command that only reads (``recover=False``), or that
    needs what is already stored (``must_exist``), refuses a database that does not exist,
    rather than creating an empty one under a mistyped name."""
    from archive.store import Store

    if must_exist is None:
        must_exist = kwargs.get("recover") is False
    if must_exist:
        require_db(db)
    return Store(db, warcs, **kwargs)


def require_db(db: str) -> None:
    """Refuse a missing index with a message that says what to do (exit status 2)."""
    from pathlib import Path

    from archive.errors import UsageError

    if not Path(db).exists():
        raise UsageError(f"{db} does not exist (nothing captured or imported there yet); "
                         "check --db / ARCHIVE_DB, or start with `archive capture URL`")


def emit(obj: dict, as_json: bool, human: str | None = None) -> None:
    if as_json:
        click.echo(json.dumps(obj, ensure_ascii=False, default=str))
    elif human is not None:
        click.echo(human)


class FileProgress:
    """Progress bars on stderr, one per WARC file being indexed, for a person at a terminal.

    Quiet (``enabled`` False) when stderr is not a terminal or the output is JSON, so that
    scripts and logs get only the results. Use as ``store.on_progress = bars`` and close it.
    """

    def __init__(self, label: str, as_json: bool = False):
        self.label = label
        self.enabled = sys.stderr.isatty() and not as_json
        self._bar: Any = None
        self._name: str | None = None
        self._pos = 0

    def __call__(self, name: str, done: int, size: int) -> None:
        if not self.enabled:
            return
        if name != self._name:
            self.close()
            self._name, self._pos = name, 0
            self._bar = click.progressbar(length=max(size, 1), label=f"{self.label} {name}", file=sys.stderr)
            self._bar.__enter__()
        step = max(0, min(done, max(size, 1)) - self._pos)
        self._bar.update(step)
        self._pos += step

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
