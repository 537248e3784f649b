"""The warehouse's single-writer file lock: an exclusive ``fcntl.flock`` on ``<db>.lock`` (``WarehouseFiles.lock``).

Every writer of the DuckDB file holds it: :func:`warehouse.load.load_landing` takes it itself, so no caller can
forget it. It holds between the processes of one machine, server or not; the kernel drops it when its holder dies,
so a crashed writer never wedges the warehouse. Across the machines of a Prefect server the flows add a global
concurrency limit around it (``flows/locking.py``), always taken first, so two holders never deadlock.

The lock is re-entrant within a thread: a flow that holds it around a step that calls ``load_landing`` does not wait
for itself. Another thread of the same process waits like another process would.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO

from warehouse.files import WarehouseFiles

DEFAULT_TIMEOUT_SECONDS = 900.0


class WriterLockTimeout(TimeoutError):
    """The writer lock stayed held by another process for longer than the caller would wait."""


_held = threading.local()  # per thread: resolved lock path -> how many times this thread holds it


def _counts() -> dict[Path, int]:
    counts: dict[Path, int] | None = getattr(_held, "counts", None)
    if counts is None:
        counts = {}
        _held.counts = counts
    return counts


@contextmanager
def file_lock(path: str | Path, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created if missing), waiting up to ``timeout_seconds`` for it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = path.resolve()
    counts = _counts()
    if counts.get(key):  # this thread holds it already
        counts[key] += 1
        try:
            yield
        finally:
            counts[key] -= 1
        return
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
        counts[key] = 1
        try:
            yield
        finally:
            del counts[key]
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


def writer_file_lock(
    db: str | Path, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
) -> AbstractContextManager[None]:
    """Hold the file lock of the warehouse ``db`` for the body of a ``with``."""
    return file_lock(WarehouseFiles(db).lock, timeout_seconds=timeout_seconds)


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "holder unknown"
    except OSError:
        return "holder unknown"
