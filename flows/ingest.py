"""The ``ingest`` flow: crawl → keep raw → parse → load → models, for every source of a catalog.

Thin on purpose: each task calls one function with paths and ids (never an open connection).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.artifacts import publish_ingest_artifacts
from flows.catalogs import catalog_for
from flows.locking import writer_lock
from flows.paths import PROJECT_ROOT, body_store, landing_root, runs_dir
from scrapers import registry
from scrapers.catalog import Catalog, Source
from scrapers.landing import LandingSummary, build_landing, read_jsonl
from warehouse.crashpoints import crash_point
from warehouse.db import connect
from warehouse.lake import is_lake
from warehouse.load import load_landing

DEFAULT_LOOKBACK = timedelta(hours=24)


class CrawlError(RuntimeError):
    """The crawl process itself failed (not a source: those failures are recorded per source)."""


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


@dataclass
class PreviousReads:
    """What the warehouse says of the sources a run is about to read (read-only, before the crawl)."""

    last_reads: dict[str, datetime] = field(default_factory=dict)  # source id -> its last successful read
    # source id -> the URLs of its latest run, each with its latest good read's validators (sql/previous_reads.sql)
    validators: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def select_sources(catalog: Catalog, only: list[str] | None = None, kinds: list[str] | None = None) -> list[Source]:
    """The catalog's sources a run reads: ``only`` keeps some source ids, ``kinds`` some kinds (an unknown kind name
    is an error)."""
    for kind in kinds or []:
        registry.get(kind)  # raises, naming the known kinds
    return [
        source for source in catalog.sources if (not only or source.id in only) and (not kinds or source.kind in kinds)
    ]


def plan_requests(
    catalog: Catalog,
    only: list[str] | None = None,
    kinds: list[str] | None = None,
    *,
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
    for source in select_sources(catalog, only, kinds):
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
def stage(run_dir: str, store: str, catalog: Catalog, run_id: str, started_at: datetime, db: str) -> LandingSummary:
    """Parse every stored body of the run into landing files; per-source failures are recorded, not raised."""
    summary = build_landing(Path(run_dir), Path(store), catalog, run_id, started_at, author_salt(db))
    logger = get_run_logger()
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


def author_salt(db: str) -> bytes:
    """The key for hashing post authors: OUTAGES_AUTHOR_SALT, else a random one kept beside the warehouse."""
    configured = os.environ.get("OUTAGES_AUTHOR_SALT")
    if configured:
        return configured.encode("utf-8")
    path = landing_root(db) / "author.salt"
    if not path.exists() or path.stat().st_size == 0:  # an empty file: a crash between create and write
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name, then linked into place: a crash never leaves an empty salt (which
        # would hash authors unkeyed), and of two processes creating it at once the first link wins.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".author.salt-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
                handle.flush()
                os.fsync(handle.fileno())
            if path.exists() and path.stat().st_size == 0:
                path.unlink()
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_bytes()


def previous_reads(db: str, source_ids: list[str]) -> PreviousReads:
    """Each source's last successful read (a run reads posts from where the previous one stopped) and its URLs'
    validators; nothing when there is no warehouse yet or another process holds it (the defaults then apply)."""
    if not is_lake(db) and not Path(db).exists():
        return PreviousReads()
    try:
        con = connect(db, read_only=True)
    except duckdb.Error:
        return PreviousReads()  # another process is writing: fall back to the default window, unconditional reads
    try:
        return PreviousReads(last_reads=_last_reads(con), validators=_validators(con, source_ids))
    finally:
        con.close()


def _last_reads(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    try:
        rows = con.execute("select source_id, last_success_at from source_status where last_success_at is not null")
        return {source_id: at for source_id, at in rows.fetchall()}
    except duckdb.Error:
        return {}  # a warehouse from before source_status existed


def _validators(con: duckdb.DuckDBPyConnection, source_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    sql = resources.files("flows.sql").joinpath("previous_reads.sql").read_text(encoding="utf-8")
    try:
        cursor = con.execute(sql, {"source_ids": source_ids})
    except duckdb.Error:
        return {}  # a warehouse from before raw_documents existed: its first load migrates it
    columns = [d[0] for d in cursor.description or ()]
    found: dict[str, list[dict[str, Any]]] = {}
    for row in cursor.fetchall():
        read = dict(zip(columns, row, strict=True))
        found.setdefault(read.pop("source_id"), []).append(read)
    return found


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def load(db: str, landing: str) -> dict[str, int]:
    """Load the run's landing files into DuckDB in one transaction and rebuild the views, one writer at a time."""
    with writer_lock(db):
        return load_landing(db, Path(landing))


@flow(name="ingest", log_prints=True)
def ingest(
    sources: str | None = None,
    db: str = "outages.duckdb",
    timeout_seconds: float = 30.0,
    as_of: str | None = None,
    only: list[str] | None = None,
    kinds: list[str] | None = None,
    since: str | None = None,
) -> IngestResult:
    """Fetch every source of the catalog, keep the bodies, parse, and load them into the DuckDB file ``db``.

    ``sources`` is a catalog YAML (default: the built-in live catalog); ``as_of`` stamps fetches with a simulated
    time (replays); ``only`` restricts the run to some source ids, ``kinds`` to some source kinds (the complaint
    deployment polls ``[report_counts]`` more often than the status pages). Complaint sources read posts from
    ``since`` (ISO 8601), else from their last successful read, else from 24 hours back.
    """
    started = datetime.fromisoformat(as_of) if as_of else datetime.now(UTC)
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    run_dir = runs_dir(db) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    catalog = catalog_for(sources)  # parsed once per run (and reused from the CLI's check): the tasks share it
    previous = previous_reads(db, [source.id for source in select_sources(catalog, only, kinds)])
    plan = plan_requests(
        catalog,
        only,
        kinds,
        until=started,
        since=datetime.fromisoformat(since) if since else None,
        previous=previous,
    )
    (run_dir / "plan.json").write_text(json.dumps(plan, indent=1), encoding="utf-8")
    crash_point("ingest:planned")  # inert unless a crash-safety test names it (warehouse/crashpoints.py)
    store = body_store(db)
    crawl(str(run_dir), str(store), timeout_seconds, as_of)
    crash_point("ingest:crawled")
    summary = stage(str(run_dir), str(store), catalog, run_id, started, db)
    crash_point("ingest:staged")
    added = load(db, str(run_dir / "landing"))
    crash_point("ingest:loaded")
    publish_ingest_artifacts(db, run_id, summary.sources_total, summary.failed_sources, added)
    return IngestResult(
        run_id=run_id,
        sources_total=summary.sources_total,
        sources_failed=summary.sources_failed,
        failures=summary.failed_sources,
        rows_added=added,
        skipped=summary.skipped_sources,
        documents_parsed=summary.documents_parsed,
        documents_unchanged=summary.documents_unchanged,
    )
