"""The Spark job: derive the index of a WARC collection and write it as Parquet.

Submit it as a file (a cluster operator can do this without the ``archive`` command)::

    spark-submit --master spark://head:7077 \\
        --archives archive-env.tar.gz#env --conf spark.pyspark.python=./env/bin/python \\
        "$(python -c 'import archive.spark.job as j; print(j.__file__)')" \\
        s3://news-archive/warcs --out s3a://news-archive/index/2026-11-29

One task per WARC file reads it (from a directory every executor sees, or from the bucket
by byte range) and runs the single-machine indexing and extraction over it
(:func:`archive.spark.tasks.index_file`); then what one file's rows make of another's is
settled as indexing them in order would: record ids found in several files, snapshots
merged by their SHA-256, revisits whose original is in another file; then one
task per group of pages numbers versions and computes changes
(:func:`archive.spark.tasks.page_tables`). Each table is written with the columns of
its SQLite table, so ``archive import-parquet`` loads it as is and DuckDB or Spark SQL
query it in place. Output is committed by Spark's file committer: a task that failed and
was retried leaves no rows behind, and ``_SUCCESS`` marks a complete table.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Iterable, Iterator


def spark_schema(table: str):
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

    from archive.spark.tasks import columns

    kinds = {"TEXT": StringType(), "INTEGER": LongType(), "REAL": DoubleType()}
    return StructType([StructField(name, kinds[kind], True) for name, kind in columns()[table]])


def _fail_first_attempt(name: str, fail_once: str | None) -> None:
    """Fault injection for the tests (``--fail-once NAME``): the first attempt of the task
    reading ``NAME`` dies after reading it, so Spark must retry it."""
    if fail_once and name == fail_once:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        if ctx is not None and ctx.attemptNumber() == 0:
            raise RuntimeError(f"injected failure of the first attempt on {name}")


def run(source: str, out: str, fail_once: str | None = None, page_partitions: int | None = None) -> dict:
    from pyspark.sql import SparkSession

    from archive.spark import tasks

    spark = SparkSession.builder.appName("archive-store index").getOrCreate()
    sc = spark.sparkContext
    names = tasks.list_files(source)
    if not names:
        raise SystemExit(f"no WARC files in {source}")

    def per_file(name: str):
        rows = tasks.index_file(source, name)
        _fail_first_attempt(name, fail_once)
        for table, items in rows.items():
            for row in items:
                yield table, row

    # One task per file: the unit an archive grows by, and the unit Common Crawl splits on.
    rows = sc.parallelize(names, len(names)).flatMap(per_file).cache()

    def of(table: str):
        return rows.filter(lambda tr: tr[0] == table).map(lambda tr: tr[1])

    # The order reindex reads the files in decides what one file's rows make of another's.
    ranks = sc.broadcast(tasks.file_ranks(names, of("seal").collect()))

    # Record ids in several files: the few captures concerned go to the driver, which
    # decides as indexing the files in order would (keep, key by file and offset, drop).
    shared_ids = (of("captures").map(lambda r: (tasks.inner_id(r["record_id"]), r["warc_file"])).distinct()
                  .map(lambda kv: (kv[0], 1)).reduceByKey(lambda a, b: a + b)
                  .filter(lambda kv: kv[1] > 1).keys().collect())
    shared = sc.broadcast(set(shared_ids))
    decided = tasks.duplicate_decisions(
        of("captures").filter(lambda r: tasks.inner_id(r["record_id"]) in shared.value)
        .map(lambda r: {k: r[k] for k in ("record_id", "warc_file", "offset", "block_sha256")}).collect(),
        ranks.value)
    decisions = sc.broadcast(decided)

    def decide(r: dict) -> list[dict]:
        where = (r["warc_file"], r["offset"])
        if where not in decisions.value:
            return [r]
        key = decisions.value[where]
        return [] if key is None else [dict(r, record_id=key)]

    rekeyed = sc.broadcast({(f, old): new for (f, o), new in decided.items() if new is not None
                            for old in [tasks.inner_id(new)]})

    def ranked(r: dict) -> dict:
        rank = ranks.value.get(r["_file"], 1 << 62)
        key = rekeyed.value.get((r["_file"], r["record_id"]), r["record_id"])
        return dict(r, record_id=key, _rank=rank, _first_rank=rank)

    indexed = of("captures").flatMap(decide).cache()
    snapshots = (of("snapshots").map(ranked).map(lambda r: (r["sha256"], r))
                 .reduceByKey(tasks.merge_snapshots)
                 .map(lambda kv: {k: v for k, v in kv[1].items() if not k.startswith("_")}).cache())
    texts = of("texts").map(lambda r: (r["sha256"], r)).reduceByKey(lambda a, b: a)
    quotes = of("quotes").map(lambda r: ((r["text_sha256"], r["n"]), r)).reduceByKey(lambda a, b: a)
    figures = of("figures").map(lambda r: ((r["text_sha256"], r["n"]), r)).reduceByKey(lambda a, b: a)

    # Revisits whose original is in another file: by WARC-Refers-To, else by the payload
    # digest they declare, tried against the captures of their URL (http and https).
    def unresolved(r: dict) -> bool:
        return r["record_type"] == "revisit" and r["payload_sha256"] is None

    ids = indexed.map(lambda r: (r["record_id"], r["payload_sha256"]))
    by_ref = (indexed.filter(lambda r: unresolved(r) and r["refers_to"])
              .map(lambda r: (r["refers_to"], r["record_id"])).join(ids).map(lambda kv: kv[1]))
    need = indexed.filter(unresolved).map(lambda r: (r["record_id"], None)).subtractByKey(by_ref)
    hints = of("revisit_hint").map(lambda h: (h["record_id"], h)).join(need).map(lambda kv: kv[1][0]).cache()
    slim = ("warc_file", "offset", "length", "captured_at", "payload_sha256")
    originals = indexed.filter(lambda r: r["record_type"] != "revisit") \
        .map(lambda r: (r["page_url"], {k: r[k] for k in slim}))
    tried = (hints.flatMap(lambda h: [(page, h["record_id"]) for page in h["pages"]]).join(originals)
             .map(lambda kv: kv[1]).groupByKey()
             .join(hints.map(lambda h: (h["record_id"], h)))
             .map(lambda kv: (kv[0], tasks.resolve_by_digest(source, kv[1][1], list(kv[1][0]), ranks.value))))
    found = by_ref.union(tried).filter(lambda kv: kv[1] is not None)
    captures = (indexed.map(lambda r: (r["record_id"], r)).leftOuterJoin(found)
                .map(lambda kv: dict(kv[1][0], payload_sha256=kv[1][1])
                     if kv[1][1] is not None and unresolved(kv[1][0]) else kv[1][0]))

    # Everything a page's versions need, gathered by page: its captures, the snapshots
    # they hold, the texts of those snapshots with their quotes and figures.
    snap_by_sha = snapshots.map(lambda r: (r["sha256"], r))
    caps_by_sha = captures.filter(lambda r: r["payload_sha256"]).map(lambda r: (r["payload_sha256"], r["page_url"])).distinct()
    page_snaps = caps_by_sha.join(snap_by_sha).map(lambda kv: (kv[1][0], kv[1][1]))
    page_texts = page_snaps.filter(lambda ps: ps[1]["text_sha256"]).map(
        lambda ps: (ps[1]["text_sha256"], ps[0])).distinct()
    bundles = texts.map(lambda kv: (kv[0], ("text", kv[1]))) \
        .union(quotes.map(lambda kv: (kv[0][0], ("quote", kv[1])))) \
        .union(figures.map(lambda kv: (kv[0][0], ("figure", kv[1]))))
    page_bundles = page_texts.join(bundles).map(lambda kv: (kv[1][0], kv[1][1]))
    hosts = of("pages").map(lambda r: (r["url"], r["host"]))
    parts = page_partitions or max(sc.defaultParallelism, 1)
    grouped = (captures.map(lambda r: (r["page_url"], ("capture", r)))
               .union(page_snaps.map(lambda ps: (ps[0], ("snapshot", ps[1]))))
               .union(page_bundles)
               .union(hosts.map(lambda uh: (uh[0], ("host", uh[1]))))
               .groupByKey(numPartitions=parts))

    def per_page(item: tuple[str, Iterable[tuple[str, dict]]]) -> Iterator[tuple[str, dict]]:
        page, tagged = item
        parts_: dict[str, list] = {"capture": [], "snapshot": [], "text": [], "quote": [], "figure": [], "host": []}
        for kind, row in tagged:
            parts_[kind].append(row)
        result = tasks.page_tables(page, parts_["capture"], parts_["snapshot"], parts_["text"],
                                   parts_["quote"], parts_["figure"], parts_["host"])
        for table, items in result.items():
            for row in items:
                yield table, row

    paged = grouped.flatMap(per_page).cache()
    tables = {
        "captures": paged.filter(lambda tr: tr[0] == "captures").map(lambda tr: tr[1]),
        "pages": paged.filter(lambda tr: tr[0] == "pages").map(lambda tr: tr[1]),
        "versions": paged.filter(lambda tr: tr[0] == "versions").map(lambda tr: tr[1]),
        "changes": paged.filter(lambda tr: tr[0] == "changes").map(lambda tr: tr[1]),
        "snapshots": snapshots,
        "texts": texts.map(lambda kv: kv[1]),
        "quotes": quotes.map(lambda kv: kv[1]),
        "figures": figures.map(lambda kv: kv[1]),
        # One row per citation id, as reindex keeps it (an id can be in several files).
        "citations": of("citations").map(lambda r: (r["id"], r))
                                    .reduceByKey(tasks.later_citation(ranks.value)).values(),
        "import_errors": of("import_errors"),
        "warc_files": of("warc_files"),
        # The ledger as the files hold it (each file's entries, keyed by file, offset and
        # seq); import-parquet links the entries of chains spread over files.
        "ledger": of("ledger"),
        "ledger_heads": of("ledger_heads"),
        "ledger_roots": of("ledger_roots"),
    }
    counts = {}
    for table, rdd in tables.items():
        schema = spark_schema(table)
        names_ = [f.name for f in schema.fields]
        df = spark.createDataFrame(rdd.map(lambda r, n=names_: tuple(r.get(c) for c in n)), schema)
        df.write.mode("overwrite").parquet(os.path.join(out, table) if "://" not in out else f"{out.rstrip('/')}/{table}")
        counts[table] = spark.read.parquet(os.path.join(out, table) if "://" not in out else f"{out.rstrip('/')}/{table}").count()
    spark.stop()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="archive-spark-job", description=__doc__.splitlines()[0])
    parser.add_argument("source", help="directory of WARC files, or s3://bucket/prefix")
    parser.add_argument("--out", required=True, help="directory the Parquet tables are written to")
    parser.add_argument("--page-partitions", type=int, default=None)
    parser.add_argument("--fail-once", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    import json

    counts = run(args.source, args.out, args.fail_once, args.page_partitions)
    print(json.dumps({"out": args.out, "rows": counts}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
