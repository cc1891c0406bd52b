"""Citations: pin a passage to a snapshot, verify it later, and check it against the live page.

A citation is user data, so it is written to the WARC store first, as a ``metadata``
record (``Content-Type: application/vnd.archive-store.citation+json``) that refers to the
capture it cites; the ``citations`` table mirrors those records and ``archive reindex``
restores it. The id is derived from what the citation pins, so citing the same passage of
the same snapshot twice gives the same id and writes nothing new.

``verify`` re-reads the cited capture at its offset, recomputes the block and payload
SHA-256, re-extracts the text and re-finds the passage by its selectors; each check has
an outcome and a failure names the citation, the file and the failing check.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from archive.config import DEFAULT_BASE_URL
from archive.errors import AmbiguousPassage, PassageNotFound, StoreError, UsageError, WarcFormatError
from archive.index.metadata import CITATION_FIELDS, CITATION_TYPE, metadata_record, record_urn
from archive.index.rows import warc_record_id
from archive.text.citemeta import authors
from archive.text.selectors import quote_selector
from archive.times import iso_date, warc_date, warc_date_from_iso
from archive.warc.digests import digest_algo
from archive.warc.record import load_record

# archive.index.versions (the extractor, lxml), archive.text.passage and trafilatura are imported where
# they are used: ``archive verify`` re-extracts in worker processes and its main process
# never needs them.
if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from archive.index.journal import Journal

def citation_id(snapshot_sha256: str, text_sha: str, start: int, end: int, exact: str,
                page_url: str | None = None) -> str:
    """Derived from what the citation pins: same passage, same snapshot → same id.

    ``page_url`` is given only when the same passage of the same snapshot is already cited
    from another page (two addresses that served identical bytes): the citation of this
    page is then a citation of its own.

    >>> citation_id("a" * 64, "b" * 64, 3, 8, "2,300")
    'c-acdfc801aac978e65006'
    >>> citation_id("a" * 64, "b" * 64, 3, 8, "2,300", "http://example.org/b") != 'c-acdfc801aac978e65006'
    True
    """
    key = f"{snapshot_sha256}\n{text_sha}\n{start}\n{end}\n{exact}"
    if page_url is not None:
        key += f"\n{page_url}"
    h = hashlib.sha256(key.encode("utf-8"))
    return "c-" + h.hexdigest()[:20]


def cite(store: "Journal", url: str, passage: str, at: str | None = None, note: str | None = None,
         base_url: str = DEFAULT_BASE_URL, occurrence: int | None = None) -> dict:
    """Pin ``passage`` of the version of ``url`` current at ``at`` (default: latest).

    A passage found in several places is pinned only when ``occurrence`` (1-based, in text
    order) says which; otherwise :class:`AmbiguousPassage` lists them. The result says which
    occurrence was pinned (``occurrence``) out of how many (``occurrences``).
    """
    from archive.index.queries import capture_at, resolve_page
    from archive.index.versions import extract_page
    from archive.index.rows import resource_target
    from archive.text.passage import find_occurrences, find_passage
    from archive.times import parse_time

    if not passage or not passage.strip():
        raise UsageError("the passage to cite is empty")
    conn = store.conn
    page = resolve_page(conn, url)
    extract_page(store, page)   # what is still queued for this page is extracted first
    bound = parse_time(at)
    cap = capture_at(conn, page, bound)
    if cap is None:
        when = f" at or before {at}" if at else ""
        raise UsageError(f"{url} has no complete, readable capture{when} to cite")
    text_row = conn.execute("SELECT text FROM texts WHERE sha256=?", (cap["text_sha256"],)).fetchone()
    text = text_row["text"]
    hits = find_occurrences(text, passage)
    if not hits:
        try:
            find_passage(text, passage)  # for its message and the closest passages
        except PassageNotFound as exc:
            raise PassageNotFound(f"passage not found in the capture of {url} from "
                                  f"{cap['captured_at']}. {exc}", exc.closest) from None
        hits = [find_passage(text, passage)]
    if occurrence is not None and not 1 <= occurrence <= len(hits):
        raise UsageError(f"--occurrence {occurrence}: the passage occurs {len(hits)} time"
                         f"{'s' if len(hits) != 1 else ''} in the capture of {url} from {cap['captured_at']}")
    if occurrence is None and len(hits) > 1:
        matches = [{"occurrence": i, "start": s, "end": e,
                    "context": " ".join((text[max(0, s - 40):s] + "[" + text[s:e] + "]" + text[e:e + 40]).split())}
                   for i, (s, e) in enumerate(hits, 1)]
        raise AmbiguousPassage(
            f"the passage occurs {len(hits)} times in the capture of {url} from {cap['captured_at']}; "
            f"choose one with --occurrence N (1-{len(hits)}) or give a longer passage:\n"
            + "\n".join(f"  {m['occurrence']}. …{m['context']}…" for m in matches), matches)
    n = occurrence or 1
    start, end = hits[n - 1]
    capture = store.capture_row(cap["record_id"])
    if capture is None:  # the index was rebuilt meanwhile
        raise StoreError(f"capture {cap['record_id']} is no longer in the index; cite again")
    sel = quote_selector(text, start, end)
    cid = citation_id(cap["payload_sha256"], cap["text_sha256"], start, end, sel["exact"])
    existing = conn.execute("SELECT * FROM citations WHERE id=?", (cid,)).fetchone()
    if existing is not None and existing["page_url"] != page:
        # Another address served these very bytes and was cited first: a citation of this
        # page must pin this page's capture, not hand back the other page's citation.
        cid = citation_id(cap["payload_sha256"], cap["text_sha256"], start, end, sel["exact"], page)
        existing = conn.execute("SELECT * FROM citations WHERE id=?", (cid,)).fetchone()
    if existing is None:
        body = {
            "id": cid, "url": resource_target(capture["url"]), "page_url": page, "captured_at": cap["captured_at"],
            "record_id": cap["record_id"], "snapshot_sha256": cap["payload_sha256"],
            "text_sha256": cap["text_sha256"], **sel, "start": start, "end": end,
            "created_at": iso_date(warc_date(store.clock())), "note": note,
        }
        _write_citation(store, body)
        existing = conn.execute("SELECT * FROM citations WHERE id=?", (cid,)).fetchone()
        from archive.provenance import ledger

        ledger.record_citation(store, existing)
    return {**citation_output(store, existing, base_url), "occurrence": n, "occurrences": len(hits)}


def _write_citation(store: "Journal", body: dict) -> None:
    rec = metadata_record(store.warcs.builder, record_urn("citation", body["id"]), CITATION_TYPE, body,
                          store.id_factory(), warc_date(store.clock()), refers_to=body["record_id"],
                          refers_to_uri=body["url"], refers_to_date=warc_date_from_iso(body["captured_at"]))
    store.append([rec])   # the ledger vouches for it once indexed (record_citation)


def citation_output(store: "Journal", row: sqlite3.Row, base_url: str = DEFAULT_BASE_URL) -> dict:
    """The citation as commands and pages give it: its fields, permalink, what the cited page
    says about itself (title, authors, site name, publication date) and the citation forms."""
    out = {k: row[k] for k in CITATION_FIELDS}
    base = base_url.rstrip("/")
    out["permalink"] = f"{base}/-/cite/{row['id']}"
    text_row = store.conn.execute("SELECT title, author, published FROM texts WHERE sha256=?",
                                  (row["text_sha256"],)).fetchone()
    out["title"] = text_row["title"] if text_row else None
    out["authors"] = authors(text_row["author"]) if text_row else []
    out["published"] = text_row["published"] if text_row else None
    out["site_name"] = _site_name(store, row["snapshot_sha256"]) or _host(row["url"])
    out["forms"] = citation_forms(out, base)
    return out


def _host(url: str) -> str:
    """A site's host name as a reader writes it: without ``www.`` or a port."""
    host = (urlsplit(url).hostname or url)
    return host[4:] if host.startswith("www.") else host


