"""Real servers for the DuckLake tests: a PostgreSQL cluster of our own (``initdb``/``pg_ctl`` in a temp folder, on a
loopback port) and an S3 API (moto's server) on loopback. Both are started per test session and stopped after it.

PostgreSQL refuses to run as root: as root (CI is) the cluster belongs to ``nobody``, which then owns its folder.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

UNPRIVILEGED = "nobody"
READY_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bin(name: str) -> str | None:
    """A PostgreSQL program from PATH, else from Debian's versioned folder (not on PATH after ``apt-get install``)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(str(p) for p in Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return candidates[-1] if candidates else None


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str

    def location(self, dbname: str) -> str:
        """A DuckLake location whose catalog is database ``dbname`` of this server."""
        return f"ducklake:postgres:dbname={dbname} host={self.host} port={self.port} user={self.user}"

    def create_database(self, dbname: str) -> None:
        psql = postgres_bin("psql")
        assert psql, "psql is missing"
        subprocess.run(
            [psql, "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
             "-c", f'CREATE DATABASE "{dbname}"'],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", UNPRIVILEGED, "--", *command]


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    """Start a throwaway cluster in a temp folder of its own on a free loopback port (trust auth, loopback only);
    stop it and remove the folder after. As root the folder and the server belong to ``nobody``."""
    initdb, pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise FileNotFoundError("PostgreSQL is not installed (initdb, pg_ctl): make test installs it when root")
    folder = Path(tempfile.mkdtemp(prefix="outages-pg-"))  # under /tmp, which nobody can reach (not pytest's 0700)
    if os.geteuid() == 0:
        shutil.chown(folder, user=UNPRIVILEGED)
    data, user = folder / "data", "outages"
    try:
        run = functools.partial(subprocess.run, capture_output=True, text=True, timeout=120, cwd=folder)
        done = run(_as_owner([initdb, "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync"]))
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
        port = free_port()
        options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=100"
        log = folder / "server.log"
        done = run(_as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"]))
        if done.returncode:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr[-1000:]} {_tail(log)}")
        try:
            yield Postgres("127.0.0.1", port, user)
        finally:
            run(_as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:]
    except OSError:
        return ""


@dataclass(frozen=True)
class S3:
    endpoint: str

    def environ(self) -> dict[str, str]:
        """The AWS variables a process needs to reach this server (what warehouse/lake.py reads)."""
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
        }

    def create_bucket(self, name: str) -> None:
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
        client.create_bucket(Bucket=name)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


@contextmanager
def s3_server(log: Path) -> Iterator[S3]:
    """moto's S3 server on a free loopback port, in its own process."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start: {_tail(log)}") from None
                time.sleep(0.2)
        yield S3(f"http://127.0.0.1:{port}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
