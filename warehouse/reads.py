"""What the flows and the CLI read from a warehouse, as functions: the only place outside ``warehouse/`` models and
read-outs where a query is written (the queries themselves are ``warehouse/sql/*.sql``).

Every function takes a database path or a read connection and returns plain values; none writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from warehouse.db import connect


def sql(name: str) -> str:
    """The text of ``warehouse/sql/<name>.sql``."""
    return resources.files("warehouse.sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The rows of an executed query as dicts keyed by column name."""
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def columns_of(con: duckdb.DuckDBPyConnection, view: str) -> set[str]:
    """The columns a view has now (views gain columns over time; read-outs use the new ones when present)."""
    found = con.execute(
        "select column_name from information_schema.columns where table_name = ? and table_schema = 'main'", [view]
    ).fetchall()
    return {row[0] for row in found}


def has_view(con: duckdb.DuckDBPyConnection, view: str) -> bool:
    return bool(columns_of(con, view))


OUTAGE_COLUMNS = (
    "outage_id",
    "service_id",
    "started_at",
    "acknowledged_at",
    "time_to_acknowledge",
    "acknowledgment",
    "peak_at",
    "peak_reports",
    "ended_at",
    "incident_id",
    "resolved_at",
    "returned_to_baseline_at",
    "resolution_gap",
)


def read_outages(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every outage with the columns of :data:`OUTAGE_COLUMNS` the view has, its incident's title and, when the
    ``declared_windows`` view exists, the start the provider admitted. One query: the view is not cheap. An outage is a
    complaint spike (marts/outages.sql: one row per spike): without a spike there is none, and the query (with the
    incidents and declared windows it joins, as costly) is not run."""
    if not con.execute(sql("any_spike")).fetchone()[0]:  # type: ignore[index]
        return []
    present = [c for c in OUTAGE_COLUMNS if c in columns_of(con, "outages")]
    select = ", ".join(f"outages.{c}" for c in present)
    extra, extra_join = "", ""
    if {"incident_id", "declared_start"} <= columns_of(con, "declared_windows"):
        extra = ", declared_windows.declared_start"
        extra_join = "left join declared_windows on declared_windows.incident_id = outages.incident_id"
    return dicts(
        con.execute(
            f"select {select}, incidents.title as incident_title{extra} from outages "
            f"left join incidents on incidents.incident_id = outages.incident_id {extra_join} "
            "order by outages.started_at, outages.service_id"
        )
    )


# --- before a run: what the warehouse says of the sources it is about to read -------------------------------------


@dataclass
class PreviousReads:
    """What the warehouse says of the sources a run is about to read (read-only, before the crawl)."""

    last_reads: dict[str, datetime] = field(default_factory=dict)  # source id -> its last successful read
    # source id -> the URLs of its latest run, each with its latest good read's validators (sql/previous_reads.sql)
    validators: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def previous_reads(db: str | Path, source_ids: list[str]) -> PreviousReads:
    """Each source's last successful read (a run reads posts from where the previous one stopped) and its URLs'
    validators; nothing when there is no warehouse yet or another process holds it (the defaults then apply)."""
    if not str(db).startswith("ducklake:") and not Path(db).exists():
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
        rows = con.execute(sql("last_reads"))
        return dict(rows.fetchall())
    except duckdb.Error:
        return {}  # a warehouse from before source_status existed


def _validators(con: duckdb.DuckDBPyConnection, source_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    try:
        cursor = con.execute(sql("previous_reads"), {"source_ids": source_ids})
    except duckdb.Error:
        return {}  # a warehouse from before raw_documents existed: its first load migrates it
    found: dict[str, list[dict[str, Any]]] = {}
    for read in dicts(cursor):
        found.setdefault(read.pop("source_id"), []).append(read)
    return found


# --- after a run: what it changed ---------------------------------------------------------------------------------


@dataclass
class RunReadout:
    """What the warehouse holds after one run, for its summary (``flows/artifacts.py``)."""

    new_incidents: list[dict[str, Any]]  # incidents first seen in a fetch of this run
    earlier_runs: int  # runs loaded besides this one (0: the warehouse's first)
    outages: list[dict[str, Any]]  # read_outages()
    complaining: set[str]  # outage ids whose complaints have not come back to baseline
    errors: list[dict[str, Any]]  # the run's ingest errors: source_id, url, error


def read_run(db: str | Path, run_id: str) -> RunReadout:
    """Read what run ``run_id`` left in the warehouse ``db`` (read-only)."""
    con = connect(db, read_only=True)
    try:
        # An incident is new when its first sighting is a fetch of the run. Its first sighting is the earliest of its
        # raw versions' (stg_incidents): when no raw version was first seen at a fetch time of the run, none is new,
        # and the incidents view (the costly part of the query) need not be computed.
        sighted = con.execute(sql("run_first_sightings"), {"run_id": run_id}).fetchone()
        new_incidents = []
        if sighted is not None and sighted[0]:
            new_incidents = dicts(con.execute(sql("run_new_incidents"), {"run_id": run_id}))
        runs = con.execute(sql("earlier_runs"), {"run_id": run_id}).fetchone()
        outages = read_outages(con)
        if "returned_to_baseline_at" in columns_of(con, "outages"):
            complaining = {o["outage_id"] for o in outages if o["returned_to_baseline_at"] is None}
        else:
            complaining = {row[0] for row in con.execute(sql("complaining_outages_by_latest_bucket")).fetchall()}
        errors = dicts(con.execute(sql("run_errors"), {"run_id": run_id}))
    finally:
        con.close()
    return RunReadout(
        new_incidents=new_incidents,
        earlier_runs=int(runs[0]) if runs else 0,
        outages=outages,
        complaining=complaining,
        errors=errors,
    )


def loaded_run_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The run ids the warehouse records as loaded."""
    return [row[0] for row in con.execute(sql("loaded_runs")).fetchall()]


def known_services(con: duckdb.DuckDBPyConnection) -> list[tuple[str, list[str]]]:
    """Every service of the warehouse with the names it goes by (id, name, aliases); empty before the first load."""
    try:
        rows = con.execute(sql("known_services")).fetchall()
    except duckdb.CatalogException:
        return []  # a warehouse without the services view yet: nothing to check against
    return [(row[0], list(row[1] or ())) for row in rows]