#: Site names found in snapshots, by the SHA-256 of the payload and the HTTP headers it
#: was decoded with: a pure function of those bytes, so kept (only for payloads that did
#: hash to the snapshot's SHA-256 when read).
_SITE_NAMES: dict[tuple[str, str | None], str | None] = {}
_SITE_NAMES_MAX = 4096


def _site_name(store: "Journal", snapshot_sha256: str) -> str | None:
    """The publication's name from the cited page's own metadata (read from the WARC)."""
    from archive.text.citemeta import site_name
    from archive.warc.http import decode_content

    snap = store.conn.execute("SELECT c.http_headers FROM snapshots s JOIN captures c ON c.record_id = s.record_id "
                              "WHERE s.sha256=?", (snapshot_sha256,)).fetchone()
    key = (snapshot_sha256, snap[0] if snap else None)
    if snap is not None and key in _SITE_NAMES:
        return _SITE_NAMES[key]
    try:
        payload, orig = store.payload(snapshot_sha256)
        headers = json.loads(orig["http_headers"]) if orig["http_headers"] else []
        data, _ = decode_content(payload, headers)
    except Exception:  # unreadable bytes: the citation still has its host as site name
        return None
    name = site_name(data)
    if (snap is not None and orig["http_headers"] == key[1]
            and hashlib.sha256(payload).hexdigest() == snapshot_sha256):
        if len(_SITE_NAMES) >= _SITE_NAMES_MAX:
            _SITE_NAMES.clear()
        _SITE_NAMES[key] = name
    return name


