"""Exports for journalists: one outage, or a window of time, as CSV, JSON, Parquet, Markdown, HTML, SVG or PNG.

What is exported is a :class:`Selection`: every ``timeline`` row with ``start <= occurred_at <= end`` (both ends
included) of some services. It is made either

- from a window (:meth:`Selection.window`): the times and services given (no services: every service); or
- from an outage id (``outages.outage_id``, e.g. ``aws@2021-12-07T15:30Z``, see :func:`outage_selection`): from one
  hour before its complaints began to the latest of the spike's end, the matched incident's resolution and the
  return of complaints to baseline (when the ``outages`` view has ``returned_to_baseline_at``); the services are the
  outage's own plus every service whose complaint spike overlaps that window or that posted an official update in
  it. Services given with an outage id replace that automatic list (the outage's own service is always kept).

Formats:

- ``csv``, ``json`` (one JSON array of objects) and ``parquet``: the timeline rows with their ``source_url`` and
  ``fetched_at``, written by DuckDB itself (``COPY … TO``), in the columns of :data:`EXPORT_COLUMNS`. Times are UTC;
  a ``source_id`` that lists several sources names each once, sorted.
- ``md``: a ready-to-paste chronology: the key numbers, every event with the post's own words, and a numbered list
  of sources with the times they were fetched.
- ``html``: one self-contained file that needs no network and no JavaScript: the complaint curve of each service with
  its baseline band and every official post marked on it (an inline SVG rendered by vl-convert), the key numbers,
  the chronology and the sources. Every text that came from a scraped page is HTML-escaped (Jinja2 autoescape), and
  a Content-Security-Policy forbids scripts and remote loads anyway.
- ``svg`` and ``png``: that chart alone.
"""

from __future__ import annotations

import difflib
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from warehouse.timeline import _md_cell, _md_text, fmt_acknowledgment, fmt_interval, fmt_time

FORMATS: tuple[str, ...] = ("csv", "json", "parquet", "md", "html", "png", "svg")
TABLE_FORMATS: dict[str, str] = {
    "csv": "FORMAT csv, HEADER true",
    "json": "FORMAT json, ARRAY true",
    "parquet": "FORMAT parquet",
}
# The timeline columns an export carries, in this order (new columns of the view are not exported until added here).
EXPORT_COLUMNS: tuple[str, ...] = (
    "occurred_at",
    "service_id",
    "kind",
    "incident_id",
    "title",
    "reports",
    "source_id",
    "status",
    "detail",
    "source_url",
    "fetched_at",
    "public_url",
)
LEAD_TIME = timedelta(hours=1)  # an outage's export starts this long before its complaints began
UTC_ZONE = ZoneInfo("UTC")

# Official post status → colour on the chart (the normalized vocabulary of incident_updates.status).
STATUS_COLOURS: dict[str, str] = {
    "investigating": "#c0392b",
    "identified": "#e67e22",
    "monitoring": "#2e86c1",
    "resolved": "#1e8449",
    "postmortem": "#6c3483",
    "scheduled": "#7f8c8d",
    "in_progress": "#7f8c8d",
    "completed": "#7f8c8d",
    "unknown": "#555555",
}
CHART_WIDTH = 640
SVG_NS = "http://www.w3.org/2000/svg"


class ExportError(ValueError):
    """A selection or format that cannot be exported, said in words a person can act on."""


class UnknownOutageError(ExportError):
    def __init__(self, outage_id: str, close_matches: list[str]) -> None:
        self.outage_id = outage_id
        self.close_matches = close_matches
        hint = f"; did you mean {', '.join(close_matches)}?" if close_matches else ""
        super().__init__(f"no outage {outage_id!r} in the outages view{hint}")


