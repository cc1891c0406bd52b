"""``archive watch``: add, run, list and remove watches, and set the default schedule.

The scheduler, politeness and drift detection are :mod:`archive.watch`; these commands
only parse options, open the store and print each result.
"""

from __future__ import annotations

import click

from archive.cli.options import (
    emit,
    handle_errors,
    json_option,
    open_store,
    store_options,
)
from archive.errors import UsageError
from archive.urls import check_url
from archive.watch import (
    DEFAULT_HOST_DELAY,
    DEFAULT_SCHEDULE,
    Watcher,
    add_watch,
    default_schedule,
    list_watches,
    remove_watch,
    set_default_schedule,
)

SCHEDULE_HELP = ("Recapture schedule 'EVERY:UNTIL,...,EVERY' (page age; s, m, h, d, w), "
                 f"or 'default'. Default: {DEFAULT_SCHEDULE}")


def _human_watch(w: dict) -> str:
    drift = f"  DRIFT: {', '.join(w['drift_status'])}" if w["drift"] else ""
    cited = f"  cited ×{w['citations']}" if w["citations"] else ""
    errors = f"  errors {w['errors']}" if w["errors"] else ""
    return (f"{w['kind']:7} {w['url']}\n        last {w['last_captured_at'] or 'never'}  "
            f"next {w['next_due'] or 'done'}  {w['versions']} version(s){cited}{drift}{errors}")


def _human_result(r: dict) -> str:
    line = f"{r['outcome']:17} {r['url']}"
    if r.get("error"):
        line += f"  ({r['error']})"
    if r.get("new_entries"):
        line += f"  {len(r['new_entries'])} new article(s)"
    for d in r.get("drift", []):
        line += f"\n    drift {d['status']}: “{d['before'][:70]}”" + (f" → “{(d['now'] or '')[:70]}”" if d.get("now") else "")
    return line


@click.group("watch")
def watch():
    """Watch pages and feeds for edits: recapture on a schedule that slows as they age.

    \b
    Example:
        archive watch add https://example.org/news/fire
        archive watch add --feed https://example.org/rss.xml
        archive watch run            # from cron, e.g. every 5 minutes
        archive watch run --forever  # or as a service
        archive watch list
    """




@watch.command("add")
@click.argument("urls", nargs=-1)
@click.option("--feed", "feeds", multiple=True, metavar="FEED_URL",
              help="An RSS or Atom feed: its articles are watched as they appear (repeatable).")
@click.option("--schedule", default=None, help=SCHEDULE_HELP)
@store_options
@json_option
@handle_errors
def add(urls, feeds, schedule, db, warcs, as_json):
    """Watch pages, or feeds whose new articles are watched as they appear.

    Adding a watched URL again with --schedule changes its schedule.

    \b
    Example:
        archive watch add https://example.org/news/fire --schedule 10m:1d,1d
    """
    if not urls and not feeds:
        raise UsageError("name URLs to watch, or a feed with --feed FEED_URL")
    with open_store(db, warcs) as store:
        for url, is_feed in [(u, False) for u in urls] + [(f, True) for f in feeds]:
            w = add_watch(store, url, schedule=schedule, feed=is_feed)
            emit(w, as_json, f"{'watching' if w['added'] else 'already watched'} ({w['kind']}): "
                             f"{w['url']}  schedule {w['schedule']}")


@watch.command("run")
@click.option("--forever", is_flag=True,
              help="Keep running: sleep until the next watch is due. SIGINT/SIGTERM stop it "
                   "after the capture under way.")
@click.option("--host-delay", type=click.FloatRange(0), default=DEFAULT_HOST_DELAY, show_default=True,
              envvar="ARCHIVE_WATCH_HOST_DELAY", help="Least seconds between requests to one host.")
@click.option("--ignore-robots", is_flag=True, help="Do not read or obey robots.txt.")
@click.option("--webhook", metavar="URL", default=None, envvar="ARCHIVE_WATCH_WEBHOOK",
              help="POST each drift of a cited passage to this URL as JSON.")
@click.option("--timeout", type=float, default=30.0, show_default=True)
@click.option("--public-only", is_flag=True, help="Refuse private and loopback addresses.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Check at most this many watches (once).")
@click.option("--browser/--no-browser", default=True, show_default=True,
              help="Recapture pages that were captured with a browser with one (when Chromium is present).")
@store_options
@json_option
@handle_errors
def run(forever, host_delay, ignore_robots, webhook, timeout, public_only, limit, browser, db, warcs, as_json):
    """Recapture the watches that are due, then exit (for cron), or --forever.

    Each result is one line: captured (first time), new_version (new article text),
    unchanged, changed (new bytes, no article text: a feed), not_modified (HTTP 304,
    recorded as a revisit), robots_disallowed or error. Drift of cited passages is
    listed under its page, recorded in the drift table (Datasette's drift Atom feed)
    and POSTed to --webhook. Articles a feed links to on a private or loopback
    address are not watched when the feed itself is on a public one.

    \b
    Example:
        */5 * * * *  archive watch run --db /srv/archive.db --warcs /srv/warcs
    """
    from archive.capture.browser import LazyBrowser
    from archive.capture.http import Fetcher

    if webhook:
        check_url(webhook)
    lazy = LazyBrowser(public_only=public_only, timeout=timeout) if browser else None
    with open_store(db, warcs) as store:
        fetcher = Fetcher(timeout=timeout, public_only=public_only)
        watcher = Watcher(store, fetcher, host_delay=host_delay, ignore_robots=ignore_robots,
                          webhook=webhook, browser=lazy)

        def show(r: dict) -> None:
            emit(r, as_json, _human_result(r))

        try:
            with watcher.signals():
                if forever:
                    watcher.run_forever(show)
                else:
                    results = watcher.run_once(show, limit=limit)
                    if not results and not as_json:
                        click.echo("nothing is due")
        finally:
            if lazy is not None:
                lazy.close()


@watch.command("list")
@click.option("--all", "all_", is_flag=True, help="Include watches that were removed.")
@store_options
@json_option
@handle_errors
def list_(all_, db, warcs, as_json):
    """Each watch: last capture, next due time, versions, and whether a cited passage changed."""
    with open_store(db, warcs) as store:
        rows = list_watches(store, include_removed=all_)
    for w in rows:
        emit(w, as_json, _human_watch(w))
    if not rows and not as_json:
        click.echo("nothing is watched (add with: archive watch add URL)")


@watch.command("remove")
@click.argument("urls", nargs=-1, required=True)
@click.option("--force", is_flag=True, help="Stop watching even a cited page.")
@store_options
@json_option
@handle_errors
def remove(urls, force, db, warcs, as_json):
    """Stop watching pages or feeds (a cited page only with --force)."""
    with open_store(db, warcs) as store:
        for url in urls:
            emit(remove_watch(store, url, force=force), as_json, f"no longer watching {url}")


@watch.command("schedule")
@click.argument("spec", required=False)
@store_options
@json_option
@handle_errors
def schedule_(spec, db, warcs, as_json):
    """Show or set the archive-wide schedule of watches that have none of their own.

    SPEC is 'EVERY:UNTIL,...,EVERY' by page age ('default' restores the built-in one).

    \b
    Example:
        archive watch schedule 30m:6h,2h:2d,1d:60d,30d
    """
    with open_store(db, warcs) as store:
        current = set_default_schedule(store, spec) if spec else default_schedule(store.conn)
    emit({"schedule": current}, as_json, current)
