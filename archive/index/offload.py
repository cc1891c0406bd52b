"""Sealed WARC files leave the staging directory for the bucket, verified.

The order is what makes it safe (DESIGN.md principle 3): a record is acknowledged once it
is fsynced in a local file; the file is sealed (its SHA-256 recorded in ``warc_files``);
then it is uploaded, the object read back and its SHA-256 compared with the seal; only
then is the file marked ``stored`` and its local copy removed. A crash or a failed upload
at any step leaves the sealed local copy, which the next open of the store uploads again
(:func:`upload_sealed`); a read meanwhile finds the local copy first.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Any

from archive.errors import StoreError, UsageError
from archive.times import iso_date, warc_date
from archive.warc.writer import fsync_dir

# The journal that calls these (archive.index.journal.Journal); not imported, as it
# imports this module.
Journal = Any


def upload_sealed(journal: Journal) -> list[dict]:
    """Upload every sealed file still only in staging; remove local copies already stored.

    Returns one report per file acted on: ``{"file", "stored"}`` or ``{"file",
    "upload_failed"}``. A failure is reported (and printed to stderr), never raised: the
    records in the file are durable locally and were acknowledged.
    """
    remote = journal.remote
    if remote is None:
        return []
    report: list[dict] = []
    rows = journal.conn.execute(
        "SELECT name, sha256, stored FROM warc_files WHERE sealed_at IS NOT NULL AND sha256 IS NOT NULL "
        "ORDER BY name").fetchall()
    for row in rows:
        name = row["name"]
        path = journal.warcs.path_of(name)
        if not path.exists() or name == journal.warcs.current_file:
            continue
        if row["stored"]:
            # Verified and marked, then a crash before the local copy went.
            _remove_local(path)
            continue
        try:
            remote.put(name, path, row["sha256"])
        except StoreError as exc:
            print(f"archive: {name} stays in {journal.warcs_dir} (uploaded on the next open): {exc}",
                  file=sys.stderr)
            report.append({"file": name, "upload_failed": str(exc)})
            continue
        with journal.transaction() as conn:
            conn.execute("UPDATE warc_files SET stored=?, stored_at=? WHERE name=?",
                         (remote.url_of(name), iso_date(warc_date(journal.clock())), name))
        _remove_local(path)
        report.append({"file": name, "stored": remote.url_of(name)})
    return report


def mark_stored(journal: Journal, name: str, old: sqlite3.Row | None) -> None:
    """Record that ``name``, indexed from the bucket, is a sealed file stored there."""
    assert journal.remote is not None
    with journal.transaction() as conn:
        conn.execute(
            "UPDATE warc_files SET state='sealed', stored=?, stored_at=?, "
            "sealed_at=coalesce(?, sealed_at), created_at=coalesce(?, created_at) WHERE name=?",
            (journal.remote.url_of(name),
             (old["stored_at"] if old and old["stored_at"] else None) or iso_date(warc_date(journal.clock())),
             old["sealed_at"] if old else None, old["created_at"] if old else None, name))


def _remove_local(path) -> None:
    path.unlink(missing_ok=True)
    fsync_dir(path.parent)


def import_bucket(journal: Journal, url: str) -> dict:
    """Index, in place, every file under the store's own bucket location that the index
    does not hold yet: what other capture machines wrote there. Returns the totals and one
    result per file."""
    if journal.remote is None or url.rstrip("/") != journal.location.rstrip("/"):
        raise UsageError(f"a bucket is indexed in place: open the store on it "
                         f"(archive --warcs {url} import {url}, or reindex)")
    known = {r[0] for r in journal.conn.execute("SELECT name FROM warc_files")}
    results = []
    for name in journal.remote.list():
        if name in known:
            continue
        origin = "import" if name.startswith("import-") else "capture"
        result = journal._index_file(name, origin)
        mark_stored(journal, name, None)
        journal._imported(name)
        results.append(result)
    return {"path": url, "records": sum(r["records"] for r in results),
            "errors": [e for r in results for e in r["errors"]],
            "warnings": [w for r in results for w in r["warnings"]], "files": results}
