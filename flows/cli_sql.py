"""``outages sql``: read-only SQL on the warehouse from the terminal (no DuckDB shell is installed with the project).

The DuckDB shell on the package index (``duckdb-cli`` 1.5.6) cannot open a DuckDB 2.0 file, and a full terminal IDE
(``harlequin``) would add some thirty packages; this command uses the ``duckdb`` module the project already has.
"""

from __future__ import annotations

import contextlib
import csv
import json
import shutil
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import click

FORMATS = ("table", "csv", "json")
MAX_TABLE_ROWS = 200  # rows a table shows (csv and json print every row)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def run_query(con: Any, query: str, fmt: str, out: Any) -> None:
    """Run one statement and print its result in ``fmt`` (fetching it whole: no result is left unfinished)."""
    if fmt == "table":
        width = shutil.get_terminal_size((120, 24)).columns
        relation = con.sql(query)
        if relation is None:  # a statement with no result (SET, PRAGMA...)
            return
        with contextlib.redirect_stdout(out):  # DuckDB's own box rendering, cut to the terminal's width
            relation.show(max_width=width, max_rows=MAX_TABLE_ROWS)
        return
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description or ()]
    rows = cursor.fetchall()
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
    else:
        records = [dict(zip(names, row, strict=True)) for row in rows]
        out.write(json.dumps(records, default=_json_value, ensure_ascii=False, indent=1) + "\n")


def _statements(stream: Any, interactive: bool) -> Any:
    """Statements from ``stream``, each ended by ``;`` (or the end of the input)."""
    buffer: list[str] = []
    while True:
        if interactive:
            click.echo("outages> " if not buffer else "   ...> ", nl=False, err=True)
        line = stream.readline()
        if not line:
            break
        buffer.append(line)
        if line.rstrip().endswith(";"):
            yield "".join(buffer)
            buffer = []
    if "".join(buffer).strip():
        yield "".join(buffer)


@click.command()
@click.argument("query", required=False)
@click.option(
    "--db", type=click.Path(dir_okay=False, exists=True), default="outages.duckdb", show_default=True, help="Warehouse."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help="Output form.")
def sql(query: str | None, db: str, fmt: str) -> None:
    """Query the warehouse read-only: print QUERY's result, or read statements (ending in ;) from standard input,
    with a prompt on a terminal. Tables show up to 200 rows; csv and json print all of them.

    \b
    Example:
        outages sql "select * from outages order by started_at desc limit 5" --db outages.duckdb
        outages sql --db outages.duckdb --format csv "select * from complaint_counts" > counts.csv
        echo "select service_id, count(*) from incidents group by 1;" | outages sql --db outages.duckdb
    """
    import duckdb

    from flows.paths import absolute
    from warehouse.lockinfo import lock_holder

    try:
        con = duckdb.connect(absolute(db), read_only=True)
    except duckdb.IOException as exc:
        text = str(exc)
        held = f" (held by {lock_holder(text)}, which is writing it)" if "lock" in text.lower() else ""
        raise click.ClickException(f"cannot open {db}{held}: {text.splitlines()[0]}") from exc
    failed = False
    try:
        con.execute("SET TimeZone = 'UTC'")
        interactive = query is None and sys.stdin.isatty()
        statements = [query] if query is not None else _statements(sys.stdin, interactive)
        for statement in statements:
            try:
                run_query(con, statement, fmt, sys.stdout)
            except duckdb.Error as exc:
                failed = True
                click.echo(f"error: {str(exc).splitlines()[0]}", err=True)
                if not interactive:
                    break
    finally:
        con.close()
    if failed:
        sys.exit(1)
