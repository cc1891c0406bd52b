"""``archive demo``: the whole flow on the built-in news site, offline.

Serves the example site on 127.0.0.1, captures it, cites a figure, publishes the edited
edition (a figure corrected, a paragraph removed, the headline reworded), recaptures,
prints the diff and the drift check, verifies the citation and the WARC files, then
serves the archive with Datasette and prints the citation URL to open.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable

from archive.capture.http import Fetcher
from archive.check import check_citation
from archive.errors import UsageError
from archive.index.queries import resolve_page, stored_changes
from archive.provenance.cite import cite, verify_citation
from archive.site import SiteServer, publish_edition, publish_scripted
from archive.store import Store
from archive.text.diff import render_terminal

PASSAGE = "More than 2,300 homes were evacuated overnight"


def warcio_check(paths: list[Path]) -> tuple[bool, str]:
    """Run warcio's own checker over files (the reference tool, not ours)."""
    import contextlib
    import io

    from warcio.checker import Checker

    class Args:
        inputs = [str(p) for p in paths]
        verbose = False

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = Checker(Args()).process_all()
    return rc == 0, buf.getvalue()


SCRIPTED_PASSAGE = "the water reached 6.4 metres, its highest level since records began in 1921"


def _capture_scripted(store: Store, url: str, fetcher: Fetcher, base: str,
                      echo: Callable[[str], None]) -> dict | None:
    """Capture the script-rendered article with a browser when Chromium is here (and
    cite it), else over HTTP, saying what that misses."""
    from archive.capture.browser import BrowserCapturer, browser_available

    echo("\nA script-rendered article (its text arrives as JSON, its map loads on scroll):")
    why = browser_available()
    if why:
        echo(f"  browser capture unavailable ({why}); capturing over HTTP instead: "
             "the archived copy is the empty shell the server sent")
        r = store.capture([url], fetcher)[0]
        echo(f"  captured {r['url']} over HTTP (sha256 {r['payload_sha256'][:12]}…)")
        return None
    with BrowserCapturer(budget=30) as browser:
        r = store.capture_browser([url], browser)[0]
    if "error" in r:
        echo(f"  browser capture failed: {r['error']}")
        return None
    echo(f"  captured {r['url']} with headless Chromium: {r['resources']} resources, a screenshot "
         f"and the rendered DOM{'' if r['settled'] else ' (not settled: ' + str(r['cut']) + ')'}")
    c = cite(store, url, SCRIPTED_PASSAGE, note="demo citation of a script-rendered page", base_url=base)
    echo(f"  cited “{c['exact']}” (from the rendered DOM) as {c['id']}")
    return c


#: Left in a demo directory so that a later run knows it may start it afresh.
MARKER = ".archive-demo"


def start_clean(workdir: Path, echo: Callable[[str], None] = print) -> None:
    """Remove a previous demo's archive from ``workdir``, saying so.

    The example site gets a new port on every run, so a second demo on top of the first
    would leave the first citation's page "gone". A directory holding an archive that no
    demo made is refused, never emptied.
    """
    db, warcs = workdir / "archive.db", workdir / "warcs"
    if not (db.exists() or warcs.exists()):
        return
    if not (workdir / MARKER).exists():
        raise UsageError(f"{workdir} holds an archive that `archive demo` did not make; "
                         "choose another --dir")
    for name in ("archive.db", "archive.db-wal", "archive.db-shm", "archive.toml"):
        (workdir / name).unlink(missing_ok=True)
    shutil.rmtree(warcs, ignore_errors=True)
    echo(f"Starting clean: removed the previous demo archive in {workdir}/")


def run_demo(workdir: Path, port: int = 8001, serve: bool = True, echo: Callable[[str], None] = print) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    start_clean(workdir, echo)
    (workdir / MARKER).write_text("made by `archive demo`; the next run starts this directory afresh\n")
    db, warcs = workdir / "archive.db", workdir / "warcs"
    base = f"http://127.0.0.1:{port}"
    with SiteServer() as site, Store(db, warcs) as store:
        echo(f"Example news site serving at {site.base_url}")
        urls = publish_edition(site, 0)
        fetcher = Fetcher(timeout=10)
        for r in store.capture(urls, fetcher):
            echo(f"  captured {r['url']} (HTTP {r['status']}, sha256 {r['payload_sha256'][:12]}…, "
                 f"{r['warc_file']} @ {r['offset']})")
        wildfire = urls[0]
        c = cite(store, wildfire, PASSAGE, note="demo citation", base_url=base)
        echo(f"\nCited “{c['exact']}”\n  id {c['id']} (snapshot sha256 {c['snapshot_sha256'][:16]}…)")

        time.sleep(0.01)
        again = store.capture([urls[1]], fetcher)[0]
        echo(f"\nRecaptured an unchanged page: stored as {'a revisit record' if again['revisit'] else 'a new copy'}")

        echo("\nThe newspaper edits the wildfire article (figure corrected, paragraph removed, "
             "headline rewritten)...")
        publish_edition(site, 1)
        time.sleep(0.01)
        r = store.capture([wildfire], fetcher)[0]
        echo(f"  recaptured {r['url']} (sha256 {r['payload_sha256'][:12]}…)")

        page = resolve_page(store.conn, wildfire)
        echo("\narchive diff " + wildfire)
        echo(render_terminal(stored_changes(store.conn, page), color=False))

        live = publish_scripted(site)
        scripted_cite = _capture_scripted(store, live, fetcher, base, echo)

        chk = check_citation(store, c["id"], fetcher)
        echo(f"\narchive check {c['id']}: {chk['status']}")
        if chk.get("now"):
            echo(f"  the passage now reads: “{chk['now']}”")
        v = verify_citation(store, c["id"])
        echo(f"archive verify {c['id']}: {'ok' if v['ok'] else 'FAILED'} "
             f"({sum(1 for x in v['checks'] if x['ok'])}/{len(v['checks'])} checks passed)")
        store.warcs.close(seal=True)
    ok, out = warcio_check(sorted(warcs.glob("*.warc.gz")))
    echo(f"warcio check on {len(list(warcs.glob('*.warc.gz')))} WARC file(s): {'pass' if ok else 'FAIL'}")
    if not ok:
        echo(out)
    cite_url = f"{base}/-/cite/{c['id']}"
    echo(f"\nDemo archive: {db} and {warcs}/")
    echo(f"Open the citation: {cite_url}")
    if scripted_cite:
        echo(f"Open the citation of the script-rendered article (screenshot and replay): "
             f"{base}/-/cite/{scripted_cite['id']}")
    echo(f"Browse the archive: {base}/archive")
    result = {"citation": c, "scripted_citation": scripted_cite, "check": chk, "verify": v, "warcio_check": ok, "cite_url": cite_url}
    if serve:
        from archive.web.serve import run_datasette

        echo("Serving with Datasette (Ctrl-C to stop)...")
        run_datasette(str(db), str(warcs), port=port, replay_port=port + 1)
    return result
