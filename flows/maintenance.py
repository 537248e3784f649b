"""Nightly maintenance flows: rebuild the models, and back up / compact the raw layer.

Both write (or read a consistent snapshot of) the DuckDB file, so both hold the single-writer lock of
``flows.locking`` exactly as the ingest flow's load step does; the writes themselves are ``warehouse/maintenance.py``.

``backup`` writes one dated folder under ``<db name>.backups/`` (or ``dest``):

- ``warehouse/``: ``EXPORT DATABASE`` of every table as Parquet. The models (views and macros) are left out of its
  ``schema.sql`` (DuckDB writes them in name order, so ``IMPORT DATABASE`` would fail on a view read by another; they
  are code, rebuilt from ``warehouse/models``): ``restore(folder, db)`` imports the tables and rebuilds the models;
- ``runs.tar.gz``: every run folder of the landing area older than ``keep_days`` *and* recorded as loaded in
  ``raw_ingest_runs``; each such folder is deleted only after the archive has been re-read and found to hold every
  one of its files at its size (a run never loaded is kept and reported, never archived away);
- ``bodies.tar.gz`` and ``bodies.txt``: the stored bodies no earlier backup in the same folder holds (bodies are
  content-addressed and immutable, so backups are incremental; bodies are never deleted);
- ``MANIFEST.json``: what was written and what was deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.locking import writer_lock
from warehouse import maintenance
from warehouse.files import WarehouseFiles

RUN_ID_TIME = "%Y%m%dT%H%M%S"


def _require_db(db: str) -> None:
    from warehouse.lake import is_lake

    if not is_lake(db) and not Path(db).exists():
        raise FileNotFoundError(f"no warehouse at {db}: run an ingest first (or pass the right db path)")


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def rebuild_views(db: str) -> list[str]:
    """Apply pending migrations and recreate every model view, in one transaction, under the writer lock."""
    with writer_lock(db):
        applied, built = maintenance.rebuild(db)
    get_run_logger().info("migrations applied: %s; %d views rebuilt", applied or "none", len(built))
    return built


@flow(name="rebuild-models", log_prints=True)
def rebuild_models(db: str = "outages.duckdb") -> list[str]:
    """Nightly: apply pending migrations and rebuild every model view of the warehouse ``db``."""
    _require_db(db)
    return rebuild_views(db)


@task(retries=2, retry_delay_seconds=30, cache_policy=NO_CACHE)
def export_warehouse(db: str, target: str) -> list[str]:
    """``EXPORT DATABASE`` to ``target`` (Parquet) under the writer lock; returns the run ids recorded as loaded."""
    with writer_lock(db):
        return maintenance.export_database(db, target)


def restore(backup_folder: str | Path, db: str | Path) -> list[str]:
    """Recreate a warehouse at ``db`` (which must not exist) from a backup folder: import its tables, rebuild views."""
    return maintenance.restore(Path(backup_folder) / "warehouse", db)


def _run_started(run: Path) -> datetime:
    try:
        return datetime.strptime(run.name[: len("YYYYmmddTHHMMSS")], RUN_ID_TIME).replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(run.stat().st_mtime, UTC)


def _files(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` (relative to its parent, as archived) with its size."""
    return {str(f.relative_to(folder.parent)): f.stat().st_size for f in sorted(folder.rglob("*")) if f.is_file()}


@task(cache_policy=NO_CACHE)
def archive_runs(db: str, target: str, loaded: list[str], keep_days: int, now: datetime) -> dict[str, Any]:
    """Tar the loaded runs older than ``keep_days`` into ``target``, verify the archive, then delete those runs."""
    logger = get_run_logger()
    cutoff = now - timedelta(days=keep_days)
    done = set(loaded)
    root = WarehouseFiles(db).runs
    candidates = sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []
    old = [p for p in candidates if _run_started(p) < cutoff]
    unloaded = [p.name for p in old if p.name not in done]
    for name in unloaded:
        logger.warning("run %s is older than %d days but was never loaded: kept, not archived", name, keep_days)
    chosen = [p for p in old if p.name in done]
    if not chosen:
        return {"archived_runs": 0, "kept_unloaded_runs": unloaded}
    archive = Path(target)
    expected: dict[str, int] = {}
    with tarfile.open(archive, "w:gz") as tar:
        for run in chosen:
            expected.update({f"runs/{name}": size for name, size in _files(run).items()})
            tar.add(run, arcname=f"runs/{run.name}")
    with tarfile.open(archive, "r:gz") as tar:
        found = {m.name: m.size for m in tar.getmembers() if m.isfile()}
    missing = {name for name, size in expected.items() if found.get(name) != size}
    if missing:
        raise RuntimeError(f"{archive} lacks {len(missing)} file(s) (e.g. {sorted(missing)[0]}); nothing was deleted")
    with archive.open("rb") as handle:
        os.fsync(handle.fileno())  # on disk before anything it holds is deleted
    for run in chosen:
        shutil.rmtree(run)
    logger.info("archived and removed %d run folder(s) into %s", len(chosen), archive)
    return {
        "archived_runs": len(chosen),
        "archived_files": len(expected),
        "runs_archive": archive.name,
        "deleted_runs": [p.name for p in chosen],
        "kept_unloaded_runs": unloaded,
    }


@task(cache_policy=NO_CACHE)
def archive_bodies(db: str, backup_dir: str) -> dict[str, Any]:
    """Tar the stored bodies that no earlier backup holds (listed in each backup's ``bodies.txt``)."""
    folder = Path(backup_dir)
    already: set[str] = set()
    for listing in folder.parent.glob("*/bodies.txt"):
        already.update(listing.read_text(encoding="utf-8").split())
    store = WarehouseFiles(db).bodies
    new = sorted(p for p in store.glob("*/*") if p.is_file() and not p.name.startswith(".") and p.name not in already)
    if not new:
        return {"archived_bodies": 0}
    with tarfile.open(folder / "bodies.tar.gz", "w:gz") as tar:
        for body in new:
            tar.add(body, arcname=f"bodies/{body.parent.name}/{body.name}")
    (folder / "bodies.txt").write_text("".join(f"{p.name}\n" for p in new), encoding="utf-8")
    return {"archived_bodies": len(new), "bodies_archive": "bodies.tar.gz"}


@flow(name="backup-raw-layer", log_prints=True)
def backup(db: str = "outages.duckdb", dest: str | None = None, keep_days: int = 7) -> dict[str, Any]:
    """Nightly: export the warehouse, archive (then remove) loaded runs older than ``keep_days``, archive new bodies.

    ``dest`` is the folder of dated backups (default ``<db name>.backups`` beside the DuckDB file).
    """
    _require_db(db)
    if keep_days < 0:
        raise ValueError("keep_days must be 0 or more")
    now = datetime.now(UTC)
    root = Path(dest) if dest else WarehouseFiles(db).backups
    folder = root / f"{now:%Y-%m-%dT%H%M%SZ}"
    folder.mkdir(parents=True, exist_ok=False)
    loaded = export_warehouse(db, str(folder / "warehouse"))
    summary: dict[str, Any] = {"backup": str(folder), "db": db, "landing": str(WarehouseFiles(db).landing)}
    summary.update(archive_runs(db, str(folder / "runs.tar.gz"), loaded, keep_days, now))
    summary.update(archive_bodies(db, str(folder)))
    (folder / "MANIFEST.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return summary
