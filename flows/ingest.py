"""The ``ingest`` flow: crawl → keep raw → parse → load → models, for every source of a catalog.

Thin on purpose: each task calls one function with paths and ids (never an open connection).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.paths import body_store, runs_dir
from scrapers import registry
from scrapers.catalog import load_catalog
from scrapers.landing import LandingSummary, build_landing, read_jsonl
from warehouse.load import load_landing

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class CrawlError(RuntimeError):
    """The crawl process itself failed (not a source: those failures are recorded per source)."""


@dataclass
class IngestResult:
    run_id: str
    sources_total: int
    sources_failed: int
    failures: dict[str, list[str]] = field(default_factory=dict)
    rows_added: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if self.sources_failed else 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan_requests(sources: str | None, only: list[str] | None = None) -> list[dict[str, str]]:
    """The URLs a catalog asks for: each source's kind says which endpoints its url starts with."""
    catalog = load_catalog(sources)
    plan = []
    for source in catalog.sources:
        if only and source.id not in only:
            continue
        for url in registry.get(source.kind).start_urls(source.url):
            plan.append({"source_id": source.id, "url": url})
    return plan


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def crawl(run_dir: str, store: str, timeout_seconds: float, as_of: str | None) -> int:
    """Fetch every planned URL in a fresh process; returns how many fetch records it wrote."""
    logger = get_run_logger()
    command = [
        sys.executable,
        "-m",
        "scrapers.crawl",
        "--plan",
        str(Path(run_dir) / "plan.json"),
        "--run-dir",
        run_dir,
        "--store",
        store,
        "--timeout",
        str(timeout_seconds),
    ]
    if as_of:
        command += ["--as-of", as_of]
    completed = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout)[-2000:]
        raise CrawlError(f"crawl process exited with status {completed.returncode}: {tail}")
    fetches = Path(run_dir) / "fetches.jsonl"
    stats_file = Path(run_dir) / "crawl_stats.json"
    if not fetches.exists() or not stats_file.exists():
        raise CrawlError(f"crawl wrote no fetch records in {run_dir}; see {run_dir}/crawl.log")
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    written = sum(1 for _ in read_jsonl(fetches))
    logger.info(
        "crawl finished (%s): %d fetch records, %d requests, %d download errors",
        stats.get("finish_reason"),
        written,
        stats.get("downloader/request_count", 0),
        stats.get("downloader/exception_count", 0),
    )
    return written


@task(cache_policy=NO_CACHE)
def stage(run_dir: str, store: str, sources: str | None, run_id: str, started_at: datetime) -> LandingSummary:
    """Parse every stored body of the run into landing files; per-source failures are recorded, not raised."""
    summary = build_landing(Path(run_dir), Path(store), load_catalog(sources), run_id, started_at)
    logger = get_run_logger()
    for source_id, reasons in summary.failed_sources.items():
        logger.warning("source %s failed: %s", source_id, "; ".join(reasons))
    return summary


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def load(db: str, landing: str) -> dict[str, int]:
    """Load the run's landing files into DuckDB in one transaction and rebuild the views."""
    return load_landing(db, Path(landing))


@flow(name="ingest", log_prints=True)
def ingest(
    sources: str | None = None,
    db: str = "outages.duckdb",
    timeout_seconds: float = 30.0,
    as_of: str | None = None,
    only: list[str] | None = None,
) -> IngestResult:
    """Fetch every source of the catalog, keep the bodies, parse, and load them into the DuckDB file ``db``.

    ``sources`` is a catalog YAML (default: the built-in live catalog); ``as_of`` stamps fetches with a simulated
    time (replays); ``only`` restricts the run to some source ids.
    """
    started = datetime.fromisoformat(as_of) if as_of else datetime.now(UTC)
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    run_dir = runs_dir(db) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    plan = plan_requests(sources, only)
    (run_dir / "plan.json").write_text(json.dumps(plan, indent=1), encoding="utf-8")
    store = body_store(db)
    crawl(str(run_dir), str(store), timeout_seconds, as_of)
    summary = stage(str(run_dir), str(store), sources, run_id, started)
    added = load(db, str(run_dir / "landing"))
    return IngestResult(
        run_id=run_id,
        sources_total=summary.sources_total,
        sources_failed=summary.sources_failed,
        failures=summary.failed_sources,
        rows_added=added,
    )
