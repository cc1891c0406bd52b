"""The ``archive`` command: one thin function per command over the library.

Exit status: 0 success, 1 a check failed (verify, check), 2 bad usage or bad input.
Library exceptions (:mod:`archive.errors`) become one-line messages, never tracebacks.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Mapping

import click

from archive import __version__
from archive.cli.options import (
    FileProgress,
    emit,
    handle_errors,
    json_option,
    open_store,
    require_db,
    store_options,
)
from archive.cli.watch import watch
from archive.errors import ArchiveError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archive")
@click.option("--db", default="archive.db", envvar="ARCHIVE_DB", show_default=True,
              type=click.Path(dir_okay=False), help="SQLite index (env ARCHIVE_DB).")
@click.option("--warcs", default="warcs", envvar="ARCHIVE_WARCS", show_default=True,
              type=click.Path(file_okay=False),
              help="Directory of WARC files, or s3://bucket/prefix (env ARCHIVE_WARCS).")
@click.option("--staging", default=None, envvar="ARCHIVE_STAGING", type=click.Path(file_okay=False),
              help="With s3:// WARCs: local directory files are written in until sealed and uploaded "
                   "(env ARCHIVE_STAGING; default ~/.cache/archive-store/BUCKET/PREFIX).")
def cli(db, warcs, staging):
    """A provenance-preserving web archive: capture pages as WARC files, index them in
    SQLite, cite passages that verify, and serve it all with Datasette.

    \b
    Example:
        archive capture https://example.org/news/article
        archive cite https://example.org/news/article "2,300 homes"
        archive serve
    """
    if staging:
        # Read by the store wherever a command opens it (archive.index.journal).
        os.environ["ARCHIVE_STAGING"] = staging


@cli.command()
@click.argument("urls", nargs=-1)
@click.option("-i", "--input", "input_file", type=click.File("r"),
              help="Read URLs from a file, one per line ('-' for standard input).")
@store_options
@json_option
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds to wait for the server at each step.")
@click.option("--max-size", type=int, default=50 * 1024 * 1024, show_default=True,
              help="Largest body to store in bytes; longer ones are cut and marked WARC-Truncated: length.")
@click.option("--user-agent", default=None, help="User-Agent header to send.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Capture this many URLs at once.")
@click.option("--public-only", is_flag=True, help="Refuse URLs whose host resolves to a private, loopback or link-local address.")
@click.option("--max-redirects", type=click.IntRange(0, 50), default=10, show_default=True)
@click.option("--no-extract", is_flag=True, help="Index only; extract text, quotes and figures later with `archive extract`.")
@click.option("--wait", is_flag=True,
              help="Extract text, quotes and figures before returning (default: a background drainer "
                   "extracts them after the captures are acknowledged).")
@click.option("--warc-size", type=click.IntRange(1024 * 1024), default=1024 ** 3, show_default=True,
              help="Start a new WARC file when the current one would grow past this many bytes.")
@click.option("--browser", is_flag=True,
              help="Load each page in headless Chromium and record every request it makes, "
                   "with a screenshot and the rendered DOM (needs chromium and playwright).")
@click.option("--budget", type=click.FloatRange(1, 600), default=30.0, show_default=True,
              help="With --browser: seconds one page may take; a page still loading then is "
                   "kept as it is and marked not settled.")
@handle_errors
def capture(urls, input_file, db, warcs, as_json, timeout, max_size, user_agent, workers, public_only,
            max_redirects, no_extract, wait, warc_size, browser, budget):
    """Fetch URLs, write them to WARC files and index them.

    A 4xx or 5xx answer is stored like any capture (it is what the server said) but
    reported: a warning on stderr and "http_error": true in the JSON. The exit status stays
    0, because the capture itself succeeded and is acknowledged; 2 means a URL could not be
    fetched or stored at all.

    An unchanged page is stored as a revisit record pointing at the earlier capture.
    Captures are reported once durable and indexed; their text, quotes and figures are
    extracted by a background process afterwards (or before returning, with --wait).
    Commands that read a page (quotes, figures, diff, cite, versions) extract what is
    still pending for it first.

    \b
    Example:
        archive capture https://example.org/a https://example.org/b --workers 4 --json
        archive capture --input urls.txt --workers 8
        archive capture --browser https://example.org/app-rendered-article
    """
    from archive.capture.http import DEFAULT_USER_AGENT, Fetcher
    from archive.errors import UsageError

    urls = list(urls)
    if input_file is not None:
        urls += [line.strip() for line in input_file if line.strip() and not line.startswith("#")]
    if not urls:
        raise UsageError("give at least one URL (or --input FILE)")
    if browser:
        from archive.capture.browser import BrowserCapturer

        capturer = BrowserCapturer(public_only=public_only, budget=budget, timeout=timeout,
                                   max_body=max_size, user_agent=user_agent)
        with open_store(db, warcs, max_file_size=warc_size) as store, capturer:
            results = store.capture_browser(urls, capturer, extract=not no_extract, wait=wait)
        _report_captures(results, as_json)
        return
    fetcher = Fetcher(timeout=timeout, max_body=max_size, user_agent=user_agent or DEFAULT_USER_AGENT,
                      public_only=public_only, max_redirects=max_redirects)
    show_bar = len(urls) > 1 and sys.stderr.isatty() and not as_json
    with open_store(db, warcs, max_file_size=warc_size) as store:
        if show_bar:
            with click.progressbar(length=len(urls), label="Capturing", file=sys.stderr) as bar:
                results = store.capture(urls, fetcher, workers=workers, extract=not no_extract,
                                        progress=lambda _r: bar.update(1), wait=wait)
        else:
            results = store.capture(urls, fetcher, workers=workers, extract=not no_extract, wait=wait)
    fetcher.close()
    _report_captures(results, as_json)


def _report_captures(results: list[dict], as_json: bool) -> None:
    failed = 0
    for r in results:
        if "error" in r:
            failed += 1
            click.echo(f"Error: {r['error']}", err=True)
            if as_json:
                emit(r, True)
            continue
        kind = "revisit (unchanged)" if r.get("revisit") else "captured"
        status = r.get("status")
        r["http_error"] = isinstance(status, int) and status >= 400
        if r["http_error"]:
            # Stored and acknowledged (the archive records what the server said), but it is
            # an error page, not the page that was asked for: say so, on stderr and in JSON.
            click.echo(f"Warning: {r['url']} answered HTTP {status}: stored, but it is the server's error "
                       "page, not the page asked for", err=True)
        emit(r, as_json, f"{kind}: {r['url']} → HTTP {r['status']}, sha256 {r['payload_sha256'][:16]}…, "
                         f"{r['warc_file']} @ {r['offset']}" + (f" [truncated: {r['truncated']}]" if r.get("truncated") else "")
                         + (f" + {r['resources']} resource(s), screenshot, rendered DOM" if r.get("browser") else "")
                         + (f" [not settled: {r['cut']}]" if r.get("browser") and not r.get("settled") else "")
                         + (f" [{len(r['refused'])} request(s) refused]" if r.get("refused") else ""))
    if failed:
        sys.exit(2)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@store_options
@json_option
@click.option("--no-extract", is_flag=True, help="Index only; run `archive extract` later.")
@handle_errors
def import_(paths, db, warcs, as_json, no_extract):
    """Index WARC, ARC and WACZ files made by other tools (wget, pywb, Heritrix, ...).

    Each file is copied into the store, then indexed. A malformed record is reported
    with its byte offset and skipped; the rest of the file is indexed.

    \b
    Example:
        archive import crawl.warc.gz old.arc collection.wacz
    """

    bad = 0
    bars = FileProgress("Importing", as_json)
    with open_store(db, warcs) as store:
        store.on_progress = bars
        for p in paths:
            try:
                r = store.import_path(p)
            except ArchiveError as exc:
                bars.close()
                bad += 1
                click.echo(f"Error: {exc}", err=True)
                emit({"path": p, "records": 0, "errors": [{"offset": getattr(exc, "offset", None), "reason": str(exc)}]}, as_json)
                continue
            bars.close()
            for e in r["errors"]:
                click.echo(f"Error: {p} at byte {e['offset']}: {e['reason']}", err=True)
            for w in r.get("warnings", []):
                click.echo(f"Warning: {p} at byte {w['offset']}: {w['reason']}", err=True)
            if r["errors"]:
                bad += 1
            emit(r, as_json, f"{p}: {r['records']} records read, {len(r['errors'])} errors, "
                             f"{len(r.get('warnings', []))} warnings")
        if not no_extract:
            from archive.index.versions import (
                process_pending,  # loads the extractor: only when needed
            )

            process_pending(store)
    if bad:
        sys.exit(2)


@cli.command()
@store_options
@json_option
@click.option("--no-extract", is_flag=True, help="Rebuild captures only; extract later.")
@handle_errors
def reindex(db, warcs, as_json, no_extract):
    """Rebuild the SQLite index from the WARC files alone.

    Builds a new database beside the old one, then copies it into the index in one
    transaction, so a crash leaves the old index untouched and a running `archive serve`
    shows the new one. Other commands may go on capturing meanwhile: nothing they write
    is left out (if they wrote during the build, it is built again with their writes
    waiting), and they write to the new index afterwards. It needs free disk for the
    index about three times over while it runs.
    """
    bars = FileProgress("Reindexing", as_json)
    with open_store(db, warcs) as store:
        store.on_progress = bars
        try:
            counts = store.reindex(extract=not no_extract)
        finally:
            bars.close()
    emit(counts, as_json, f"reindexed {counts['files']} files: {counts['captures']} captures, "
                          f"{counts['citations']} citations")


@cli.command()
@click.argument("url")
@store_options
@json_option
@handle_errors
def versions(url, db, warcs, as_json):
    """The versions of a page: each distinct extracted text, in order of first capture."""
    from archive.index.queries import resolve_page

    from archive.index.versions import extract_page

    with open_store(db, warcs, recover=False) as store:
        page = resolve_page(store.conn, url)
        extract_page(store, page)
        rows = store.conn.execute("SELECT * FROM versions WHERE page_url=? ORDER BY version", (page,)).fetchall()
        for r in rows:
            emit({"version": r["version"], "text_sha256": r["text_sha256"], "snapshot_sha256": r["snapshot_sha256"],
                  "first_captured_at": r["first_captured_at"], "last_captured_at": r["last_captured_at"],
                  "captures": r["captures"], "title": r["title"], "record_id": r["record_id"]}, as_json,
                 f"v{r['version']}  {r['first_captured_at']} … {r['last_captured_at']}  {r['captures']} capture(s)  "
                 f"text {r['text_sha256'][:12]}  {r['title'] or ''}")
        if not rows:
            click.echo(f"{url}: no version with readable article text yet", err=True)


def _text_at(store, url, at):
    from archive.errors import UsageError
    from archive.index.queries import capture_at, resolve_page
    from archive.index.versions import extract_page
    from archive.times import parse_time

    page = resolve_page(store.conn, url)
    extract_page(store, page)
    cap = capture_at(store.conn, page, parse_time(at))
    if cap is None:
        raise UsageError(f"{url} has no readable capture" + (f" at or before {at}" if at else ""))
    return cap


def _rows_at(db, warcs, url, at, table):
    """Rows of ``quotes`` or ``figures`` for the version of ``url`` current at ``at``."""
    from archive.errors import IntegrityError
    from archive.provenance.derived import row_problems

    with open_store(db, warcs, recover=False) as store:
        cap = _text_at(store, url, at)
        rows = store.conn.execute(f"SELECT * FROM {table} WHERE text_sha256=? ORDER BY n",
                                  (cap["text_sha256"],)).fetchall()
        # Nothing is printed that the WARC bytes do not give (as the ledger vouches, or
        # as a fresh extraction gives them).
        problems = row_problems(store, cap["text_sha256"], cap["payload_sha256"])
    if problems:
        raise IntegrityError("integrity check failed: " + "; ".join(problems)
                             + " (run `archive verify --all`)")
    return cap, rows


def _at_option(fn):
    return click.option("--at", help="Time (ISO 8601 or 14-digit timestamp); default: latest.")(fn)


@cli.command()
@click.argument("url")
@_at_option
@click.option("--all", "show_all", is_flag=True, help="Also list quoted terms and titles.")
@store_options
@json_option
@handle_errors
def quotes(url, at, show_all, db, warcs, as_json):
    """Quotations in the version of a page current at a time, with their speakers.

    Quoted terms and titles ("so-called “reform”") are left out; --all lists them too,
    marked as terms.
    """
    cap, rows = _rows_at(db, warcs, url, at, "quotes")
    for q in rows:
        if q["is_term"] and not show_all:
            continue
        obj = {k: q[k] for k in ("text", "speaker", "start", "end", "statement", "exact", "prefix", "suffix")}
        obj["is_term"] = bool(q["is_term"])
        obj["captured_at"] = cap["captured_at"]
        label = "term" if q["is_term"] else (q["speaker"] or "(unattributed)")
        emit(obj, as_json, f"[{q['start']}:{q['end']}] {label}: “{q['text']}”")


@cli.command()
@click.argument("url")
@_at_option
@click.option("--all", "show_all", is_flag=True, help="Also list dates, years, times and ordinals, with their kind.")
@store_options
@json_option
@handle_errors
def figures(url, at, show_all, db, warcs, as_json):
    """Numbers in the version of a page current at a time: value, what they count, qualifier.

    Dates, years, times of day and ordinals are left out; --all lists them too, each
    with its kind.
    """
    from archive.text.figures import HIDDEN_KINDS

    cap, rows = _rows_at(db, warcs, url, at, "figures")
    for f in rows:
        if f["kind"] in HIDDEN_KINDS and not show_all:
            continue
        obj = {k: f[k] for k in ("value", "text", "kind", "unit", "counts", "qualifier", "start", "end",
                                 "sentence", "exact", "prefix", "suffix")}
        obj["captured_at"] = cap["captured_at"]
        qual = f"{f['qualifier']} " if f["qualifier"] else ""
        emit(obj, as_json, f"[{f['start']}:{f['end']}] {qual}{f['text']} = {f['value']:g} "
                           f"{f['counts'] or ''} ({f['kind']})".rstrip())


def _version_texts(conn, page: str) -> dict:
    """Each version's text, by version number (the noise of a diff is told apart with them)."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT v.version, t.text FROM versions v JOIN texts t ON t.sha256 = v.text_sha256 WHERE v.page_url=?",
        (page,))}


