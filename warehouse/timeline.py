"""Reading the timeline and outages back out for the terminal and the demo's CSV (exports: ``warehouse.readouts``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from warehouse.readouts.text import fmt_interval, fmt_time

TIMELINE_COLUMNS = (
    "occurred_at",
    "service_id",
    "kind",
    "incident_id",
    "title",
    "reports",
    "source_id",
    "status",
    "source_url",
    "fetched_at",
)


@dataclass(frozen=True, slots=True)
class Window:
    since: datetime | None = None
    until: datetime | None = None
    services: tuple[str, ...] = ()

    def where(self) -> tuple[str, list[Any]]:
        """A WHERE clause over ``occurred_at``/``service_id`` with bound parameters."""
        clauses: list[str] = ["true"]
        params: list[Any] = []
        if self.since is not None:
            clauses.append("occurred_at >= ?")
            params.append(self.since)
        if self.until is not None:
            clauses.append("occurred_at < ?")
            params.append(self.until)
        if self.services:
            clauses.append("list_contains(?, service_id)")
            params.append(list(self.services))
        return " and ".join(clauses), params


def timeline_rows(con: duckdb.DuckDBPyConnection, window: Window) -> list[dict[str, Any]]:
    where, params = window.where()
    columns = ", ".join(TIMELINE_COLUMNS)
    cursor = con.execute(f"select {columns} from timeline where {where} order by occurred_at, service_id, kind", params)
    return [dict(zip(TIMELINE_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def outage_rows(con: duckdb.DuckDBPyConnection, window: Window) -> list[dict[str, Any]]:
    where, params = Window(window.since, window.until, window.services).where()
    where = where.replace("occurred_at", "started_at")
    cursor = con.execute(
        "select service_id, started_at, acknowledged_at, time_to_acknowledge, peak_at, peak_reports, ended_at, "
        f"incident_id from outages where {where} order by started_at, service_id",
        params,
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def render_text(rows: list[dict[str, Any]], outages: list[dict[str, Any]], tz: ZoneInfo, width: int = 110) -> str:
    lines = []
    if outages:
        lines.append("Complaint spikes and their acknowledgment")
        lines.append(
            f"  {'service':<11} {'complaints began':<22} {'first official post':<22} {'delay':>8}  peak reports"
        )
        for o in outages:
            lines.append(
                f"  {o['service_id']:<11} {fmt_time(o['started_at'], tz):<22} {fmt_time(o['acknowledged_at'], tz):<22} "
                f"{fmt_interval(o['time_to_acknowledge']):>8}  {o['peak_reports']:,} at {fmt_time(o['peak_at'], tz)}"
            )
        lines.append("")
    lines.append("Timeline")
    for row in rows:
        reports = f" ({row['reports']:,} reports)" if row["reports"] is not None else ""
        when, service = fmt_time(row["occurred_at"], tz), row["service_id"] or "-"
        text = f"  {when:<22} {service:<11} {row['kind']:<16} {row['title']}{reports}"
        lines.append(text if len(text) <= width else text[: width - 1] + "…")
    return "\n".join(lines) + "\n"


def write_csv(con: duckdb.DuckDBPyConnection, window: Window, path: Path) -> None:
    """The timeline rows with their sources, written by DuckDB itself."""
    where, params = window.where()
    columns = ", ".join(TIMELINE_COLUMNS)
    path.parent.mkdir(parents=True, exist_ok=True)
    query = f"select {columns} from timeline where {where} order by occurred_at, service_id, kind"
    con.sql(query, params=params).write_csv(str(path), header=True)
