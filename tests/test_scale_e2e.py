"""Issue 20's "Done when", as one run on one machine: SeaweedFS and Spark started by the
test; two capture processes (two machines) write into one bucket, one of them cites a
passage; the Spark job derives the index from the bucket; `import-parquet` loads it; the
citation page reads its bytes from the bucket; `verify --all` passes; and the Spark
tables equal those the single-machine path (`archive import s3://…`) builds.

Needs Java and PySpark and ``weed``: skipped with a reason where one is missing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive.site import publish_edition

from .scale_servers import java_or_skip
from .test_scale_s3 import bucket, objects, s3, settle  # noqa: F401  (fixtures)
from .test_scale_spark import TABLES, dump

pytest.importorskip("boto3", reason="the s3 extra is not installed (pip install 'archive-store[s3]')")

ROOT = Path(__file__).resolve().parents[1]
PASSAGE = "More than 2,300 homes were evacuated overnight"


@pytest.mark.slow
def test_two_machines_a_bucket_spark_import_parquet_a_citation_page_and_verify(  # noqa: F811
        tmp_path, site, s3, bucket, monkeypatch):  # noqa: F811
    java_or_skip()
    location = f"s3://{bucket}/warcs"
    archive = str(Path(sys.executable).parent / "archive")

    def on(name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([archive, "--db", str(tmp_path / f"{name}.db"), "--warcs", location,
                               "--staging", str(tmp_path / name), *args],
                              env=dict(os.environ, ARCHIVE_MACHINE=name), capture_output=True, text=True)
        if check:
            assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    # Two machines capture into the bucket, with an edit of the site between them; alpha cites.
    urls = publish_edition(site, 0)
    on("alpha", "capture", *urls)
    cid = json.loads(on("alpha", "cite", urls[0], PASSAGE, "--json").stdout.splitlines()[0])["id"]
    settle(tmp_path / "alpha.db")
    publish_edition(site, 1)
    on("beta", "capture", *urls)
    settle(tmp_path / "beta.db")
    names = objects(s3, bucket)
    assert any("-alpha-" in n for n in names) and any("-beta-" in n for n in names), names

    # The single-machine path: one index of everything in the bucket, a signed root.
    on("single", "import", location)
    settle(tmp_path / "single.db")
    keys = tmp_path / "keys"
    subprocess.run([archive, "keys", "generate", "--dir", str(keys)], check=True, capture_output=True)
    on("single", "keys", "sign", "--key", str(keys / "archive-signing.key"))

    # The Spark job over the bucket, loaded into the serving index.
    parquet = tmp_path / "parquet"
    proc = subprocess.run([archive, "spark", location, "--out", str(parquet), "--master", "local[2]", "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    on("spark", "import-parquet", str(parquet))

    # The tables equal the single-machine path's, row for row.
    ours, reference = dump(tmp_path / "spark.db"), dump(tmp_path / "single.db")
    for table in TABLES:
        assert ours[table] == reference[table], table
    assert any(r[0] == cid for r in ours["citations"])

    # The citation page of the Spark-built index reads its bytes from the bucket.
    from .test_datasette import datasette_for

    monkeypatch.setenv("ARCHIVE_WARCS", location)
    monkeypatch.setenv("ARCHIVE_STAGING", str(tmp_path / "spark"))
    monkeypatch.setenv("ARCHIVE_PUBLIC_KEY", str(keys / "archive-signing.pub"))
    ds = datasette_for(tmp_path / "spark.db")
    page = asyncio.run(ds.client.get(f"/-/cite/{cid}"))
    assert page.status_code == 200, page.text
    assert "status-verified" in page.text and PASSAGE in page.text
    data = asyncio.run(ds.client.get(f"/-/cite/{cid}.json")).json()
    assert not list((tmp_path / "spark").glob("*.warc.gz"))      # nothing local: read from the bucket
    assert data["provenance"]["warc_file"] in {n.split("/", 1)[1] for n in names}

    # verify --all passes, against the archive's pinned key, on both indexes.
    for name in ("single", "spark"):
        proc = on(name, "verify", "--all", "--json", "--public-key", str(keys / "archive-signing.pub"), check=False)
        checks = [json.loads(line) for line in proc.stdout.splitlines()]
        assert proc.returncode == 0, (name, [c for c in checks if c.get("ok") is False])
