"""Writes that are not loads: rebuilding the models, exporting the warehouse for a backup, restoring one.

Each holds the warehouse's writer file lock (``warehouse.lock``) itself; the nightly flows (``flows/maintenance.py``)
add the Prefect concurrency limit around them and do the file work (archives, manifests).
"""

from __future__ import annotations

from pathlib import Path

from warehouse.db import connect, migrate
from warehouse.load import connect_writer
from warehouse.lock import writer_file_lock
from warehouse.models import build_models
from warehouse.reads import loaded_run_ids

# The statements of an export's schema.sql that are models (code, rebuilt from warehouse/models), not data.
MODEL_STATEMENTS = ("CREATE VIEW ", "CREATE MACRO ")


def sql_string(value: str) -> str:
    """A SQL string literal (for the statements that take no bound parameter: EXPORT and IMPORT DATABASE)."""
    return "'" + value.replace("'", "''") + "'"


def rebuild(db: str | Path) -> tuple[list[str], list[str]]:
    """Apply pending migrations and recreate every model, in one transaction; returns (migrations, models)."""
    with writer_file_lock(db):
        con = connect_writer(db)
        try:
            applied = migrate(con)
            con.execute("BEGIN TRANSACTION")
            try:
                built = build_models(con)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.close()
    return applied, built


def export_database(db: str | Path, target: str | Path) -> list[str]:
    """``EXPORT DATABASE`` to ``target`` (Parquet, tables only: see :func:`drop_models_from_export`); returns the
    run ids recorded as loaded in what was exported."""
    with writer_file_lock(db):
        con = connect_writer(db)
        try:
            con.execute("CHECKPOINT")
            con.execute(f"EXPORT DATABASE {sql_string(str(target))} (FORMAT parquet, COMPRESSION zstd)")
            loaded = loaded_run_ids(con)
        finally:
            con.close()
    drop_models_from_export(Path(target))
    return loaded


def drop_models_from_export(folder: Path) -> list[str]:
    """Remove the views and macros (one statement per line) from an export's ``schema.sql``; returns their names.

    DuckDB writes them in name order, so ``IMPORT DATABASE`` would fail on a view read by another; they are code,
    rebuilt by :func:`restore`.
    """
    schema = folder / "schema.sql"
    kept, views = [], []
    for line in schema.read_text(encoding="utf-8").splitlines():
        if line.startswith(MODEL_STATEMENTS):
            if not line.rstrip().endswith(";"):
                raise RuntimeError(f"{schema}: a model statement spans lines; cannot leave the models out")
            views.append(line.split()[2])
            continue
        kept.append(line)
    schema.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return views


def restore(export_folder: str | Path, db: str | Path) -> list[str]:
    """Recreate a warehouse at ``db`` (which must not exist) from an export: import its tables, rebuild the models."""
    if Path(db).exists():
        raise FileExistsError(f"{db} exists; restore into a new path")
    con = connect(db)  # a new file: no other writer can know it yet
    try:
        con.execute(f"IMPORT DATABASE {sql_string(str(export_folder))}")
        migrate(con)
        return build_models(con)
    finally:
        con.close()
