"""Option decorators and the error shared by every command module (kept apart to avoid
import cycles)."""

from __future__ import annotations

import os

import click


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


class BadInput(click.ClickException):
    """An expected failure on the command line: exit status 2, as for the other commands.

    The ``keys`` and ``export`` commands raise it with the message of the library's
    :class:`~archive.errors.ArchiveError`.
    """

    exit_code = 2
