"""What the citation page says first: the two answers a reader came for, in words.

A reader who opens ``/-/cite/<id>`` wants to know, before anything else, (1) whether the
archived copy still proves what was quoted (``archived``: verified, failed, or unverified
when something could not be checked), and (2) what the live page says now (``current``:
unchanged, changed, removed, gone, or not checked). The second answer comes from the newest
look at the live page the archive has: a later capture of the page (a version) or a live
check (``archive check`` / ``archive watch``), whichever is newer.

The functions here are pure over rows already read, so the page, its JSON twin and tests
agree on one answer. The proof behind the first answer (every check, hash and ledger entry)
stays on the page, one click away, in plain language first (:data:`CHECK_WORDS`).
"""

from __future__ import annotations

from datetime import timezone
from typing import Iterable

from archive.times import parse_iso

#: Each verification check in a sentence a reader understands; the raw name follows it.
CHECK_WORDS = {
    "index_rows": "The text, quotes and figures the index shows are what the archived bytes give.",
    "citation_record": "The citation's own record in the WARC file says what the index says.",
    "citation_record_digest": "The citation record's bytes match the digest written with them.",
    "capture_indexed": "The cited capture is in the index.",
    "record_readable": "The archived capture was read back from its WARC file.",
    "record_id": "The record found at that position is the one that was cited.",
    "block_digest": "The archived record's bytes match the digest written when it was captured.",
    "block_matches_index": "They also match the digest kept in the index.",
    "payload_digest": "The page's bytes hash (SHA-256) to the snapshot that was cited.",
    "complete": "The capture is complete, not cut short.",
    "text_extracted": "The article text could be extracted again from the archived bytes.",
    "derived_rows": "The ledger vouches that these bytes give this article text, with these quotes "
                    "and figures: the rows the index holds match the digest it recorded when they were extracted.",
    "text_digest": "The article text (as vouched for, or extracted again) is exactly the text that was cited.",
    "passage_position": "The quoted passage is at the cited position in that text.",
    "passage_context": "The words just before and after the passage are as cited.",
    "verify": "Verification could run.",
}

#: ``archive check`` statuses, as the page and the JSON ``current`` field name them.
_CHECK_STATUS = {"unchanged": "unchanged", "present": "unchanged", "changed": "changed",
                 "removed": "removed", "gone": "gone"}


def _check_status(check: dict) -> str | None:
    """A live check's status as the page words it ("present" is "unchanged")."""
    status = check.get("status")
    return _CHECK_STATUS.get(status, status) if status is not None else None


def human_time(iso: str | None, with_time: bool = True) -> str:
    """An ISO 8601 UTC time as a reader writes it.

    >>> human_time("2026-11-25T03:48:29.411644Z")
    '25 November 2026, 03:48 UTC'
    >>> human_time("2026-11-25T03:48:29Z", with_time=False)
    '25 November 2026'
    >>> human_time(None)
    ''
    """
    dt = parse_iso(iso) if iso else None
    if dt is None:
        return iso or ""
    dt = dt.astimezone(timezone.utc)
    day = f"{dt.day} {dt.strftime('%B %Y')}"
    return f"{day}, {dt.strftime('%H:%M')} UTC" if with_time else day


def hashed_ago(hashed_at: str | None, now: str | None) -> str:
    """How long ago the bytes were hashed, as the page says it.

    >>> hashed_ago("2026-12-08T01:00:00.000000Z", "2026-12-08T01:00:00.400000Z")
    'just now'
    >>> hashed_ago("2026-12-08T01:00:00.000000Z", "2026-12-08T01:00:12.000000Z")
    '12 s ago'
    >>> hashed_ago("2026-12-08T01:00:00.000000Z", "2026-12-08T01:07:40.000000Z")
    '7 min ago'
    >>> hashed_ago("2026-12-08T01:00:00.000000Z", "2026-12-08T04:00:00.000000Z")
    'on 8 December 2026, 01:00 UTC'
    """
    a, b = parse_iso(hashed_at) if hashed_at else None, parse_iso(now) if now else None
    if a is None or b is None:
        return ""
    s = (b - a).total_seconds()
    if s < 1:
        return "just now"
    if s < 120:
        return f"{s:.0f} s ago"
    if s < 7200:
        return f"{s // 60:.0f} min ago"
    return "on " + human_time(hashed_at)


def archived_state(verification: dict) -> str:
    """``verified`` (every check passed), ``failed`` (one failed) or ``unverified`` (nothing
    failed, but something had nothing to check: that is not a pass)."""
    if verification.get("ok"):
        return "verified"
    if any(c.get("ok") is False for c in verification.get("checks", [])):
        return "failed"
    return "unverified"


def plain_checks(checks: Iterable[dict]) -> list[dict]:
    """The checks with a sentence each, for the proof section (raw name and detail kept)."""
    return [{**c, "words": CHECK_WORDS.get(c.get("check", ""), c.get("check", ""))} for c in checks]


