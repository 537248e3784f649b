"""The only writer of the warehouse: loads one run's landing files in one transaction, set-based.

DuckDB reads the JSON Lines files itself (``read_json``); no row goes through Python. Every statement is keyed so
that loading the same landing folder twice changes nothing.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb

from warehouse import lake
from warehouse.crashpoints import crash_point
from warehouse.db import connect, migrate, quote_ident
from warehouse.files import WarehouseFiles
from warehouse.lock import DEFAULT_TIMEOUT_SECONDS, writer_file_lock
from warehouse.lockinfo import lock_holder
from warehouse.models import build_models
from warehouse.models_current import models_current, record_models

LOAD_MEMORY_FLOOR = 768 * 1024**2  # bytes: the least memory DuckDB gets while it reads a landing (_bounded_memory)
LAKE_LOAD_ATTEMPTS = 5  # a load DuckLake refused as conflicting with a concurrent one is run again, this many times


class WarehouseLockedError(RuntimeError):
    """Another process holds the DuckDB file (DuckDB allows one writer process)."""


def load_steps() -> list[tuple[str, str]]:
    """(landing table, sql) in load order, from ``warehouse/load_sql/NN_table.sql``."""
    folder = resources.files("warehouse.load_sql")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql").split("_", 1)[1], f.read_text(encoding="utf-8")) for f in files]


def connect_writer(db: str | Path, *, wait_seconds: float = 60.0) -> duckdb.DuckDBPyConnection:
    """Open the database for writing, waiting for another writer to finish rather than failing at once."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        try:
            return connect(db)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"{db} is locked by another process (an ingest or an open DuckDB session: "
                    f"{lock_holder(str(exc))}) and stayed locked for {wait_seconds:g}s; close it or try again later"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def load_landing(
    db: str | Path,
    landing: Path,
    *,
    wait_seconds: float = 60.0,
    timings: dict[str, float] | None = None,
    lock_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    refresh_models: bool = True,
) -> dict[str, int]:
    """Load ``landing/*.jsonl`` into the warehouse in one transaction and rebuild the models, holding the writer
    lock (``warehouse.lock``; re-entrant, so a caller already holding it does not wait for itself).

    ``refresh_models=False`` is the caller's word that the landing holds nothing the models read (no record parsed,
    no complaint source read: the ``ingest`` flow's unchanged re-poll); the models are then left as they are, unless
    they were built by other model SQL, bucket width or services than now (``warehouse/models_current.py``).

    Returns the number of rows each table gained. ``timings``, when given, receives the seconds spent opening and
    migrating the file (``open``), writing the raw tables (``raw``), refreshing the models (``models``) and
    committing (``commit``). In a DuckLake (warehouse/lake.py) a load that DuckLake refuses to commit because a
    concurrent one changed the same rows is rolled back and run again from the start, on the new snapshot.
    """
    attempts = LAKE_LOAD_ATTEMPTS if lake.is_lake(db) else 1
    for attempt in range(1, attempts + 1):
        try:
            with writer_file_lock(db, timeout_seconds=lock_timeout_seconds):
                return _load_once(
                    db, landing, wait_seconds=wait_seconds, timings=timings, refresh_models=refresh_models
                )
        except duckdb.Error as exc:
            if attempt == attempts or not lake.is_conflict(exc):
                raise
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def _load_once(
    db: str | Path, landing: Path, *, wait_seconds: float, timings: dict[str, float] | None, refresh_models: bool
) -> dict[str, int]:
    clock = _Stopwatch(timings)
    con = connect_writer(db, wait_seconds=wait_seconds)
    try:
        crash_point("load:connected")
        migrate(con)
        crash_point("load:migrated")
        before = _row_counts(con)
        clock.lap("open")
        con.execute("BEGIN TRANSACTION")
        try:
            if lake.is_lake(db):
                lake.claim_writer(con, str(landing))
            with _bounded_memory(con, db):
                for table, sql in load_steps():
                    path = landing / f"{table}.jsonl"
                    if not path.exists():
                        raise FileNotFoundError(  # noqa: TRY301 (inside the transaction: the handler rolls it back)
                            f"landing file {path} is missing; the run was not staged completely"
                        )
                    _execute_step(con, sql, str(path))
                    crash_point(f"load:{table}")
            clock.lap("raw")
            if refresh_models or not models_current(con):
                build_models(con, changes=landing)
                record_models(con)
            crash_point("load:models")
            clock.lap("models")
            con.execute("COMMIT")
            clock.lap("commit")
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a refused COMMIT has already ended the transaction
                con.execute("ROLLBACK")
            raise
        crash_point("load:committed")
        after = _row_counts(con)
        return {table: after[table] - before.get(table, 0) for table in after}
    finally:
        con.close()


class _Stopwatch:
    """Seconds between laps, written into ``into`` under each lap's name (nothing when ``into`` is None)."""

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into = into
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.into is not None:
            self.into[name] = now - self.last
        self.last = now


@contextlib.contextmanager
def _bounded_memory(con: duckdb.DuckDBPyConnection, db: str | Path) -> Iterator[None]:
    """Bound DuckDB's memory while the landing files are read: by default it takes up to 80 % of the machine, and the
    GROUP BYs over a big run's files use it (1.5 GiB for 5,000 status pages); bounded, they spill to disk instead, at
    about the same speed. The bound grows with the warehouse, whose tables the MERGEs join. The models are built
    unbounded: bounded so, the complaint series' refresh after a day of counts into 10M ran 15-35 % slower."""
    files = () if lake.is_lake(db) else (Path(db), WarehouseFiles(db).wal)  # a lake's catalog and data are elsewhere
    size = sum(f.stat().st_size for f in files if f.exists())
    before = con.execute("SELECT current_setting('memory_limit')").fetchone()
    con.execute("SET memory_limit = ?", [f"{max(LOAD_MEMORY_FLOOR, 2 * size)}B"])
    try:
        yield
    finally:
        if before is not None:
            con.execute("SET memory_limit = ?", [before[0]])


def _execute_step(con: duckdb.DuckDBPyConnection, sql: str, path: str) -> None:
    """Run each statement of a step file in turn (DuckDB binds parameters to one statement at a time)."""
    for statement in duckdb.extract_statements(sql):
        con.execute(statement, {"path": path} if statement.named_parameters else None)


_WRITES = re.compile(r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?|MERGE\s+)INTO\s+(raw_\w+)", re.IGNORECASE)


def raw_tables() -> tuple[str, ...]:
    """The raw tables, in load order: the tables the load steps insert into (one step per landing table, so one
    for each record type a parser returns)."""
    return tuple(dict.fromkeys(table for _, sql in load_steps() for table in _WRITES.findall(sql)))


_MERGE_KEY = re.compile(r"MERGE\s+INTO\s+(raw_\w+)\s+AS\s+t\s+USING\b.*?\)\s+AS\s+s\s+ON\s+(.*?)\s+WHEN\b", re.I | re.S)


def raw_keys() -> dict[str, tuple[str, ...]]:
    """Each raw table's key: the columns its load statements' ``MERGE … ON t.c = s.c AND …`` match on (the tables
    declare none: migration 0009). Every MERGE into one table matches on the same key."""
    keys: dict[str, tuple[str, ...]] = {}
    for _, sql in load_steps():
        for table, condition in _MERGE_KEY.findall(sql):
            key = tuple(re.findall(r"\bt\.(\w+)\s*=\s*s\.\1\b", condition))
            if keys.setdefault(table, key) != key:
                raise ValueError(f"{table} is merged on {keys[table]} and on {key}")
    return keys


def _row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = {}
    for table in raw_tables():
        row = con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts
