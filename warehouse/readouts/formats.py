"""The formats a read-out can be written in: the one registry (the CLI's ``export --format`` choices come from here).

Kept free of heavy imports so that the command line can read it at start-up; the writers are in ``export.py``.
"""

from __future__ import annotations

# Table formats: the selected timeline rows, written by DuckDB itself (COPY … TO) with these options.
TABLE_FORMATS: dict[str, str] = {
    "csv": "FORMAT csv, HEADER true",
    "json": "FORMAT json, ARRAY true",
    "parquet": "FORMAT parquet",
}
# Rendered formats: a report (warehouse/readouts/report.py) rendered as Markdown, HTML, or the chart alone.
RENDERED_FORMATS: tuple[str, ...] = ("md", "html", "png", "svg")
FORMATS: tuple[str, ...] = (*TABLE_FORMATS, *RENDERED_FORMATS)
