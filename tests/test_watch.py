"""Watching pages and feeds: schedules, politeness, 304s, drift alerts, reindex, CLI.

Everything runs against a real HTTP server on 127.0.0.1 and a fake clock: the scheduler's
sleeps advance the clock, so days of watching take milliseconds.
"""

from __future__ import annotations

import html
import json
import os
import signal
import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import feedparser
import pytest

import archive.cli  # noqa: F401  (cli first, as the installed command imports it)
from archive.capture.http import Fetcher
from archive.provenance.cite import cite
from archive.cli.watch import watch
from archive.demo import warcio_check
from archive.errors import UsageError
from archive.site import demo_content, render_article
from archive.store import Store
from archive.watch import (DEFAULT_SCHEDULE, DRIFT_ATOM_SQL, SERVER_NOT_MODIFIED, Watcher, add_watch, detect_drift, list_watches, parse_schedule, remove_watch, set_default_schedule)
from archive.warc.record import load_record

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
PASSAGE = "More than 2,300 homes were evacuated overnight"


class FakeClock:
    """A clock that moves only when told to (and by 1 ms per reading, so captures are ordered)."""

    def __init__(self, start: datetime = T0):
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def wstore(tmp_path, clock):
    with Store(tmp_path / "archive.db", tmp_path / "warcs", clock=clock) as s:
        yield s


def watcher(store, clock, **kw) -> Watcher:
    kw.setdefault("host_delay", 0)
    return Watcher(store, Fetcher(timeout=10, clock=clock), clock=clock, sleep=clock.sleep, **kw)


def article(slug: str, edition: int = 0) -> dict:
    a = next(a for a in demo_content()["articles"] if a["slug"] == slug)
    return a["editions"][min(edition, len(a["editions"]) - 1)]


def publish(site, slug: str, edition: int = 0) -> str:
    content = demo_content()
    return site.set(f"/news/{slug}", render_article(content["site"], article(slug, edition), content["popular"]))


def rss(site, slugs: list[str]) -> str:
    items = "".join(
        f"<item><title>{html.escape(article(s)['headline'])}</title><link>/news/{s}</link>"
        f"<guid>{s}</guid></item>" for s in reversed(slugs))  # newest first, as feeds list them
    return site.set("/feed.xml", f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
                                 f"<link>{site.base_url}/</link>{items}</channel></rss>",
                    content_type="application/rss+xml")


def atom(site, slugs: list[str]) -> str:
    entries = "".join(
        f'<entry><title>{html.escape(article(s)["headline"])}</title><id>urn:x:{s}</id>'
        f'<updated>2026-03-02T08:00:00Z</updated><link href="{site.base_url}/news/{s}"/></entry>'
        for s in reversed(slugs))
    return site.set("/atom.xml", '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                                 f"<title>News</title><id>urn:x:feed</id><updated>2026-03-02T08:00:00Z</updated>"
                                 f"{entries}</feed>", content_type="application/atom+xml")


def by_url(results: list[dict]) -> dict[str, dict]:
    return {r["url"]: r for r in results}


def render_drift_atom(conn: sqlite3.Connection) -> feedparser.FeedParserDict:
    """Run the canned query and render it with datasette-atom's own renderer."""
    from datasette_atom import render_atom

    cur = conn.execute(DRIFT_ATOM_SQL)
    columns = [d[0] for d in cur.description]
    rows = cur.fetchall()
    ds = SimpleNamespace(metadata=lambda database=None: {"queries": {"drift": {"title": "Drift"}}},
                         plugin_config=lambda name: None)
    request = SimpleNamespace(url="http://127.0.0.1:8001/archive/drift.atom", args={})
    resp = render_atom(ds, request, DRIFT_ATOM_SQL, columns, rows, "archive", None, "drift", None, {})
    parsed = feedparser.parse(resp.body)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


# -- schedules -------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["", "15m:3h,1h:2h", "1h,15m:3h", "15x", "0m", "15m:0h"])
def test_bad_schedules_are_refused_with_a_reason(spec):
    with pytest.raises(UsageError):
        parse_schedule(spec)