def _bib(value: str) -> str:
    """A value inside a BibTeX brace group: braces kept balanced, TeX specials escaped."""
    out = []
    for ch in value:
        if ch == "{":  # BibTeX counts braces even after a backslash: spell them out
            out.append("\\textbraceleft{}")
        elif ch == "}":
            out.append("\\textbraceright{}")
        elif ch in "&%$#_":
            out.append("\\" + ch)
        elif ch == "\\":
            out.append("\\textbackslash{}")
        elif ch in "~^":
            out.append("\\" + ch + "{}")
        else:
            out.append(ch)
    return "".join(out)


def _bib_url(url: str) -> str:
    """A URL inside a BibTeX field: only the characters that would break the group go."""
    return url.replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def _date_parts(iso: str | None) -> list[int] | None:
    parts = (iso or "")[:10].split("-")
    try:
        return [int(x) for x in parts] if len(parts) == 3 else None
    except ValueError:
        return None


def _long_day(iso: str | None) -> str:
    parts = _date_parts(iso)
    if not parts:
        return ""
    y, m, d = parts
    return f"{d} {_MONTHS[m - 1]} {y}" if 1 <= m <= 12 else ""


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_BIB_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def citation_forms(c: dict, base_url: str = DEFAULT_BASE_URL) -> dict:
    """Ready-to-paste forms: plain text, BibTeX, CSL-JSON, Robust Link, text fragment, Memento.

    Each carries the title, the authors (each once), the publication's name, the publication
    and capture dates, the live URL and the archived one (the permalink under ``base_url``).
    """
    from archive.text.citemeta import name_parts

    base = base_url.rstrip("/")
    permalink = f"{base}/-/cite/{c['id']}"
    stamp = (c["captured_at"] or "").replace("-", "").replace(":", "").replace("T", "")[:14]
    memento = f"{base}/-/web/{stamp}/{c['url']}"
    day = (c["captured_at"] or "")[:10]
    title = c.get("title") or c["url"]
    site = c.get("site_name") or _host(c["url"])
    names = list(c.get("authors") or [])
    published = c.get("published")
    exact = c["exact"]
    who = (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]) + ". " if names else ""
    when = f", {_long_day(published)}" if _long_day(published) else ""
    plain = (f"{who}“{title}”. {site}{when}. {c['url']}. Archived {_long_day(day)}: {permalink} "
             f"(snapshot sha256:{c['snapshot_sha256'][:16]}…). Quoted: “{exact}”")
    issued = _date_parts(published) or _date_parts(day)
    # "Family, Given"; an organisation in braces so BibTeX does not split it into names.
    bib_names = " and ".join(_bib(f"{fam}, {giv}") if giv else "{" + _bib(fam) + "}"
                             for giv, fam in (name_parts(n) for n in names))
    fields = []
    if names:
        fields.append(("author", bib_names))
    fields += [("title", _bib(title)), ("howpublished", _bib(site))]
    if issued:
        fields += [("year", str(issued[0])), ("month", _BIB_MONTHS[issued[1] - 1] if 1 <= issued[1] <= 12 else "")]
    fields += [("url", _bib_url(c["url"])), ("urldate", day),
               ("note", f"Archived {day} at \\url{{{_bib_url(permalink)}}}; snapshot sha256:{c['snapshot_sha256']}; "
                        f"quoted passage: ``{_bib(exact)}''")]
    body = ",\n".join(f"  {k} = {{{v}}}" if k != "month" else f"  {k} = {v}" for k, v in fields if v)
    bibtex = f"@misc{{{c['id']},\n{body}\n}}"
    csl: dict = {"id": c["id"], "type": "webpage", "title": title}
    if names:
        csl["author"] = [{"family": fam, "given": giv} if giv else {"literal": fam}
                         for giv, fam in (name_parts(n) for n in names)]
    csl["container-title"] = site
    if _date_parts(published):
        csl["issued"] = {"date-parts": [_date_parts(published)]}
    csl["URL"] = c["url"]
    if _date_parts(day):
        csl["accessed"] = {"date-parts": [_date_parts(day)]}
    csl.update({"archive": _host(base), "archive_location": permalink,
                "note": f"Archived copy: {permalink} (snapshot sha256:{c['snapshot_sha256']}). "
                        f"Quoted: “{exact}”"})
    robust = (f'<a href="{html.escape(c["url"])}" data-versionurl="{html.escape(memento)}" '
              f'data-versiondate="{day}">{html.escape(title)}</a>')
    fragment = c["url"].split("#")[0] + "#:~:text=" + _text_fragment(exact, c.get("prefix"), c.get("suffix"))
    return {"text": plain, "bibtex": bibtex, "csl_json": csl, "robust_link": robust,
            "text_fragment": fragment, "memento": memento}


