"""Connections, identifier quoting and ordered, idempotent migrations."""

from __future__ import annotations

import contextlib
from importlib import resources
from pathlib import Path

import duckdb

from warehouse import lake
from warehouse.crashpoints import crash_point

MIGRATIONS_PACKAGE = "warehouse.migrations"


def quote_ident(name: str) -> str:
    """The one way an identifier built in Python enters SQL: double-quoted, embedded quotes doubled."""
    if not name or "\x00" in name:
        raise ValueError(f"invalid SQL identifier {name!r}")
    return '"' + name.replace('"', '""') + '"'


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with the session in UTC (time buckets depend on the session time zone).

    ``path`` is a DuckDB file, or a DuckLake location (``ducklake:postgres:…``, ``ducklake:PATH``: warehouse/lake.py),
    attached as the session's default database so that every statement reads the same either way."""
    if lake.is_lake(path):
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            lake.attach(con, str(path), read_only=read_only)
        except BaseException:
            con.close()
            raise
        return con
    if not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    return con


def migration_files() -> list[tuple[str, str]]:
    """(name, sql) of every migration, in name order (``0001_…``, ``0002_…``)."""
    folder = resources.files(MIGRATIONS_PACKAGE)
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in files]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations not yet recorded; running it again applies nothing. Returns the names applied."""
    in_lake = lake.is_lake_connection(con)  # DuckLake has no keys: the same tables without them (lake.lake_ddl)
    ddl = lake.lake_ddl if in_lake else str
    con.execute(
        ddl("CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
    )
    done = {row[0] for row in con.execute("SELECT name FROM schema_migrations").fetchall()}
    applied = []
    for name, sql in migration_files():
        if name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            if not (in_lake and name in lake.UNKEYING_MIGRATIONS):
                con.execute(ddl(sql))
            crash_point(f"migration:{name}")
            con.execute("INSERT INTO schema_migrations VALUES (?, now())", [name])
            con.execute("COMMIT")
        except Exception:
            with contextlib.suppress(duckdb.Error):  # a refused COMMIT (a lake's conflict) has ended it already
                con.execute("ROLLBACK")
            raise
        applied.append(name)
    if in_lake:
        lake.ensure_writer_table(con)
    return applied
