"""The Markdown read-out of a report; scraped text is escaped so that it cannot inject markup."""

from __future__ import annotations

from warehouse.readouts.notes import notes_lines
from warehouse.readouts.report import (
    Report,
    citation_numbers,
    event_text,
    key_facts,
    summary_cell,
    summary_columns,
)
from warehouse.readouts.text import fmt_time, md_cell, md_text


def render_markdown(report: Report) -> str:
    """A ready-to-paste chronology: the key numbers, every event with the post's own words, numbered sources."""
    tz = report.tz
    sel = report.selection
    out = [f"# {md_text(report.title)}", ""]
    names = ", ".join(f"`{s}`" for s in report.services) or "every service"
    out += [f"_From {fmt_time(sel.start, tz)} to {fmt_time(sel.end, tz)}; services: {names}._", ""]
    if report.notes:  # what the catalog says of the cited sources (a reconstruction...), once, before anything else
        out += [f"> {md_text(line)}" for line in notes_lines(report.notes)] + [""]
    chosen = report.outages[0] if sel.outage_id and report.outages else None
    if chosen is not None:
        out += [f"## Key numbers: {md_text(chosen['outage_id'])}", ""]
        out += [f"- **{md_text(label)}:** {md_text(value)}" for label, value in key_facts(report, chosen)]
        out.append("")
    others = [o for o in report.outages if o is not chosen]
    if others:
        out += ["## Complaint spikes in this window" if chosen is None else "## Other complaint spikes", ""]
        columns = summary_columns(report)
        out.append("| " + " | ".join(header for _, header in columns) + " |")
        out.append("|" + "---|" * len(columns))
        for outage in others:
            out.append("| " + " | ".join(md_cell(summary_cell(report, outage, k)) for k, _ in columns) + " |")
        out.append("")
    out += ["## Chronology", ""]
    if not report.rows:
        out.append("No events in this window.")
    for row in report.rows:
        text, quote = event_text(row)
        ref = "".join(f" [{cite}]" for cite in citation_numbers(report, row))
        out.append(f"- **{fmt_time(row['occurred_at'], tz)}** `{row['service_id']}` {md_text(text)}{ref}")
        if quote:
            out.append(f"  > {md_text(quote)}")
    if report.sources:
        out += ["", "## Sources", ""]
        for source in report.sources:
            fetched = ", ".join(fmt_time(t, tz) for t in source["fetched"]) or "time unknown"
            ids = ", ".join(source["source_ids"])
            out.append(f"{source['number']}. {md_text(ids)}: <{source['url']}> (fetched {fetched})")
    return "\n".join(out) + "\n"