def _text_fragment(exact: str, prefix: str | None, suffix: str | None) -> str:
    def enc(s: str) -> str:
        return quote(s, safe="")  # '-', ',' and '&' must be escaped in directives
    words = exact.split()
    if len(words) > 10:
        body = enc(" ".join(words[:4])) + "," + enc(" ".join(words[-4:]))
    else:
        body = enc(" ".join(words))
    return body.replace("-", "%2D")


# -- verify -------------------------------------------------------------------------
#
# A citation is verified in two steps. The record checks read the citation record and the
# cited capture at their pointers and re-hash them; they are cheap. The re-extraction of the
# cited snapshot's text (trafilatura: ~0.15 s to import, then ~10 ms a page) is most of the
# cost, so :class:`Verification` runs it apart from the record checks: each distinct snapshot
# once, and in worker processes when there are many or when the caller has other work to do
# meanwhile (``archive verify --all`` runs the full audit while the worker re-extracts).
# The checks, their order and their outcomes are the same whichever way the text is made.

def _check(name: str, ok: bool | None, detail: str = "") -> dict:
    return {"check": name, "ok": ok, "detail": detail}


class _Source:
    """What the cited snapshot's text is re-extracted from: the payload as stored, the HTTP
    headers (for Content-Encoding), the content type and the URL. The payload may be read
    only when first asked for (``load``): a citation page whose rows the ledger vouches
    for never needs it."""

    def __init__(self, payload: bytes | None, headers: list | None, content_type: str | None,
                 url: str | None, load=None) -> None:
        self._payload, self._load = payload, load
        self.headers, self.content_type, self.url = headers, content_type, url

    @property
    def payload(self) -> bytes:
        if self._payload is None:
            self._payload = self._load()
        return self._payload

    def key(self) -> tuple:
        """Extraction is a pure function of these: equal keys give equal texts."""
        return (hashlib.sha256(self.payload).digest(), json.dumps(self.headers), self.content_type, self.url)


@dataclass
class _Pending:
    """One citation whose record checks are done and whose text is still to be made."""

    id: str
    row: sqlite3.Row
    checks: list[dict] = field(default_factory=list)
    where: dict = field(default_factory=dict)
    source: _Source | None = None     # None: a record check ended the verification early
    hashed_at: list[float] = field(default_factory=list)   # when the records checked were hashed
    from_memory: bool = False   # some of them were not read again (their files had not changed)


def _extract_text(payload: bytes, headers: list | None, ctype: str | None, url: str | None) -> tuple[str, str]:
    """The re-extracted article text and its SHA-256 (in a worker process, or in this one)."""
    from archive.index.versions import text_sha256
    from archive.text.extract import extract
    from archive.warc.http import decode_content

    data, _ = decode_content(payload, headers)
    text = extract(data, ctype, url, text_only=True).text
    return text, text_sha256(text)