def test_default_schedule_backs_off_with_age(wstore, clock, site):
    url = publish(site, "school-budget")
    add_watch(wstore, url)
    w = watcher(wstore, clock)
    checked = []
    while clock.now < T0 + timedelta(days=70):
        for r in w.run_once():
            checked.append(clock.now)
        nxt = wstore.conn.execute("SELECT next_due FROM watches").fetchone()[0]
        clock.now = datetime.fromisoformat(nxt.replace("Z", "+00:00"))
    gaps = [round((b - a).total_seconds() / 60) for a, b in zip(checked, checked[1:])]
    # 15 minutes to 3 h, hourly to 1 day, 3-hourly to 7 days, 3-daily to 30 days, then monthly
    assert set(gaps[:12]) == {15}
    assert 60 in gaps and 180 in gaps and 3 * 24 * 60 in gaps and 30 * 24 * 60 in gaps
    assert gaps == sorted(gaps)
    assert len(checked) < 12 + 21 + 48 + 9 + 3 + 2


def test_a_cited_page_is_never_dropped_off_the_end_of_its_schedule(wstore, clock, site):
    cited_url, plain_url = publish(site, "wildfire-evacuations"), publish(site, "school-budget")
    add_watch(wstore, cited_url, schedule="15m:1h")
    add_watch(wstore, plain_url, schedule="15m:1h")
    w = watcher(wstore, clock)
    w.run_once()
    cite(wstore, cited_url, PASSAGE)
    clock.advance(hours=2)
    assert {r["url"] for r in w.run_once()} == {cited_url, plain_url}
    due = {x["url"]: x["next_due"] for x in list_watches(wstore)}
    assert due[plain_url] is None  # schedule over: no longer checked
    assert due[cited_url] > clock.now.isoformat()[:19]  # still watched at its last interval
    clock.advance(minutes=16)
    assert [r["url"] for r in w.run_once()] == [cited_url]
    with pytest.raises(UsageError, match="cited"):
        remove_watch(wstore, cited_url)
    remove_watch(wstore, plain_url)
    assert [x["url"] for x in list_watches(wstore)] == [cited_url]


# -- the whole flow ------------------------------------------------------------------------

def test_feed_gains_entries_articles_are_edited_and_drift_reaches_the_atom_feed(wstore, clock, site):
    wildfire = publish(site, "wildfire-evacuations", 0)
    budget = publish(site, "school-budget")
    feed = rss(site, ["wildfire-evacuations"])
    add_watch(wstore, feed, feed=True)
    w = watcher(wstore, clock)

    first = by_url(w.run_once())
    assert first[feed]["outcome"] == "captured" and first[feed]["kind"] == "feed"
    assert first[feed]["new_entries"] == [wildfire]
    assert first[wildfire]["outcome"] == "captured" and first[wildfire]["kind"] == "article"
    cited = cite(wstore, wildfire, PASSAGE)

    # Nothing is due until the clock moves.
    assert w.run_once() == []

    # The feed gains an article and the wildfire article is corrected.
    rss(site, ["wildfire-evacuations", "school-budget"])
    publish(site, "wildfire-evacuations", 1)
    clock.advance(minutes=16)
    second = by_url(w.run_once())
    assert second[feed]["new_entries"] == [budget] and second[feed]["outcome"] == "changed"
    assert second[budget]["outcome"] == "captured"
    assert second[wildfire]["outcome"] == "new_version" and second[wildfire]["versions"] == 2
    [drift] = second[wildfire]["drift"]
    assert drift["citation_id"] == cited["id"] and drift["status"] == "changed"
    assert drift["before"] == PASSAGE and "3,100" in drift["now"]

    conn = wstore.conn
    changes = conn.execute("SELECT * FROM changes WHERE page_url = ? AND kind = 'figure'", (wildfire,)).fetchall()
    assert any(c["before"] == "2,300" and c["after"] == "3,100" for c in changes)
    row = conn.execute("SELECT * FROM drift").fetchone()
    assert (row["citation_id"], row["status"], row["record_id"]) == (cited["id"], "changed", second[wildfire]["record_id"])
    check = conn.execute("SELECT * FROM checks WHERE citation_id = ?", (cited["id"],)).fetchone()
    assert check["status"] == "changed"

    # The canned query gives datasette-atom a valid feed naming the drift.
    parsed = render_drift_atom(conn)
    [entry] = parsed.entries
    assert "changed" in entry.title and "3,100" in entry.summary and PASSAGE in entry.summary
    assert entry.link == wildfire

    # The list says which page drifted; a rerun of the same captures adds no drift.
    listed = {x["url"]: x for x in list_watches(wstore)}
    assert listed[wildfire]["drift"] is True and listed[wildfire]["versions"] == 2
    assert listed[budget]["drift"] is False and listed[feed]["kind"] == "feed"
    assert detect_drift(wstore, wildfire) == []

    # An unchanged recapture adds a capture, no version and no drift.
    clock.advance(minutes=16)
    third = by_url(w.run_once())
    assert third[wildfire]["outcome"] == "unchanged" and third[wildfire]["drift"] == []
    assert conn.execute("SELECT count(*) FROM drift").fetchone()[0] == 1
    ok, out = warcio_check(sorted((wstore.warcs_dir).glob("*.warc.gz")))
    assert ok, out


