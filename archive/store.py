"""The archive store: the facade the CLI, the web pages and the tests use.

It composes the layers below it, each of which knows nothing of those above:

* :class:`archive.index.journal.Journal` — append records to ``warcs/``, fsync, index them
  into ``archive.db``; recovery, import and reindex;
* :mod:`archive.provenance.ledger` — vouches for every capture, citation and sealed file
  once it is durable and indexed;
* :mod:`archive.index.versions` — extracts text, quotes and figures after captures;
* :mod:`archive.capture.http` — the fetcher whose hops become request and response records.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable, Iterable

from warcio.statusandheaders import StatusAndHeaders

from archive.capture.http import Fetcher, FetchResult, Hop
from archive.errors import ArchiveError, CaptureError, StoreError
from archive.index.journal import Journal
from archive.index.metadata import BROWSER_LOG_TYPE, metadata_record, record_urn
from archive.provenance import ledger
from archive.times import iso_date, warc_date, warc_date_from_iso
from archive.urls import canonical_url
from archive.warc.digests import sha256_label

if TYPE_CHECKING:
    from archive.capture.browser import BrowserCapturer, PageCapture

VOUCH_BATCH = 32                 # captures per ledger append during a multi-URL capture
VOUCH_CHUNK = 1000               # imported captures per ledger append (one ledger record)


class Store(Journal):
    """An archive on disk: the journal, plus the ledger that vouches for each write and the
    extraction that follows captures."""

    def __init__(self, *args, **kwargs) -> None:
        self._unvouched: list = []     # acknowledged rows a failed ledger write left behind
        super().__init__(*args, **kwargs)

    def write_records(self, records: list, expected_size: int = 0, vouch: bool = True) -> list[dict]:
        """Append records durably and index them (:meth:`Journal.append`), then have the
        ledger vouch for the captures among them; returns the capture rows written."""
        rows = self.append(records, expected_size=expected_size)
        if vouch:
            self._vouch(rows)
        return rows

    def _imported(self, name: str) -> None:
        # Our ledger vouches for what we imported, as it does for what we captured, in
        # bounded chunks so that memory stays flat however large the file.
        cursor = self.conn.execute(
            "SELECT record_type, record_id, block_sha256, payload_sha256, warc_file, offset, length "
            "FROM captures WHERE warc_file=? ORDER BY offset", (name,))
        while chunk := cursor.fetchmany(VOUCH_CHUNK):
            ledger.record_captures(self, chunk)
        for row in self.conn.execute("SELECT * FROM citations WHERE warc_file=?", (name,)).fetchall():
            ledger.record_citation(self, row)
        ledger.record_seals(self)

    def extracted(self, texts: list[dict]) -> None:
        # The ledger vouches for the derived rows as they were written, so that a page can
        # check the rows it shows against that digest instead of extracting again. A failed
        # ledger write (disk full) costs only that: those rows are checked the slow way.
        try:
            ledger.record_texts(self, texts)
        except StoreError:
            pass

    def reindex(self, extract: bool = True) -> dict:  # type: ignore[override]
        """Rebuild the index from ``warcs/`` alone, texts and versions included."""
        return super().reindex(after=self._extract_all if extract else None)

    @staticmethod
    def _extract_all(fresh: Journal) -> None:
        from archive.index.versions import process_pending

        process_pending(fresh, all_pages=True)

    def _vouch(self, rows: list[dict]) -> None:
        """Append ledger entries for rows already durable and indexed.

        The records are acknowledged whatever happens here: if the ledger write fails
        (disk full), the store keeps those rows and vouches for them with the next
        successful write; if the process dies first, the next open does it
        (:meth:`recover`). Until then ``verify --all`` fails on them, as not vouched for.
        """
        with self._jobs_lock:
            batch, self._unvouched = self._unvouched + list(rows), []
        try:
            ledger.record_captures(self, batch)
        except StoreError:
            with self._jobs_lock:
                self._unvouched = batch + self._unvouched

    def recover(self) -> list[dict]:
        """:meth:`Journal.recover`, then have the ledger vouch for what a writer that died
        indexed (or recovery indexed) but could not vouch for: only records that carry
        the mark of a writer of this store for their file (see :mod:`archive.index.journal`),
        never whatever else the index holds."""
        report = super().recover()
        if self.recovered_files:
            self._vouch_marked(self.recovered_files)
        return report

    def _vouch_marked(self, files: list[str]) -> None:
        from archive.warc.digests import has_writer_mark
        from archive.warc.record import load_record

        keys = self.writer_keys()
        for name in files:
            mine = keys.get(name)
            if not mine:
                continue
            captures = self.conn.execute(
                "SELECT * FROM captures c WHERE warc_file=? AND NOT EXISTS (SELECT 1 FROM ledger l "
                "WHERE l.kind='capture' AND l.subject=c.record_id) ORDER BY offset", (name,)).fetchall()
            citations = self.conn.execute(
                "SELECT * FROM citations c WHERE warc_file=? AND NOT EXISTS (SELECT 1 FROM ledger l "
                "WHERE l.kind='citation' AND l.subject=c.id) ORDER BY offset", (name,)).fetchall()

            def marked(row) -> bool:
                try:
                    rec = load_record(self.warcs.path_of(name), row["offset"], row["length"])
                except ArchiveError:
                    return False
                return has_writer_mark(mine, rec.warc_headers)

            try:
                proven = [r for r in captures if marked(r)]
                if proven:
                    ledger.record_captures(self, proven)
                for row in citations:
                    if marked(row):
                        ledger.record_citation(self, row)
            except StoreError:
                return   # the ledger cannot be written now: the next open tries again

    def _hop_records(self, hop: Hop) -> tuple[list, bool]:
        """The response (or revisit) and request records for a hop, in that order."""
        builder = self.warcs.builder
        date = warc_date(hop.started_at)
        resp_id = self.id_factory()
        original = None
        if hop.truncated is None:
            cur = self.read_db().execute(
                "SELECT record_id, url, captured_at FROM captures WHERE page_url=? AND "
                "payload_sha256=? AND record_type='response' AND truncated IS NULL "
                "ORDER BY captured_at LIMIT 1",
                (canonical_url(hop.url), hop.payload_sha256))
            original = cur.fetchone()
            cur.close()  # end the read transaction now: an open one holds back checkpoints
        http_headers = StatusAndHeaders(f"{hop.status} {hop.reason}".strip(), hop.headers,
                                        protocol=hop.http_version)
        warc_headers = {"WARC-Record-ID": resp_id, "WARC-Date": date, "WARC-IP-Address": hop.ip}
        if original is not None:
            rec = builder.create_revisit_record(
                hop.url, sha256_label(hop.payload_sha256), original["url"],
                warc_date_from_iso(original["captured_at"]), http_headers=http_headers,
                warc_headers_dict=warc_headers)
            rec.rec_headers.add_header("WARC-Refers-To", original["record_id"])
        else:
            if hop.truncated:
                warc_headers["WARC-Truncated"] = hop.truncated
            rec = builder.create_warc_record(hop.url, "response", payload=hop.body,
                                             length=hop.body_length, http_headers=http_headers,
                                             warc_headers_dict=warc_headers)
        req = builder.create_warc_record(
            hop.url, "request", payload=io.BytesIO(hop.request_head), length=len(hop.request_head),
            warc_headers_dict={"WARC-Record-ID": self.id_factory(), "WARC-Date": date,
                               "WARC-Concurrent-To": resp_id})
        # Response first, then its request (as pywb, warcio and wget write them): the
        # request's WARC-Concurrent-To names a record already written, never a later one.
        return [rec, req], original is not None

    def store_fetch(self, result: FetchResult, vouch: bool = True) -> list[dict]:
        """Write and index every hop of a fetch; returns one capture row per hop.

        With ``vouch=False`` the caller appends the ledger entries later, in a batch.
        """
        rows = []
        for hop in result.hops:
            # No lock: two threads fetching identical bytes at once may both store a full
            # response (two distinct records); a revisit only ever names a committed one.
            records, revisit = self._hop_records(hop)
            written = self.write_records(records, expected_size=hop.body_length + 4096, vouch=vouch)
            row = dict(written[0])   # the response's (or revisit's) row
            row["revisit"] = revisit
            rows.append(row)
        return rows

    def capture(self, urls: Iterable[str], fetcher: Fetcher | None = None, workers: int = 1,
                extract: bool = True, progress: Callable[[dict], None] | None = None,
                extra_headers: dict[str, str] | None = None, wait: bool = True) -> list[dict]:
        """Capture each URL; returns one result per URL (with ``error`` on failure).

        A capture is acknowledged (returned) once its records are durable, indexed and
        vouched for; its snapshot then waits in the extraction queue (``extract_status =
        'pending'`` in the index, so the queue survives a crash). With ``extract`` and
        ``wait`` the queue is drained here before returning; with ``wait=False`` a
        background drainer is started (:meth:`extract_in_background`) and the call
        returns at once. Readers drain what is pending for the page they read.
        """
        fetcher = fetcher or Fetcher()
        urls = list(urls)

        unvouched: list[dict] = []
        vouch_lock = threading.Lock()

        def vouch_pending(at_least: int) -> None:
            with vouch_lock:
                if len(unvouched) < at_least:
                    return
                batch = unvouched[:]
                del unvouched[:]
            self._vouch(batch)

        def one(url: str) -> dict:
            result = fetcher.fetch(url, extra_headers=extra_headers)
            try:
                try:
                    rows = self.store_fetch(result, vouch=False)
                except ArchiveError as exc:
                    return {"url": url, "error": str(exc), "code": "store_failed"}
            finally:
                result.close()
            with vouch_lock:
                unvouched.extend(rows)
            # Ledger entries go in batches: one append (one fsync) per VOUCH_BATCH captures.
            vouch_pending(VOUCH_BATCH)
            out = _capture_result(url, rows, result.error)
            if progress:
                progress(out)
            return out

        try:
            if workers <= 1 or len(urls) <= 1:
                results = [one(u) for u in urls]
            else:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    results = list(pool.map(one, urls))
        finally:
            vouch_pending(1)
        if extract and wait:
            from archive.index.versions import process_pending
            process_pending(self)
        elif extract:
            self.extract_in_background()
        return results

    def extract_in_background(self) -> subprocess.Popen | None:
        """Start a drainer of the extraction queue, detached from this process: ``archive
        extract`` in a new session, which waits for the queue lock, extracts every pending
        snapshot and exits. At most one waits its turn: none is started while one waits
        (it will find what is pending now), and one started meanwhile leaves at once
        (:func:`archive.index.drain.drain_turn`). Nothing is lost if one is killed: the
        work stays pending.

        Returns the process (tests wait on it), or None when nothing is pending or a
        drainer already waits for it.
        """
        from archive.index.drain import drainer_waiting

        if not self.conn.execute("SELECT 1 FROM snapshots WHERE extract_status='pending' LIMIT 1").fetchone():
            return None
        if drainer_waiting(self.db_path):
            return None
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.remote is not None:
            # The bucket, and this staging directory: a file sealed and uploaded while the
            # drainer reads it leaves the disk, and is then read from the bucket.
            warcs = self.location
            env["ARCHIVE_STAGING"] = str(self.warcs_dir.resolve())
        else:
            warcs = str(self.warcs_dir.resolve())
        argv = [sys.executable, "-m", "archive.cli", "--db", str(self.db_path.resolve()),
                "--warcs", warcs, "extract", "--queue"]
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
                                env=env)


    def browser_captured(self, page_url: str) -> bool:
        """Whether a page was captured with a browser (so its recaptures should be too)."""
        return self.conn.execute("SELECT 1 FROM browser_captures WHERE page_url=? LIMIT 1",
                                 (page_url,)).fetchone() is not None

    def capture_browser(self, urls: Iterable[str], capturer: "BrowserCapturer", extract: bool = True,
                        progress: Callable[[dict], None] | None = None, wait: bool = True) -> list[dict]:
        """Capture each URL with a browser (:class:`archive.capture.browser.BrowserCapturer`,
        already started): every request and response of the load, the screenshot and the
        rendered DOM, written in one durable append per page. Returns one result per URL."""
        results = []
        for url in urls:
            page = capturer.capture(url)
            try:
                if page.error is not None and not page.hops:
                    out = _capture_result(url, [], page.error)
                    out["browser"] = True
                    out["refused"] = [r.as_dict() for r in page.refused]
                else:
                    try:
                        out = self._store_page(page)
                    except ArchiveError as exc:
                        out = {"url": url, "error": str(exc), "code": "store_failed", "browser": True}
            finally:
                page.close()
            if progress:
                progress(out)
            results.append(out)
        if extract and wait:
            from archive.index.versions import process_pending
            process_pending(self)
        elif extract:
            self.extract_in_background()
        return results

    def _store_page(self, page: "PageCapture") -> dict:
        """Write one browser capture: request/response (or revisit) records of every hop,
        then the screenshot and rendered DOM as ``resource`` records and the capture log
        as a ``metadata`` record, each ``WARC-Concurrent-To`` the page's response."""
        records: list = []
        page_ids: list[str] = []
        expected = 0
        hop_ids: list[str] = []
        for i, hop in enumerate(page.hops):
            recs, _ = self._hop_records(hop)
            records += recs
            expected += hop.body_length + 4096
            hop_ids.append(next(r for r in recs if r.rec_type != "request").rec_headers.get_header("WARC-Record-ID"))
            if i < page.page_hops:
                resp = next(r for r in recs if r.rec_type != "request")
                page_ids.append(resp.rec_headers.get_header("WARC-Record-ID"))
        page_id = page_ids[-1]
        final = page.page_hop
        assert final is not None
        builder = self.warcs.builder
        date = warc_date(page.started_at)
        extra: dict = {}
        for kind, data, ctype in (("screenshot", page.screenshot, "image/png"),
                                  ("dom", page.dom, "text/html; charset=utf-8")):
            if data is None:
                continue
            rid = self.id_factory()
            records.append(builder.create_warc_record(
                f"urn:{kind}:{final.url}", "resource", payload=io.BytesIO(data), length=len(data),
                warc_content_type=ctype,
                warc_headers_dict={"WARC-Record-ID": rid, "WARC-Date": date, "WARC-Concurrent-To": page_id}))
            extra[f"{kind}_record_id"] = rid
            expected += len(data) + 4096
        log = {"url": page.url, "final_url": page.final_url or final.url, "page_url": canonical_url(final.url),
               "page_record_id": page_id, "captured_at": iso_date(date), "settled": page.settled,
               "cut": page.cut, "seconds": round(page.seconds, 3), "requests": len(page.hops),
               "refused": [r.as_dict() for r in page.refused], "layout": page.layout,
               "response_record_ids": hop_ids,
               "software": "headless Chromium behind archive-store's recording proxy", **extra}
        log_record = metadata_record(builder, record_urn("browser-capture", final.url), BROWSER_LOG_TYPE, log,
                                     self.id_factory(), date, concurrent_to=page_id)
        records.append(log_record)
        rows = self.write_records(records, expected_size=expected + 65536)
        by_id = {r["record_id"]: r for r in rows}
        chain = []
        for rid in page_ids:
            row = dict(by_id[rid])
            row["revisit"] = row.get("record_type") == "revisit"
            chain.append(row)
        out = _capture_result(page.url, chain, None)
        out.update({"browser": True, "settled": page.settled, "cut": page.cut,
                    "resources": len(page.hops) - page.page_hops,
                    "resources_revisited": sum(1 for r in rows if r.get("record_type") == "revisit"
                                               and r["record_id"] not in page_ids),
                    "refused": [r.as_dict() for r in page.refused], **extra})
        return out


def _capture_result(url: str, rows: list[dict], error: CaptureError | None) -> dict:
    out: dict = {"url": url}
    if rows:
        final = rows[-1]
        out.update({
            "captured_at": final.get("captured_at"),
            "status": final.get("status"),
            "payload_sha256": final.get("payload_sha256"),
            "warc_file": final.get("warc_file"),
            "offset": final.get("offset"),
            "length": final.get("length"),
            "record_id": final.get("record_id"),
            "revisit": bool(final.get("revisit")),
            "truncated": final.get("truncated"),
            "final_url": final.get("url"),
        })
        if len(rows) > 1:
            out["redirects"] = [{"url": r.get("url"), "status": r.get("status"),
                                 "record_id": r.get("record_id")} for r in rows[:-1]]
    if error is not None:
        out["error"] = str(error)
        out["code"] = error.code
    return out
