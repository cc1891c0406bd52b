"""``archive keys``: make a signing key pair and sign the ledger head.

Loaded only when the ``keys`` command is used (see ``_Commands`` in :mod:`archive.cli`),
since :mod:`archive.provenance.keys` brings cryptography with it.
"""

from __future__ import annotations

import click

from archive import SIGNING_KEY_ENV
from archive.cli.options import handle_errors, store_options
from archive.provenance.keys import (
    DEFAULT_DIR,
    key_id,
    load_private_key,
    load_public_key,
    write_key_pair,
)


@click.group("keys")
def keys_cli():
    """Ed25519 signing keys for the ledger head (WACZ exports sign with their own ECDSA key: `export wacz --sign`)."""


@keys_cli.command("generate")
@handle_errors
@click.option("--dir", "directory", default=DEFAULT_DIR, show_default=True,
              type=click.Path(file_okay=False), help="Where to write the key pair.")
@click.option("--force", is_flag=True, help="Replace an existing key pair.")
def generate_command(directory, force):
    """Make an Ed25519 key pair: a private key (mode 0600) and a public key to publish.

    \b
    Example:
        archive keys generate --dir ~/.archive-keys
        export ARCHIVE_SIGNING_KEY=~/.archive-keys/archive-signing.key
    """
    priv, pub = write_key_pair(directory, force=force)
    click.echo(f"private key: {priv} (keep it secret; mode 0600)")
    click.echo(f"public key:  {pub} (publish it: `archive verify --all` checks signatures with it)")
    click.echo(f"key id:      {key_id(load_public_key(pub))}")


@keys_cli.command("sign")
@handle_errors
@click.option("--key", "key_path", envvar=SIGNING_KEY_ENV, required=True,
              type=click.Path(dir_okay=False), help="Private key (env ARCHIVE_SIGNING_KEY).")
@store_options
def sign_command(key_path, db, warcs):
    """Sign the ledger head (size, last entry hash, Merkle root) and store the signature.

    \b
    Example:
        archive keys sign --key keys/archive-signing.key
    """
    from archive.provenance import ledger
    from archive.store import Store

    private_key = load_private_key(key_path)
    with Store(db, warcs) as store:
        head = ledger.sign_head(store, private_key)
    click.echo(f"signed ledger head: {head['seq']} entries, root {head['merkle_root']}, "
               f"key {head['key_id'][:16]}")
