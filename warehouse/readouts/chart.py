"""The chart of a report: a Vega-Lite spec (one panel per service: complaints with the baseline band, official
posts as rules), rendered to SVG or PNG by vl-convert."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from warehouse.readouts.report import Report
from warehouse.readouts.svg import finish_svg
from warehouse.readouts.text import fmt_interval, fmt_time

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


def vl_convert() -> Any:
    import vl_convert

    return vl_convert


def chart_svg(report: Report) -> str:
    """The chart as standalone SVG, each official post's marker carrying a ``<title>`` (the browser's tooltip)."""
    svg = str(vl_convert().vegalite_to_svg(chart_spec(report)))
    return finish_svg(svg)


def chart_png(report: Report, scale: float = 2.0) -> bytes:
    return bytes(vl_convert().vegalite_to_png(chart_spec(report), scale=scale))