@cli.command()
@click.argument("url")
@click.option("--from", "from_", help="Compare the version current at this time ...")
@click.option("--to", help="... with the version current at this time (default: latest).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["figure", "quote", "title", "sentence", "noise"]),
              help="Only changes of this kind (repeatable); 'noise' lists the collapsed ones.")
@store_options
@json_option
@handle_errors
def diff(url: str, from_: str | None, to: str | None, kinds: tuple[str, ...], db: str, warcs: str,
         as_json: bool) -> None:
    """Changes between versions of a page: figures, sentences, quotes, title.

    Without --from/--to, every change between consecutive versions. Figure and quote
    changes come first, then the title, then sentences; changes of no meaning (encoding
    repairs such as “ → â€œ, whitespace, typography, boilerplate, reordered text) are
    collapsed into one counted line (--kind noise lists them). With --json every change is
    printed, reader-visible ones first, each with "noise" (null or its kind).

    \b
    Example:
        archive diff https://example.org/news/fire --kind figure
    """
    from archive.text.changekinds import noise_summary, organize, select
    from archive.index.queries import (
        load_version,
        resolve_page,
        stored_changes,
        version_of,
    )
    from archive.index.versions import extract_page
    from archive.text.diff import compare, render_terminal

    with open_store(db, warcs, recover=False) as store:
        page = resolve_page(store.conn, url)
        extract_page(store, page)
        if from_ or to:
            a = _text_at(store, url, from_) if from_ else None
            b = _text_at(store, url, to)
            if a is None:
                first = store.conn.execute("SELECT text_sha256 FROM versions WHERE page_url=? ORDER BY version LIMIT 1",
                                           (page,)).fetchone()
                a_sha = first[0]
            else:
                a_sha = a["text_sha256"]
            va, vb = load_version(store.conn, a_sha), load_version(store.conn, b["text_sha256"])
            pairs = [(version_of(store.conn, page, a_sha), version_of(store.conn, page, b["text_sha256"]),
                      compare(va, vb))]
            texts = {pairs[0][:2]: (va["text"], vb["text"])}
        else:
            grouped: dict = {}
            for ch in stored_changes(store.conn, page):
                key = (ch.pop("from_version"), ch.pop("to_version"))
                grouped.setdefault(key, []).append(ch)
            pairs = [(k[0], k[1], v) for k, v in sorted(grouped.items())]
            by_version = _version_texts(store.conn, page)
            texts = {(a, b): (by_version.get(a), by_version.get(b)) for a, b, _ in pairs}
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        for v_from, v_to, changes in pairs:
            sorted_ = organize(changes, *texts.get((v_from, v_to), (None, None)))
            if as_json:
                shown = select(sorted_, kinds) if kinds else sorted_["changes"] + sorted_["noise"]
                for ch in shown:
                    emit({**ch, "from_version": v_from, "to_version": v_to}, True)
            else:
                shown = select(sorted_, kinds)
                click.echo(f"version {v_from} → {v_to}")
                if shown:
                    click.echo(render_terminal(shown, color=color))
                elif kinds:
                    click.echo(f"  (no {' or '.join(kinds)} changes)")
                else:
                    click.echo("  (no changes a reader would notice)")
                if sorted_["counts"] and "noise" not in kinds:
                    click.echo("  … " + noise_summary(sorted_["counts"]) + " (--kind noise lists them)")
        if not pairs and not as_json:
            click.echo("no changes: the page has a single version")


