"""Reading the timeline and outages back out for the terminal and the demo's CSV (exports: ``warehouse.readouts``)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from warehouse.db import quote_ident
from warehouse.readouts.notes import notes_lines
from warehouse.readouts.text import fmt_acknowledgment, fmt_time

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
    "note",
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


def timeline_rows(
    con: duckdb.DuckDBPyConnection, window: Window, optional: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The timeline's rows in ``window``; ``optional`` columns are added when the view has them."""
    where, params = window.where()
    present = {d[0] for d in con.execute("select * from timeline limit 0").description or ()}
    names = (*TIMELINE_COLUMNS, *(c for c in optional if c in present))
    columns = ", ".join(quote_ident(name) for name in names)
    cursor = con.execute(f"select {columns} from timeline where {where} order by occurred_at, service_id, kind", params)
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


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


KIND_LABELS = {
    "official_update": "post",
    "spike_start": "spike start",
    "spike_peak": "spike peak",
    "spike_end": "spike end",
    "component_change": "component",
}
TIMES = "\u00d7"  # "x13": the multiplication sign before a repeat count
OBSERVED = "~"  # before a time the source did not state: we only observed it (a ``time_source`` of 'observed')


def _collapse(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int, dict[str, Any]]]:
    """(first row, how many, last row): a row identical to the previous row of its service (same kind, title and
    status) is folded into it, so thirteen repeats of one update are one line with the count."""
    out: list[tuple[dict[str, Any], int, dict[str, Any]]] = []
    latest: dict[Any, int] = {}  # service -> index in out of its latest line
    for row in rows:
        at = latest.get(row["service_id"])
        if at is not None and _key(out[at][0]) == _key(row):
            first, count, _ = out[at]
            out[at] = (first, count + 1, row)
            continue
        latest[row["service_id"]] = len(out)
        out.append((row, 1, row))
    return out


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["kind"], row["title"], row["status"], row.get("time_source"))


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def render_text(
    rows: list[dict[str, Any]],
    outages: list[dict[str, Any]],
    tz: ZoneInfo,
    width: int | None = None,
    notes: list[tuple[str, list[str]]] | None = None,
) -> str:
    """The timeline for a terminal ``width`` columns wide (default: this terminal's): time, service, what, status, then
    the title cut to fit. Repeats of one update are one line (with their count and the time of the last); a time
    marked ``~`` was observed by us, not stated by the source. ``notes`` (the cited sources' catalog notes,
    ``readouts.notes.source_notes``) come first, each once and whole."""
    width = width or shutil.get_terminal_size((110, 24)).columns
    lines = notes_lines(notes or [])
    if lines:
        lines.append("")
    if outages:
        lines.append("Complaint spikes and their acknowledgment")
        cells = [
            (
                str(o["service_id"]),
                fmt_time(o["started_at"], tz),
                fmt_time(o["acknowledged_at"], tz),
                fmt_acknowledgment(o),
                f"{o['peak_reports']:,} at {fmt_time(o['peak_at'], tz)}",
            )
            for o in outages
        ]
        header = ("service", "complaints began", "first official post", "delay", "peak reports")
        # each column as wide as what it holds ("no status page tracked" is wider than a delay)
        widths = [max(len(row[i]) for row in [header, *cells]) for i in range(4)]
        lines += [
            _fit(
                f"  {row[0]:<{widths[0]}} {row[1]:<{widths[1]}} {row[2]:<{widths[2]}} {row[3]:>{widths[3]}}  {row[4]}",
                width,
            )
            for row in [header, *cells]
        ]
        lines.append("")
    lines.append("Timeline")
    folded = _collapse(rows)
    service_w = max([7, *(len(str(r["service_id"] or "-")) for r, _, _ in folded)])
    status_w = max([6, *(len(str(r["status"] or "")) for r, _, _ in folded)])
    kind_w = max([4, *(len(KIND_LABELS.get(r["kind"], r["kind"])) for r, _, _ in folded)])
    time_w = max([16, *(len(fmt_time(r["occurred_at"], tz)) + 1 for r, _, _ in folded)])
    lines.append(
        _fit(f"  {' time':<{time_w}} {'service':<{service_w}} {'what':<{kind_w}} {'status':<{status_w}} title", width)
    )
    for row, count, last in folded:
        observed = OBSERVED if row.get("time_source") == "observed" else " "
        when = observed + fmt_time(row["occurred_at"], tz)
        status = row["status"] or ""
        title = str(row["title"] or "")
        if status and title.endswith(f" [{status}]"):
            title = title[: -len(status) - 3]  # the view appends the status; here it has its own column
        extra = f" ({row['reports']:,} reports)" if row["reports"] is not None else ""
        if count > 1:
            extra += f" {TIMES}{count}, last {fmt_time(last['occurred_at'], tz)}"
        head = (
            f"  {when:<{time_w}} {row['service_id'] or '-':<{service_w}} "
            f"{KIND_LABELS.get(row['kind'], row['kind']):<{kind_w}} {status:<{status_w}} "
        )
        room = width - len(head) - len(extra)
        if room >= 20:
            lines.append(head + _fit(title, room) + extra)
        else:  # a narrow terminal: the title on a line of its own
            lines += [_fit(head.rstrip() + extra, width), _fit("      " + title, width)]
    if any(row.get("time_source") == "observed" for row in rows):
        lines.append(f"  {OBSERVED} the source gave no time: when we first saw it")
    return "\n".join(lines) + "\n"


def write_csv(con: duckdb.DuckDBPyConnection, window: Window, path: Path) -> None:
    """The timeline rows with their sources, written by DuckDB itself."""
    where, params = window.where()
    columns = ", ".join(TIMELINE_COLUMNS)
    path.parent.mkdir(parents=True, exist_ok=True)
    query = f"select {columns} from timeline where {where} order by occurred_at, service_id, kind"
    con.sql(query, params=params).write_csv(str(path), header=True)