def test_atom_feeds_are_read_and_an_empty_drift_feed_is_still_valid(wstore, clock, site):
    publish(site, "river-bridge")
    feed = atom(site, ["river-bridge"])
    add_watch(wstore, feed, feed=True)
    results = by_url(watcher(wstore, clock).run_once())
    assert results[feed]["new_entries"] == [site.url("/news/river-bridge")]
    assert results[site.url("/news/river-bridge")]["outcome"] == "captured"
    [entry] = render_drift_atom(wstore.conn).entries
    assert entry.title == "No cited passage has drifted"


# -- politeness -------------------------------------------------------------------------

def test_conditional_request_and_304_recorded_as_server_not_modified_revisit(wstore, clock, site):
    body = render_article(demo_content()["site"], article("school-budget"), demo_content()["popular"]).encode()
    modified = format_datetime(T0, usegmt=True)

    def page(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.send_header("ETag", '"v1"')
            handler.end_headers()
            return
        handler.send_response(200)
        for k, v in (("Content-Type", "text/html; charset=utf-8"), ("ETag", '"v1"'),
                     ("Last-Modified", modified), ("Content-Length", str(len(body)))):
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(body)

    site.pages["/etag"] = page
    url = site.url("/etag")
    add_watch(wstore, url)
    w = watcher(wstore, clock)
    assert w.run_once()[0]["outcome"] == "captured"
    clock.advance(minutes=16)
    [r] = w.run_once()
    assert r["outcome"] == "not_modified" and r["status"] == 304
    sent = [q["headers"] for q in site.requests if q["path"] == "/etag"][-1]
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == modified

    caps = wstore.conn.execute("SELECT * FROM captures WHERE page_url = ? ORDER BY captured_at", (url,)).fetchall()
    assert [(c["record_type"], c["status"]) for c in caps] == [("response", 200), ("revisit", 304)]
    assert caps[1]["refers_to"] == caps[0]["record_id"] and caps[1]["payload_sha256"] == caps[0]["payload_sha256"]
    rec = load_record(wstore.warcs.path_of(caps[1]["warc_file"]), caps[1]["offset"], caps[1]["length"])
    assert rec.header("WARC-Profile") == SERVER_NOT_MODIFIED
    # A 304 is a check, not a version; the next check is scheduled from it.
    [listed] = list_watches(wstore)
    assert listed["versions"] == 1 and listed["last_captured_at"] == caps[1]["captured_at"]
    ok, out = warcio_check(sorted(wstore.warcs_dir.glob("*.warc.gz")))
    assert ok, out


def test_robots_txt_is_honoured_unless_ignored(wstore, clock, site):
    site.set("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    private, public = site.set("/private/memo", "<p>secret</p>"), publish(site, "school-budget")
    add_watch(wstore, private)
    add_watch(wstore, public)
    results = by_url(watcher(wstore, clock).run_once())
    assert results[private]["outcome"] == "robots_disallowed"
    assert results[public]["outcome"] == "captured"
    assert not wstore.conn.execute("SELECT 1 FROM captures WHERE page_url = ?", (private,)).fetchone()
    assert sum(1 for q in site.requests if q["path"] == "/robots.txt") == 1
    assert by_url(watcher(wstore, clock).run_once()) == {}  # a refused page waits its interval

    clock.advance(minutes=16)
    results = by_url(watcher(wstore, clock, ignore_robots=True).run_once())
    assert results[private]["outcome"] == "captured"


def test_requests_to_one_host_are_spaced_by_the_host_delay(wstore, clock, site):
    urls = [publish(site, s) for s in ("school-budget", "river-bridge", "wildfire-evacuations")]
    for u in urls:
        add_watch(wstore, u)
    results = watcher(wstore, clock, host_delay=5).run_once()
    assert [r["outcome"] for r in results] == ["captured"] * 3
    times = [datetime.fromisoformat(r["captured_at"].replace("Z", "+00:00")) for r in results]
    assert all((b - a).total_seconds() >= 5 for a, b in zip(times, times[1:]))
    assert clock.slept and all(s <= 5 for s in clock.slept)


def test_errors_back_off_and_recover(wstore, clock, site):
    url = site.set("/flaky", "<h1>down</h1>", status=503)
    add_watch(wstore, url)
    w = watcher(wstore, clock)
    [r] = w.run_once()
    assert r["outcome"] == "error" and r["errors"] == 1 and "503" in r["error"]
    clock.advance(minutes=20)
    assert w.run_once() == []  # 15 min doubled: not before 30 min
    clock.advance(minutes=11)
    [r] = w.run_once()
    assert r["errors"] == 2
    assert list_watches(wstore)[0]["errors"] == 2
    publish(site, "school-budget")
    site.pages["/flaky"] = site.pages["/news/school-budget"]
    clock.advance(hours=1, minutes=1)
    [r] = w.run_once()
    assert r["outcome"] == "captured" and list_watches(wstore)[0]["errors"] == 0

    # Nothing listening at all: no capture, still a counted error.
    dead = "http://127.0.0.1:9/nothing"
    add_watch(wstore, dead)
    out = by_url(watcher(wstore, clock, ignore_robots=True).run_once())
    assert out[dead]["outcome"] == "error" and out[dead]["errors"] == 1


# -- stopping ------------------------------------------------------------------------------

def test_forever_sleeps_until_the_next_page_is_due(wstore, clock, site):
    url = publish(site, "school-budget")
    add_watch(wstore, url)
    w = watcher(wstore, clock)

    def sleep(seconds):
        clock.sleep(seconds)
        if clock.now >= T0 + timedelta(minutes=50):
            w.stop()

    w.sleep = sleep
    w.run_forever()
    # It wakes every 5 minutes at most (to notice watches added meanwhile), and only then.
    assert all(0 < s <= 300 for s in clock.slept)
    times = [r[0] for r in wstore.conn.execute("SELECT captured_at FROM captures WHERE page_url = ?", (url,))]
    assert [t[11:16] for t in times] == ["08:00", "08:15", "08:30", "08:45"]


class SignallingFetcher(Fetcher):
    """Sends SIGTERM to this process in the middle of its first page fetch."""

    sent = False

    def fetch(self, url, extra_headers=None):
        result = super().fetch(url, extra_headers)
        if not self.sent and not url.endswith("/robots.txt"):
            self.sent = True
            os.kill(os.getpid(), signal.SIGTERM)
        return result


def test_sigterm_finishes_the_capture_under_way_then_stops(wstore, clock, site):
    urls = [publish(site, s) for s in ("school-budget", "river-bridge")]
    for u in urls:
        add_watch(wstore, u)
    w = Watcher(wstore, SignallingFetcher(timeout=10, clock=clock), clock=clock, sleep=clock.sleep, host_delay=0)
    before = signal.getsignal(signal.SIGTERM)
    with w.signals():
        w.run_forever()
    assert signal.getsignal(signal.SIGTERM) is before
    captured = [r[0] for r in wstore.conn.execute("SELECT page_url FROM captures")]
    assert captured == [urls[0]]  # the fetch under way was stored, the next never started
    assert wstore.conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 1


# -- the store is the source of truth ---------------------------------------------------------

def test_reindex_rebuilds_the_watch_list_and_schedule(wstore, clock, site):
    wildfire = publish(site, "wildfire-evacuations")
    feed = rss(site, ["wildfire-evacuations"])
    add_watch(wstore, feed, feed=True, schedule="10m:1d,1d")
    add_watch(wstore, publish(site, "river-bridge"))
    set_default_schedule(wstore, "20m:6h,6h")
    w = watcher(wstore, clock)
    w.run_once()
    cite(wstore, wildfire, PASSAGE)
    publish(site, "wildfire-evacuations", 1)
    clock.advance(minutes=30)
    w.run_once()
    before = list_watches(wstore)
    drift_before = [tuple(r) for r in wstore.conn.execute("SELECT * FROM drift ORDER BY citation_id, detected_at")]
    assert drift_before

    wstore.reindex()
    assert list_watches(wstore) == [dict(b, drift=False, drift_status=[]) if b["url"] == wildfire else b
                                    for b in before]
    # Drift is derived from captures: the next run restores it, without a second alert.
    posted = []
    w = watcher(wstore, clock, webhook="http://127.0.0.1:9/", post=lambda u, p: posted.append(p))
    assert w.run_once() == []
    assert [tuple(r) for r in wstore.conn.execute("SELECT * FROM drift ORDER BY citation_id, detected_at")] == drift_before
    assert list_watches(wstore) == before and posted == []
    by = {x["url"]: x for x in before}
    assert by[wildfire]["schedule"] == "10m:1d,1d"  # articles take their feed's schedule
    assert by[site.url("/news/river-bridge")]["schedule"] == "20m:6h,6h"


# -- webhook -----------------------------------------------------------------------------------

@pytest.fixture
def hook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0))
            received.append({"type": self.headers.get("Content-Type"), "body": json.loads(self.rfile.read(n))})
            self.send_response(204)
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", received
    httpd.shutdown()
    httpd.server_close()


