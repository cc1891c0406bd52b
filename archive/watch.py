"""Watching pages for edits: recapture on a schedule that slows as a page ages, follow
feeds for new articles, and report when a cited passage drifts.

What is stored where
    A watch is user data, so it is written to the WARC store first, as a ``metadata``
    record with ``Content-Type: application/vnd.archive-store.watch+json`` whose JSON body
    has an ``action``: ``add`` (a page or a feed, with its schedule), ``remove``, or
    ``settings`` (the archive-wide default schedule). The ``watches`` table mirrors those
    records and ``archive reindex`` rebuilds it. Everything else in a watch row is derived
    from captures and recomputed by :func:`refresh`: the last capture, the ETag and
    Last-Modified to send, and the next due time. A feed is a watch row whose ``feed_url``
    is its own ``url``; an article found in a feed is a row whose ``feed_url`` names it.

Schedules
    ``EVERY:UNTIL,EVERY:UNTIL,...,EVERY`` where UNTIL is the page's age (time since it was
    first watched) at which the step ends, and durations are ``30s``, ``15m``, ``3h``,
    ``2d`` or ``1w``. The default, ``15m:3h,1h:1d,3h:7d,3d:30d,30d``, checks a new page
    every 15 minutes for 3 hours, hourly to a day, every 3 hours to a week, every 3 days to
    30 days, then monthly for ever. A schedule whose last step has an UNTIL ends there and
    the page is no longer checked, unless a citation points at it: a cited page stays
    watched at its last interval. A feed is polled at the first interval of its schedule
    for as long as it is watched; the articles found in it follow the whole schedule.

Politeness
    At most one request per host every ``host_delay`` seconds (default 5; a robots.txt
    ``Crawl-delay`` lengthens it); robots.txt is honoured unless ``ignore_robots`` (RFC
    9309: a 4xx robots.txt allows everything, a 5xx or unreachable one allows nothing for
    now); requests are conditional (``If-None-Match``, ``If-Modified-Since`` from the last
    complete 200 capture); after a failure the interval doubles with each consecutive error,
    up to a day (or the page's interval if that is longer).

A ``304 Not Modified`` is recorded, cheaply: a request record plus a ``revisit`` record
with the WARC 1.1 *server-not-modified* profile pointing at the capture it confirms. It
proves the page was checked at that time, and no payload is stored twice.

Drift
    After a page with citations is recaptured, :func:`detect_drift` relocates each cited
    passage in the new capture (no second fetch) and records ``checks`` and ``drift`` rows.
    Both are derived from captures alone (a drift row's ``detected_at`` is the capture's
    time), so re-running gives the same rows. ``drift`` is published as an Atom feed by
    the Datasette canned query :data:`DRIFT_ATOM_SQL`, and can be POSTed to a webhook.

The clock, the sleep and the fetcher are constructor parameters of :class:`Watcher`, so
tests drive the scheduler through days of simulated time without sleeping.
"""

from __future__ import annotations

import io
import json
import re
import signal
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Iterator
from urllib.parse import urljoin, urlsplit

from warcio.statusandheaders import StatusAndHeaders

from archive import SOFTWARE
from archive.errors import StoreError, UsageError
from archive.index.metadata import SCHEDULE_KEY, WATCH_TYPE, metadata_record, record_urn
from archive.times import iso, parse_iso, warc_date
from archive.urls import canonical_url, check_url
from archive.warc.digests import sha256_label

if TYPE_CHECKING:
    from urllib.robotparser import RobotFileParser

    from archive.capture.browser import LazyBrowser
    from archive.capture.http import Fetcher, Hop
    from archive.store import Store

DEFAULT_SCHEDULE = "15m:3h,1h:1d,3h:7d,3d:30d,30d"
DEFAULT_HOST_DELAY = 5.0
MAX_ERROR_BACKOFF = timedelta(days=1)
ROBOTS_TTL = timedelta(hours=24)
ROBOTS_RETRY = timedelta(hours=1)
ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: parse at least the first 500 KiB
MAX_CRAWL_DELAY = 600.0
MAX_FEED_BYTES = 10 * 1024 * 1024
IDLE_RECHECK = 300.0  # --forever re-reads the watch list this often when nothing is due
ROBOTS_AGENT = SOFTWARE.split("/")[0]
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
SETTINGS_URI = "urn:x-archive-store:watch-settings"
DRIFT_STATUSES = ("changed", "removed", "gone")
GONE_STATUSES = (404, 410, 451)

