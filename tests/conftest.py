"""Shared fixtures: a real HTTP server on 127.0.0.1, a store in a temp dir, the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.site import SiteServer
from archive.store import Store

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture
def site():
    """A news site on 127.0.0.1 (random port) whose pages a test can edit."""
    with SiteServer() as server:
        yield server


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as s:
        yield s


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def corpus():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS


def invoke(runner: CliRunner, tmp_path: Path, *args: str, input: str | None = None):
    """Run the CLI against the store in ``tmp_path``; never swallow unexpected exceptions."""
    return runner.invoke(
        __import__("archive.cli", fromlist=["cli"]).cli,
        ["--help"] if not args else [args[0], "--db", str(tmp_path / "archive.db"),
                                     "--warcs", str(tmp_path / "warcs"), *args[1:]],
        catch_exceptions=False, input=input)
