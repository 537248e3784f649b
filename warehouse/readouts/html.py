"""The HTML read-out: one self-contained page (no network, no JavaScript) from ``templates/report.html.j2``.

Every text that came from a scraped page is HTML-escaped (Jinja2 autoescape), and the page's Content-Security-Policy
forbids scripts and remote loads anyway.
"""

from __future__ import annotations

from importlib import resources

from warehouse.readouts.chart import chart_spec, vl_convert
from warehouse.readouts.notes import notes_lines
from warehouse.readouts.report import (
    Report,
    citation_numbers,
    event_text,
    key_facts,
    summary_cell,
    summary_columns,
)
from warehouse.readouts.svg import finish_svg
from warehouse.readouts.text import fmt_time


def template() -> str:
    return resources.files("warehouse.readouts.templates").joinpath("report.html.j2").read_text(encoding="utf-8")


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
                "cites": citation_numbers(report, row),
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
    svg = finish_svg(str(vl_convert().vegalite_to_svg(chart_spec(report, titled=False))), responsive=True)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(template()).render(
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
        notes=notes_lines(report.notes),
        sources=sources,
        svg=Markup(svg),  # built by vl-convert from escaped text, then re-serialized by ElementTree (finish_svg)
    )
