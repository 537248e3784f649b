"""Where a warehouse keeps its files: the landing area (runs) and the raw body store sit beside the DuckDB file."""

from __future__ import annotations

from pathlib import Path

from warehouse import lake

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the checkout: prefect.yaml, scrapers/, flows/


def landing_root(db: str | Path) -> Path:
    db = lake.local_path(str(db)) if lake.is_lake(db) else Path(db)
    return db.with_name(f"{db.stem}.landing")


def body_store(db: str | Path) -> Path:
    return landing_root(db) / "bodies"


def runs_dir(db: str | Path) -> Path:
    return landing_root(db) / "runs"
