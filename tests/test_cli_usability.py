"""What a new user trips over on the command line: a mistyped --db, a 404, a second demo."""

from __future__ import annotations

import json
import sqlite3

import pytest

from archive.demo import run_demo
from archive.errors import UsageError
from tests.conftest import invoke


@pytest.mark.parametrize("args", [
    ["figures", "http://example.org/a"], ["quotes", "http://example.org/a"], ["versions", "http://example.org/a"],
    ["diff", "http://example.org/a"], ["show", "0" * 64], ["verify", "--all"],
    ["cite", "http://example.org/a", "words"], ["check", "--all"], ["extract"],
])
def test_commands_that_need_a_store_refuse_a_missing_database(runner, tmp_path, args):
    typo = tmp_path / "typo.db"
    r = runner.invoke(__import__("archive.cli", fromlist=["cli"]).cli,
                      ["--db", str(typo), "--warcs", str(tmp_path / "warcs"), *args], catch_exceptions=False)
    assert r.exit_code == 2, r.output
    assert f"{typo} does not exist" in r.output
    assert not typo.exists()


def test_export_refuses_a_missing_database(runner, tmp_path):
    r = runner.invoke(__import__("archive.cli", fromlist=["cli"]).cli,
                      ["--db", str(tmp_path / "archive.db"), "export", "cdxj"], catch_exceptions=False)
    assert r.exit_code != 0 and "does not exist" in r.output
    assert not (tmp_path / "archive.db").exists()


def test_an_error_page_is_stored_but_reported(runner, tmp_path, site):
    site.set("/page", "<html><body><p>A page that exists.</p></body></html>")
    url = site.base_url + "/no/such/page"
    r = invoke(runner, tmp_path, "capture", url, "--json")
    assert r.exit_code == 0, r.output
    assert f"Warning: {url} answered HTTP 404" in r.output
    row = json.loads(next(line for line in r.output.splitlines() if line.startswith("{")))
    assert row["status"] == 404 and row["http_error"] is True
    ok = invoke(runner, tmp_path, "capture", site.base_url + "/page", "--json")
    assert "Warning" not in ok.output
    assert json.loads(next(x for x in ok.output.splitlines() if x.startswith("{")))["http_error"] is False


def test_demo_run_twice_starts_clean_and_tells_the_same_story(tmp_path):
    out1: list[str] = []
    first = run_demo(tmp_path / "demo", serve=False, echo=out1.append)
    with sqlite3.connect(tmp_path / "demo" / "archive.db") as conn:
        cited = conn.execute("SELECT count(*) FROM citations").fetchone()[0]
    out2: list[str] = []
    second = run_demo(tmp_path / "demo", serve=False, echo=out2.append)
    assert "Starting clean" in out2[0] and not any("Starting clean" in line for line in out1)
    assert first["check"]["status"] == second["check"]["status"] == "changed"
    assert second["verify"]["ok"] and second["warcio_check"]
    with sqlite3.connect(tmp_path / "demo" / "archive.db") as conn:
        assert conn.execute("SELECT count(*) FROM citations").fetchone()[0] == cited  # not twice as many


def test_demo_never_empties_a_directory_it_did_not_make(tmp_path, store):
    with pytest.raises(UsageError, match="did not make"):
        run_demo(tmp_path, serve=False, echo=lambda _s: None)
    assert (tmp_path / "archive.db").exists()


def test_indexing_reports_progress_per_file_and_the_cli_stays_quiet_off_a_terminal(runner, tmp_path, site):
    from archive.site import publish_edition
    from archive.store import Store

    with Store(tmp_path / "a.db", tmp_path / "warcs") as store:
        store.capture(publish_edition(site, 0))
        seen: list[tuple[str, int, int]] = []
        store.on_progress = lambda name, done, size: seen.append((name, done, size))
        store.reindex(extract=False)
    assert seen, "reindex reports its progress"
    name, done, size = seen[-1]
    assert done == size > 0 and [d for n, d, _ in seen if n == name] == sorted(d for n, d, _ in seen if n == name)
    r = runner.invoke(__import__("archive.cli", fromlist=["cli"]).cli,
                      ["--db", str(tmp_path / "a.db"), "--warcs", str(tmp_path / "warcs"), "reindex", "--no-extract"],
                      catch_exceptions=False)
    assert r.exit_code == 0 and "Reindexing" not in r.output   # not a terminal: no bar