def test_drift_is_posted_to_the_webhook(wstore, clock, site, hook):
    url, received = hook
    page = publish(site, "wildfire-evacuations")
    add_watch(wstore, page)
    w = watcher(wstore, clock, webhook=url)
    w.run_once()
    c = cite(wstore, page, PASSAGE)
    site.set("/news/wildfire-evacuations", "<html><body><h1>Not found</h1></body></html>", status=404)
    clock.advance(minutes=16)
    [r] = w.run_once()
    assert r["drift"][0]["status"] == "gone" and "webhook_error" not in r["drift"][0]
    [msg] = received
    assert msg["type"] == "application/json"
    assert msg["body"]["event"] == "drift" and msg["body"]["citation_id"] == c["id"]
    assert msg["body"]["status"] == "gone" and msg["body"]["before"] == PASSAGE


# -- command line --------------------------------------------------------------------------------

def run_cli(runner, tmp_path: Path, *args: str):
    sub, rest = args[0], args[1:]
    return runner.invoke(watch, [sub, "--db", str(tmp_path / "archive.db"), "--warcs", str(tmp_path / "warcs"),
                                 *rest], catch_exceptions=False)


def json_lines(result) -> list[dict]:
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_cli_add_run_list_schedule_remove(runner, tmp_path, site):
    page = publish(site, "school-budget")
    feed = rss(site, ["river-bridge"])
    publish(site, "river-bridge")
    r = run_cli(runner, tmp_path, "add", page, "--feed", feed, "--json")
    assert r.exit_code == 0, r.output
    assert [(x["url"], x["kind"], x["added"]) for x in json_lines(r)] == [(page, "page", True), (feed, "feed", True)]
    assert json_lines(run_cli(runner, tmp_path, "add", page, "--json"))[0]["added"] is False

    r = run_cli(runner, tmp_path, "run", "--host-delay", "0", "--json")
    assert r.exit_code == 0, r.output
    outcomes = {x["url"]: x["outcome"] for x in json_lines(r)}
    assert outcomes == {feed: "captured", page: "captured", site.url("/news/river-bridge"): "captured"}
    assert "nothing is due" in run_cli(runner, tmp_path, "run", "--host-delay", "0").output

    listed = json_lines(run_cli(runner, tmp_path, "list", "--json"))
    assert {x["url"] for x in listed} == set(outcomes)
    for x in listed:
        assert x["schedule"] == DEFAULT_SCHEDULE and x["versions"] in (0, 1) and x["next_due"] > x["last_captured_at"]
    assert "next" in run_cli(runner, tmp_path, "list").output

    assert run_cli(runner, tmp_path, "schedule", "30m:1d,1d").output.strip() == "30m:1d,1d"
    assert json_lines(run_cli(runner, tmp_path, "schedule", "--json")) == [{"schedule": "30m:1d,1d"}]
    r = run_cli(runner, tmp_path, "add", page, "--schedule", "5m:1h,1h", "--json")
    assert json_lines(r)[0]["schedule"] == "5m:1h,1h"

    bad = run_cli(runner, tmp_path, "add", page, "--schedule", "1h,5m:1h")
    assert bad.exit_code == 2 and "only the last step" in bad.output
    assert run_cli(runner, tmp_path, "add").exit_code == 2
    assert run_cli(runner, tmp_path, "remove", page).exit_code == 0
    assert page not in {x["url"] for x in json_lines(run_cli(runner, tmp_path, "list", "--json"))}


