"""The ``ingest`` flow: crawl → keep raw → parse (while the crawl runs) → load → models, for every source of a catalog.

Thin on purpose: each task calls one function with paths and ids (never an open connection).
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flows.artifacts import publish_ingest_artifacts
from flows.catalogs import catalog_for, choose_sources
from flows.crawl_stage import CrawlError as CrawlError  # re-exported: the flow's error for a failed crawl
from flows.crawl_stage import crawl_and_stage
from flows.locking import writer_lock
from flows.paths import absolute
from flows.runner import finish, flow, run_logger, step, task, transient_only
from scrapers import registry
from scrapers.catalog import Catalog, Source
from scrapers.landing import LandingSummary
from scrapers.records import RECORD_TABLES
from warehouse.crashpoints import crash_point
from warehouse.files import WarehouseFiles
from warehouse.landing_root import RemoteLanding, local_landing
from warehouse.load import load_landing
from warehouse.reads import PreviousReads, previous_reads

DEFAULT_LOOKBACK = timedelta(hours=24)


@dataclass
class IngestResult:
    run_id: str
    sources_total: int
    sources_failed: int
    failures: dict[str, list[str]] = field(default_factory=dict)
    rows_added: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    documents_parsed: int = 0
    documents_unchanged: int = 0  # bodies the warehouse already held the records of (a 304, or the same bytes)

    @property
    def exit_code(self) -> int:
        return 1 if self.sources_failed else 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def select_sources(
    catalog: Catalog, only: list[str] | None = None, kinds: list[str] | None = None, tags: list[str] | None = None
) -> list[Source]:
    """The catalog's sources a run reads: ``only`` keeps some source or service ids (or names), ``kinds`` some kinds,
    ``tags`` the sources of services with one of those tags (an unknown value is an error naming the known ones)."""
    return choose_sources(catalog, only, kinds, tags)


def plan_requests(
    catalog: Catalog,
    only: list[str] | None = None,
    kinds: list[str] | None = None,
    *,
    tags: list[str] | None = None,
    until: datetime | None = None,
    since: datetime | None = None,
    previous: PreviousReads | None = None,
) -> list[dict[str, Any]]:
    """The sources a run reads, each with the window it reads posts in; the crawl asks each kind for its requests.

    The window ends at ``until`` (the run's clock) and starts at ``since``, else at the source's last successful read,
    else 24 hours back. Each source also carries the validators of its URLs' previous good reads (``previous``): the
    crawl makes its first requests conditional on them, the parse stage skips a body it has already loaded.
    """
    previous = previous or PreviousReads()
    end = until or datetime.now(UTC)
    plan = []
    for source in select_sources(catalog, only, kinds, tags):
        start = since or previous.last_reads.get(source.id) or end - DEFAULT_LOOKBACK
        plan.append(
            {
                "source_id": source.id,
                "kind": source.kind,
                "url": source.url,
                "since": start.isoformat(),
                "until": end.isoformat(),
                "validators": previous.validators.get(source.id, []),
            }
        )
    return plan


@task(retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=transient_only)
def crawl(
    run_dir: str,
    store: str,
    timeout_seconds: float,
    as_of: str | None,
    catalog: Catalog,
    run_id: str,
    started_at: datetime,
    db: str,
) -> LandingSummary:
    """Fetch every planned URL in a fresh process and parse each body into landing files as its fetch record arrives
    (flows/crawl_stage.py); per-source failures are recorded, not raised. A failed crawl process leaves no landing."""
    logger = run_logger()
    salt = WarehouseFiles(db).author_salt()
    summary, stats = crawl_and_stage(Path(run_dir), store, timeout_seconds, as_of, catalog, run_id, started_at, salt)
    logger.info(
        "crawl finished (%s): %d fetch records, %d requests, %d download errors",
        stats.get("finish_reason"),
        summary.rows.get("fetches", 0),
        stats.get("downloader/request_count", 0),
        stats.get("downloader/exception_count", 0),
    )
    logger.info(
        "staged: %d bodies parsed, %d unchanged since the warehouse loaded them (not parsed again)",
        summary.documents_parsed,
        summary.documents_unchanged,
    )
    for source_id, reasons in summary.failed_sources.items():
        logger.warning("source %s failed: %s", source_id, "; ".join(reasons))
    for source_id, reason in summary.skipped_sources.items():
        logger.warning("source %s skipped: %s", source_id, reason)
    return summary


@task()
def publish(root: str, run_dir: str, store: str) -> dict[str, int]:
    """Copy the staged run and its bodies to the S3 landing root (``OUTAGES_LANDING``), where any loader finds it; then
    remove the run's local scratch folder (the load reads the published copy). A publish that failed keeps it. The
    local body store stays: the next run's conditional requests stand on the bodies it holds."""
    copied = RemoteLanding(root).publish_run(Path(run_dir), Path(store))
    # publish_run returns only once _published.json, written last, is there: the run is complete on the root
    shutil.rmtree(run_dir, ignore_errors=True)
    run_logger().info("published to %s: %d new bodies, %d files", root, copied["bodies"], copied["files"])
    return copied


def brings_model_input(summary: LandingSummary, sources: list[Source]) -> bool:
    """Whether a run brought anything the models are computed from: a record of any type, or a parsed document (its
    members), or a read of a complaint source (its read window changes which buckets the complaint counts cover).

    A run that read only status sources and found every body unchanged (a 304, or the same sha256 as the last good
    read: not parsed) brings only fetch and resighting rows, which the views read as they are: the load then leaves
    the models as they are (``load_landing(refresh_models=False)``), unless they were built from other SQL or services.
    """
    parsed = any(summary.rows.get(table, 0) for table in (*RECORD_TABLES, "documents"))
    return parsed or any(registry.get(source.kind).category == "complaints" for source in sources)


@task(retries=2, retry_delay_seconds=5, retry_condition_fn=transient_only)
def load(db: str, landing: str, refresh_models: bool = True) -> dict[str, int]:
    """Load the run's landing files (a local folder, or a run published on S3, downloaded first) into the warehouse
    in one transaction and rebuild the views, one writer at a time (``load_landing`` holds the file lock itself; the
    flow adds the Prefect limit around it)."""
    with local_landing(landing) as folder, writer_lock(db):
        return load_landing(db, folder, refresh_models=refresh_models)


@flow(name="ingest", log_prints=True)
def ingest(
    sources: str | None = None,
    db: str = "outages.duckdb",
    timeout_seconds: float = 30.0,
    as_of: str | None = None,
    only: list[str] | None = None,
    kinds: list[str] | None = None,
    since: str | None = None,
    tags: list[str] | None = None,
) -> Any:  # an IngestResult; inside a flow run, the Failed/Completed state carrying it when sources failed
    """Fetch every source of the catalog, keep the bodies, parse, and load them into the DuckDB file ``db``.

    ``sources`` is a catalog YAML (default: the built-in live catalog); ``as_of`` stamps fetches with a simulated
    time (replays); ``only`` restricts the run to some source ids (or services, by id, name or alias), ``kinds`` to
    some source kinds (the complaint deployment polls ``[report_counts]`` more often than the status pages), ``tags``
    to the services with one of those tags (``[cloud]``). Complaint sources read posts from ``since`` (ISO 8601), else
    from their last successful read, else from 24 hours back.
    """
    db, sources = absolute(db), absolute(sources) if sources else None  # a worker's or caller's cwd never matters
    started = datetime.fromisoformat(as_of) if as_of else datetime.now(UTC)
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    files = WarehouseFiles(db)
    run_dir = files.run(run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    catalog = catalog_for(sources)  # parsed once per run (and reused from the CLI's check): the tasks share it
    chosen = select_sources(catalog, only, kinds, tags)
    previous = previous_reads(db, [source.id for source in chosen])
    plan = plan_requests(
        catalog,
        only,
        kinds,
        tags=tags,
        until=started,
        since=datetime.fromisoformat(since) if since else None,
        previous=previous,
    )
    (run_dir / "plan.json").write_text(json.dumps(plan, indent=1), encoding="utf-8")
    crash_point("ingest:planned")  # inert unless a crash-safety test names it (warehouse/crashpoints.py)
    # the crawl and the parse at once: each body is parsed as it arrives (its "ingest:crawled" point is where the crawl
    # process has ended and the last records are parsed)
    summary = step(crawl, str(run_dir), str(files.bodies), timeout_seconds, as_of, catalog, run_id, started, db)
    crash_point("ingest:staged")
    landing = str(run_dir / "landing")
    remote = files.remote_landing()
    if remote is not None:  # an S3 landing root: the load reads the run from there, as a loader elsewhere would
        step(publish, remote.root, str(run_dir), str(files.bodies))
        landing = remote.landing_url(run_id)
        crash_point("ingest:published")
    added = step(load, db, landing, brings_model_input(summary, chosen))
    crash_point("ingest:loaded")
    step(publish_ingest_artifacts, db, run_id, summary.sources_total, summary.failed_sources, added)
    result = IngestResult(
        run_id=run_id,
        sources_total=summary.sources_total,
        sources_failed=summary.sources_failed,
        failures=summary.failed_sources,
        rows_added=added,
        skipped=summary.skipped_sources,
        documents_parsed=summary.documents_parsed,
        documents_unchanged=summary.documents_unchanged,
    )
    return finish(result, total=summary.sources_total, failed=summary.failed_sources)  # Failed when all failed
