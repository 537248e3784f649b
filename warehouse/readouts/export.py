"""Writing a selection in each format of the registry (``formats.py``): tables by DuckDB, the rest rendered."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from warehouse.readouts.chart import chart_png, chart_svg
from warehouse.readouts.formats import FORMATS, RENDERED_FORMATS, TABLE_FORMATS
from warehouse.readouts.html import render_html
from warehouse.readouts.markdown import render_markdown
from warehouse.readouts.report import Report, gather
from warehouse.readouts.selection import ROW_ORDER, ExportError, Selection, outage_selection, selection_sql
from warehouse.reads import dicts, read_outages

UTC_ZONE = ZoneInfo("UTC")
ROWS_TABLE = "outages_export_rows"  # a temporary table: the selected timeline rows, read from the view once

# How each rendered format of the registry is written (str: UTF-8 text).
RENDERERS: dict[str, Callable[[Report], str | bytes]] = {
    "md": render_markdown,
    "html": render_html,
    "png": chart_png,
    "svg": chart_svg,
}
assert tuple(RENDERERS) == RENDERED_FORMATS, "every rendered format of formats.py has one renderer"


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    fmt: str
    selection: Selection
    rows: int


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
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ROWS_TABLE} AS\n{selection_sql('timeline_rows')}", chosen.params())
    try:
        results = []
        rows = dicts(con.execute(f"select * from {ROWS_TABLE} order by {ROW_ORDER}")) if rendered else []
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
            rendering = RENDERERS[fmt](report)
            if isinstance(rendering, bytes):
                out.write_bytes(rendering)
            else:
                out.write_text(rendering, encoding="utf-8")
            results.append(ExportResult(out, fmt, chosen, len(report.rows)))
        return results
    finally:
        con.execute(f"DROP TABLE IF EXISTS {ROWS_TABLE}")
