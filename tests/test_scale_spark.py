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
    "citations": "id",
    "ledger": "warc_file, offset, seq",
    "ledger_heads": "warc_file, offset",
    "ledger_roots": "signed_at, warc_file",
}


def dump(db: Path) -> dict[str, list[tuple]]:
    from archive.index.metadata import HEADS_TABLE

    con = sqlite3.connect(db)
    con.execute(HEADS_TABLE)   # made when the first signed head is indexed
    out = {t: con.execute(f"SELECT * FROM {t} ORDER BY {order}").fetchall() for t, order in TABLES.items()}
    out["warc_files"] = con.execute("SELECT name, size, records, sha256 FROM warc_files ORDER BY name").fetchall()
    # Which texts the full-text index finds (rowids are the order texts were loaded in,
    # not a fact of the collection: the join checks each index row points at its text).
    out["fts"] = con.execute("SELECT t.sha256, t.title FROM texts_fts f JOIN texts t ON t.rowid = f.rowid "
                             "WHERE texts_fts MATCH 'homes' ORDER BY t.sha256").fetchall()
    con.close()
    return out


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """WARC files from three capture processes (three machines), with an edit between
    them: versions and changes span files; alpha and gamma cite the same passage of the
    same snapshot, so one citation id is in two files."""
    from archive.site import SiteServer

    import shutil

    root = tmp_path_factory.mktemp("collection")
    warcs = root / "warcs"
    with SiteServer() as site:
        urls = publish_edition(site, 0)
        with Store(root / "alpha.db", root / "alpha") as s:
            s.capture(urls, Fetcher(timeout=5))
            cited = cite(s, urls[0], "More than 2,300 homes were evacuated overnight")
            s.warcs.close(seal=True)
        with Store(root / "gamma.db", root / "gamma") as s:
            s.capture(urls[:1], Fetcher(timeout=5))
            again = cite(s, urls[0], "More than 2,300 homes were evacuated overnight")
            s.warcs.close(seal=True)
        assert again["id"] == cited["id"] and again["snapshot_sha256"] == cited["snapshot_sha256"]
        publish_edition(site, 1)
        with Store(root / "beta.db", root / "beta") as s:
            s.capture(urls + urls[:1], Fetcher(timeout=5))    # edited pages, and a revisit
            s.warcs.close(seal=True)
    # One collection, as in a bucket both machines write to.
    warcs.mkdir()
    for p in [p for m in ("alpha", "beta", "gamma") for p in (root / m).glob("*.warc.gz")]:
        shutil.copy(p, warcs / p.name)
    write_wget_like_files(warcs)
    with Store(root / "reference.db", warcs) as s:
        s.reindex()
    return root


def _member(writer_class, rec_args: dict) -> bytes:
    """One record as one gzip member."""
    import io

    buf = io.BytesIO()
    w = writer_class(buf, gzip=True, warc_version="WARC/1.1")
    kind = rec_args.pop("kind")
    if kind == "revisit":
        rec = w.create_revisit_record(**rec_args)
    else:
        rec = w.create_warc_record(rec_args.pop("uri"), kind, **rec_args)
    w.write_record(rec)
    return buf.getvalue()


def _response(rid: str, url: str, date: str, html: str) -> dict:
    import io

    from warcio.statusandheaders import StatusAndHeaders

    body = html.encode("utf-8")
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                       ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
    return {"kind": "response", "uri": url, "payload": io.BytesIO(body), "length": len(body),
            "http_headers": http, "warc_headers_dict": {"WARC-Record-ID": rid, "WARC-Date": date}}


def _page(title: str, text: str) -> str:
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"<p>{text}</p><p>Officials said 40 roads were closed and 1,200 people left.</p></article>"
            "</body></html>")