def _later_than(a: str | None, b: str | None) -> bool:
    da, db = parse_iso(a) if a else None, parse_iso(b) if b else None
    if da is None:
        return False
    return db is None or da > db


def live_state(cited_at: str | None, cited_version: int | None, versions: list[dict],
               later: list[dict], checks: list[dict]) -> dict:
    """What the live page says now, from the newest look the archive has at it.

    ``versions`` are the page's versions (``version``, ``first_captured_at``,
    ``last_captured_at``); ``later`` says for each version after the cited one where the
    passage stands (``status`` unchanged/present/changed/removed, ``now``); ``checks`` are the
    live checks of this citation, newest first. Returns ``status`` (unchanged, changed,
    removed, gone, not checked), ``checked_at`` (the newest look), ``since`` (when the
    current status was first seen, if it is not "unchanged"), ``last_seen_as_cited``,
    ``now`` and ``source`` (``capture`` or ``live check``).

    >>> vs = [{"version": 1, "first_captured_at": "2026-01-01T00:00:00Z", "last_captured_at": "2026-01-02T00:00:00Z"},
    ...       {"version": 2, "first_captured_at": "2026-01-05T00:00:00Z", "last_captured_at": "2026-01-09T00:00:00Z"}]
    >>> later = [{"version": 2, "status": "changed", "now": "3,100 homes"}]
    >>> s = live_state("2026-01-01T00:00:00Z", 1, vs, later, [])
    >>> s["status"], s["since"], s["checked_at"], s["last_seen_as_cited"]
    ('changed', '2026-01-05T00:00:00Z', '2026-01-09T00:00:00Z', '2026-01-02T00:00:00Z')
    >>> live_state("2026-01-01T00:00:00Z", 1, vs[:1], [], [])["status"]
    'unchanged'
    >>> live_state("2026-01-02T00:00:00Z", 1, vs[:1], [], [])["status"]
    'not checked'
    """
    status_of = {cited_version: "unchanged"} if cited_version is not None else {}
    now_of: dict = {}
    for item in later:
        status_of[item["version"]] = "unchanged" if item["status"] in ("unchanged", "present") else item["status"]
        now_of[item["version"]] = item.get("now")
    # Versions in the order they were seen, each a span [first, last] of captures.
    seen = sorted((v for v in versions if v["version"] in status_of),
                  key=lambda v: (v.get("last_captured_at") or "", v["version"]))
    out = {"status": "not checked", "checked_at": None, "since": None, "last_seen_as_cited": cited_at,
           "now": None, "source": None}
    if seen:
        newest = seen[-1]
        status: str | None = status_of[newest["version"]]
        out.update(checked_at=newest.get("last_captured_at"), source="capture",
                   now=now_of.get(newest["version"]) if status == "changed" else None)
        if not _later_than(newest.get("last_captured_at"), cited_at):
            out.update(status="not checked", checked_at=None, source=None)  # only the cited capture
        else:
            out["status"] = status
        as_cited = [v.get("last_captured_at") for v in seen if status_of[v["version"]] == "unchanged"]
        out["last_seen_as_cited"] = max([t for t in as_cited if t] or [cited_at], key=lambda t: t or "")
        if status != "unchanged":
            firsts = [v.get("first_captured_at") for v in seen if status_of[v["version"]] == status
                      and _later_than(v.get("first_captured_at"), out["last_seen_as_cited"])]
            out["since"] = min([t for t in firsts if t] or [newest.get("first_captured_at")])
    if checks:
        last = checks[0]
        if _later_than(last.get("checked_at"), out["checked_at"]) or out["checked_at"] is None:
            status = _check_status(last)
            since = last.get("checked_at")
            for c in checks:  # newest first: the start of the current run of this status
                if _check_status(c) != status:
                    break
                since = c.get("checked_at")
            if status == "unchanged":
                out.update(last_seen_as_cited=last.get("checked_at"), since=None)
            else:
                out["since"] = out["since"] if out["status"] == status and out["since"] else since
            out.update(status=status, checked_at=last.get("checked_at"), source="live check",
                       now=last.get("now") if status == "changed" else None, detail=last.get("detail"))
    return out


def figure_changes(before: str, after: str) -> list[dict]:
    """Numbers that differ between the cited passage and what the page says now, in order.

    >>> figure_changes("More than 2,300 homes", "More than 3,100 homes")[0]["after"]
    '3,100'
    """
    from archive.text.figures import find_figures

    out = []
    for fa, fb in zip(find_figures(before), find_figures(after)):
        if fa["value"] != fb["value"]:
            out.append({"before": fa["text"], "after": fb["text"],
                        "counts": fb.get("counts") or fa.get("counts")})
    return out
