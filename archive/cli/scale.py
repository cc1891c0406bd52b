"""``archive spark`` and ``archive import-parquet``: the index of a large collection built by
Spark, then served from SQLite as usual."""

from __future__ import annotations

import json
import sys

import click

from archive.cli.options import emit, handle_errors, json_option


@click.command("spark")
@click.argument("source")
@click.option("--out", required=True, help="Directory (or s3a:// URL on a cluster) the Parquet tables go to.")
@click.option("--master", default=None, help="Spark master URL (default: spark-submit's, local[*]).")
@click.option("--conf", "confs", multiple=True, metavar="KEY=VALUE", help="Spark setting passed to spark-submit.")
@json_option
@handle_errors
def spark_cmd(source, out, master, confs, as_json):
    """Derive the index of a WARC collection with Apache Spark, as Parquet tables.

    SOURCE is a directory of WARC files or s3://bucket/prefix. Runs spark-submit on the
    job module the package ships (archive/spark/job.py), one task per WARC file,
    with the same indexing and extraction code as `archive import`. Load the result with
    `archive import-parquet OUT`, or query it in place with DuckDB.

    \b
    Example:
        archive spark s3://news-archive/warcs --out index-parquet --master 'local[2]'
        archive --db archive.db import-parquet index-parquet
    """
    from archive.spark.submit import run

    extra = [a for kv in confs for a in ("--conf", kv)]
    proc = run(source, out, master, extra)
    if proc.returncode != 0:
        click.echo(proc.stderr[-4000:], err=True)
        click.echo(f"Error: spark-submit exited with status {proc.returncode}", err=True)
        sys.exit(1)
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    emit(summary, as_json, f"{out}: " + ", ".join(f"{t} {n}" for t, n in summary["rows"].items()))


@click.command("import-parquet")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--db", "db", default=None, envvar="ARCHIVE_DB", type=click.Path(dir_okay=False),
              help="SQLite index to replace (default: archive.db, env ARCHIVE_DB).")
@json_option
@handle_errors
def import_parquet_cmd(directory, db, as_json):
    """Load the Parquet tables written by `archive spark` into the SQLite index.

    The index is rebuilt beside the old one and swapped in, ready for `archive serve`.

    \b
    Example:
        archive --db archive.db import-parquet index-parquet
    """
    from archive.spark.load import import_parquet

    db = db or click.get_current_context().find_root().params.get("db") or "archive.db"
    counts = import_parquet(directory, db)
    emit({"db": db, "rows": counts}, as_json,
         f"{db}: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
