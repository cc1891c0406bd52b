"""The docs cannot drift: the command reference and the schema are generated with cog and
checked here, every command is in the reference, every guarantee names a real test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from archive.cli import cli

ROOT = Path(__file__).resolve().parents[1]


GENERATED = ["README.md", "docs/cli.md", "docs/schema.md"]


def test_generated_docs_are_up_to_date_with_cog():
    for name in GENERATED:
        proc = subprocess.run([sys.executable, "-m", "cogapp", "--check", str(ROOT / name)],
                              capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 0, (f"{name} is out of date: run `.venv/bin/cog -r {name}`\n"
                                      + proc.stdout + proc.stderr)


def test_every_command_is_documented_with_an_example_or_description():
    reference = (ROOT / "docs" / "cli.md").read_text()
    for name, cmd in cli.commands.items():
        assert f"$ archive {name} --help" in reference, name
        assert cmd.help and len(cmd.help.strip()) > 20, f"{name} needs help text"
    # usage lines name the command a user types
    assert "Usage: archive capture" in reference and "Usage: cli " not in reference


def test_contract_commands_exist():
    # The command-line contract of DESIGN.md: these names are what users' scripts call.
    for name in ("capture", "import", "reindex", "versions", "quotes", "figures", "diff", "cite",
                 "verify", "check", "show", "extract", "serve", "demo"):
        assert name in cli.commands, name


def test_bad_option_is_exit_2_without_traceback():
    res = CliRunner().invoke(cli, ["capture", "--no-such-option"])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_every_guarantee_names_a_test_that_exists():
    import re

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"\b(test_\w+)\b", section)) - {m.removesuffix(".py") for m in re.findall(r"test_\w+\.py", section)}
    defined = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        defined |= set(re.findall(r"^(?:async )?def (test_\w+)", path.read_text(), re.M))
    assert named and named <= defined, f"README names missing tests: {sorted(named - defined)}"
    for module in set(re.findall(r"(test_\w+\.py)", section)):
        assert (ROOT / "tests" / module).exists(), module


def test_db_and_warcs_are_global_options_as_the_contract_says(tmp_path, site):
    """`archive --db X --warcs Y capture URL` (DESIGN.md) and `archive capture --db X ...`."""
    url = site.set("/g", "<p>global options</p>")
    runner = CliRunner()
    db, warcs = tmp_path / "g.db", tmp_path / "gw"
    res = runner.invoke(cli, ["--db", str(db), "--warcs", str(warcs), "capture", url, "--json"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert db.exists() and list(warcs.glob("*.warc.gz"))
    after = runner.invoke(cli, ["versions", url, "--db", str(db), "--warcs", str(warcs), "--json"],
                          catch_exceptions=False)
    assert after.exit_code == 0 and '"version": 1' in after.output
    env = runner.invoke(cli, ["versions", url, "--json"], env={"ARCHIVE_DB": str(db), "ARCHIVE_WARCS": str(warcs)},
                        catch_exceptions=False)
    assert env.exit_code == 0 and '"version": 1' in env.output