def write_wget_like_files(warcs: Path) -> None:
    """Two files as other tools write them, imported into the collection: a record id
    repeated within a file and across files (wget), the same record in both files (the
    same crawl imported twice), and a revisit that names its original only by a SHA-1
    payload digest and its URL on the other scheme (Heritrix/warcprox deduplication)."""
    import base64
    import hashlib

    from warcio.warcwriter import WARCWriter

    from archive.warc.writer import Sha256WARCWriter

    original = _page("Flood update", "More than 2,300 homes were evacuated overnight.")
    same = _member(WARCWriter, _response("<urn:uuid:5a5a5a5a-0000-4000-8000-000000000005>",
                                         "http://example.net/same", "2026-11-02T09:00:00Z",
                                         _page("Same record", "Imported twice, indexed once.")))
    dup = "<urn:uuid:d0d0d0d0-0000-4000-8000-00000000000d>"
    a = b"".join([
        _member(WARCWriter, _response(dup, "http://example.net/dup/one", "2026-11-01T08:00:00Z",
                                      _page("First", "The first record with this id."))),
        _member(WARCWriter, _response(dup, "http://example.net/dup/two", "2026-11-01T08:00:01Z",
                                      _page("Second", "wget wrote the same id again."))),
        _member(Sha256WARCWriter, _response("<urn:uuid:0f0f0f0f-0000-4000-8000-00000000000f>",
                                            "http://example.net/dedup", "2026-11-01T08:00:02Z", original)),
        same,
    ])
    sha1 = base64.b32encode(hashlib.sha1(original.encode("utf-8")).digest()).decode("ascii")
    from warcio.statusandheaders import StatusAndHeaders

    b = b"".join([
        _member(WARCWriter, _response(dup, "http://example.net/dup/three", "2026-11-03T08:00:00Z",
                                      _page("Third", "A third record, in another file, same id."))),
        same,
        _member(WARCWriter, {"kind": "revisit", "uri": "https://example.net/dedup",
                             "digest": f"sha1:{sha1}", "refers_to_uri": "http://example.net/dedup",
                             "refers_to_date": "2026-11-01T08:00:02Z",
                             "http_headers": StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                                              protocol="HTTP/1.1"),
                             "warc_headers_dict": {"WARC-Record-ID": "<urn:uuid:7e7e7e7e-0000-4000-8000-00000000007e>",
                                                   "WARC-Date": "2026-11-04T08:00:00Z"}}),
    ])
    (warcs / "import-00000000000000a1-wget-a.warc.gz").write_bytes(a)
    (warcs / "import-00000000000000b2-wget-b.warc.gz").write_bytes(b)


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
    # The corpus holds what the merge across files must get right, as reindex does.
    keys = {r[0] for r in reference["captures"]}
    dup = "urn:uuid:d0d0d0d0-0000-4000-8000-00000000000d"
    assert {k for k in keys if dup in k} == {
        f"<{dup}>", f"<{dup}#import-00000000000000a1-wget-a.warc.gz@{_offsets(warcs, 'a')[1]}>",
        f"<{dup}#import-00000000000000b2-wget-b.warc.gz@0>"}
    assert sum("5a5a5a5a" in k for k in keys) == 1
    revisit = next(r for r in reference["captures"] if "7e7e7e7e" in r[0])
    assert revisit[10] is not None                     # payload_sha256: resolved by its SHA-1
    # One citation id in alpha's and gamma's files (the first of them read by the task
    # that failed once): one row, the one reindex keeps, from the file it reads last (its
    # own files in name order; the two machines' names differ by a random token when
    # they were written in the same second, so which machine's is last varies).
    [cited] = [r for r in reference["citations"]]
    holders = {p.name for m in ("alpha", "gamma") for p in (collection / m).glob("*.warc.gz")}
    assert cited[14] == max(holders), (cited, sorted(holders))
    import pyarrow.parquet as pq
    ids = pq.read_table(tmp_path / "parquet" / "citations").column("id").to_pylist()
    assert ids == [cited[0]]
    for table in TABLES:
        assert ours[table] == reference[table], table
    assert ours["fts"] == reference["fts"] and ours["fts"]
    # Files, sizes and record counts; the seal (sha256) is what the job hashed, where
    # reindex keeps the one the live index recorded (none here: the files were copied in).
    assert [r[:3] for r in ours["warc_files"]] == [r[:3] for r in reference["warc_files"]]


def _offsets(warcs: Path, which: str) -> list[int]:
    from archive.warc.reader import Found, iter_records

    [path] = warcs.glob(f"import-*-wget-{which}.warc.gz")
    return [i.offset for i in iter_records(path) if isinstance(i, Found)]


def test_import_parquet_refuses_two_rows_for_one_key_and_loads_nothing(tmp_path):
    """Parquet whose table holds one citation id twice (parts of two runs copied into
    one directory) is not the job's output: a clear error, and the index is left as it was."""
    pa = pytest.importorskip("pyarrow", reason="the spark extra is not installed")
    import pyarrow.parquet as pq

    from archive.errors import UsageError
    from archive.spark.load import import_parquet

    out = tmp_path / "parquet" / "citations"
    out.mkdir(parents=True)
    for part, where in (("part-00000.parquet", "a.warc.gz"), ("part-00001.parquet", "b.warc.gz")):
        pq.write_table(pa.table({"id": ["c-0123456789abcdef0123"], "warc_file": [where], "offset": [0]}),
                       out / part)
    (out / "_SUCCESS").write_bytes(b"")
    db = tmp_path / "archive.db"
    db.write_bytes(b"the index before")
    with pytest.raises(UsageError, match="two rows for one key"):
        import_parquet(tmp_path / "parquet", db)
    assert db.read_bytes() == b"the index before"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
