"""Where the checkout is, and shortcuts to the files beside a warehouse (``warehouse.files.WarehouseFiles``)."""

from __future__ import annotations

import os
from pathlib import Path

from warehouse.files import WarehouseFiles

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the checkout: prefect.yaml, scrapers/, flows/


def absolute(path: str | Path) -> str:
    """``path`` made absolute against this process's working directory (``~`` expanded), resolved once at the edge
    so the crawl process (which runs from the project root) and every task see the same file."""
    text = os.fspath(path)
    if text.startswith("ducklake:postgres:"):
        return text  # a catalog in PostgreSQL: no path to resolve
    if text.startswith("ducklake:"):  # a local DuckLake catalog file
        return "ducklake:" + os.path.normpath(Path(text.removeprefix("ducklake:")).expanduser().absolute())
    return os.path.normpath(Path(path).expanduser().absolute())


def landing_root(db: str | Path) -> Path:
    return WarehouseFiles(db).landing


def body_store(db: str | Path) -> Path:
    return WarehouseFiles(db).bodies


def runs_dir(db: str | Path) -> Path:
    return WarehouseFiles(db).runs