@cli.command()
@click.argument("url")
@click.argument("passage")
@click.option("--at", help="Cite the version current at this time (default: latest).")
@click.option("--note", help="A note stored with the citation.")
@click.option("--occurrence", type=click.IntRange(1), default=None,
              help="Which occurrence to pin (1 = first) when the passage is in the text more than once.")
@click.option("--base-url", default=None, envvar="ARCHIVE_BASE_URL",
              help="Public address of the citation pages for the permalink (env ARCHIVE_BASE_URL; "
                   "default: the one `archive serve --base-url` stored, else http://127.0.0.1:8001).")
@store_options
@json_option
@handle_errors
def cite(url, passage, at, note, occurrence, base_url, db, warcs, as_json):
    """Pin a passage of a page to its snapshot and print the citation forms.

    The passage is found exactly, then tolerantly (whitespace, curly quotes, dashes). If
    it occurs more than once, nothing is pinned: the places are listed (exit status 2) and
    --occurrence N, or a longer passage, picks one. The JSON says which was pinned
    (occurrence, occurrences).

    \b
    Example:
        archive cite https://example.org/news/fire "more than 2,300 homes"
    """
    from archive.config import base_url as public_base_url
    from archive.provenance.cite import cite as do_cite

    from archive.errors import AmbiguousPassage

    with open_store(db, warcs, must_exist=True) as store:
        try:
            c = do_cite(store, url, passage, at=at, note=note, base_url=public_base_url(db, base_url),
                        occurrence=occurrence)
        except AmbiguousPassage as exc:
            if as_json:
                emit({"error": "ambiguous_passage", "occurrences": len(exc.matches), "matches": exc.matches}, True)
            raise
    if as_json:
        emit(c, True)
        return
    forms = c["forms"]
    click.echo(f"Citation {c['id']}\n  permalink: {c['permalink']}\n  url: {c['url']}\n"
               f"  captured_at: {c['captured_at']}\n  snapshot_sha256: {c['snapshot_sha256']}\n"
               f"  passage [{c['start']}:{c['end']}]: “{c['exact']}”"
               + (f" (occurrence {c['occurrence']} of {c['occurrences']})" if c["occurrences"] > 1 else "") + "\n\n"
               f"Plain text:\n  {forms['text']}\n\nBibTeX:\n{forms['bibtex']}\n\n"
               f"CSL-JSON:\n  {json.dumps(forms['csl_json'], ensure_ascii=False)}\n\n"
               f"Robust Link:\n  {forms['robust_link']}\n\nText fragment (live page):\n  {forms['text_fragment']}")


