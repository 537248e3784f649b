"""Where the checkout is, and shortcuts to the files beside a warehouse (``warehouse.files.WarehouseFiles``)."""

from __future__ import annotations

from pathlib import Path

from warehouse.files import WarehouseFiles

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the checkout: prefect.yaml, scrapers/, flows/


def landing_root(db: str | Path) -> Path:
    return WarehouseFiles(db).landing


def body_store(db: str | Path) -> Path:
    return WarehouseFiles(db).bodies


def runs_dir(db: str | Path) -> Path:
    return WarehouseFiles(db).runs
