"""The report model: everything the Markdown, HTML and chart renderings of a selection need, read once, and the
words they share (key numbers, summary cells, event texts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from warehouse.readouts.notes import row_citations, source_notes
from warehouse.readouts.selection import Selection, continuing_incidents, selection_sql
from warehouse.readouts.text import fmt_acknowledgment, fmt_interval, fmt_time
from warehouse.reads import dicts, has_view, read_outages


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
    notes: list[tuple[str, list[str]]] = field(default_factory=list)  # the cited sources' catalog notes, with their ids


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
        rows = dicts(con.execute(selection_sql("timeline_rows"), selection.params()))
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

    counts = dicts(con.execute(selection_sql("complaint_counts"), selection.params()))
    order: dict[str, None] = dict.fromkeys(selection.services)
    for row in [*rows, *counts]:  # a window of every service: those with events or counts in it
        order.setdefault(row["service_id"], None)
    services = [s for s in order if s is not None]
    if not selection.outage_id and not selection.services:
        services.sort()
    names = dict(con.execute(selection_sql("service_names")).fetchall()) if has_view(con, "services") else {}

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
    report.notes = source_notes(con, rows)
    _number_sources(report)
    return report


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
        for url, source_ids in row_citations(row):  # a spike row cites each complaint source's own URL
            entry = by_url.setdefault(url, {"url": url, "source_ids": [], "fetched": []})
            for source_id in source_ids:
                if source_id not in entry["source_ids"]:
                    entry["source_ids"].append(source_id)
            if row["fetched_at"] is not None and row["fetched_at"] not in entry["fetched"]:
                entry["fetched"].append(row["fetched_at"])
    report.sources = list(by_url.values())
    for number, entry in enumerate(report.sources, start=1):
        entry["number"] = number
        entry["fetched"].sort()
        entry["source_ids"].sort()
        report.source_number[entry["url"]] = number


def citation_numbers(report: Report, row: dict[str, Any]) -> list[int]:
    """The numbers of the sources a row cites, in its order."""
    return [report.source_number[url] for url, _ids in row_citations(row) if url in report.source_number]


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
