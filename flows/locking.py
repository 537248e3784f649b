"""One writer at a time: the lock every step that writes the DuckDB file holds, across processes and workers.

Two layers, always taken in the same order (so two holders can never deadlock):

1. **Prefect global concurrency limit** ``outages-duckdb-writer`` (one slot, ``strict=True``) when the process talks
   to a Prefect server (``PREFECT_API_URL`` is set): it holds across every worker on every machine of that server.
   The limit is created with one slot the first time it is missing (an existing limit is never changed), so a new
   server needs no manual step; ``strict=True`` then guarantees a missing limit is an error, never a silent no-op.
2. **A file lock** (``fcntl.flock`` on ``<db>.lock`` beside the DuckDB file), always: it holds between processes of
   one machine whether or not a server exists. It covers the ephemeral server (each ``outages ingest`` process starts
   its own, so a limit there would not be shared), the test harness, and ad-hoc runs of the CLI.

The kernel drops a ``flock`` when its holder dies, and the Prefect slot is a lease that expires when its holder stops
renewing it, so a crashed writer never wedges the warehouse. Prefect's default lease is 300 s, so a writer killed
mid-load (SIGKILL, OOM) used to stall every later ingest for five minutes (found by tests/test_crash_safety.py); the
lease is now :data:`WRITER_LEASE_SECONDS`, the shortest the server accepts (renewed every 45 s while held), so the stall
is at most a minute plus one pass of the server's lease repossessor (15 s by default). Without a server (the CLI's
ephemeral one dies with the process) there is no stall at all.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import IO

WRITER_LIMIT = "outages-duckdb-writer"
DEFAULT_TIMEOUT_SECONDS = 900.0
WRITER_LEASE_SECONDS = 60.0  # Prefect refuses leases shorter than 60 s


class WriterLockTimeout(TimeoutError):
    """The writer lock stayed held by another process for longer than the caller would wait."""


def lock_path(db: str | Path) -> Path:
    from warehouse import lake

    db = lake.local_path(str(db)) if lake.is_lake(db) else Path(db)
    return db.with_name(f"{db.name}.lock")


def prefect_server_url() -> str | None:
    """The Prefect API this process talks to, or None when it runs against an ephemeral in-process server."""
    from prefect.settings import PREFECT_API_URL

    value = PREFECT_API_URL.value()
    return str(value) if value else None


@contextmanager
def file_lock(path: str | Path, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created if missing), waiting up to ``timeout_seconds`` for it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = path.open("a+", encoding="utf-8")
    try:
        deadline = time.monotonic() + timeout_seconds
        delay = 0.05
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WriterLockTimeout(
                        f"{path} stayed locked by another writer for {timeout_seconds:g}s ({_holder(path)})"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "holder unknown"
    except OSError:
        return "holder unknown"


def ensure_writer_limit(name: str = WRITER_LIMIT) -> None:
    """Create the one-slot global concurrency limit if the server lacks it (an existing limit is left as it is)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            with suppress(ObjectAlreadyExists):  # another writer created it first
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))


@contextmanager
def writer_lock(db: str | Path, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the warehouse's single-writer lock (see the module docstring) for the body of the ``with``."""
    with ExitStack() as stack:
        if prefect_server_url():
            from prefect.concurrency.sync import concurrency

            ensure_writer_limit()
            stack.enter_context(
                concurrency(
                    WRITER_LIMIT,
                    occupy=1,
                    strict=True,
                    timeout_seconds=timeout_seconds,
                    lease_duration=WRITER_LEASE_SECONDS,
                )
            )
        stack.enter_context(file_lock(lock_path(db), timeout_seconds=timeout_seconds))
        yield