def test_watch_is_registered_on_the_archive_command():
    assert archive.cli.cli.commands["watch"] is watch


# -- Datasette ------------------------------------------------------------------------------------

def canned_queries() -> dict[str, str]:
    """Every canned query of the metadata ``archive serve`` uses: name -> SQL."""
    import yaml

    from archive.web.serve import metadata_file

    path = metadata_file()
    assert path is not None, "archive serve has no metadata.yml"
    meta = yaml.safe_load(path.read_text("utf-8"))
    out = {}
    for db in (meta.get("databases") or {}).values():
        for name, q in (db.get("queries") or {}).items():
            out[name] = q["sql"] if isinstance(q, dict) else q
    return out


def test_metadata_yml_serves_this_drift_query():
    """The drift feed's SQL is one of the canned queries (whatever its name)."""
    normal = " ".join(DRIFT_ATOM_SQL.split())
    assert normal in {" ".join(sql.split()) for sql in canned_queries().values()}


async def test_datasette_serves_drift_as_atom(wstore, clock, site, tmp_path):
    from datasette.app import Datasette

    page = publish(site, "wildfire-evacuations")
    add_watch(wstore, page)
    w = watcher(wstore, clock)
    w.run_once()
    cite(wstore, page, PASSAGE)
    publish(site, "wildfire-evacuations", 1)
    clock.advance(minutes=16)
    w.run_once()
    ds = Datasette([str(tmp_path / "archive.db")], metadata={"databases": {"archive": {"queries": {
        "drift": {"title": "Cited passages that changed", "sql": DRIFT_ATOM_SQL}}}}})
    resp = await ds.client.get("/archive/drift.atom")
    assert resp.status_code == 200, resp.text
    parsed = feedparser.parse(resp.text)
    assert parsed.feed.title == "Cited passages that changed"
    assert "changed" in parsed.entries[0].title


def test_a_public_feed_cannot_send_the_watcher_into_the_local_network(wstore, clock):
    addresses = {"news.example": ["93.184.216.34"], "intranet.example": ["10.0.0.7"]}
    fetcher = Fetcher(clock=clock, resolver=lambda host, port: addresses.get(host, ["127.0.0.1"]))
    w = Watcher(wstore, fetcher, clock=clock, sleep=clock.sleep, host_delay=0)
    feed = "https://news.example/rss.xml"
    add_watch(wstore, feed, feed=True)
    row = wstore.conn.execute("SELECT * FROM watches WHERE url = ?", (feed,)).fetchone()
    items = "".join(f"<item><link>{u}</link></item>" for u in (
        "http://127.0.0.1/admin", "http://intranet.example/x", "/news/ok", "http://169.254.169.254/latest"))
    data = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()
    assert w._read_feed(row, feed, data) == ["https://news.example/news/ok"]
