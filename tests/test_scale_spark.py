"""The Spark job derives the same index as the single-machine path, row for row.

Spark runs in local mode (PySpark from PyPI, Java 17 from Debian), started by the test;
skipped with a reason where Java or PySpark is missing (CI installs both)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archive.capture.http import Fetcher
from archive.provenance.cite import cite
from archive.site import publish_edition
from archive.store import Store

from .scale_servers import java_or_skip

# table: the columns that identify a row (the comparison is of whole rows, in this order)
TABLES = {
    "captures": "record_id",
    "snapshots": "sha256",
    "pages": "url",
    "texts": "sha256",
    "versions": "page_url, version",
    "quotes": "text_sha256, n",
    "figures": "text_sha256, n",
    "changes": "page_url, to_version, n",
}


def dump(db: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(db)
    out = {t: con.execute(f"SELECT * FROM {t} ORDER BY {order}").fetchall() for t, order in TABLES.items()}
    out["warc_files"] = con.execute("SELECT name, size, records, sha256 FROM warc_files ORDER BY name").fetchall()
    out["fts"] = con.execute("SELECT rowid, title FROM texts_fts WHERE texts_fts MATCH 'homes' "
                             "ORDER BY title").fetchall()
    con.close()
    return out


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """WARC files from two capture processes (two machines), with an edit between them:
    versions and changes span files."""
    from archive.site import SiteServer

    import shutil

    root = tmp_path_factory.mktemp("collection")
    warcs = root / "warcs"
    with SiteServer() as site:
        urls = publish_edition(site, 0)
        with Store(root / "alpha.db", root / "alpha") as s:
            s.capture(urls, Fetcher(timeout=5))
            cite(s, urls[0], "More than 2,300 homes were evacuated overnight")
            s.warcs.close(seal=True)
        publish_edition(site, 1)
        with Store(root / "beta.db", root / "beta") as s:
            s.capture(urls + urls[:1], Fetcher(timeout=5))    # edited pages, and a revisit
            s.warcs.close(seal=True)
    # One collection, as in a bucket both machines write to.
    warcs.mkdir()
    for p in [*(root / "alpha").glob("*.warc.gz"), *(root / "beta").glob("*.warc.gz")]:
        shutil.copy(p, warcs / p.name)
    with Store(root / "reference.db", warcs) as s:
        s.reindex()
    return root


@pytest.mark.slow
def test_the_spark_job_builds_the_tables_archive_import_builds(collection, tmp_path):
    java_or_skip()
    from archive.spark.load import import_parquet
    from archive.spark.submit import run

    warcs = collection / "warcs"
    first = sorted(p.name for p in warcs.glob("*.warc.gz"))[0]
    # local[2,2]: two cores, and a failed task is tried again once. The first attempt of
    # the task reading the first file dies after reading it: its rows must not be kept.
    proc = run(str(warcs), str(tmp_path / "parquet"), "local[2,2]", job_args=["--fail-once", first])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "injected failure of the first attempt" in proc.stderr
    counts = import_parquet(tmp_path / "parquet", tmp_path / "spark.db")
    assert counts["captures"] > 0 and counts["changes"] > 0
    ours, reference = dump(tmp_path / "spark.db"), dump(collection / "reference.db")
    for table in TABLES:
        assert ours[table] == reference[table], table
    assert ours["fts"] == reference["fts"] and ours["fts"]
    # Files, sizes and record counts; the seal (sha256) is what the job hashed, where
    # reindex keeps the one the live index recorded (none here: the files were copied in).
    assert [r[:3] for r in ours["warc_files"]] == [r[:3] for r in reference["warc_files"]]