@cli.command()
@click.argument("ids", nargs=-1)
@click.option("--all", "all_", is_flag=True,
              help="Full fixity audit: every record, file seal, index row and the ledger, plus every citation.")
@click.option("--no-extract", "no_extract", is_flag=True,
              help="With --all: check the rows extraction gave (texts, quotes, figures) against the ledger "
                   "entries that vouch for them instead of extracting every page again (which proves them, "
                   "and versions and changes, from the WARC bytes: most of the time --all takes).")
@click.option("--public-key", "public_key_path", envvar="ARCHIVE_PUBLIC_KEY",
              type=click.Path(exists=True, dir_okay=False),
              help="Pin the archive's Ed25519 public key: signed heads and roots are verified against it "
                   "(env ARCHIVE_PUBLIC_KEY).")
@store_options
@json_option
@handle_errors
def verify(ids, all_, no_extract, public_key_path, db, warcs, as_json):
    """Re-read each cited record by offset, re-hash it, re-extract and re-find the passage.

    With --all, also audit the whole store. Exit status 1 if any check fails; the
    failure names the citation or record, the file and offset, and the check. A check
    with nothing to check is marked ? and does not fail: a signature is only verified
    against a pinned key (--public-key); without one, a signature that matches the key
    it declares is reported as "signed by key …, not pinned", never as verified. Files
    another capture machine put in a shared bucket and this index has not imported are
    ? too (`archive import s3://…` takes them in).

    \b
    Example:
        archive verify --all --public-key archive-key.pub
    """
    from archive.errors import UsageError
    from archive.provenance.audit import audit, proof_for_citation
    from archive.provenance.cite import Verification

    if not ids and not all_:
        raise UsageError("name citation ids or use --all")
    if no_extract and not all_:
        raise UsageError("--no-extract goes with --all")
    public_key = None
    if public_key_path:
        from archive.provenance.keys import load_public_key

        public_key = load_public_key(public_key_path)
    bars = FileProgress("Verifying", as_json)
    with open_store(db, warcs, recover=False) as store:
        # The audit re-derives the index from every WARC file: one bar per file.
        store.on_progress = bars
        # The cited snapshots are re-extracted in a worker process while this one audits.
        try:
            with Verification(store, list(ids) or None, overlap=all_) as pending:
                extra = audit(store, public_key=public_key, derive=not no_extract) if all_ else []
                results = pending.results()
        finally:
            bars.close()
        if as_json:
            for r in results:
                r["proof"] = proof_for_citation(store, r["id"], public_key)
    bad = 0
    for r in results:
        if not r["ok"]:
            bad += 1
        w = r["where"]
        head = f"{'ok  ' if r['ok'] else 'FAIL'} {r['id']}  {w.get('warc_file', '?')} @ {w.get('offset', '?')}"
        lines = [head] + [f"    {'✓' if c['ok'] else ('?' if c['ok'] is None else '✗')} {c['check']}: {c['detail']}"
                          for c in r["checks"]]
        emit(r, as_json, "\n".join(lines))
    for r in extra:
        # Three outcomes: True passed, False failed, None nothing to check (not a pass).
        if r.get("ok") is False:
            bad += 1
        mark = {True: "ok  ", False: "FAIL", None: "?   "}[r.get("ok")]
        where = f" {r['file']}" + (f" @ {r['offset']}" if r.get("offset") is not None else "") if r.get("file") else ""
        emit(r, as_json, f"{mark} {r.get('check', '')} {r.get('id')}{where}: {r.get('detail', '')}")
    if not results and not extra and not as_json:
        click.echo("no citations to verify")
    if bad:
        sys.exit(1)


