"""Hostile files on import (issue 14, medium): WACZ members that are not WARCs, bombs and
huge header lines. Each gets a clear error and exit 2; nothing of it is indexed or stays in
warcs/; memory stays under a hard limit (``RLIMIT_AS`` in a subprocess)."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from tests.conftest import invoke

MEMORY_LIMIT = 1536 * 1024 * 1024   # address space of the import process, libraries included


def stored_imports(tmp_path: Path) -> list[str]:
    warcs = tmp_path / "warcs"
    return sorted(p.name for p in warcs.iterdir() if not p.name.startswith("archive-")) if warcs.exists() else []


def captures(tmp_path: Path) -> int:
    import sqlite3

    if not (tmp_path / "archive.db").exists():
        return 0
    con = sqlite3.connect(tmp_path / "archive.db")
    try:
        return con.execute("SELECT count(*) FROM captures").fetchone()[0]
    finally:
        con.close()


def wacz_with(tmp_path: Path, corpus: Path, bad: str) -> Path:
    """A WACZ whose first member is a good WARC and whose second is ``bad``."""
    out = tmp_path / f"{bad}.wacz"
    with zipfile.ZipFile(out, "w") as zf:
        zf.write(corpus / "warc" / "warcio__example.warc.gz", "archive/a-good.warc.gz")
        if bad == "garbage":
            zf.writestr("archive/b.warc.gz", os.urandom(5000))
        elif bad == "symlink":
            info = zipfile.ZipInfo("archive/b.warc")
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, "/etc/passwd")
        elif bad == "bomb":
            info = zipfile.ZipInfo("archive/b.warc")
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as dst:
                dst.write(b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 300000000\r\n\r\n")
                zeros = bytes(1 << 20)
                for _ in range(300):
                    dst.write(zeros)
        zf.writestr("datapackage.json", "{}")
    return out


@pytest.mark.parametrize("bad", ["garbage", "symlink", "bomb"])
def test_a_wacz_member_that_is_not_a_warc_is_refused_whole(tmp_path, corpus, runner, bad):
    """The attack as written gave ``KeyError: 'unknown'``, exit 1, after the good member's
    rows were indexed (and the bomb left 2 GB in warcs/)."""
    wacz = wacz_with(tmp_path, corpus, bad)
    r = invoke(runner, tmp_path, "import", str(wacz))
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and "member 'archive/b.warc" in r.output
    assert captures(tmp_path) == 0
    assert stored_imports(tmp_path) == []


def _header_bomb(path: Path, size: int) -> None:
    """A .warc.gz whose record has a header line of ``size`` bytes (about size/1000 on disk)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as f:
        f.write(comp.compress(b"WARC/1.1\r\nWARC-Type: response\r\nX-Long: "))
        chunk = b"a" * (1 << 20)
        for _ in range(size >> 20):
            f.write(comp.compress(chunk))
        f.write(comp.compress(b"\r\nContent-Length: 0\r\n\r\n\r\n\r\n"))
        f.write(comp.flush())
        # A good record after it: it is still read.
        f.write(gzip.compress(b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n"
                              b"WARC-Date: 2020-01-01T00:00:00Z\r\nWARC-Target-URI: http://example.org/\r\n"
                              b"Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n"))


def _run_limited(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    code = ("import resource, sys\n"
            f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))\n"
            "from archive.cli import cli\n"
            "sys.exit(cli.main(sys.argv[1:], standalone_mode=True))\n")
    return subprocess.run([sys.executable, "-c", code, *args, "--db", str(tmp_path / "archive.db"),
                           "--warcs", str(tmp_path / "warcs")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)


def test_hostile_files_are_read_within_a_memory_limit(tmp_path):
    """A 400 MB header line from 400 KB of gzip took 1.67 GB on import and stayed in
    warcs/; a sparse file claiming 256 MiB of zeros likewise. Under a hard address-space
    limit the import reports them (exit 2), keeps the good record and leaves nothing of
    the bad files in the store."""
    bomb = tmp_path / "header-bomb.warc.gz"
    _header_bomb(bomb, 400 << 20)
    assert bomb.stat().st_size < 2 << 20
    sparse = tmp_path / "sparse.warc"
    with open(sparse, "wb") as f:
        f.write(b"WARC/1.1\r\nWARC-Type: resource\r\n")
        f.truncate(256 << 20)
    r = _run_limited(tmp_path, "import", str(bomb), "--json")
    assert r.returncode == 2, r.stderr[-2000:]
    assert "MemoryError" not in r.stderr and "Traceback" not in r.stderr
    assert "header block larger than" in r.stdout + r.stderr
    assert captures(tmp_path) == 1   # the good record after the bomb
    r = _run_limited(tmp_path, "import", str(sparse), "--json")
    assert r.returncode == 2, r.stderr[-2000:]
    assert "MemoryError" not in r.stderr and "Traceback" not in r.stderr
    assert [n for n in stored_imports(tmp_path) if "sparse" in n] == []
    r = _run_limited(tmp_path, "verify", "--all")
    assert "MemoryError" not in r.stderr and "Traceback" not in r.stderr
