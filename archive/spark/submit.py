"""``archive spark``: run the job module with ``spark-submit`` (PySpark's, or
``$SPARK_HOME/bin/spark-submit``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from archive.errors import UsageError


def spark_home() -> str | None:
    """``$SPARK_HOME``, else the Spark that PySpark's wheel carries (its package directory)."""
    if os.environ.get("SPARK_HOME"):
        return os.environ["SPARK_HOME"]
    try:
        import pyspark
    except ImportError:
        return None
    return str(Path(pyspark.__file__).parent)


def spark_submit_binary() -> str:
    """``$SPARK_HOME/bin/spark-submit``, the one beside this Python, or on ``PATH``."""
    home = spark_home()
    for candidate in ([Path(home) / "bin" / "spark-submit"] if home else []) + \
            [Path(sys.executable).parent / "spark-submit"]:
        if candidate.exists():
            return str(candidate)
    found = shutil.which("spark-submit")
    if found:
        return found
    raise UsageError("spark-submit not found: pip install 'archive-store[spark]' (and Java 17), "
                     "or set SPARK_HOME")


def command(source: str, out: str, master: str | None = None, extra: list[str] | None = None,
            job_args: list[str] | None = None) -> list[str]:
    """The ``spark-submit`` command line for the job (executors use this Python)."""
    from archive.spark import job

    args = [spark_submit_binary()]
    if master:
        args += ["--master", master]
    args += ["--conf", f"spark.pyspark.python={sys.executable}",
             "--conf", f"spark.pyspark.driver.python={sys.executable}",
             "--conf", "spark.ui.showConsoleProgress=false"]
    if not master or master.startswith("local"):
        # Local mode: the driver listens on loopback only, and shuffles stay small.
        args += ["--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
                 "--conf", "spark.sql.shuffle.partitions=8", "--conf", "spark.ui.enabled=false"]
    args += list(extra or [])
    args += [job.__file__, source, "--out", out] + list(job_args or [])
    return args


def run(source: str, out: str, master: str | None = None, extra: list[str] | None = None,
        job_args: list[str] | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Submit the job and wait; its last line of output is a JSON summary."""
    if "://" not in source and not Path(source).is_dir():
        raise UsageError(f"{source}: not a directory of WARC files nor s3://bucket/prefix")
    environ = dict(os.environ, **(env or {}))
    home = spark_home()
    if home:
        environ.setdefault("SPARK_HOME", home)
    environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # The job imports the package it ships in: make sure executors find it.
    root = str(Path(__file__).resolve().parents[2])
    environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, environ.get("PYTHONPATH")) if p)
    return subprocess.run(command(source, out, master, extra, job_args), env=environ,
                          capture_output=True, text=True)