@cli.command()
@click.argument("ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Check every citation.")
@click.option("--timeout", type=float, default=30.0, show_default=True)
@click.option("--public-only", is_flag=True, help="Refuse private and loopback addresses.")
@click.option("--browser/--no-browser", default=True, show_default=True,
              help="Recapture pages that were captured with a browser with one (when Chromium is present).")
@store_options
@json_option
@handle_errors
def check(ids, all_, timeout, public_only, db, warcs, as_json, browser):
    """Recapture cited pages and report what became of each passage.

    Status per citation: unchanged, present, changed, removed or gone.
    Exit status 1 if any passage changed, was removed or is gone. A page captured with
    `capture --browser` is recaptured with headless Chromium.
    """
    from archive.capture.http import Fetcher
    from archive.check import check as do_check
    from archive.errors import UsageError

    if not ids and not all_:
        raise UsageError("name citation ids or use --all")
    from archive.capture.browser import LazyBrowser

    fetcher = Fetcher(timeout=timeout, public_only=public_only)
    lazy = LazyBrowser(public_only=public_only, timeout=timeout) if browser else None
    try:
        with open_store(db, warcs, must_exist=True) as store:
            results = do_check(store, list(ids) or None, fetcher, lazy)
    finally:
        if lazy is not None:
            lazy.close()
    drift = 0
    for r in results:
        if r["status"] in ("changed", "removed", "gone"):
            drift += 1
        human = f"{r['status']:9} {r['id']}  “{r['exact'][:70]}”"
        if r["status"] == "changed":
            human += f"\n          now: “{(r.get('now') or '')[:90]}”"
            for f in r.get("figures", []):
                human += f"\n          figure: {f['before']} → {f['after']} {f.get('counts') or ''}"
        elif r["status"] == "gone":
            human += f"\n          {r.get('detail')}"
        emit(r, as_json, human)
    if drift:
        sys.exit(1)


