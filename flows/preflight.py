"""Checks an ingest makes before it fetches anything: can it write the warehouse and the files beside it?

A setup problem (a folder that cannot be created, a read-only or immutable file, a warehouse another program holds
open) is found in milliseconds and said in one line, instead of after the crawl, as a retried traceback. The catalog
is checked by its loader (``scrapers/catalog.py``) before this runs.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
import time
from pathlib import Path

from warehouse.files import WarehouseFiles
from warehouse.lockinfo import lock_holder

LOCK_GRACE_SECONDS = 5.0  # how long a warehouse held by a non-ingest process may stay held before it is an error


class SetupError(Exception):
    """The run cannot start: a one-line reason a user can act on."""


def _reason(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else str(exc)


def _writable_folder(folder: Path, what: str) -> None:
    if folder.exists() and not folder.is_dir():
        raise SetupError(f"cannot write {what} {folder}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise SetupError(f"cannot write {what} {folder}: {_reason(exc).lower()}") from exc


def _writable_file(path: Path) -> None:
    try:
        with path.open("r+b"):
            pass
    except OSError as exc:
        hint = " (immutable: see lsattr)" if exc.errno == errno.EPERM else ""
        raise SetupError(f"cannot write the warehouse {path}: {_reason(exc).lower()}{hint}") from exc


def _ingest_holds_writer_lock(db: Path) -> bool:
    """True while another ingest holds ``<db>.lock`` (it is loading; our own load will wait its turn)."""
    path = WarehouseFiles(db).lock
    if not path.exists():
        return False
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def _not_held_open(db: Path, grace_seconds: float) -> None:
    import duckdb

    deadline = time.monotonic() + grace_seconds
    while True:
        if _ingest_holds_writer_lock(db):
            return
        try:
            duckdb.connect(str(db)).close()
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise SetupError(f"cannot open the warehouse {db}: {text.splitlines()[0]}") from exc
            if time.monotonic() >= deadline:
                raise SetupError(
                    f"the warehouse {db} is held open by {lock_holder(text)}; close that session (DuckDB lets no "
                    "one write while another process has the file open) and run again"
                ) from exc
            time.sleep(0.2)
        else:
            return


def check_warehouse(db: str | Path, *, grace_seconds: float = LOCK_GRACE_SECONDS) -> None:
    """Raise :class:`SetupError` unless an ingest can write ``db`` (an absolute path) and the files beside it."""
    db = Path(db)
    if db.is_dir():
        raise SetupError(f"the warehouse {db} is a folder; give a file name such as {db / 'outages.duckdb'}")
    _writable_folder(db.parent, "the warehouse's folder")
    _writable_folder(WarehouseFiles(db).landing, "the landing folder")
    if db.exists():
        _writable_file(db)
        _not_held_open(db, grace_seconds)