@dataclass(frozen=True, slots=True)
class Selection:
    """Timeline rows with ``start <= occurred_at <= end`` of ``services`` (every service when empty)."""

    start: datetime
    end: datetime
    services: tuple[str, ...] = ()
    outage_id: str | None = None

    @classmethod
    def window(cls, start: datetime, end: datetime, services: Sequence[str] = ()) -> Selection:
        if start.tzinfo is None or end.tzinfo is None:
            raise ExportError("window times need a time zone (e.g. 2021-12-07T15:30Z)")
        if end <= start:
            raise ExportError(f"the window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
        return cls(start.astimezone(UTC), end.astimezone(UTC), tuple(dict.fromkeys(services)))

    def where(self, time_column: str = "occurred_at", service_column: str = "service_id") -> tuple[str, list[Any]]:
        """A WHERE clause with bound parameters; column names are ours, never user input."""
        clauses = [f"{time_column} between ? and ?"]
        params: list[Any] = [self.start, self.end]
        if self.services:
            clauses.append(f"list_contains(?, {service_column})")
            params.append(list(self.services))
        return " and ".join(clauses), params


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    fmt: str
    selection: Selection
    rows: int


@dataclass
class Report:
    """Everything the Markdown, HTML and chart renderings need, read once."""

    selection: Selection
    title: str
    tz: ZoneInfo
    rows: list[dict[str, Any]]
    outages: list[dict[str, Any]]
    counts: list[dict[str, Any]]
    service_names: dict[str, str]
    services: list[str]  # in chart order: the outage's own first, then by first event
    sources: list[dict[str, Any]] = field(default_factory=list)  # numbered: url, source_ids, fetched (times)
    source_number: dict[str, int] = field(default_factory=dict)
    continuing: list[dict[str, Any]] = field(default_factory=list)  # the service's incidents open past the window


# --- selecting --------------------------------------------------------------------------------------------------


def columns_of(con: duckdb.DuckDBPyConnection, view: str) -> set[str]:
    """The columns a view has now (views gain columns over time; exports use the new ones when present)."""
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
    ``declared_windows`` view exists, the start the provider admitted. One query: the view is not cheap."""
    present = [c for c in OUTAGE_COLUMNS if c in columns_of(con, "outages")]
    select = ", ".join(f"outages.{c}" for c in present)
    extra, extra_join = "", ""
    if {"incident_id", "declared_start"} <= columns_of(con, "declared_windows"):
        extra = ", declared_windows.declared_start"
        extra_join = "left join declared_windows on declared_windows.incident_id = outages.incident_id"
    return _dicts(
        con.execute(
            f"select {select}, incidents.title as incident_title{extra} from outages "
            f"left join incidents on incidents.incident_id = outages.incident_id {extra_join} "
            "order by outages.started_at, outages.service_id"
        )
    )


def outage_selection(
    con: duckdb.DuckDBPyConnection,
    outage_id: str,
    services: Sequence[str] = (),
    outages: list[dict[str, Any]] | None = None,
) -> Selection:
    """The window and services of one outage (see the module docstring); unknown ids name close matches."""
    outages = read_outages(con) if outages is None else outages
    found = next((o for o in outages if o["outage_id"] == outage_id), None)
    if found is None:
        known = sorted(o["outage_id"] for o in outages)
        prefix = outage_id.split("@", 1)[0]
        same_service = [k for k in known if k.split("@", 1)[0] == prefix]
        alike = difflib.get_close_matches(outage_id, known, n=5, cutoff=0.5)
        close = list(dict.fromkeys([*difflib.get_close_matches(outage_id, same_service, n=5, cutoff=0), *alike]))
        raise UnknownOutageError(outage_id, close[:5])
    ends = [found.get(c) for c in ("ended_at", "resolved_at", "returned_to_baseline_at")]
    start, end = found["started_at"] - LEAD_TIME, max(e for e in ends if e is not None)
    if services:
        return Selection(start, end, tuple(dict.fromkeys([found["service_id"], *services])), outage_id)
    first_at: dict[str, datetime] = {}
    for o in outages:  # spikes overlapping the window
        if o["started_at"] <= end and o["ended_at"] >= start:
            first_at[o["service_id"]] = min(o["started_at"], first_at.get(o["service_id"], o["started_at"]))
    posted = con.execute(  # services that posted in the window
        "select incidents.service_id, min(incident_updates.posted_at) from incident_updates "
        "join incidents using (incident_id) where incident_updates.posted_at between ? and ? "
        "and incidents.service_id is not null group by all",
        [start, end],
    ).fetchall()
    for service_id, at in posted:
        first_at[service_id] = min(at, first_at.get(service_id, at))
    others = sorted(first_at, key=lambda s: (first_at[s], s))
    return Selection(start, end, tuple(dict.fromkeys([found["service_id"], *others])), outage_id)


def _timeline_query(selection: Selection) -> tuple[str, list[Any]]:
    where, params = selection.where()
    # source_id of spike rows lists several count sources: each named once, sorted, so that exports are stable
    tidy = {"source_id": "array_to_string(list_sort(list_distinct(string_split(source_id, ','))), ',') as source_id"}
    columns = ", ".join(tidy.get(c, c) for c in EXPORT_COLUMNS)
    return f"select {columns} from timeline where {where} order by {ROW_ORDER}", params


ROW_ORDER = "occurred_at, service_id, kind, incident_id, title, detail, source_url"
ROWS_TABLE = "outages_export_rows"  # a temporary table: the selected timeline rows, read from the view once


# --- exporting --------------------------------------------------------------------------------------------------


def export(
    con: duckdb.DuckDBPyConnection,
    selection: str | Selection,
    fmt: str,
    out_path: str | Path,
    *,
    services: Sequence[str] = (),
    tz: ZoneInfo = UTC_ZONE,
    title: str | None = None,
) -> ExportResult:
    """Write ``selection`` (an outage id or a :class:`Selection`) to ``out_path`` in ``fmt`` (see :data:`FORMATS`).

    The connection's session time zone is set to UTC (as :func:`warehouse.db.connect` does): the table formats are
    written in UTC; ``tz`` is for the Markdown, HTML and chart renderings.
    """
    return export_many(con, selection, {fmt: out_path}, services=services, tz=tz, title=title)[0]


def export_many(
    con: duckdb.DuckDBPyConnection,
    selection: str | Selection,
    outputs: Mapping[str, str | Path],
    *,
    services: Sequence[str] = (),
    tz: ZoneInfo = UTC_ZONE,
    title: str | None = None,
) -> list[ExportResult]:
    """:func:`export` to several formats at once (``{format: path}``), reading the views once."""
    unknown = sorted(set(outputs) - set(FORMATS))
    if unknown:
        raise ExportError(f"unknown format {', '.join(unknown)}; use one of {', '.join(FORMATS)}")
    con.execute("SET TimeZone = 'UTC'")
    rendered = any(fmt not in TABLE_FORMATS for fmt in outputs)
    outages = read_outages(con) if rendered or isinstance(selection, str) else []
    chosen = selection if isinstance(selection, Selection) else outage_selection(con, selection, services, outages)
    query, params = _timeline_query(chosen)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ROWS_TABLE} AS {query}", params)
    try:
        results = []
        rows = _dicts(con.execute(f"select * from {ROWS_TABLE} order by {ROW_ORDER}")) if rendered else []
        report = gather(con, chosen, tz, title, outages, rows) if rendered else None
        for fmt, path in outputs.items():
            out = Path(path)
            out.parent.mkdir(parents=True, exist_ok=True)
            if fmt in TABLE_FORMATS:
                literal = "'" + str(out).replace("'", "''") + "'"
                written = con.execute(
                    f"COPY (select * from {ROWS_TABLE} order by {ROW_ORDER}) TO {literal} ({TABLE_FORMATS[fmt]})"
                ).fetchone()
                results.append(ExportResult(out, fmt, chosen, int(written[0]) if written else 0))
                continue
            assert report is not None
            if fmt == "md":
                out.write_text(render_markdown(report), encoding="utf-8")
            elif fmt == "html":
                out.write_text(render_html(report), encoding="utf-8")
            elif fmt == "svg":
                out.write_text(chart_svg(report), encoding="utf-8")
            else:
                out.write_bytes(chart_png(report))
            results.append(ExportResult(out, fmt, chosen, len(report.rows)))
        return results
    finally:
        con.execute(f"DROP TABLE IF EXISTS {ROWS_TABLE}")


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def gather(
    con: duckdb.DuckDBPyConnection,
    selection: Selection,
    tz: ZoneInfo,
    title: str | None = None,
    outages: list[dict[str, Any]] | None = None,
    rows: list[dict[str, Any]] | None = None,
) -> Report:
    """Read the rows, outages, complaint counts and service names of a selection (those not given)."""
    if rows is None:
        query, params = _timeline_query(selection)
        rows = _dicts(con.execute(query, params))
    everything = read_outages(con) if outages is None else outages
    chosen_services = set(selection.services)
    picked = [
        o
        for o in everything
        if o["outage_id"] == selection.outage_id
        or (
            selection.start <= o["started_at"] <= selection.end
            and (not chosen_services or o["service_id"] in chosen_services)
        )
    ]
    if selection.outage_id:  # the chosen outage first
        picked.sort(key=lambda o: o["outage_id"] != selection.outage_id)

    count_where, count_params = selection.where("bucket_start", "service_id")
    counts = _dicts(
        con.execute(
            f"select service_id, bucket_start, reports, baseline from complaint_counts "
            f"where {count_where} order by service_id, bucket_start",
            count_params,
        )
    )
    order: dict[str, None] = dict.fromkeys(selection.services)
    for row in [*rows, *counts]:  # a window of every service: those with events or counts in it
        order.setdefault(row["service_id"], None)
    services = [s for s in order if s is not None]
    if not selection.outage_id and not selection.services:
        services.sort()
    names = dict(con.execute("select service_id, name from services").fetchall()) if has_view(con, "services") else {}

    report = Report(
        selection=selection,
        title=title or default_title(selection, picked, names, tz),
        tz=tz,
        rows=rows,
        outages=picked,
        counts=counts,
        service_names={str(k): str(v) for k, v in names.items()},
        services=services,
    )
    if selection.outage_id and picked:
        report.continuing = continuing_incidents(con, picked[0]["service_id"], selection.end)
    _number_sources(report)
    return report


def continuing_incidents(con: duckdb.DuckDBPyConnection, service_id: str, end: datetime) -> list[dict[str, Any]]:
    """The service's incidents that began by ``end`` and were still open at it (an outage's export then says its
    provider's trouble went on past the window)."""
    return _dicts(
        con.execute(
            "select incident_id, title, started_at, resolved_at from incidents where service_id = ? "
            "and started_at <= ? and (resolved_at is null or resolved_at > ?) order by started_at, incident_id",
            [service_id, end, end],
        )
    )


def default_title(selection: Selection, outages: list[dict[str, Any]], names: dict[str, str], tz: ZoneInfo) -> str:
    if selection.outage_id and outages:
        first = outages[0]
        name = names.get(first["service_id"], first["service_id"])
        day = first["started_at"].astimezone(tz)
        return f"{name} outage, {day.day} {day:%B %Y}"
    return f"Outages from {fmt_time(selection.start, tz)} to {fmt_time(selection.end, tz)}"


def _number_sources(report: Report) -> None:
    """Number every cited URL in order of first citation, with the fetch times cited."""
    by_url: dict[str, dict[str, Any]] = {}
    for row in report.rows:
        url = row["source_url"]
        if not url:
            continue
        entry = by_url.setdefault(url, {"url": url, "source_ids": [], "fetched": []})
        for source_id in (row["source_id"] or "").split(","):
            if source_id and source_id not in entry["source_ids"]:
                entry["source_ids"].append(source_id)
        if row["fetched_at"] is not None and row["fetched_at"] not in entry["fetched"]:
            entry["fetched"].append(row["fetched_at"])
    report.sources = list(by_url.values())
    for number, entry in enumerate(report.sources, start=1):
        entry["number"] = number
        entry["fetched"].sort()
        entry["source_ids"].sort()
        report.source_number[entry["url"]] = number


# --- the words: key numbers and chronology ----------------------------------------------------------------------


def key_facts(report: Report, outage: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) lines for one outage, from the columns the outages view has."""
    tz = report.tz
    name = report.service_names.get(outage["service_id"], outage["service_id"])
    start_reports = next(
        (
            c["reports"]
            for c in report.counts
            if c["service_id"] == outage["service_id"] and c["bucket_start"] == outage["started_at"]
        ),
        None,
    )
    began = fmt_time(outage["started_at"], tz)
    if start_reports is not None:
        began += f" ({start_reports:,} reports in the first 15 minutes)"
    facts = [("Complaints began", began)]
    if outage.get("acknowledged_at") is not None:
        facts.append(
            (
                "First official post",
                f"{fmt_time(outage['acknowledged_at'], tz)}, "
                f"{fmt_interval(outage['time_to_acknowledge'])} after complaints began",
            )
        )
    elif outage.get("acknowledgment") == "no_status_source":
        facts.append(("First official post", f"no status page tracked for {name}"))
    else:
        facts.append(("First official post", "none matched: the provider never acknowledged these complaints"))
    if outage.get("declared_start") is not None:
        said = f"{fmt_time(outage['declared_start'], tz)}, as {name} stated later"
        if outage.get("acknowledged_at") is not None:
            said += f" ({fmt_interval(outage['acknowledged_at'] - outage['declared_start'])} before its first post)"
        facts.append(("Start admitted by the provider", said))
    facts.append(("Peak", f"{outage['peak_reports']:,} reports at {fmt_time(outage['peak_at'], tz)}"))
    if "resolved_at" in outage and outage.get("incident_id") is not None:
        facts.append(("Resolved", fmt_time(outage["resolved_at"], tz) if outage["resolved_at"] else "not yet"))
    if "returned_to_baseline_at" in outage:
        back = outage["returned_to_baseline_at"]
        text = fmt_time(back, tz) if back is not None else "not yet"
        gap = outage.get("resolution_gap")
        if back is not None and gap is not None:
            when = "after" if gap >= timedelta(0) else "before"
            text += f", {fmt_interval(abs(gap))} {when} it was declared resolved"
        facts.append(("Complaints back to baseline", text))
    if outage.get("incident_title"):
        facts.append(("Matched incident", f"{outage['incident_title']} ({outage['incident_id']})"))
    if report.continuing:
        went_on = "; ".join(
            f"{i['title']} ({'resolved ' + fmt_time(i['resolved_at'], tz) if i['resolved_at'] else 'still open'})"
            for i in report.continuing
        )
        facts.append((f"Continuing after {fmt_time(report.selection.end, tz)}", f"{name}: {went_on}"))
    return facts


def summary_columns(report: Report) -> list[tuple[str, str]]:
    """(key, header) of the outage summary table, from the columns present."""
    columns = [
        ("service_id", "service"),
        ("started_at", "complaints began"),
        ("acknowledged_at", "first official post"),
        ("time_to_acknowledge", "time to acknowledge"),
        ("peak", "peak reports"),
        ("resolved_at", "resolved"),
        ("returned_to_baseline_at", "back to baseline"),
        ("resolution_gap", "resolution gap"),
    ]
    present = set(report.outages[0]) if report.outages else set()
    return [(key, header) for key, header in columns if key == "peak" or key in present]


def summary_cell(report: Report, outage: dict[str, Any], key: str) -> str:
    value = outage.get(key)
    if key == "peak":
        return f"{outage['peak_reports']:,} at {fmt_time(outage['peak_at'], report.tz)}"
    if key == "time_to_acknowledge":
        return fmt_acknowledgment(outage)
    if key == "resolution_gap":
        return fmt_interval(value) if value is not None else "-"
    if isinstance(value, datetime) or value is None:
        return fmt_time(value, report.tz)
    return str(value)


def event_text(row: dict[str, Any]) -> tuple[str, str | None]:
    """(what happened, the words quoted under it) for one timeline row."""
    title = row["title"] or row["kind"]
    if row["reports"] is not None:
        title += f" — {row['reports']:,} reports"
    quote = None
    if row["kind"] == "official_update" and row["detail"]:
        quote = row["detail"]
    elif row["kind"] == "revision" and row["detail"]:
        title += f" ({row['detail']})"
    return title, quote


def render_markdown(report: Report) -> str:
    tz = report.tz
    sel = report.selection
    out = [f"# {_md_text(report.title)}", ""]
    names = ", ".join(f"`{s}`" for s in report.services) or "every service"
    out += [f"_From {fmt_time(sel.start, tz)} to {fmt_time(sel.end, tz)}; services: {names}._", ""]
    chosen = report.outages[0] if sel.outage_id and report.outages else None
    if chosen is not None:
        out += [f"## Key numbers: {_md_text(chosen['outage_id'])}", ""]
        out += [f"- **{_md_text(label)}:** {_md_text(value)}" for label, value in key_facts(report, chosen)]
        out.append("")
    others = [o for o in report.outages if o is not chosen]
    if others:
        out += ["## Complaint spikes in this window" if chosen is None else "## Other complaint spikes", ""]
        columns = summary_columns(report)
        out.append("| " + " | ".join(header for _, header in columns) + " |")
        out.append("|" + "---|" * len(columns))
        for outage in others:
            out.append("| " + " | ".join(_md_cell(summary_cell(report, outage, k)) for k, _ in columns) + " |")
        out.append("")
    out += ["## Chronology", ""]
    if not report.rows:
        out.append("No events in this window.")
    for row in report.rows:
        text, quote = event_text(row)
        cite = report.source_number.get(row["source_url"] or "")
        ref = f" [{cite}]" if cite else ""
        out.append(f"- **{fmt_time(row['occurred_at'], tz)}** `{row['service_id']}` {_md_text(text)}{ref}")
        if quote:
            out.append(f"  > {_md_text(quote)}")
    if report.sources:
        out += ["", "## Sources", ""]
        for source in report.sources:
            fetched = ", ".join(fmt_time(t, tz) for t in source["fetched"]) or "time unknown"
            ids = ", ".join(source["source_ids"])
            out.append(f"{source['number']}. {_md_text(ids)}: <{source['url']}> (fetched {fetched})")
    return "\n".join(out) + "\n"


# --- the chart --------------------------------------------------------------------------------------------------


def _wall_ms(value: datetime, tz: ZoneInfo) -> float:
    """Epoch milliseconds of the wall-clock time in ``tz``, read as UTC: the chart's UTC scale then shows tz."""
    return value.astimezone(tz).replace(tzinfo=UTC).timestamp() * 1000


# Axis labels: 24-hour times, and the date where a day begins.
TIME_LABELS = (
    "utcFormat(datum.value, '%H:%M') == '00:00' ? utcFormat(datum.value, '%d %b') : utcFormat(datum.value, '%H:%M')"
)


def chart_spec(report: Report, *, titled: bool = True) -> dict[str, Any]:
    """The Vega-Lite spec: one panel per service, complaints with the baseline band, official posts as rules.

    The chosen outage's panel comes first, taller, with the time from its first complaints to its first official
    post shaded. ``titled`` puts the report's title and a legend line above the chart (for SVG/PNG on their own).
    """
    import altair as alt

    tz = report.tz
    zone = "UTC" if tz.key in ("UTC", "Etc/UTC") else tz.key
    domain = [_wall_ms(report.selection.start, tz), _wall_ms(report.selection.end, tz)]
    x_scale = alt.Scale(type="utc", domain=domain)
    x_axis = alt.Axis(labelExpr=TIME_LABELS, title=None, tickCount=12)
    present = sorted({r["status"] for r in report.rows if r["kind"] == "official_update"} & set(STATUS_COLOURS))
    statuses = list(STATUS_COLOURS)
    colour = alt.Color(
        "status:N",
        scale=alt.Scale(domain=statuses, range=[STATUS_COLOURS[s] for s in statuses]),
        legend=alt.Legend(title="official post", orient="top", direction="horizontal", values=present or ["unknown"]),
    )
    chosen = report.outages[0] if report.selection.outage_id and report.outages else None
    panels = []
    for service in report.services:
        name = report.service_names.get(service, service)
        counts = [
            {
                "t": _wall_ms(c["bucket_start"], tz),
                "reports": c["reports"],
                "baseline": c["baseline"],
                "when": fmt_time(c["bucket_start"], tz),
            }
            for c in report.counts
            if c["service_id"] == service
        ]
        posts = [
            {
                "t": _wall_ms(r["occurred_at"], tz),
                "status": r["status"] if r["status"] in STATUS_COLOURS else "unknown",
                "label": f"{fmt_time(r['occurred_at'], tz)} · {r['status']} · {r['title']}",
            }
            for r in report.rows
            if r["service_id"] == service and r["kind"] == "official_update"
        ]
        layers: list[Any] = []
        heading = f"{name} ({service})"
        primary = chosen is not None and chosen["service_id"] == service
        if primary and chosen is not None and chosen.get("acknowledged_at") is not None:
            gap = [
                {
                    "from": _wall_ms(chosen["started_at"], tz),
                    "to": _wall_ms(chosen["acknowledged_at"], tz),
                }
            ]
            heading += f": {fmt_interval(chosen['time_to_acknowledge'])} of complaints before the first post (shaded)"
            layers.append(
                alt.Chart(alt.InlineData(values=gap))
                .mark_rect(color="#f5b7b1", opacity=0.45)
                .encode(x=alt.X("from:T", scale=x_scale, axis=x_axis), x2="to:T")
            )
        if counts:
            data = alt.InlineData(values=counts)
            layers.append(
                alt.Chart(data)
                .mark_area(color="#d5d8dc", interpolate="step-after")
                .encode(
                    x=alt.X("t:T", scale=x_scale, axis=x_axis),
                    y=alt.Y("baseline:Q", title="reports"),
                )
            )
            layers.append(
                alt.Chart(data)
                .mark_line(color="#1b2631", strokeWidth=1.6, interpolate="step-after")
                .encode(
                    x=alt.X("t:T", scale=x_scale, axis=x_axis),
                    y=alt.Y("reports:Q", title="reports"),
                    tooltip=[alt.Tooltip("when:N"), alt.Tooltip("reports:Q"), alt.Tooltip("baseline:Q")],
                )
            )
        if posts:
            data = alt.InlineData(values=posts)
            layers.append(
                alt.Chart(data)
                .mark_rule(strokeWidth=1.2, opacity=0.85)
                .encode(x=alt.X("t:T", scale=x_scale, axis=x_axis), color=colour)
            )
            layers.append(
                alt.Chart(data)
                .mark_point(shape="triangle-down", filled=True, size=70, opacity=1)
                .encode(
                    x=alt.X("t:T", scale=x_scale, axis=x_axis),
                    y=alt.value(0),
                    color=colour,
                    tooltip=alt.Tooltip("label:N"),
                    description=alt.Description("label:N"),
                )
            )
        if not layers:
            continue
        panels.append(
            alt.layer(*layers).properties(
                title=alt.TitleParams(heading, anchor="start", fontSize=13),
                width=CHART_WIDTH,
                height=(150 if primary else 70) if counts else 26,
            )
        )
    if not panels:
        chart = (
            alt.Chart(alt.InlineData(values=[{"text": "no complaint counts or official posts in this window"}]))
            .mark_text()
            .encode(text="text:N")
            .properties(width=CHART_WIDTH, height=40)
        )
        return dict(chart.to_dict())
    chart = alt.vconcat(*panels, spacing=12).resolve_scale(color="shared")
    if titled:
        chart = chart.properties(
            title=alt.TitleParams(
                report.title,
                subtitle=[
                    "Line: user complaints per 15 minutes. Grey band: the usual level for that time of day (baseline).",
                    f"Vertical lines: the providers' official posts, coloured by their status. Times in {zone}.",
                ],
                anchor="start",
                fontSize=16,
            )
        )
    chart = chart.configure_view(stroke=None).configure_axis(
        labelFontSize=11, titleFontSize=11, grid=True, gridColor="#eeeeee"
    )
    return dict(chart.to_dict())


def _vl_convert() -> Any:
    import vl_convert

    return vl_convert


def chart_svg(report: Report) -> str:
    """The chart as standalone SVG, each official post's marker carrying a ``<title>`` (the browser's tooltip)."""
    svg = str(_vl_convert().vegalite_to_svg(chart_spec(report)))
    return _finish_svg(svg)


def chart_png(report: Report, scale: float = 2.0) -> bytes:
    return bytes(_vl_convert().vegalite_to_png(chart_spec(report), scale=scale))


def _finish_svg(svg: str, *, responsive: bool = False) -> str:
    """Parse vl-convert's SVG, drop anything active, give post markers a ``<title>``, serialize it again.

    vl-convert escapes text itself; this is a second line: no ``script``/``foreignObject`` element and no ``on*``
    attribute can survive, whatever the data said.
    """
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg)
    for parent in root.iter():
        for child in list(parent):
            local = child.tag.rsplit("}", 1)[-1].lower()
            if local in ("script", "foreignobject", "iframe"):
                parent.remove(child)
        for attribute in list(parent.attrib):
            if attribute.rsplit("}", 1)[-1].lower().startswith("on"):
                del parent.attrib[attribute]
        if parent.get("aria-roledescription") == "point" and parent.get("aria-label"):
            tooltip = ET.SubElement(parent, f"{{{SVG_NS}}}title")
            tooltip.text = parent.get("aria-label")
    if responsive:
        root.attrib.pop("width", None)
        root.attrib.pop("height", None)
        root.set("preserveAspectRatio", "xMinYMin meet")
        root.set("role", "img")
    return ET.tostring(root, encoding="unicode")