@cli.command()
@click.argument("key")
@store_options
@handle_errors
def show(key, db, warcs):
    """Print the stored payload of a record id or snapshot SHA-256, read by offset."""
    with open_store(db, warcs, recover=False) as store:
        data, _ = store.payload(key)
    out = sys.stdout.buffer
    out.write(data)
    out.flush()


@cli.command()
@click.option("--all", "all_", is_flag=True, help="Recompute every snapshot, not just pending ones.")
@click.option("--queue", "queue", is_flag=True, hidden=True,
              help="Run as the background drainer a capture starts: no recovery, no output.")
@store_options
@json_option
@handle_errors
def extract(all_, queue, db, warcs, as_json):
    """Extract text, quotes and figures (after an import, or an extractor upgrade with --all).

    Drains the extraction queue: the snapshots captured or imported whose extraction is
    still pending. One drainer runs at a time; another waits its turn.
    """
    from archive.index.drain import drain_turn
    from archive.index.versions import process_pending

    if queue:
        # Background work: one process at low priority, so that a drainer never competes
        # with the captures (or anything else) the user is waiting for. It opens the index
        # only once it holds the queue (a reindex may have swapped in a new one while it
        # waited), and leaves at once if another drainer is already waiting.
        os.nice(10)
        require_db(db)
        with drain_turn(db) as mine:
            if mine:
                with open_store(db, warcs, must_exist=True, recover=False) as store:
                    process_pending(store, workers=1, queue_held=True)
        return
    bars = FileProgress("Extracting", as_json)
    try:
        with open_store(db, warcs, must_exist=True) as store:
            r = process_pending(store, all_pages=all_, force=all_,
                                progress=lambda done, total: bars("snapshots", done, total))
    finally:
        bars.close()
    emit(r, as_json, f"extracted {r['extracted']} snapshots; rebuilt versions of {r['pages']} pages")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--metadata", "metadata_path", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Datasette metadata file (default: the project's metadata.yml).")
