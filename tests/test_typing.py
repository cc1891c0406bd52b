"""The package type-checks: mypy, with the settings in pyproject.toml, finds no error.

The package ships ``py.typed``, so its annotations are a promise to whoever imports it;
this keeps them true. mypy runs on this interpreter, from the project root, as
``python -m mypy`` would by hand.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_error():
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is not installed: pip install -e '.[test]'")
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert proc.returncode == 0 and not errors, (
        f"mypy found {len(errors)} error(s):\n" + "\n".join(errors or [proc.stdout + proc.stderr]))
    # It checked the whole package, not a part the configuration happened to name.
    checked = re.search(r"Success: no issues found in (\d+) source files", proc.stdout)
    assert checked is not None, proc.stdout + proc.stderr
    assert int(checked.group(1)) == len(list((ROOT / "archive").rglob("*.py")))
