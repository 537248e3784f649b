"""The raw tables declare no PRIMARY KEY (migration 0009): their load statements keep one row per key, and the
migration kept every column, its type, NOT NULL and every row of a warehouse that had keys."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from flows.paths import runs_dir
from warehouse.db import connect, migrate, migration_files, quote_ident
from warehouse.load import load_landing, raw_keys, raw_tables

if TYPE_CHECKING:
    from tests.series import Replay

UNKEYING = "0009_raw_tables_unkeyed"


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, str]]:
    return con.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = ? "
        "AND table_catalog = current_database() ORDER BY ordinal_position",
        [table],
    ).fetchall()


def keyed_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE') "
        "AND database_name = current_database()"
    ).fetchall()
    return {row[0] for row in rows}


def duplicate_keys(con: duckdb.DuckDBPyConnection, table: str, key: tuple[str, ...]) -> int:
    cols = ", ".join(quote_ident(c) for c in key)
    row = con.execute(
        f"SELECT count(*) FROM (SELECT {cols} FROM {quote_ident(table)} GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()
    return int(row[0]) if row else 0


def differing_rows(con: duckdb.DuckDBPyConnection, table: str, other: str) -> tuple[int, int]:
    """Rows of ``table`` not in ``other.table`` and the reverse, duplicates counted (EXCEPT ALL both ways)."""
    mine, theirs = quote_ident(table), f"{quote_ident(other)}.{quote_ident(table)}"
    counts = []
    for first, second in ((mine, theirs), (theirs, mine)):
        row = con.execute(f"SELECT count(*) FROM (FROM {first} EXCEPT ALL FROM {second})").fetchone()
        counts.append(int(row[0]) if row else -1)
    return counts[0], counts[1]


def test_the_keys_are_those_the_tables_declared_before() -> None:
    con = duckdb.connect()
    for name, sql in migration_files():
        if name < UNKEYING:
            con.execute(sql)
    declared = con.execute(
        "SELECT table_name, constraint_column_names FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
        "AND table_name LIKE 'raw\\_%' ESCAPE '\\'"
    ).fetchall()
    assert {table: tuple(key) for table, key in declared} == raw_keys()
    assert set(raw_keys()) == set(raw_tables())


def test_the_migration_keeps_every_column_and_row(demo_replay: Replay, tmp_path: Path) -> None:
    source = tmp_path / "replay.duckdb"
    shutil.copy(demo_replay.db, source)
    db = tmp_path / "keyed.duckdb"
    con = connect(db)
    try:
        con.execute("CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
        for name, sql in migration_files():
            if name < UNKEYING:
                con.execute(sql)
                con.execute("INSERT INTO schema_migrations VALUES (?, now())", [name])
        con.execute(f"ATTACH {duckdb.ConstantExpression(str(source))} AS replay (READ_ONLY)")
        before = {table: columns(con, table) for table in raw_tables()}
        assert keyed_tables(con) >= set(raw_tables())
        for table in raw_tables():
            con.execute(f"INSERT INTO {quote_ident(table)} SELECT * FROM replay.{quote_ident(table)}")
        assert con.execute("SELECT count(*) FROM raw_incident_versions").fetchone() != (0,)
        con.execute("DETACH replay")

        assert migrate(con) == [name for name, _ in migration_files() if name >= UNKEYING]

        con.execute(f"ATTACH {duckdb.ConstantExpression(str(source))} AS replay (READ_ONLY)")
        for table in raw_tables():
            assert columns(con, table) == before[table], table
            assert differing_rows(con, table, "replay") == (0, 0), table
        assert keyed_tables(con) == {"schema_migrations", "model_state"}
    finally:
        con.close()


def test_runs_loaded_twice_in_either_order_keep_one_row_per_key(demo_replay: Replay, tmp_path: Path) -> None:
    landings = sorted(run / "landing" for run in runs_dir(demo_replay.db).iterdir())
    assert len(landings) > 1
    db = tmp_path / "twice.duckdb"
    for landing in [*landings, *reversed(landings)]:
        load_landing(db, landing)
    source = tmp_path / "replay.duckdb"
    shutil.copy(demo_replay.db, source)
    con = connect(db)
    try:
        con.execute(f"ATTACH {duckdb.ConstantExpression(str(source))} AS replay (READ_ONLY)")
        for table, key in raw_keys().items():
            assert duplicate_keys(con, table, key) == 0, table
            # the same rows as the replay, which loaded each run once, in order (the catalog is the same in each)
            assert differing_rows(con, table, "replay") == (0, 0), table
        rows = con.execute("SELECT count(*) FROM raw_update_versions").fetchone()
        assert rows is not None
        assert rows[0] > 0
    finally:
        con.close()


def test_two_threads_loading_the_same_runs_at_once_keep_one_row_per_key(demo_replay: Replay, tmp_path: Path) -> None:
    """Two loads of one process at once: the writer lock (warehouse/lock.py) keeps them apart as it keeps processes
    apart (without it, one fails on a catalog conflict), and no key repeats though no constraint would refuse it."""
    landings = sorted(run / "landing" for run in runs_dir(demo_replay.db).iterdir())
    db = tmp_path / "threads.duckdb"
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = [pool.submit(lambda: [load_landing(db, landing) for landing in landings]) for _ in range(2)]
        for future in done:
            future.result()
    con = connect(db, read_only=True)
    try:
        for table, key in raw_keys().items():
            assert duplicate_keys(con, table, key) == 0, table
    finally:
        con.close()
