"""The built-in replay of 7 December 2021: the real ingest flow, run at each simulated capture time."""

from __future__ import annotations

import shutil
import string
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from replay import timefmt
from replay.server import ReplayServer
from warehouse.files import WarehouseFiles

# When the simulated schedule polls: the capture times of the real snapshots (16:51Z, 17:19Z, 23:47Z, 02:28Z,
# 08:10Z) and a few more so the day is seen the way a scheduled deployment would have seen it.
CLOCK = (
    "2021-12-07T15:00:00Z",
    "2021-12-07T16:00:00Z",
    "2021-12-07T16:26:00Z",
    "2021-12-07T16:51:55Z",
    "2021-12-07T17:19:02Z",
    "2021-12-07T18:46:00Z",
    "2021-12-07T20:45:00Z",
    "2021-12-07T22:50:39Z",
    "2021-12-07T23:47:45Z",
    "2021-12-08T02:28:24Z",
    "2021-12-08T08:10:51Z",
    "2021-12-08T12:00:00Z",
)
DAY_START, DAY_END = "2021-12-07T12:00:00Z", "2021-12-08T12:00:00Z"
DEMO_CATALOG = Path(__file__).resolve().parent.parent / "replay" / "demo_sources.yaml"


def write_demo_catalog(base_url: str, out: Path) -> Path:
    text = string.Template(DEMO_CATALOG.read_text(encoding="utf-8")).substitute(base=base_url)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "demo-sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def replay_day(
    db: Path,
    catalog: Path,
    server: ReplayServer,
    clock: tuple[str, ...] = CLOCK,
    echo: Callable[[str], object] = print,
) -> list[int]:
    """Run the ingest flow once per clock tick (a flow run under a Prefect server, else its steps in order); returns
    each run's exit code."""
    from flows.runner import run_ingest

    codes = []
    for number, tick in enumerate(clock):
        at = timefmt.utc(tick)
        server.set_clock(at)
        started = time.monotonic()
        # the first run reads posts from the start of the replay's history; later runs from their last read
        since = server.specs["complaints"]["history_start"] if number == 0 else None
        result = run_ingest(sources=str(catalog), db=str(db), as_of=at.isoformat(), timeout_seconds=10, since=since)
        codes.append(result.exit_code)
        added = sum(v for k, v in result.rows_added.items() if k != "raw_fetches")
        echo(
            f"  {tick}  {result.sources_total - result.sources_failed}/{result.sources_total} sources, "
            f"{added} new rows, {time.monotonic() - started:.1f}s"
        )
    return codes


def run_demo(db: Path, out: Path, tz: ZoneInfo, echo: Callable[[str], object] = print) -> None:
    from warehouse.db import connect
    from warehouse.readouts.export import export
    from warehouse.readouts.notes import source_notes
    from warehouse.readouts.selection import Selection
    from warehouse.timeline import Window, outage_rows, render_text, timeline_rows, write_csv

    if db.exists():
        db.unlink()
    shutil.rmtree(WarehouseFiles(db).landing, ignore_errors=True)
    server = ReplayServer().start()
    try:
        catalog = write_demo_catalog(server.base_url, out)
        echo(f"Replaying 2021-12-07 from {server.base_url} into {db} ({len(CLOCK)} scheduled runs)")
        replay_day(db, catalog, server, echo=echo)
    finally:
        server.stop()
    window_start, window_end = timefmt.utc(DAY_START), timefmt.utc(DAY_END)
    window = Window(window_start, window_end)
    con = connect(db, read_only=True)
    try:
        rows, outages = timeline_rows(con, window), outage_rows(con, window)
        echo("")
        echo(render_text(rows, outages, tz, notes=source_notes(con, rows)))
        write_csv(con, window, out / "timeline.csv")
        title = "AWS us-east-1 outage, 7 December 2021 (replay of reconstructed data)"
        export(con, Selection.window(window_start, window_end), "md", out / "timeline.md", tz=tz, title=title)
    finally:
        con.close()
    echo(f"Wrote {out / 'timeline.csv'} and {out / 'timeline.md'}; query {db} with DuckDB for more.")


def _parse(value: str) -> datetime:
    return timefmt.utc(value)