def _extract_in_worker(payload: bytes, headers: list | None, ctype: str | None,
                       url: str | None) -> tuple[str, str, str]:
    """``("ok", text, sha)`` or ``("error", "", "Type: message")``: an exception is turned into
    the detail the check reports here, because not every exception survives pickling as it was
    (``NotExtractable`` would come back with its message doubled)."""
    try:
        return ("ok", *_extract_text(payload, headers, ctype, url))
    except Exception as exc:  # extraction of a corrupted payload may fail in many ways
        return "error", "", f"{type(exc).__name__}: {exc}"


def _record_checks(store: "Journal", cid: str, remembered: bool = False) -> _Pending:
    """Checks 1 and 2 of a citation, up to the bytes its text is re-extracted from.

    With ``remembered`` (the citation page), a record whose file has not changed since it
    was last hashed in this process is not read again (:mod:`archive.provenance.hashed`);
    ``p.hashed_at`` says when the bytes checked were hashed, and the ``record_readable``
    checks say it too. ``archive verify`` reads and hashes everything now."""
    from archive.provenance.hashed import hashed_record

    conn = store.conn
    row = conn.execute("SELECT * FROM citations WHERE id=?", (cid,)).fetchone()
    if row is None:
        raise UsageError(f"no citation {cid!r} in {store.db_path}")
    p = _Pending(cid, row, where={"citation": cid})
    checks = p.checks
    # 1. the citation's own WARC record says what the index says.
    try:
        ch, _ = hashed_record(store.warcs.source(row["warc_file"]), row["offset"], row["length"],
                              fresh=not remembered)
        if remembered:
            p.hashed_at.append(ch.hashed_at)
            p.from_memory |= ch.from_memory
        cblock = ch.block if ch.block is not None else load_record(
            store.warcs.source(row["warc_file"]), row["offset"], row["length"]).block
        body = json.loads(cblock.decode("utf-8"))
        diffs = [k for k in CITATION_FIELDS if body.get(k) != row[k]]
        checks.append(_check("citation_record", not diffs,
                             "index matches the citation record" if not diffs else
                             f"index differs from the WARC citation record in {', '.join(diffs)}"))
        checks.append(_check("citation_record_digest", ch.block_digest_ok,
                             f"{row['warc_file']} @ {row['offset']}{_hashed_words(ch, remembered)}"))
    except (WarcFormatError, StoreError, ValueError) as exc:
        checks.append(_check("citation_record", False, str(exc)))
    # 2. the cited capture: bytes at the pointer, block and payload digests.
    cap = store.capture_row(row["record_id"])
    if cap is None:
        checks.append(_check("capture_indexed", False, f"capture {row['record_id']} is not in the index"))
        return p
    try:
        orig = store.original_of(cap)
        p.where.update(warc_file=orig["warc_file"], offset=orig["offset"], record_id=orig["record_id"])
        source = store.warcs.source(orig["warc_file"])
        h, rec = hashed_record(source, orig["offset"], orig["length"], fresh=not remembered)
        if remembered:
            p.hashed_at.append(h.hashed_at)
            p.from_memory |= h.from_memory
        checks.append(_check("record_readable", True, f"{orig['warc_file']} @ {orig['offset']}{_hashed_words(h, remembered)}"))
        got_id = h.record_id
        checks.append(_check("record_id", got_id == warc_record_id(orig["record_id"]),
                             f"record at the offset is {got_id}"))
        block = h.block_sha256
        # Like with like: a WARC that declares SHA-1 (wget, warcio, Heritrix) is checked
        # with SHA-1; the SHA-256 is what the index holds, compared just below.
        label = h.header("WARC-Block-Digest")
        ok = h.block_digest_ok
        detail = f"sha256 {block}"
        if ok is None:
            detail += (" (record declares no digest)" if not label else
                       f" (declared {label.split(':', 1)[0]!r} digest cannot be checked)")
        elif digest_algo(label) != "sha256":
            detail += f"; declared {label} checked with {digest_algo(label)}"
        if not label:
            checks.append(_vouched_block_check(store, orig["record_id"], block))
        else:
            checks.append(_check("block_digest", ok, detail))
        checks.append(_check("block_matches_index", block == orig["block_sha256"],
                             "index block_sha256 " + str(orig["block_sha256"])))
        payload = h.payload_sha256
        checks.append(_check("payload_digest", payload == row["snapshot_sha256"],
                             f"payload sha256 {payload}, cited {row['snapshot_sha256']}"))
        if h.header("WARC-Truncated"):
            checks.append(_check("complete", False, f"record is truncated ({h.header('WARC-Truncated')})"))
        if rec is None:   # remembered: the bytes are read again only if the text must be re-extracted
            p.source = _snapshot_source(store, row["snapshot_sha256"], orig, None, source)
        else:
            p.source = _snapshot_source(store, row["snapshot_sha256"], orig, rec)
    except (WarcFormatError, StoreError) as exc:
        checks.append(_check("record_readable", False, str(exc)))
    except Exception as exc:  # a broken index row may fail in many ways
        checks.append(_check("text_extracted", False, f"{type(exc).__name__}: {exc}"))
    return p