# --- HTML -------------------------------------------------------------------------------------------------------

HTML_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{ title }}</title>
<style>
  :root { color-scheme: light; --ink: #1b2631; --muted: #5d6d7e; --rule: #d5d8dc; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif;
         color: var(--ink); background: #fff; }
  main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
  h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.5rem 0; }
  h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.2rem; }
  .meta, .note { color: var(--muted); font-size: 0.9rem; }
  dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.25rem 1rem; margin: 0; }
  dl.facts dt { font-weight: 600; }
  dl.facts dd { margin: 0; overflow-wrap: anywhere; }
  figure { margin: 1rem 0; }
  .chart { overflow-x: auto; -webkit-overflow-scrolling: touch; }
  .chart svg { display: block; width: 100%; min-width: 36rem; height: auto; }
  figcaption { color: var(--muted); font-size: 0.85rem; }
  .table { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
  th, td { text-align: left; vertical-align: top; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--rule); }
  td.what { overflow-wrap: anywhere; }
  td.service, .kind, th { white-space: nowrap; }
  th { background: #f4f6f7; }
  td.when { white-space: nowrap; }
  td.num { text-align: right; white-space: nowrap; }
  .kind { display: inline-block; font-size: 0.75rem; padding: 0 0.35rem; border-radius: 0.3rem;
          background: #eaecee; color: var(--muted); }
  .kind.official_update { background: #fdebd0; color: #7e5109; }
  .kind.spike_start, .kind.spike_peak, .kind.spike_end { background: #d6eaf8; color: #1b4f72; }
  blockquote { margin: 0.3rem 0 0; padding-left: 0.6rem; border-left: 3px solid var(--rule); color: #34495e; }
  ol.sources { padding-left: 1.5rem; }
  ol.sources li { overflow-wrap: anywhere; margin-bottom: 0.3rem; }
  a { color: #1a5276; }
  @media (max-width: 40rem) {
    main { padding: 0.6rem; }
    h1 { font-size: 1.3rem; }
    dl.facts { grid-template-columns: minmax(0, 1fr); }
    dl.facts dd { margin-bottom: 0.4rem; }
    table.chronology thead, table.spikes thead { display: none; }
    table.chronology, table.chronology tbody, table.chronology tr, table.chronology td,
    table.spikes, table.spikes tbody, table.spikes tr, table.spikes td { display: block; width: 100%; }
    table.chronology tr, table.spikes tr { border-bottom: 1px solid var(--rule); padding: 0.4rem 0; }
    table.chronology td, table.spikes td { border: 0; padding: 0.1rem 0; }
    table.chronology td.num { text-align: left; }
    table.spikes td::before { content: attr(data-label) ": "; color: var(--muted); }
  }
  @media print {
    body { font-size: 10.5pt; }
    main { max-width: none; padding: 0; }
    .chart { overflow: visible; }
    .chart svg { min-width: 0; max-height: 23cm; }  /* the whole chart on one page, scaled down */
    tr, dl.facts, figcaption { break-inside: avoid; }
    h2 { break-after: avoid; }
    a { color: inherit; text-decoration: none; }
    ol.sources a::after { content: ""; }
  }
</style>
</head>
<body>
<main>
<header>
  <h1>{{ title }}</h1>
  <p class="meta">From {{ start }} to {{ end }} · services: {{ services|join(", ") if services else "every service" }}
  · times in {{ zone }}</p>
</header>
{% if facts %}
<section>
  <h2>Key numbers: {{ chosen_id }}</h2>
  <dl class="facts">
  {% for label, value in facts %}<dt>{{ label }}</dt><dd>{{ value }}</dd>
  {% endfor %}</dl>
</section>
{% endif %}
<section>
  <h2>Complaints and official posts</h2>
  <figure>
    <div class="chart">{{ svg }}</div>
    <figcaption>User complaints per 15 minutes for each service (line) against the usual level for that time of day
    (grey band); each official post is a vertical line with a marker, coloured by its status (hover or tap a marker
    for the post).</figcaption>
  </figure>
</section>
{% if others %}
<section>
  <h2>{{ "Other complaint spikes" if facts else "Complaint spikes in this window" }}</h2>
  <div class="table"><table class="spikes">
    <thead><tr>{% for _, header in columns %}<th>{{ header }}</th>{% endfor %}</tr></thead>
    <tbody>
    {% for cells in others %}<tr>
      {% for header, cell in cells %}<td data-label="{{ header }}">{{ cell }}</td>{% endfor %}</tr>
    {% endfor %}</tbody>
  </table></div>
</section>
{% endif %}
<section>
  <h2>Chronology</h2>
  {% if events %}
  <div class="table"><table class="chronology">
    <thead><tr><th>time</th><th>service</th><th>what happened</th><th>source</th></tr></thead>
    <tbody>
    {% for e in events %}<tr>
      <td class="when">{{ e.when }}</td>
      <td class="service">{{ e.service }}<br><span class="kind {{ e.kind }}">{{ e.kind_label }}</span></td>
      <td class="what">{{ e.text }}{% if e.quote %}<blockquote>{{ e.quote }}</blockquote>{% endif %}</td>
      <td class="num">{% if e.cite %}<a href="#source-{{ e.cite }}">[{{ e.cite }}]</a>{% endif %}</td>
    </tr>
    {% endfor %}</tbody>
  </table></div>
  {% else %}<p>No events in this window.</p>{% endif %}
</section>
{% if sources %}
<section>
  <h2>Sources</h2>
  <ol class="sources">
  {% for s in sources %}<li id="source-{{ s.number }}">{{ s.ids }}:
    {% if s.link %}<a href="{{ s.url }}">{{ s.url }}</a>{% else %}{{ s.url }}{% endif %}
    <span class="note">(fetched {{ s.fetched }})</span></li>
  {% endfor %}</ol>
</section>
{% endif %}
<footer><p class="note">Made with outages from the analyst views of its DuckDB warehouse; every time is when it was
  posted or counted, every source is where and when it was read.</p></footer>
</main>
</body>
</html>
"""

KIND_LABELS = {
    "official_update": "official post",
    "spike_start": "complaints",
    "spike_peak": "complaints",
    "spike_end": "complaints",
    "component_change": "component",
    "revision": "edited",
}


def render_html(report: Report) -> str:
    import jinja2
    from markupsafe import Markup

    tz = report.tz
    sel = report.selection
    chosen = report.outages[0] if sel.outage_id and report.outages else None
    columns = summary_columns(report)
    others = [[(h, summary_cell(report, o, key)) for key, h in columns] for o in report.outages if o is not chosen]
    events = []
    for row in report.rows:
        text, quote = event_text(row)
        events.append(
            {
                "when": fmt_time(row["occurred_at"], tz),
                "service": row["service_id"],
                "kind": row["kind"],
                "kind_label": KIND_LABELS.get(row["kind"], row["kind"]),
                "text": text,
                "quote": quote,
                "cite": report.source_number.get(row["source_url"] or ""),
            }
        )
    sources = [
        {
            "number": s["number"],
            "ids": ", ".join(s["source_ids"]),
            "url": s["url"],
            "link": s["url"].startswith(("https://", "http://")),
            "fetched": ", ".join(fmt_time(t, tz) for t in s["fetched"]) or "time unknown",
        }
        for s in report.sources
    ]
    svg = _finish_svg(str(_vl_convert().vegalite_to_svg(chart_spec(report, titled=False))), responsive=True)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(HTML_TEMPLATE).render(
        title=report.title,
        start=fmt_time(sel.start, tz),
        end=fmt_time(sel.end, tz),
        services=report.services,
        zone="UTC" if tz.key in ("UTC", "Etc/UTC") else tz.key,
        chosen_id=chosen["outage_id"] if chosen else "",
        facts=key_facts(report, chosen) if chosen else [],
        columns=columns,
        others=others,
        events=events,
        sources=sources,
        svg=Markup(svg),  # built by vl-convert from escaped text, then re-serialized by ElementTree (_finish_svg)
    )
