"""``archive keys``: make a signing key pair and sign the ledger head.

Loaded only when the ``keys`` command is used (see ``_Commands`` in :mod:`archive.cli`),
since :mod:`archive.provenance.keys` brings cryptography with it.
"""

from __future__ import annotations

import click

from archive import SIGNING_KEY_ENV
from archive.cli.options import handle_errors, store_options
from archive.errors import UsageError
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

    Where the index holds the chains of several writers (capture machines writing into
    one bucket, imported here), also sign one root over the head of every chain: the
    root says each chain it lists is this archive's, so check them first (`archive
    verify --all`); a chain that forks or breaks is refused. Chains that appear later
    fail `verify --all` until the next root covers them.

    \b
    Example:
        archive --warcs s3://news-archive/warcs import s3://news-archive/warcs
        archive --warcs s3://news-archive/warcs keys sign --key keys/archive-signing.key
    """
    from archive.provenance import ledger
    from archive.store import Store

    private_key = load_private_key(key_path)
    with Store(db, warcs) as store:
        try:
            head = ledger.sign_head(store, private_key)
            click.echo(f"signed ledger head: {head['seq']} entries, root {head['merkle_root']}, "
                       f"key {head['key_id'][:16]}")
        except UsageError:
            if not ledger.chains(store):
                raise
            # This index wrote nothing itself: the chains it imported are what there is to sign.
        if len(ledger.chains(store)) > 1:
            root = ledger.sign_root(store, private_key)
            click.echo(f"signed root over {len(root['chains'])} chains, key {root['key_id'][:16]}:")
            for c in root["chains"]:
                click.echo(f"  {c['writer']:<20} chain {c['chain'][:16]}  {c['seq']:>8} entries  "
                           f"head {c['entry_hash'][:16]}")