def _hashed_words(h, remembered: bool) -> str:
    """How a check's detail says when the bytes were hashed (on the page only: ``archive
    verify`` hashes everything now, and its output stays the same from run to run)."""
    if not remembered:
        return ""
    at = _epoch_iso(h.hashed_at)
    return (f"; bytes hashed {at}, their file unchanged since (same inode, size, modification and change times)"
            if h.from_memory else f"; bytes hashed now ({at})")


def _epoch_iso(t: float) -> str:
    from archive.provenance.hashed import iso_time

    return iso_time(t)


def _vouched_block_check(store: "Journal", record_id: str, block: str) -> dict:
    """The block digest check of a record that declares none (an ARC record, a WARC of a
    tool that writes no digests): the digest the ledger vouched for when the store first
    indexed the record. It proves the bytes unchanged since the import, not since the
    capture, and says so; with no ledger entry there is nothing to check (None)."""
    from archive.provenance import ledger

    entry = ledger.entry_for(store, "capture", record_id)
    vouched = (entry or {}).get("digests", {}).get("block_sha256")
    if not vouched or entry is None:
        return _check("block_digest", None, f"sha256 {block} (record declares no digest and "
                                            "no ledger entry vouches for it)")
    return _check("block_digest", block == vouched,
                  f"sha256 {block}; the record declares no digest: compared with the digest "
                  f"ledger entry {entry['seq']} vouched for when it was indexed on {entry['at'][:10]}")


def _snapshot_source(store: "Journal", sha256: str, orig: sqlite3.Row, rec, source=None) -> _Source:
    """The bytes the snapshot's text is re-extracted from: those of the snapshot's own record
    (as :func:`archive.index.versions.read_snapshot` reads them), which is nearly always the cited
    record just read, so it is not read a second time."""
    snap = store.conn.execute("SELECT record_id FROM snapshots WHERE sha256=?", (sha256,)).fetchone()
    if snap is None:
        raise LookupError(f"snapshot {sha256} is not in the index")
    if snap[0] == orig["record_id"]:
        row = orig
    else:
        found = store.capture_row(snap[0])
        if found is None:
            raise LookupError(f"the record {snap[0]} of snapshot {sha256} is not in the index")
        row = found
        rec = load_record(store.warcs.source(row["warc_file"]), row["offset"], row["length"])
    headers = json.loads(row["http_headers"]) if row["http_headers"] else []
    if rec is None:   # the cited record, not read now (its digests were remembered)
        return _Source(None, headers, row["content_type"], row["url"],
                       load=lambda: load_record(source, row["offset"], row["length"]).payload)
    return _Source(rec.payload, headers, row["content_type"], row["url"])