@click.option("--base-url", default=None,
              help="Public address readers reach these pages at (https://cite.example.org); stored in "
                   "the store's archive.toml, used by every link and citation form, and by `archive cite`.")
@click.option("--replay-port", default=None, type=click.IntRange(0, 65535),
              help="Port of the replay origin (archived pages with their styles and images, on another "
                   "host name); default: --port + 1; 0: none.")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Datasette processes sharing the port; each builds pages on one core at a time. "
                   "Default: one per core this process may use; 1: a single process, as `datasette serve`.")
@store_options
@handle_errors
def serve(host, port, metadata_path, base_url, replay_port, workers, db, warcs):
    """Serve the index with Datasette, the archive plugin and metadata.yml.

    Read-only to the web. To publish citation pages, run it behind a reverse proxy and give
    the public address once with --base-url (see "Hosting citation pages" in the README).
    Archived pages are replayed from a second origin (`localhost:PORT+1` beside
    `127.0.0.1:PORT`), so they never share cookies, storage or scripts with the app.
    One Datasette process per core shares the port (--workers), so readers are not served
    one at a time on one core.

    \b
    Example:
        archive serve --base-url https://cite.example.org --port 8001
    """
    from archive.web.prefork import default_workers
    from archive.web.serve import run_datasette

    run_datasette(db, warcs, host=host, port=port, metadata_path=metadata_path, base_url=base_url,
                  replay_port=port + 1 if replay_port is None else replay_port,
                  workers=default_workers() if workers is None else workers)


