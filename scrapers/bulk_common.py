"""What every set-based reader of stored bodies shares (scrapers/bulk_counts.py, scrapers/bulk_statuspage.py).

The parse stage defers a body of a kind that has a bulk reader (its Kind's ``bulk_reader``; scrapers/bulk_parse.py)
instead of parsing it in Python; the reader has DuckDB read many deferred bodies at once, writes the landing rows of
every body it read exactly as the Python parser would (with DuckDB's JSON writer), and hands back the others for the
Python parser, the reference, which gives their records or names their error as before. A body is wholly one path's
or the other's.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import orjson

from scrapers.catalog import Source
from warehouse.db import quote_ident  # the one quoting helper

BULK_ENV = "OUTAGES_BULK_PARSE"  # "0": every body in Python (the reference); "all": no size threshold; or kinds
MEMORY_LIMIT = "512MB"  # DuckDB's bound while it reads the bodies (it spills beyond, to a temporary folder)

# Appends a JSON Lines file of rows written by DuckDB to a landing table: (table, file, rows).
Append = Callable[[str, Path, int], None]


@dataclass(slots=True)
class Deferred:
    """A fetched body left for a bulk reader: the fetch record as the parse stage saw it."""

    source: Source
    fetch: dict[str, Any]
    observed: datetime


@dataclass(frozen=True, slots=True)
class BulkReader:
    """A kind's set-based reader (named by its Kind's ``bulk_reader``): takes the deferred bodies of its kind and
    returns the ones it leaves to the Python parser."""

    read: Callable[[list[Deferred], Path, Any, Append], list[Deferred]]  # (deferred, body store, Catalog, append)
    min_bytes: int = 0  # fewer deferred bytes than this: the Python parser reads them
    batch_bytes: int | None = None  # hand over a batch once this many bytes are deferred (None: all at the end)
    defers: Callable[[dict[str, object]], bool] = lambda _fetch: True  # which fetches of the kind may go this way
    # used when OUTAGES_BULK_PARSE is unset or "1"; a reader that is not (its parser is cheaper) is used when the
    # variable names its kind, or is "all"
    by_default: bool = True


def bulk_mode(kind: str) -> str:
    """How the parse stage treats ``kind``'s bodies, by OUTAGES_BULK_PARSE: ``off`` ("0", or a comma-separated list
    of kinds that leaves this one out: "report_counts" keeps only the count CSVs' reader), ``all`` ("all": every
    deferred body goes to DuckDB, however few), ``on`` (a list naming the kind) or ``default`` (unset or "1": the
    kind's reader if it is ``by_default``)."""
    value = os.environ.get(BULK_ENV, "").strip().lower()
    if value in ("", "1"):
        return "default"
    if value in ("0", "all"):
        return "off" if value == "0" else "all"
    return "on" if kind in {name.strip() for name in value.split(",")} else "off"


def sql_text(name: str) -> str:
    """A query of scrapers/bulk_sql/ by file name."""
    return resources.files("scrapers.bulk_sql").joinpath(name).read_text(encoding="utf-8")


@contextlib.contextmanager
def bulk_connection(*, ordered: bool = True, threads: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB bounded in memory (spilling to a temporary folder), in UTC. ``ordered=False``: queries
    need not keep the order rows were read in (every query that cares says ORDER BY), which lets a read of nested
    JSON stream instead of holding its batch (a 32 MB read of Statuspage bodies ran out of 512 MB with it).
    ``threads``: DuckDB's threads (default: one per core)."""
    spill = tempfile.TemporaryDirectory(prefix="outages-bulk-spill-")
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": spill.name})
    try:
        con.execute("SET TimeZone = 'UTC'")
        if not ordered:
            con.execute("SET preserve_insertion_order = false")
        if threads is not None:
            con.execute("SET threads = $threads", {"threads": threads})
        yield con
    finally:
        con.close()
        spill.cleanup()


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` into ``table`` in one statement, handed over as one JSON text that DuckDB takes apart (values
    cast to the table's types on insert). One parameter, not a list per column: the driver converts each value of a
    Python list on its own, at a cost (about 0.1 ms each here) that made this the slowest step of a bulk read."""
    if not rows:
        return
    picked = ", ".join(f"value ->> {n}" for n in range(len(rows[0])))
    data = orjson.dumps(rows).decode()  # datetimes as ISO 8601 with their offset
    values = "SELECT unnest(json_extract(?::JSON, '$[*]')) AS value"
    con.execute(f"INSERT INTO {quote_ident(table)} SELECT {picked} FROM ({values})", [data])


def files_table(con: duckdb.DuckDBPyConnection, by_file: dict[str, list[Deferred]]) -> list[Deferred]:
    """bulk_files: one row per fetched body (item, in the order returned), with the file DuckDB reads it from and
    what its landing rows say of where and when it was read."""
    con.execute(
        "CREATE TEMP TABLE bulk_files (item INTEGER, filename VARCHAR, source_id VARCHAR, service_id VARCHAR,"
        " fetched_at TIMESTAMPTZ, observed_at VARCHAR, source_url VARCHAR, sha256 VARCHAR)"
    )
    items = [(name, item) for name, group in by_file.items() for item in group]
    insert_rows(
        con,
        "bulk_files",
        [
            (
                n,
                name,
                item.source.id,
                item.source.service,
                item.observed,
                item.observed.isoformat(),
                item.fetch["url"],
                item.fetch["sha256"],
            )
            for n, (name, item) in enumerate(items)
        ],
    )
    return [item for _name, item in items]


def copy_rows(con: duckdb.DuckDBPyConnection, query: str, table: str, append: Append) -> None:
    """Write the rows of ``query`` as JSON Lines with DuckDB's writer and append them to the landing ``table``."""
    with tempfile.TemporaryDirectory(prefix="outages-bulk-") as folder:
        target = Path(folder) / f"{table}.jsonl"
        written = con.execute(f"COPY ({query}) TO {literal(str(target))} (FORMAT json)").fetchone()
        rows = int(written[0]) if written else 0
        if rows:
            append(table, target, rows)


def literal(text: str) -> str:
    """A SQL string literal (for a COPY target, which cannot be a bound parameter)."""
    return "'" + text.replace("'", "''") + "'"