def _finish(p: _Pending, text: str | None, tsha: str | None, error: str | None,
            source: str = "re-extracted") -> dict:
    """Check 3 (the passage), given the re-extracted (or vouched) text or why there is none."""
    checks, row = p.checks, p.row
    if error is not None:
        checks.append(_check("text_extracted", False, error))
    elif text is not None:
        checks.append(_check("text_digest", tsha == row["text_sha256"], f"{source} text sha256 {tsha}"))
    # 3. the passage is where the selectors say, with its context.
    if text is not None:
        at_pos = text[row["start"]:row["end"]]
        checks.append(_check("passage_position", at_pos == row["exact"],
                             f"text[{row['start']}:{row['end']}] = {at_pos[:80]!r}"))
        sel = quote_selector(text, row["start"], row["end"])
        checks.append(_check("passage_context", sel["prefix"] == row["prefix"] and sel["suffix"] == row["suffix"],
                             "prefix and suffix match" if sel["prefix"] == row["prefix"] and sel["suffix"] == row["suffix"]
                             else "prefix or suffix differ from the stored selector"))
    ok = all(c["ok"] is True for c in checks)
    failed = [c for c in checks if c["ok"] is not True]
    out = {"id": p.id, "ok": ok, "checks": checks, "where": p.where,
           "failed": [f"{c['check']}: {c['detail']}" for c in failed]}
    if p.hashed_at:   # the oldest of the hashes these checks rest on
        out["hashed_at"] = _epoch_iso(min(p.hashed_at))
        out["hashed_from_memory"] = p.from_memory
    return out


def verify_citation(store: "Journal", cid: str, vouched: bool = False, remembered: bool = False) -> dict:
    """Every check of one citation; ``ok`` only if every check passed (None is not a pass).

    The text is re-extracted through :func:`archive.index.versions.extract_snapshot`, whose
    in-process memory of recent extractions keeps a long-running server's citation pages fast.
    With ``vouched`` (the citation page), the passage is looked for in the text the index
    holds when the ledger vouches that the cited bytes, just re-hashed, give that text and
    those rows (check ``derived_rows``, :func:`archive.provenance.derived.vouched_rows`):
    no extraction. Otherwise, or where no entry vouches for them, the text is re-extracted.
    With ``remembered`` (the citation page), digests of records whose files have not
    changed since they were hashed in this process are not computed again; the result's
    ``hashed_at`` says when the oldest of them was (:mod:`archive.provenance.hashed`).
    """
    from archive.index.versions import extract_snapshot, text_sha256

    p = _record_checks(store, cid, remembered)
    if p.source is None:
        return _finish(p, None, None, None)
    if vouched and not any(c["ok"] is False for c in p.checks):
        from archive.provenance.derived import vouched_rows

        v = vouched_rows(store, p.row["snapshot_sha256"], p.row["text_sha256"], remembered)
        if v["ok"] is True:
            p.checks.append(_check("derived_rows", True, v["detail"]))
            text = store.conn.execute("SELECT text FROM texts WHERE sha256=?",
                                      (p.row["text_sha256"],)).fetchone()[0] or ""
            return _finish(p, text, text_sha256(text), None, source="vouched")
    try:
        # The whole extraction, not text_only: the page that shows this citation checks its
        # quotes and figures against the same extraction (text_row_problems), and both
        # then share one, remembered by extract_snapshot.
        text = extract_snapshot(store, p.row["snapshot_sha256"]).text
    except (WarcFormatError, StoreError) as exc:
        p.checks.append(_check("record_readable", False, str(exc)))
        return _finish(p, None, None, None)
    except Exception as exc:  # extraction of a corrupted payload may fail in many ways
        return _finish(p, None, None, f"{type(exc).__name__}: {exc}")
    return _finish(p, text, text_sha256(text), None)


#: Re-extract in worker processes from this many distinct snapshots on, when nothing else
#: runs meanwhile (below it, starting a worker and importing the extractor there costs more
#: than it saves); one more worker for every further ``_PER_WORKER`` of them.
_POOL_MIN = 16
_PER_WORKER = 32