@cli.command()
@click.option("--dir", "workdir", default="demo", show_default=True, type=click.Path(file_okay=False),
              help="Where to put the demo archive (archive.db and warcs/).")
@click.option("--port", default=8001, show_default=True, type=int, help="Datasette port.")
@click.option("--no-serve", is_flag=True, help="Build the demo archive and exit.")
@handle_errors
def demo(workdir, port, no_serve):
    """Capture the built-in example news site (offline), cite a figure, edit the article,
    recapture, show the diff, then serve it all and print a citation URL."""
    from archive.demo import run_demo

    run_demo(Path(workdir), port=port, serve=not no_serve, echo=click.echo)


class _Commands(dict):
    """``cli.commands``, in which the ``keys`` and ``export`` groups are imported when first
    looked up rather than whenever ``archive`` starts: they bring cryptography and zipfile,
    which most commands never use (``verify --all`` paid ~20 ms for them). Looking a name
    up, listing or iterating the commands imports what is needed, so the map reads as a
    plain dict of every command."""

    def __init__(self, commands: Mapping, lazy: dict[str, str]):
        super().__init__(commands)
        self._lazy = dict(lazy)  # name -> "module:attribute"

    def _load(self, name: str) -> None:
        where = self._lazy.get(name)
        if where is not None:
            module, attr = where.split(":")
            self[name] = getattr(importlib.import_module(module, __package__), attr)
            del self._lazy[name]

    def _load_all(self) -> None:
        for name in list(self._lazy):
            self._load(name)

    def __missing__(self, name: str):
        self._load(name)
        if dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in self._lazy

    def get(self, name: str, default=None):
        return self[name] if name in self else default

    def __iter__(self):
        self._load_all()
        return super().__iter__()

    def __len__(self) -> int:
        self._load_all()
        return super().__len__()

    def keys(self):
        self._load_all()
        return super().keys()

    def values(self):
        self._load_all()
        return super().values()

    def items(self):
        self._load_all()
        return super().items()


cli.add_command(watch)
cli.commands = _Commands(cli.commands, {"keys": "archive.cli.keys:keys_cli", "export": "archive.cli.export:export_cli",
                                        "spark": "archive.cli.scale:spark_cmd",
                                        "import-parquet": "archive.cli.scale:import_parquet_cmd"})
