"""Reading the timeline and outages back out: for the terminal, CSV and Markdown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

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
    "public_url",
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
        "select service_id, started_at, acknowledged_at, time_to_acknowledge, acknowledgment, peak_at, peak_reports, "
        f"ended_at, incident_id from outages where {where} order by started_at, service_id",
        params,
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def fmt_time(value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return "-"
    local = value.astimezone(tz)
    label = "Z" if tz.key in ("UTC", "Etc/UTC") else local.strftime(" %Z")
    return local.strftime("%Y-%m-%d %H:%M") + label


def fmt_interval(value: timedelta | None) -> str:
    if value is None:
        return "never"
    minutes = int(value.total_seconds() // 60)
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}h{rest:02d}m" if hours else f"{sign}{rest} min"


NO_STATUS_SOURCE = "no status page tracked"


def fmt_acknowledgment(outage: dict[str, Any]) -> str:
    """The time to acknowledge of an outage row, or why there is none: a service whose status page nobody reads
    cannot be said never to have acknowledged anything."""
    if outage.get("acknowledgment") == "no_status_source":
        return NO_STATUS_SOURCE
    return fmt_interval(outage.get("time_to_acknowledge"))


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
                f"{fmt_acknowledgment(o):>8}  {o['peak_reports']:,} at {fmt_time(o['peak_at'], tz)}"
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


def render_markdown(rows: list[dict[str, Any]], outages: list[dict[str, Any]], tz: ZoneInfo, title: str) -> str:
    out = [f"# {title}", ""]
    if outages:
        out += [
            "| service | complaints began | first official post | time to acknowledge | peak reports |",
            "|---|---|---|---|---|",
        ]
        for o in outages:
            out.append(
                f"| {o['service_id']} | {fmt_time(o['started_at'], tz)} | {fmt_time(o['acknowledged_at'], tz)} | "
                f"{fmt_acknowledgment(o)} | {o['peak_reports']:,} at {fmt_time(o['peak_at'], tz)} |"
            )
        out.append("")
    out += ["## Chronology", ""]
    for row in rows:
        reports = f" — {row['reports']:,} reports" if row["reports"] is not None else ""
        title_text = _md_text(row["title"] or "")
        out.append(f"- **{fmt_time(row['occurred_at'], tz)}** `{row['service_id']}` {title_text}{reports}")
    sources = sorted({(r["source_url"], r["source_id"]) for r in rows if r["source_url"]})
    if sources:
        out += ["", "## Sources", ""]
        out += [f"- {source_id}: <{url}>" for url, source_id in sources]
    return "\n".join(out) + "\n"


_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")


def _md_text(text: str) -> str:
    """Scraped text for Markdown that still reads as plain text: whitespace collapsed, and only what a Markdown
    renderer would turn into markup escaped (``<`` opening a tag, which would be raw HTML, becomes ``&lt;``)."""
    return _HTML_START.sub("&lt;", " ".join(text.split()))


def _md_cell(text: str) -> str:
    """:func:`_md_text` for a table cell, where a ``|`` would end the cell."""
    return _md_text(text).replace("|", "\\|")


def _md_escape(text: str) -> str:
    """Every Markdown character escaped (the run summary artifact's tables; exports use :func:`_md_text`)."""
    for char in ("\\", "`", "*", "_", "[", "]", "<", ">", "|"):
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())