class Verification:
    """Citations being verified: the record checks are done, the re-extractions are running.

    Each distinct snapshot (same bytes, headers, content type and URL) is re-extracted once,
    however many citations cite it; every citation still gets every check. With ``overlap``
    (the caller has other work to do before asking for :meth:`results`, as ``archive verify
    --all`` has the audit) or with many snapshots, the extractions run in worker processes
    (``workers``; default: one, plus one per ``_PER_WORKER`` snapshots, up to the cores), so
    they take a core of their own. Use as a context manager, which stops the workers.
    """

    def __init__(self, store: "Journal", ids: list[str] | None = None, overlap: bool = False,
                 workers: int | None = None):
        conn = store.conn
        if not ids:
            rows = conn.execute("SELECT id, snapshot_sha256 FROM citations ORDER BY created_at, id").fetchall()
        else:
            rows = [(i, r[0] if r else None) for i in ids
                    for r in [conn.execute("SELECT snapshot_sha256 FROM citations WHERE id=?", (i,)).fetchone()]]
        snapshots = len({r[1] for r in rows if r[1]})
        if workers is None:
            use_pool = snapshots and (overlap or snapshots >= _POOL_MIN)
            workers = min(os.cpu_count() or 1, 1 + snapshots // _PER_WORKER) if use_pool else 0
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[tuple, Future | _Source] = {}   # key -> its extraction (or its source, in-process)
        self._pending: list[tuple[_Pending, tuple | None]] = []
        try:
            for cid, _ in rows:
                p = _record_checks(store, cid)
                key = None
                if p.source is not None:
                    key = p.source.key()
                    if key not in self._jobs:
                        self._jobs[key] = self._submit(p.source)
                self._pending.append((p, key))
        except BaseException:
            self.close(cancel=True)
            raise

    def _submit(self, src: _Source) -> "Future | _Source":
        """Start re-extracting ``src`` in a worker, or keep it to extract in this process."""
        if self._workers < 1:
            return src
        if self._pool is None:  # the workers start (fork) now, before any thread of ours does
            self._pool = _extraction_pool(self._workers)
        return self._pool.submit(_extract_in_worker, src.payload, src.headers, src.content_type, src.url)

    def results(self) -> list[dict]:
        """One result per citation, in order; waits for the re-extractions."""
        done: dict[tuple, tuple[str, str, str]] = {}
        out = []
        for p, key in self._pending:
            if key is None or p.source is None:   # one is None when the other is
                out.append(_finish(p, None, None, None))
                continue
            if key not in done:
                done[key] = self._outcome(self._jobs[key], p.source)
            status, text, sha_or_error = done[key]
            out.append(_finish(p, text, sha_or_error, None) if status == "ok"
                       else _finish(p, None, None, sha_or_error))
        return out

    @staticmethod
    def _outcome(job: "Future | _Source", src: _Source) -> tuple[str, str, str]:
        if isinstance(job, _Source):
            return _extract_in_worker(job.payload, job.headers, job.content_type, job.url)
        try:
            return job.result()
        except Exception:  # the worker died (BrokenProcessPool): extract here, as without one
            return _extract_in_worker(src.payload, src.headers, src.content_type, src.url)

    def close(self, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None

    def __enter__(self) -> "Verification":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel=exc_type is not None)


def _extraction_pool(workers: int) -> "ProcessPoolExecutor":
    """Worker processes for re-extraction, forked where the platform can: a worker only runs
    :func:`_extract_in_worker` on the bytes it is sent (it never touches the store's database
    connection or files), and forking spares it re-importing what this process has loaded.
    The workers exit when this process dies (:mod:`archive.workers`)."""
    from archive.workers import process_pool

    return process_pool(workers, fork=True)


def verify(store: "Journal", ids: list[str] | None = None, workers: int | None = None) -> list[dict]:
    """Every check of each citation (all of them by default); see :class:`Verification`."""
    with Verification(store, ids, workers=workers) as v:
        return v.results()







def passage_state(conn: sqlite3.Connection, citation, payload_sha256: str | None,
                  text_sha256: str | None) -> dict:
    """Where the cited passage stands in a later capture of its page whose payload and
    extracted text are given: ``{"status", "now", "detail"}`` with status ``unchanged``
    (the very snapshot cited), ``present`` (another snapshot, the passage as cited),
    ``changed`` or ``removed``. Used by ``archive check`` and by ``archive watch``."""
    from archive.text.passage import relocate

    if payload_sha256 == citation["snapshot_sha256"]:
        return {"status": "unchanged", "now": citation["exact"], "detail": "same snapshot"}
    text = conn.execute("SELECT text FROM texts WHERE sha256=?", (text_sha256,)).fetchone() \
        if text_sha256 else None
    if text is None:
        return {"status": "removed", "now": None, "detail": "the page now has no readable article text"}
    found = relocate(text[0], {k: citation[k] for k in ("exact", "prefix", "suffix", "start", "end")})
    status = "present" if found["status"] == "unchanged" else found["status"]
    return {"status": status, "now": found.get("now"), "detail": f"similarity {found.get('score', 0):.2f}"}
