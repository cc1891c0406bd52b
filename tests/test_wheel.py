"""A normal, non-editable install works: the wheel carries the plugin's templates and
static files, the demo site and ``metadata.yml`` (its canned queries and descriptions).

Builds the wheel, installs it into a fresh virtual environment (dependencies from the
package index, as a user's ``pip install`` would), builds the demo archive with that
environment's ``archive`` and serves it with ``archive serve``.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The installed copy must be what runs: no checkout on the path.
ENV = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"),
                            str(ROOT)], capture_output=True, text=True)
    if built.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{built.stdout}\n{built.stderr}")
    wheel = next((tmp / "dist").glob("archive_store-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], capture_output=True, text=True)
    if pip.returncode != 0:
        pytest.fail(f"pip install of the wheel failed:\n{pip.stdout}\n{pip.stderr}")
    return venv


def test_the_wheel_holds_metadata_templates_static_and_demo_site(installed):
    site = subprocess.run([str(installed / "bin" / "python"), "-c",
                           "import archive, pathlib; print(pathlib.Path(archive.__file__).parent)"],
                          capture_output=True, text=True, check=True, cwd=installed, env=ENV).stdout.strip()
    pkg = Path(site)
    assert str(pkg).startswith(str(installed)), "the installed copy, not this checkout, must be imported"
    assert (pkg / "web" / "metadata.yml").is_file() and not (pkg / "web" / "metadata.yml").is_symlink()
    assert "queries:" in (pkg / "web" / "metadata.yml").read_text("utf-8")
    assert list((pkg / "web" / "templates").glob("archive_cite.html"))
    assert (pkg / "web" / "static" / "archive.css").is_file()
    assert (pkg / "demo_site" / "articles.json").is_file()
    assert (pkg / "py.typed").is_file()


def _serve(archive: Path, db: Path, work: Path) -> tuple[subprocess.Popen, str]:
    """``archive serve`` on a free port (another port if that one is taken meanwhile)."""
    for _ in range(5):
        port = _free_port()
        proc = subprocess.Popen([str(archive), "--db", str(db), "--warcs", str(work / "warcs"), "serve",
                                 "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                cwd=work, env=ENV)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if _get(base + "/-/versions.json")[0] == 200:
                    return proc, base
            except OSError:
                pass
            time.sleep(0.3)
        out = proc.stdout.read().decode() if proc.poll() is not None and proc.stdout else ""
        proc.kill()
        proc.wait()
        if "address already in use" not in out:
            pytest.fail(f"archive serve did not start: {out}")
    pytest.fail("archive serve found no free port")


def test_archive_serve_from_the_wheel_has_the_canned_queries(installed, tmp_path):
    archive = installed / "bin" / "archive"
    work = tmp_path / "demo"
    demo = subprocess.run([str(archive), "demo", "--dir", str(work), "--no-serve"], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path, env=ENV)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    db = work / "archive.db"
    cid = sqlite3.connect(db).execute("SELECT id FROM citations LIMIT 1").fetchone()[0]
    proc, base = _serve(archive, db, work)
    try:
        status, body = _get(base + "/archive/changed_figures.json?_shape=array")
        assert status == 200, body
        rows = json.loads(body)
        assert any("2,300" in json.dumps(r) for r in rows), rows
        status, page = _get(base + "/archive")
        assert status == 200 and "Figures that changed between versions of a page" in page
        status, cite_page = _get(f"{base}/-/cite/{cid}")
        assert status == 200 and "2,300" in cite_page
        status, css = _get(base + "/-/static-plugins/archive-store/archive.css")
        assert status == 200 and "{" in css
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
