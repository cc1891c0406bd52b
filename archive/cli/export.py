"""``archive export``: write the archive as a WACZ package or a CDXJ index.

Loaded only when the ``export`` command is used (see ``_Commands`` in :mod:`archive.cli`),
since :mod:`archive.export` brings zipfile with it.
"""

from __future__ import annotations

import sys

import click

from archive.cli.options import FileProgress, handle_errors, require_db, store_options
from archive.export import export_cdxj, export_wacz


@click.group("export")
def export_cli():
    """Export the archive as a WACZ package or a CDXJ index."""


@export_cli.command("wacz")
@handle_errors
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--page", help="Only the captures of this page.")
@click.option("--citation", help="Only the records behind this citation, with its proof.")
@click.option("--key", "key_path", type=click.Path(dir_okay=False, exists=True),
              help="Sign datapackage-digest.json with this Ed25519 private key.")
@click.option("--title", help="Title of the package.")
@store_options
def wacz_command(file, page, citation, key_path, title, db, warcs):
    """Write a WACZ 1.1.1 package (opens in ReplayWeb.page).

    \b
    Example:
        archive export wacz fire.wacz --citation c-83a2aafb5b607accd2b9 --key keys/archive-signing.key
    """
    from archive.provenance.keys import load_private_key
    from archive.store import Store

    key = load_private_key(key_path) if key_path else None
    require_db(db)
    bars = FileProgress("Exporting")
    try:
        with Store(db, warcs, recover=False) as store:
            r = export_wacz(store, file, page=page, citation=citation, private_key=key, title=title,
                            progress=bars)
    finally:
        bars.close()
    click.echo(f"wrote {r['path']}: {len(r['files'])} files, {r['records']} index lines"
               + (", signed" if r["signed"] else ""))


@export_cli.command("cdxj")
@handle_errors
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@store_options
def cdxj_command(file, db, warcs):
    """Write a sorted CDXJ index of every WARC file (to stdout without FILE).

    \b
    Example:
        archive export cdxj index.cdxj
    """
    from archive.store import Store

    require_db(db)
    with Store(db, warcs, recover=False) as store:
        if file:
            with open(file, "w", encoding="utf-8") as out:
                n = export_cdxj(store, out)
            click.echo(f"wrote {n} lines to {file}", err=True)
        else:
            export_cdxj(store, sys.stdout)