# Columns of datasette-atom (atom_id, atom_title, atom_updated, atom_content, atom_link).
# datasette-atom cannot render an empty feed, so when there is no drift yet one row says so.
DRIFT_ATOM_SQL = """\
SELECT
  'tag:archive-store,2026:drift:' || d.citation_id || ':' || d.detected_at AS atom_id,
  'Cited passage ' || d.status || ': ' || coalesce(p.title, c.url) AS atom_title,
  d.detected_at AS atom_updated,
  'Cited on ' || substr(c.captured_at, 1, 10) || ': "' || d.before || '"' || char(10) ||
  CASE d.status
    WHEN 'changed' THEN 'Now: "' || coalesce(d.now, '') || '"'
    WHEN 'removed' THEN 'The passage is no longer on the page.'
    ELSE 'The page is gone.'
  END || char(10) || 'Page: ' || c.url || char(10) || 'Citation: ' || d.citation_id ||
  char(10) || 'Recapture: ' || coalesce(d.record_id, '') AS atom_content,
  c.url AS atom_link
FROM drift d JOIN citations c ON c.id = d.citation_id
LEFT JOIN pages p ON p.url = c.page_url
UNION ALL
SELECT 'tag:archive-store,2026:drift:none', 'No cited passage has drifted',
  coalesce((SELECT min(created_at) FROM citations), '2026-01-01T00:00:00.000000Z'),
  'No change to a cited passage has been detected yet.', '/'
WHERE NOT EXISTS (SELECT 1 FROM drift)
ORDER BY atom_updated DESC
LIMIT 200"""


# -- schedules ------------------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class Step:
    """Check every ``every`` until the page is ``until`` old (``None``: for ever)."""

    every: timedelta
    until: timedelta | None


