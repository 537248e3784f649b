"""What each ingest run leaves in Prefect: a Markdown summary of what changed and a table of the open outages.

- ``ingest-summary`` (Markdown): the run's sources, the incidents first seen in this run (an incident whose first
  sighting was a fetch of this run), the complaint spikes that appeared with it, and the sources that failed, with
  their URLs and reasons. Each run records the outage ids the warehouse held after it in its run folder
  (``<db>.landing/runs/<run id>/outages.json``); a spike is new when the previous recorded run did not hold it.
- ``open-outages`` (table): every outage still open after the run: its matched incident is not resolved, or its
  complaints have not come back to baseline (``returned_to_baseline_at`` is NULL; without that column: the spike
  reaches the service's latest counted bucket).

Publishing never fails a run: a warehouse that cannot be read, or an API that refuses the artifact, is a warning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flows.runner import task
from warehouse.db import connect
from warehouse.files import WarehouseFiles
from warehouse.readouts.text import fmt_interval, md_escape
from warehouse.reads import read_outages, read_run

SUMMARY_KEY = "ingest-summary"
OPEN_OUTAGES_KEY = "open-outages"


@dataclass
class RunChanges:
    run_id: str
    sources_total: int
    sources_failed: int
    rows_added: int
    new_incidents: list[dict[str, Any]] = field(default_factory=list)
    new_spikes: list[dict[str, Any]] | None = None  # None: unknown (no earlier run recorded its outages)
    failures: list[dict[str, Any]] = field(default_factory=list)
    open_outages: list[dict[str, Any]] = field(default_factory=list)


def previous_outage_ids(db: str | Path, run_id: str) -> list[str] | None:
    """The outage ids the latest earlier run recorded (run ids begin with their UTC start, so they sort)."""
    earlier = sorted(
        (d for d in WarehouseFiles(db).runs.glob("*/outages.json") if d.parent.name < run_id),
        key=lambda d: d.parent.name,
    )
    if not earlier:
        return None
    ids = json.loads(earlier[-1].read_text(encoding="utf-8"))
    return [str(i) for i in ids]


def run_changes(
    db: str | Path,
    run_id: str,
    *,
    sources_total: int,
    failed_sources: dict[str, list[str]],
    rows_added: dict[str, int],
) -> RunChanges:
    """Read what the run changed from the warehouse it loaded into, and record its outage ids for the next run."""
    changes = RunChanges(
        run_id=run_id,
        sources_total=sources_total,
        sources_failed=len(failed_sources),
        rows_added=sum(n for table, n in rows_added.items() if table != "raw_fetches"),
    )
    readout = read_run(db, run_id)
    changes.new_incidents = readout.new_incidents
    outages, complaining, errors = readout.outages, readout.complaining, readout.errors
    shown = ("outage_id", "service_id", "started_at", "acknowledged_at", "time_to_acknowledge", "peak_reports")
    summary = [{k: o.get(k) for k in (*shown, "incident_id", "resolved_at")} for o in outages]
    before = previous_outage_ids(db, run_id)
    if before is None and readout.earlier_runs == 0:
        before = []  # the warehouse's first run: every spike is new
    if before is not None:
        changes.new_spikes = [o for o in summary if o["outage_id"] not in set(before)]
    changes.open_outages = [
        o
        for o in summary
        if (o["incident_id"] is not None and o["resolved_at"] is None) or o["outage_id"] in complaining
    ]
    _record_outages(db, run_id, outages)
    reported = {e["source_id"] for e in errors}
    changes.failures = errors + [
        {"source_id": source_id, "url": None, "error": "; ".join(reasons)}
        for source_id, reasons in sorted(failed_sources.items())
        if source_id not in reported
    ]
    return changes


def _record_outages(db: str | Path, run_id: str, outages: list[dict[str, Any]]) -> None:
    """Record the outage ids the warehouse held after run ``run_id``, in its run folder (what the next run compares)."""
    record = WarehouseFiles(db).run(run_id) / "outages.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(sorted(o["outage_id"] for o in outages)), encoding="utf-8")


def record_outages(db: str | Path, run_id: str) -> None:
    """Only the record of :func:`run_changes`: the outage ids after the run, without the reads of the summary."""
    con = connect(db, read_only=True)
    try:
        outages = read_outages(con)
    finally:
        con.close()
    _record_outages(db, run_id, outages)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%MZ")
    if isinstance(value, timedelta):
        return fmt_interval(value)
    return str(value)


def _md(value: Any) -> str:
    return md_escape(_cell(value))


def render_summary(changes: RunChanges) -> str:
    """The Markdown artifact: scraped text is escaped so a title cannot inject markup."""
    ok = changes.sources_total - changes.sources_failed
    out = [
        f"# Ingest run {_md(changes.run_id)}",
        "",
        f"{ok}/{changes.sources_total} sources loaded, {changes.rows_added:,} new rows.",
        "",
        f"## New incidents ({len(changes.new_incidents)})",
        "",
    ]
    if changes.new_incidents:
        out += ["| service | incident | status | impact | started |", "|---|---|---|---|---|"]
        for i in changes.new_incidents:
            row = (i["service_id"], i["title"], i["status"], i["impact"], i["started_at"])
            out.append("| " + " | ".join(_md(c) for c in row) + " |")
    else:
        out.append("None.")
    out += ["", f"## New complaint spikes ({'?' if changes.new_spikes is None else len(changes.new_spikes)})", ""]
    if changes.new_spikes is None:
        out.append("Unknown: no earlier run recorded the outages it saw.")
    elif changes.new_spikes:
        out += ["| outage | complaints began | first official post | peak reports |", "|---|---|---|---|"]
        for s in changes.new_spikes:
            cells = (s["outage_id"], s["started_at"], s.get("acknowledged_at"), s.get("peak_reports"))
            out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    else:
        out.append("None.")
    out += ["", f"## Failed sources ({len({f['source_id'] for f in changes.failures})})", ""]
    if changes.failures:
        for f in changes.failures:
            where = f" ({_md(f['url'])})" if f["url"] else ""
            out.append(f"- **{_md(f['source_id'])}**{where}: {_md(f['error'])}")
    else:
        out.append("None.")
    out += ["", f"Open outages after this run: {len(changes.open_outages)} (table artifact `{OPEN_OUTAGES_KEY}`)."]
    return "\n".join(out) + "\n"


def open_outages_table(changes: RunChanges) -> list[dict[str, str]]:
    return [{key: _cell(value) for key, value in outage.items()} for outage in changes.open_outages]


def publish(changes: RunChanges) -> None:
    """Create the two artifacts (in the current flow or task run when there is one)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_markdown_artifact(
        markdown=render_summary(changes),
        key=SUMMARY_KEY,
        description=f"What ingest run {changes.run_id} changed",
    )
    create_table_artifact(
        table=open_outages_table(changes),
        key=OPEN_OUTAGES_KEY,
        description=f"Outages open after ingest run {changes.run_id}",
    )


@task()
def publish_ingest_artifacts(
    db: str,
    run_id: str,
    sources_total: int,
    failed_sources: dict[str, list[str]],
    rows_added: dict[str, int],
) -> RunChanges | None:
    """Summarize the run and publish its artifacts (in a Prefect run; outside one, only its outage ids are recorded);
    a failure here is logged, never raised."""
    from flows.runner import in_prefect_run, run_logger

    logger = run_logger()
    try:
        if not in_prefect_run():
            # Without a Prefect run there is nowhere to publish: only the run's outage ids are recorded (the summary's
            # reads, the new incidents above all, cost seconds for thousands of sources and would be thrown away).
            record_outages(db, run_id)
            return None
        changes = run_changes(
            db,
            run_id,
            sources_total=sources_total,
            failed_sources=failed_sources,
            rows_added=rows_added,
        )
        publish(changes)
    except Exception as exc:  # the run's data is loaded; a missing summary must not fail it
        logger.warning("could not publish the ingest artifacts of run %s: %s", run_id, exc)
        return None
    return changes
