"""The ``load-published`` flow (``outages load``): load every run published on the S3 landing root that the warehouse
has not loaded yet, oldest first, one at a time under the writer lock.

A crawl worker publishes its run and then loads it itself (``flows/ingest.py``); this catches up whatever did not get
loaded: a load killed or refused after its run was published, a worker whose loads are turned over to another
machine. Loading a run twice changes nothing (every load statement is a keyed MERGE), so two catch-ups racing, or a
catch-up racing the worker's own load, double nothing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from flows.ingest import load
from flows.paths import absolute
from flows.runner import flow, run_logger, step
from warehouse import lake
from warehouse.db import connect
from warehouse.files import WarehouseFiles
from warehouse.landing_root import LANDING_ENV, RemoteLanding, pending_runs
from warehouse.reads import loaded_run_ids

NO_REMOTE = (
    f"no S3 landing root: give --landing s3://BUCKET/PREFIX/ or set {LANDING_ENV} "
    "(a local landing root is loaded by the ingest that wrote it)"
)


def remote_root(db: str, landing: str | None) -> RemoteLanding | None:
    """The S3 landing root of ``db`` (``landing``, else ``OUTAGES_LANDING``); None for a local one (nothing to catch
    up: the ingest that wrote a local run loaded it)."""
    return WarehouseFiles(db, landing).remote_landing()


def loaded_runs(db: str) -> list[str]:
    """The run ids ``db`` records as loaded; none for a warehouse not created yet."""
    if not lake.is_lake(db) and not Path(db).exists():
        return []
    try:
        con = connect(db, read_only=True)
    except duckdb.Error:
        if lake.is_lake(db):
            return []  # a lake not created yet (its first load creates it)
        raise
    try:
        return loaded_run_ids(con)
    except duckdb.CatalogException:
        return []  # not migrated yet
    finally:
        con.close()


@flow(name="load-published", log_prints=True)
def load_published(db: str = "outages.duckdb", landing: str | None = None) -> dict[str, dict[str, int]]:
    """Load the runs published on the landing root (``landing``, else ``OUTAGES_LANDING``) that ``db`` has not
    loaded; returns the rows each added, by run id. Without an S3 landing root (one machine) it does nothing."""
    db = absolute(db)
    remote = remote_root(db, landing)
    logger = run_logger()
    if remote is None:
        logger.info("%s", NO_REMOTE)
        return {}
    todo = pending_runs(remote.published_runs(), loaded_runs(db))
    logger.info("%d published runs not loaded yet under %s", len(todo), remote.root)
    added: dict[str, dict[str, int]] = {}
    for run_id in todo:
        added[run_id] = step(load, db, remote.landing_url(run_id))
        logger.info("loaded %s: %d rows", run_id, sum(added[run_id].values()))
    return added