def parse_duration(value: str) -> timedelta:
    """``"15m"`` → 15 minutes. Units: s, m, h, d, w.

    >>> parse_duration("15m"), parse_duration("1.5h"), parse_duration("2d")
    (datetime.timedelta(seconds=900), datetime.timedelta(seconds=5400), datetime.timedelta(days=2))
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", value.lower())
    if not m:
        raise UsageError(f"cannot read duration {value!r}: use a number and a unit, "
                         "e.g. 30s, 15m, 3h, 2d, 1w")
    seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds <= 0:
        raise UsageError(f"duration {value!r} must be longer than zero")
    return timedelta(seconds=seconds)


def parse_schedule(spec: str) -> list[Step]:
    """Read a schedule; raises :class:`UsageError` with what is wrong.

    >>> [(s.every.total_seconds(), s.until and s.until.total_seconds()) for s in parse_schedule("15m:3h,1h")]
    [(900.0, 10800.0), (3600.0, None)]
    >>> parse_schedule("1h,15m:3h")
    Traceback (most recent call last):
    ...
    archive.errors.UsageError: schedule '1h,15m:3h': only the last step may omit ':UNTIL'
    """
    parts = [p.strip() for p in (spec or "").split(",") if p.strip()]
    if not parts:
        raise UsageError("an empty schedule: give steps like '15m:3h,1h:1d,1d'")
    steps: list[Step] = []
    for i, part in enumerate(parts):
        every, _, until = part.partition(":")
        if not until and i < len(parts) - 1:
            raise UsageError(f"schedule {spec!r}: only the last step may omit ':UNTIL'")
        step = Step(parse_duration(every), parse_duration(until) if until else None)
        before = steps[-1].until if steps else None   # only the last step may have none
        if step.until is not None and before is not None and step.until <= before:
            raise UsageError(f"schedule {spec!r}: each step must end later than the one before")
        steps.append(step)
    return steps


def normalize_schedule(spec: str | None) -> str | None:
    """A validated schedule spec without spaces; ``None`` or ``'default'`` mean the default."""
    if spec is None or spec.strip().lower() in ("", "default"):
        return None
    parse_schedule(spec)
    return ",".join(p.strip().replace(" ", "") for p in spec.split(",") if p.strip())


def interval_at(steps: list[Step], age: timedelta) -> timedelta | None:
    """The interval for a page of ``age``; ``None`` once the schedule has ended.

    >>> steps = parse_schedule("15m:3h,1h:1d")
    >>> interval_at(steps, timedelta(hours=2)), interval_at(steps, timedelta(hours=5))
    (datetime.timedelta(seconds=900), datetime.timedelta(seconds=3600))
    >>> interval_at(steps, timedelta(days=2)) is None
    True
    """
    for step in steps:
        if step.until is None or age < step.until:
            return step.every
    return None


def next_due(steps: list[Step], first_seen: datetime, last_checked: datetime | None,
             keep: bool = False, feed: bool = False) -> datetime | None:
    """When a page is next due: now if never checked, else after the interval for its age.

    ``keep`` (the page is cited) continues the last interval after the schedule ends;
    a ``feed`` is polled at the first interval for ever.

    >>> t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> steps = parse_schedule(DEFAULT_SCHEDULE)
    >>> str(next_due(steps, t0, t0 + timedelta(hours=1)))
    '2026-01-01 01:15:00+00:00'
    >>> str(next_due(steps, t0, t0 + timedelta(days=40)))
    '2026-03-12 00:00:00+00:00'
    >>> ended = parse_schedule("1h:1d")
    >>> next_due(ended, t0, t0 + timedelta(days=2)) is None, str(next_due(ended, t0, t0 + timedelta(days=2), keep=True))
    (True, '2026-01-03 01:00:00+00:00')
    """
    if last_checked is None:
        return first_seen
    if feed:
        return last_checked + steps[0].every
    every = interval_at(steps, last_checked - first_seen)
    if every is None:
        if not keep:
            return None
        every = steps[-1].every
    return last_checked + every


def error_backoff(every: timedelta, errors: int) -> timedelta:
    """The wait after ``errors`` consecutive failures: doubling, capped at a day.

    >>> [str(error_backoff(timedelta(minutes=15), n)) for n in (1, 2, 10)]
    ['0:30:00', '1:00:00', '1 day, 0:00:00']
    >>> str(error_backoff(timedelta(days=30), 3))
    '30 days, 0:00:00'
    """
    return min(every * (2 ** min(errors, 20)), max(every, MAX_ERROR_BACKOFF))


# -- times ------------------------------------------------------------------------------


# -- watch records ----------------------------------------------------------------------


def _write_watch_record(store: "Store", body: dict) -> None:
    uri = record_urn("watch", body["url"]) if body.get("url") else SETTINGS_URI
    rec = metadata_record(store.warcs.builder, uri, WATCH_TYPE, body,
                          store.id_factory(), warc_date(store.clock()))
    store.write_records([rec])


def default_schedule(conn: sqlite3.Connection) -> str:
    """The archive-wide schedule (set with :func:`set_default_schedule`) or the built-in one."""
    row = conn.execute("SELECT value FROM _meta WHERE key = ?", (SCHEDULE_KEY,)).fetchone()
    return row[0] if row and row[0] else DEFAULT_SCHEDULE


def set_default_schedule(store: "Store", spec: str | None) -> str:
    """Change the schedule of every watch that has none of its own; returns it."""
    spec = normalize_schedule(spec)
    _write_watch_record(store, {"action": "settings", "schedule": spec, "at": iso(store.clock())})
    return spec or DEFAULT_SCHEDULE


def _find_watch(conn: sqlite3.Connection, url: str) -> sqlite3.Row | None:
    row = conn.execute("SELECT * FROM watches WHERE url = ?", (url,)).fetchone()
    if row is None:
        page = canonical_url(url)
        for r in conn.execute("SELECT * FROM watches"):
            if canonical_url(r["url"]) == page:
                return r
    return row


def add_watch(store: "Store", url: str, schedule: str | None = None, feed: bool = False,
              feed_url: str | None = None) -> dict:
    """Watch a page (or, with ``feed``, a feed whose articles are watched as they appear).

    Adding a watched URL again changes nothing unless ``schedule`` is given, which then
    replaces its schedule (``'default'`` returns it to the archive-wide one).
    """
    url = check_url(url)
    spec = normalize_schedule(schedule)
    existing = _find_watch(store.conn, url)
    if existing is not None and existing["active"] and (schedule is None or existing["schedule"] == spec):
        return _watch_output(store.conn, existing, added=False)
    if existing is not None:
        url = existing["url"]
        if schedule is None:
            spec = existing["schedule"]
    body = {"action": "add", "url": url, "feed_url": url if feed else feed_url, "schedule": spec,
            "at": iso(store.clock())}
    _write_watch_record(store, body)
    refresh(store, [url])
    added = _find_watch(store.conn, url)
    if added is None:   # the record was written and indexed just above
        raise StoreError(f"the watch of {url} was written but is not in the index")
    return _watch_output(store.conn, added, added=True)


def remove_watch(store: "Store", url: str, force: bool = False) -> dict:
    """Stop watching a page. A cited page stays watched unless ``force``."""
    row = _find_watch(store.conn, url)
    if row is None or not row["active"]:
        raise UsageError(f"{url} is not watched (see: archive watch list)")
    cited = _citation_count(store.conn, canonical_url(row["url"]))
    if cited and not force:
        raise UsageError(f"{url} is cited by {cited} citation(s) and stays watched while a "
                         "citation points at it (use --force to stop watching anyway)")
    _write_watch_record(store, {"action": "remove", "url": row["url"], "at": iso(store.clock())})
    return {"url": row["url"], "removed": True}


def _citation_count(conn: sqlite3.Connection, page: str) -> int:
    return conn.execute("SELECT count(*) FROM citations WHERE page_url = ?", (page,)).fetchone()[0]


def _is_feed(row: sqlite3.Row) -> bool:
    return row["feed_url"] is not None and row["feed_url"] == row["url"]


def _kind(row: sqlite3.Row) -> str:
    return "feed" if _is_feed(row) else ("article" if row["feed_url"] else "page")


# -- state derived from captures ----------------------------------------------------------

def _validators(conn: sqlite3.Connection, page: str) -> tuple[sqlite3.Row | None, str | None, str | None]:
    """The last complete 200 capture of a page, with its ETag and Last-Modified."""
    row = conn.execute(
        "SELECT * FROM captures WHERE page_url = ? AND status = 200 AND record_type != 'resource' "
        "AND (truncated IS NULL OR truncated = '') ORDER BY captured_at DESC, record_id DESC LIMIT 1",
        (page,)).fetchone()
    if row is None or not row["http_headers"]:
        return row, None, None
    headers = json.loads(row["http_headers"])
    get = lambda name: next((v for k, v in headers if k.lower() == name), None)  # noqa: E731
    return row, get("etag"), get("last-modified")


def _computed_due(conn: sqlite3.Connection, row: sqlite3.Row, fallback: str) -> tuple[str | None, str | None]:
    """(last capture, next due) of a watch from its captures and schedule."""
    page = canonical_url(row["url"])
    last = conn.execute("SELECT max(captured_at) FROM captures WHERE page_url = ?", (page,)).fetchone()[0]
    steps = parse_schedule(row["schedule"] or fallback)
    first_seen = parse_iso(row["added_at"]) or parse_iso(last) or datetime.min.replace(tzinfo=timezone.utc)
    due = next_due(steps, first_seen, parse_iso(last), keep=bool(_citation_count(conn, page)),
                   feed=_is_feed(row))
    return last, iso(due) if due else None


def refresh(store: "Store", urls: list[str] | None = None) -> None:
    """Recompute the derived columns of watches (all, or ``urls``) from their captures.

    A stored ``next_due`` later than the computed one is kept: it is a deferral after an
    error or a robots.txt refusal, which leaves no capture to compute it from.
    """
    conn = store.conn
    fallback = default_schedule(conn)
    if urls is None:
        rows = conn.execute("SELECT * FROM watches WHERE active = 1").fetchall()
    else:
        rows = [r for u in urls if (r := conn.execute("SELECT * FROM watches WHERE url = ?", (u,)).fetchone())]
    updates = []
    for row in rows:
        if not row["active"]:
            continue
        last, due = _computed_due(conn, row, fallback)
        if due is not None and row["next_due"] and row["next_due"] > due:
            due = row["next_due"]
        _, etag, modified = _validators(conn, canonical_url(row["url"]))
        updates.append((last, due, etag, modified, row["url"]))
    if updates:
        with store.transaction() as c:
            c.executemany("UPDATE watches SET last_captured_at = ?, next_due = ?, etag = ?, "
                          "last_modified = ? WHERE url = ?", updates)


def _watch_output(conn: sqlite3.Connection, row: sqlite3.Row, **extra) -> dict:
    page = canonical_url(row["url"])
    versions = conn.execute("SELECT count(*) FROM versions WHERE page_url = ?", (page,)).fetchone()[0]
    captures = conn.execute("SELECT count(*) FROM captures WHERE page_url = ?", (page,)).fetchone()[0]
    latest = conn.execute(
        "SELECT k.status FROM citations c JOIN checks k ON k.citation_id = c.id "
        "WHERE c.page_url = ? AND k.checked_at = (SELECT max(checked_at) FROM checks WHERE citation_id = c.id)",
        (page,)).fetchall()
    drifted = sorted({r[0] for r in latest if r[0] in DRIFT_STATUSES})
    out = {
        "url": row["url"], "page_url": page, "kind": _kind(row), "feed_url": row["feed_url"],
        "added_at": row["added_at"], "schedule": row["schedule"] or default_schedule(conn),
        "own_schedule": row["schedule"] is not None, "last_captured_at": row["last_captured_at"],
        "next_due": row["next_due"], "captures": captures, "versions": versions,
        "citations": _citation_count(conn, page), "drift": bool(drifted),
        "drift_status": drifted, "errors": row["errors"] or 0, "active": bool(row["active"]),
    }
    out.update(extra)
    return out


def list_watches(store: "Store", include_removed: bool = False) -> list[dict]:
    """Every watch with its last capture, next due time, versions and drift of cited passages."""
    refresh(store)
    where = "" if include_removed else "WHERE active = 1"
    rows = store.conn.execute(f"SELECT * FROM watches {where} ORDER BY added_at, url").fetchall()
    return [_watch_output(store.conn, r) for r in rows]


# -- drift --------------------------------------------------------------------------------

def _follow_redirects(conn: sqlite3.Connection, cap: sqlite3.Row) -> sqlite3.Row | None:
    """The capture a redirect chain ended at (hops are captured one after another)."""
    for _ in range(20):
        status = cap["status"] or 0
        if not (300 <= status < 400 and status != 304 and cap["redirect_to"]):
            return cap
        target = canonical_url(urljoin(cap["url"], cap["redirect_to"]))
        nxt = conn.execute(
            "SELECT c.*, s.text_sha256, s.extract_status FROM captures c "
            "LEFT JOIN snapshots s ON s.sha256 = c.payload_sha256 "
            "WHERE c.page_url = ? AND c.captured_at >= ? ORDER BY c.captured_at, c.record_id LIMIT 1",
            (target, cap["captured_at"])).fetchone()
        if nxt is None:
            return None
        cap = nxt
    return None


def _judge(conn: sqlite3.Connection, citation: sqlite3.Row, cap: sqlite3.Row,
           cache: dict) -> dict | None:
    """What a capture says about a cited passage; ``None`` when it cannot tell.

    A 304 confirms the last state, a 5xx or 429 is a passing server problem and a capture
    not yet extracted or cut short says nothing; none of them is drift.
    """
    from archive.provenance.cite import passage_state

    final = _follow_redirects(conn, cap)
    if final is None:
        return None
    status = final["status"]
    if status in GONE_STATUSES:
        return {"status": "gone", "now": None, "detail": f"HTTP {status}"}
    if status is None or not 200 <= status < 300 or final["truncated"]:
        return None
    if final["payload_sha256"] != citation["snapshot_sha256"]:
        if final["extract_status"] in (None, "pending"):
            return None
        if final["text_sha256"] and conn.execute("SELECT 1 FROM texts WHERE sha256 = ?",
                                                 (final["text_sha256"],)).fetchone() is None:
            return None   # a text row missing from the index: nothing to judge by
    key = (citation["id"], final["payload_sha256"], final["text_sha256"])
    if key not in cache:
        cache[key] = passage_state(conn, citation, final["payload_sha256"], final["text_sha256"])
    return cache[key]


def detect_drift(store: "Store", page_url: str) -> list[dict]:
    """Relocate each cited passage of a page in its captures since the citation; returns
    the drift rows this call added.

    Reads only what is stored (the page was just recaptured): every capture after the cited
    one is judged in time order, and a drift row (``changed``, ``removed``, ``gone``) is
    written when the passage's state differs from the capture before, dated by that
    capture. The latest judgement is also written to ``checks``. Idempotent.
    """
    conn = store.conn
    page = canonical_url(page_url) if page_url.lower().startswith(("http:", "https:")) else page_url
    citations = conn.execute("SELECT * FROM citations WHERE page_url = ? ORDER BY created_at, id",
                             (page,)).fetchall()
    if not citations:
        return []
    caps = conn.execute(
        "SELECT c.*, s.text_sha256, s.extract_status FROM captures c "
        "LEFT JOIN snapshots s ON s.sha256 = c.payload_sha256 "
        "WHERE c.page_url = ? AND c.record_type != 'resource' ORDER BY c.captured_at, c.record_id",
        (page,)).fetchall()
    cache: dict = {}
    added: list[dict] = []
    with store.transaction() as c:
        for cit in citations:
            state = {"status": "unchanged", "now": cit["exact"]}
            last = None
            for cap in caps:
                if cap["captured_at"] <= cit["captured_at"] or cap["record_id"] == cit["record_id"]:
                    continue
                judged = _judge(conn, cit, cap, cache)
                if judged is None:
                    continue
                last = (cap, judged)
                if judged["status"] in DRIFT_STATUSES and \
                        (judged["status"], judged["now"]) != (state["status"], state["now"]):
                    row = {"citation_id": cit["id"], "detected_at": cap["captured_at"],
                           "status": judged["status"], "before": cit["exact"], "now": judged["now"],
                           "record_id": cap["record_id"]}
                    cur = c.execute(
                        "INSERT OR IGNORE INTO drift (citation_id, detected_at, status, before, now, record_id) "
                        "VALUES (?, ?, ?, ?, ?, ?)", tuple(row.values()))
                    if cur.rowcount:
                        added.append({**row, "url": cit["url"], "page_url": page,
                                      "detail": judged["detail"]})
                state = judged
            if last is not None:
                cap, judged = last
                c.execute("INSERT OR REPLACE INTO checks (citation_id, checked_at, status, record_id, now, detail) "
                          "VALUES (?, ?, ?, ?, ?, ?)", (cit["id"], cap["captured_at"], judged["status"],
                                                        cap["record_id"], judged["now"], judged["detail"]))
    return added


def post_webhook(url: str, payload: dict, timeout: float = 10.0) -> str | None:
    """POST ``payload`` as JSON; returns an error message, or ``None`` on a 2xx answer."""
    import urllib.error  # here, not at the top: urllib.request costs every command 18 ms
    import urllib.request

    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json", "User-Agent": SOFTWARE})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (user's own URL)
            resp.read(1024)
            return None if 200 <= resp.status < 300 else f"webhook answered HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return f"webhook answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"webhook failed: {getattr(exc, 'reason', exc)}"


# -- the scheduler --------------------------------------------------------------------------

@dataclass
class _Robots:
    parser: RobotFileParser | None  # None: allow (allow_all) or refuse everything
    allow_all: bool
    fetched_at: datetime
    ttl: timedelta
    refused: str | None = None      # the host itself is refused (--public-only), not robots.txt


class Watcher:
    """Recaptures watched pages when due, politely. Clock, sleep and fetcher are injectable.

    ``sleep(seconds)`` must return early once :meth:`stop` is called (the default does);
    a test passes one that advances its fake clock.
    """

    def __init__(self, store: "Store", fetcher: "Fetcher | None" = None,
                 clock: Callable[[], datetime] | None = None,
                 sleep: Callable[[float], object] | None = None,
                 host_delay: float = DEFAULT_HOST_DELAY, ignore_robots: bool = False,
                 webhook: str | None = None,
                 post: Callable[[str, dict], str | None] = post_webhook,
                 browser: "LazyBrowser | None" = None):
        from archive.capture.http import Fetcher

        self.store = store
        self.clock = clock or store.clock
        self.fetcher = fetcher or Fetcher(clock=self.clock)
        self.browser = browser   # recaptures pages first captured with a browser
        self._stop = threading.Event()
        self.sleep = sleep or self._stop.wait
        self.host_delay = max(0.0, host_delay)
        self.ignore_robots = ignore_robots
        self.webhook = webhook
        self.post = post
        self._robots: dict[str, _Robots] = {}
        self._host_free_at: dict[str, datetime] = {}
        self._crawl_delay: dict[str, float] = {}

    # -- control ------------------------------------------------------------------------
    def stop(self) -> None:
        """Finish the capture under way, then return from :meth:`run_once`/:meth:`run_forever`."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @contextmanager
    def signals(self) -> Iterator[None]:
        """While inside, SIGINT/SIGTERM ask the watcher to stop after the current capture;
        a second signal acts as usual (interrupts at once)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum, _frame):
            self.stop()
            signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)

        old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in old.items():
                signal.signal(s, h)

    # -- running --------------------------------------------------------------------------
    def due(self) -> list[sqlite3.Row]:
        """Active watches due now: feeds first (their new articles join this run), oldest due first."""
        return self.store.conn.execute(
            "SELECT * FROM watches WHERE active = 1 AND next_due IS NOT NULL AND next_due <= ? "
            "ORDER BY coalesce(feed_url = url, 0) DESC, next_due, url", (iso(self.clock()),)).fetchall()

    def run_once(self, progress: Callable[[dict], None] | None = None, limit: int | None = None) -> list[dict]:
        """Check every watch that is due (and articles its feeds reveal), then return."""
        refresh(self.store)
        self._resume_drift()
        results: list[dict] = []
        done: set[str] = set()
        while not self.stopping and (limit is None or len(results) < limit):
            due = [r for r in self.due() if r["url"] not in done]
            if not due:
                break
            row = self._next_ready(due)
            if row is None:
                continue  # waited for a host; look again (a stop may have come meanwhile)
            done.add(row["url"])
            result = self.check(row)
            results.append(result)
            if progress:
                progress(result)
        return results

    def run_forever(self, progress: Callable[[dict], None] | None = None) -> None:
        """Check what is due, sleep until the next watch is due, repeat until stopped."""
        while not self.stopping:
            self.run_once(progress)
            if self.stopping:
                break
            nxt = self.store.conn.execute(
                "SELECT min(next_due) FROM watches WHERE active = 1 AND next_due IS NOT NULL").fetchone()[0]
            wait = IDLE_RECHECK
            due_at = parse_iso(nxt)
            if due_at is not None:
                wait = min(IDLE_RECHECK, max(0.0, (due_at - self.clock()).total_seconds()))
            if wait > 0:
                self.sleep(wait)

    def _next_ready(self, due: list[sqlite3.Row]) -> sqlite3.Row | None:
        """The first due watch whose host may be asked now; else wait for the soonest host."""
        now = self.clock()
        soonest = None
        for row in due:
            free = self._host_free_at.get(_host(row["url"]))
            if free is None or free <= now:
                return row
            soonest = free if soonest is None else min(soonest, free)
        if soonest is not None:
            self.sleep((soonest - now).total_seconds())
        return None

    def _mark_host(self, url: str) -> None:
        host = _host(url)
        delay = max(self.host_delay, self._crawl_delay.get(host, 0.0))
        self._host_free_at[host] = self.clock() + timedelta(seconds=delay)

    def _wait_for_host(self, url: str) -> None:
        free = self._host_free_at.get(_host(url))
        if free is not None:
            wait = (free - self.clock()).total_seconds()
            if wait > 0:
                self.sleep(wait)

    # -- robots.txt -----------------------------------------------------------------------
    def allowed(self, url: str) -> tuple[bool, str]:
        """Whether robots.txt lets us fetch ``url``, and why."""
        if self.ignore_robots:
            return True, "robots.txt ignored"
        parts = urlsplit(url)
        host = _host(url)
        now = self.clock()
        entry = self._robots.get(host)
        if entry is None or now - entry.fetched_at >= entry.ttl:
            entry = self._fetch_robots(f"{parts.scheme}://{parts.netloc}/robots.txt", host)
            self._robots[host] = entry
        if entry.refused:
            return False, entry.refused
        if entry.parser is None:
            return (True, "no robots.txt") if entry.allow_all else (False, "robots.txt unavailable (server error)")
        if entry.parser.can_fetch(ROBOTS_AGENT, url):
            return True, "allowed by robots.txt"
        return False, "disallowed by robots.txt"

    def _fetch_robots(self, robots_url: str, host: str) -> _Robots:
        self._wait_for_host(robots_url)
        result = self.fetcher.fetch(robots_url)
        self._mark_host(robots_url)
        now = self.clock()
        error = getattr(result, "error", None)
        if error is not None and getattr(error, "code", None) == "blocked_address":
            # Not a robots.txt failure: the page's host is refused by --public-only, and
            # the page would be too; say so.
            result.close()
            why = str(error)
            why = why[len(robots_url) + 2:] if why.startswith(robots_url + ": ") else why
            return _Robots(None, False, now, ROBOTS_RETRY, refused=why)
        try:
            final = result.final
            if final is None or (final.status >= 500 or final.status == 429):
                return _Robots(None, False, now, ROBOTS_RETRY)
            if final.status >= 300:
                return _Robots(None, True, now, ROBOTS_TTL)
            final.body.seek(0)
            text = final.body.read(ROBOTS_MAX_BYTES).decode("utf-8", "replace")
        finally:
            result.close()
        from urllib.robotparser import RobotFileParser

        parser = RobotFileParser(robots_url)
        parser.parse(text.splitlines())
        delay = parser.crawl_delay(ROBOTS_AGENT)
        if delay:
            self._crawl_delay[host] = min(float(delay), MAX_CRAWL_DELAY)
        return _Robots(parser, False, now, ROBOTS_TTL)

    # -- one check --------------------------------------------------------------------------
    def check(self, row: sqlite3.Row) -> dict:
        """Recapture one watched page or feed now; returns what happened."""
        from archive.index.versions import process_pending

        store, conn = self.store, self.store.conn
        url = row["url"]
        page = canonical_url(url)
        out: dict = {"url": url, "page_url": page, "kind": _kind(row), "checked_at": iso(self.clock())}
        ok, why = self.allowed(url)
        if not ok:
            if "disallowed" in why:
                return self._defer(row, out, "robots_disallowed", why, failed=False)
            return self._defer(row, out, "error", why, failed=True)
        before_versions = conn.execute("SELECT count(*) FROM versions WHERE page_url = ?", (page,)).fetchone()[0]
        prior, etag, modified = _validators(conn, page)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        # A page captured with a browser is recaptured with one (when Chromium is here).
        capturer = (self.browser.get() if self.browser is not None and not _is_feed(row)
                    and store.browser_captured(page) else None)
        feed_bytes = None
        error: str | None = None
        self._wait_for_host(url)
        if capturer is not None:
            got = store.capture_browser([url], capturer, extract=False)[0]
            self._mark_host(url)
            rows = [got] if "error" not in got else []
            error = got.get("error")
        else:
            result = self.fetcher.fetch(url, extra_headers=headers or None)
            self._mark_host(url)
            try:
                final = result.final
                if final is not None and final.status == 304 and len(result.hops) == 1 and prior is not None:
                    rows = [self._store_not_modified(final, prior)]
                else:
                    rows = store.store_fetch(result) if result.hops else []
                if final is not None and _is_feed(row) and 200 <= final.status < 300:
                    final.body.seek(0)
                    feed_bytes = final.body.read(MAX_FEED_BYTES)
            finally:
                result.close()
            error = str(result.error) if result.error is not None else None
        if not rows:
            return self._defer(row, out, "error", error or "no response", failed=True)
        last = rows[-1]
        status = last.get("status") or 0
        out.update(status=status, record_id=last.get("record_id"), captured_at=last.get("captured_at"),
                   revisit=bool(last.get("revisit")))
        process_pending(store)
        if status == 304:
            out["outcome"] = "not_modified"
        elif error is not None or not 200 <= status < 300:
            out["outcome"] = "error"
            out["error"] = error or f"HTTP {status}"
        else:
            after = conn.execute("SELECT count(*) FROM versions WHERE page_url = ?", (page,)).fetchone()[0]
            out["versions"] = after
            if prior is None and before_versions == 0:
                out["outcome"] = "captured"
            elif after > before_versions:
                out["outcome"] = "new_version"
            elif out["revisit"] or after:
                out["outcome"] = "unchanged"  # same bytes, or same article text
            else:
                out["outcome"] = "changed"  # new bytes without article text (a feed, say)
        if feed_bytes is not None:
            out["new_entries"] = self._read_feed(row, last.get("url") or url, feed_bytes)
        out["drift"] = []
        for p in dict.fromkeys(r.get("page_url") or page for r in rows):
            out["drift"].extend(detect_drift(store, p))
        if self.webhook:
            for d in out["drift"]:
                err = self.post(self.webhook, {"event": "drift", **d})
                if err:
                    d["webhook_error"] = err
        if out["outcome"] == "error":
            return self._defer(row, out, "error", out["error"], failed=True)
        with store.transaction() as c:
            c.execute("UPDATE watches SET errors = 0, next_due = NULL WHERE url = ?", (url,))
        refresh(store, [url])
        out["next_due"] = conn.execute("SELECT next_due FROM watches WHERE url = ?", (url,)).fetchone()[0]
        return out

    def _defer(self, row: sqlite3.Row, out: dict, outcome: str, why: str, failed: bool) -> dict:
        """No usable capture: wait an interval, longer after each consecutive failure."""
        errors = (row["errors"] or 0) + (1 if failed else 0)
        steps = parse_schedule(row["schedule"] or default_schedule(self.store.conn))
        first_seen = parse_iso(row["added_at"]) or self.clock()
        every = steps[0].every if _is_feed(row) else \
            (interval_at(steps, self.clock() - first_seen) or steps[-1].every)
        due = iso(self.clock() + (error_backoff(every, errors) if failed else every))
        with self.store.transaction() as c:
            c.execute("UPDATE watches SET next_due = ?, errors = ? WHERE url = ?", (due, errors, row["url"]))
        out.setdefault("drift", [])
        out.update(outcome=outcome, error=why, errors=errors, next_due=due)
        return out

    def _store_not_modified(self, hop: "Hop", prior: sqlite3.Row) -> dict:
        """Record a 304 as a server-not-modified revisit of ``prior`` plus its request."""
        store = self.store
        builder = store.warcs.builder
        orig = store.original_of(prior)
        date = warc_date(hop.started_at)
        resp_id = store.id_factory()
        http_headers = StatusAndHeaders(f"{hop.status} {hop.reason}".strip(), hop.headers,
                                        protocol=hop.http_version)
        rec = builder.create_revisit_record(
            hop.url, sha256_label(prior["payload_sha256"]), orig["url"], orig["captured_at"],
            http_headers=http_headers,
            warc_headers_dict={"WARC-Record-ID": resp_id, "WARC-Date": date, "WARC-IP-Address": hop.ip})
        rec.rec_headers.replace_header("WARC-Profile", SERVER_NOT_MODIFIED)
        rec.rec_headers.add_header("WARC-Refers-To", orig["record_id"])
        req = builder.create_warc_record(
            hop.url, "request", payload=io.BytesIO(hop.request_head), length=len(hop.request_head),
            warc_headers_dict={"WARC-Record-ID": store.id_factory(), "WARC-Date": date,
                               "WARC-Concurrent-To": resp_id})
        row = dict(store.write_records([rec, req])[0])   # response first, as in every capture
        row["revisit"] = True
        return row

    def _read_feed(self, row: sqlite3.Row, base: str, data: bytes) -> list[str]:
        """Watch the articles of a feed not watched yet; returns their URLs."""
        import feedparser

        # The fetcher asks for identity encoding; a server that gzips anyway is still read.
        if data[:2] == b"\x1f\x8b":
            from archive.warc.http import decode_content

            data, _ = decode_content(data, [("Content-Encoding", "gzip")])
        parsed = feedparser.parse(data)
        known = {canonical_url(r[0]) for r in self.store.conn.execute("SELECT url FROM watches")}
        feed_public = self._is_public(base)
        new = []
        for entry in reversed(parsed.entries):  # feeds list newest first; watch in order of publication
            link = entry.get("link")
            if not link:
                continue
            link = urljoin(base, link.strip())
            try:
                check_url(link)
            except UsageError:
                continue
            if feed_public and not self._is_public(link):
                continue  # a feed on the web may not send us into the local network
            if canonical_url(link) in known:
                continue
            known.add(canonical_url(link))
            _write_watch_record(self.store, {"action": "add", "url": link, "feed_url": row["url"],
                                             "schedule": row["schedule"], "at": iso(self.clock())})
            new.append(link)
        return new

    def _is_public(self, url: str) -> bool:
        """Whether every address of ``url``'s host is public (unresolvable counts as public:
        the fetch will fail on its own)."""
        from archive.capture.http import is_public_address

        parts = urlsplit(url)
        try:
            addresses = self.fetcher.resolver(parts.hostname or "", parts.port or 80)
        except (OSError, UnicodeError):
            return True
        return all(is_public_address(a) for a in addresses)

    def _resume_drift(self) -> None:
        """Judge cited, watched pages whose latest capture has no check yet (after a reindex,
        or captures made by ``archive capture``). Webhooks fire only for fresh captures."""
        conn = self.store.conn
        pages = conn.execute(
            "SELECT DISTINCT c.page_url FROM citations c "
            "WHERE EXISTS (SELECT 1 FROM captures k WHERE k.page_url = c.page_url "
            "  AND k.captured_at > coalesce((SELECT max(checked_at) FROM checks WHERE citation_id = c.id), c.captured_at))"
        ).fetchall()
        watched = {canonical_url(r[0]) for r in conn.execute("SELECT url FROM watches WHERE active = 1")}
        for (page,) in pages:
            if page in watched:
                detect_drift(self.store, page)


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()
