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
@click.option("--sign", is_flag=True,
              help="Sign the package (anonymous form of the WACZ signing spec, which ReplayWeb.page "
                   "checks) with the archive's ECDSA P-384 WACZ key, keys/archive-wacz.key (next to "
                   "$ARCHIVE_SIGNING_KEY when set), made on first use.")
@click.option("--sign-key", type=click.Path(dir_okay=False),
              help="Sign with this ECDSA key instead (made there if missing); implies --sign.")
@click.option("--domain-cert", type=click.Path(dir_okay=False, exists=True),
              help="Sign in the spec's domain form, which `wacz validate --verify-auth` checks: the "
                   "PEM certificate chain (leaf first) of a TLS certificate for your domain.")
@click.option("--domain-key", type=click.Path(dir_okay=False, exists=True),
              help="The ECDSA private key of --domain-cert.")
@click.option("--timestamp-url", help="RFC 3161 timestamp authority for the domain form.")
@click.option("--timestamp-cert", type=click.Path(dir_okay=False, exists=True),
              help="The timestamp authority's PEM certificate chain, leaf first.")
@click.option("--title", help="Title of the package.")
@store_options
def wacz_command(file, page, citation, sign, sign_key, domain_cert, domain_key, timestamp_url,
                 timestamp_cert, title, db, warcs):
    """Write a WACZ 1.1.1 package (opens in ReplayWeb.page), signed on request.

    \b
    Examples:
        archive export wacz fire.wacz --citation c-83a2aafb5b607accd2b9 --sign
        archive export wacz site.wacz --domain-cert fullchain.pem --domain-key privkey.pem \\
            --timestamp-url https://freetsa.org/tsr --timestamp-cert tsa-chain.pem
    """
    from archive.store import Store

    signer = _signer(sign, sign_key, domain_cert, domain_key, timestamp_url, timestamp_cert)
    require_db(db)
    bars = FileProgress("Exporting")
    try:
        with Store(db, warcs, recover=False) as store:
            r = export_wacz(store, file, page=page, citation=citation, signer=signer, title=title,
                            progress=bars)
    finally:
        bars.close()
    click.echo(f"wrote {r['path']}: {len(r['files'])} files, {r['records']} index lines"
               + (", signed" if r["signed"] else ""))


def _signer(sign, sign_key, domain_cert, domain_key, timestamp_url, timestamp_cert):
    from archive.errors import UsageError

    domain = [domain_cert, domain_key, timestamp_url, timestamp_cert]
    if any(domain):
        if not all(domain):
            raise UsageError("the domain form needs --domain-cert, --domain-key, --timestamp-url "
                             "and --timestamp-cert")
        if sign or sign_key:
            raise UsageError("give --sign/--sign-key or the domain form's options, not both")
        from archive.provenance.waczauth import DomainSigner

        return DomainSigner.from_files(domain_key, domain_cert, timestamp_url, timestamp_cert)
    if not (sign or sign_key):
        return None
    from archive.provenance.keys import WACZ_PUBLIC_NAME, wacz_signing_key
    from archive.provenance.waczauth import AnonymousSigner

    key, path, made = wacz_signing_key(sign_key)
    if made:
        click.echo(f"made the WACZ signing key {path} (mode 0600) and its public key "
                   f"{path.with_suffix('.pub') if path.suffix == '.key' else WACZ_PUBLIC_NAME}: "
                   "publish the public key so readers can tell your packages apart", err=True)
    return AnonymousSigner(key)


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
