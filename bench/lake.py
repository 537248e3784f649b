"""Lake benchmark: the load benchmark's landing (complaint counts + incident updates, ``bench.load.write_landing``)
loaded into a DuckLake and into a DuckDB file, and the one-week analyst query (``bench.query.ANALYST_QUERY``) against
both, each in a fresh process, the file as the baseline.

The lake's catalog is in PostgreSQL when ``initdb``/``pg_ctl`` are installed (a throwaway cluster on loopback, as the
lake tests start: ``tests/lake_servers.py``), else in a local DuckLake file (``ducklake:PATH``), and the row says which;
its data files go to a local folder (S3 would measure the S3 server, not the lake).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import Row, emit, fmt_s, run_child
from bench.load import write_landing
from bench.query import ANALYST_QUERY

SERVICE, SINCE = "svc-000", "2021-06-01T00:00:00+00:00"  # the first week of the generated counts


@contextlib.contextmanager
def lake_location(workdir: Path, echo: Any) -> Iterator[tuple[str, str]]:
    """(location, which catalog) of a new, empty lake; PostgreSQL when installed, else a local catalog file."""
    from tests.lake_servers import postgres_bin, postgres_server

    if postgres_bin("initdb") and postgres_bin("pg_ctl"):
        with postgres_server() as pg:
            pg.create_database("bench")
            yield pg.location("bench"), "PostgreSQL catalog"
        return
    echo("  lake: PostgreSQL (initdb, pg_ctl) is not installed: the lake's catalog is a local DuckLake file instead")
    yield f"ducklake:{workdir / 'meta.ducklake'}", "local DuckLake catalog"


def child_query(db: str) -> None:
    from warehouse.db import connect

    con = connect(db, read_only=True)
    times, rows = [], 0
    for _ in range(5):
        started = time.perf_counter()
        rows = len(con.execute(ANALYST_QUERY, {"service": SERVICE, "since": datetime.fromisoformat(SINCE)}).fetchall())
        times.append(time.perf_counter() - started)
    con.close()
    emit({"query_s": statistics.median(times), "rows": rows})


def run(counts: int, updates: int, workdir: Path, echo: Any = print) -> tuple[list[Row], dict[str, Any]]:
    workdir.mkdir(parents=True, exist_ok=True)
    landing = workdir / "landing"
    write_landing(landing, counts, updates)
    file_db = str(workdir / "file.duckdb")
    with lake_location(workdir, echo) as (location, which):
        env = {**os.environ, "OUTAGES_DATA_PATH": str(workdir / "lake-data") + "/"}
        file_load = run_child("bench.load", ["load", file_db, str(landing)])
        lake_load = run_child("bench.load", ["load", location, str(landing)], env=env)
        file_query = run_child("bench.lake", ["query", file_db])
        lake_query = run_child("bench.lake", ["query", location], env=env)
    if lake_query["rows"] != file_query["rows"]:
        found = f"{lake_query['rows']} rows in the lake, {file_query['rows']} in the file"
        raise RuntimeError(f"the week's query read {found}")
    echo(f"  lake ({which}): load {fmt_s(lake_load['load_s'])} (file {fmt_s(file_load['load_s'])}); "
         f"week query {fmt_s(lake_query['query_s'])} (file {fmt_s(file_query['query_s'])})")  # fmt: skip
    rows = [
        Row(
            "lake",
            f"load {counts:,} counts + {updates:,} updates into DuckLake ({which}, local data folder)",
            fmt_s(lake_load["load_s"]),
            f"{fmt_s(file_load['load_s'])} DuckDB file",
            f"{lake_load['load_s'] / file_load['load_s']:.1f}x",
        ),
        Row(
            "lake",
            f"  one-week analyst query ({lake_query['rows']} buckets, median of 5)",
            fmt_s(lake_query["query_s"]),
            f"{fmt_s(file_query['query_s'])} DuckDB file",
            f"{lake_query['query_s'] / file_query['query_s']:.1f}x",
        ),
    ]
    return rows, {"catalog": which, "file_load": file_load, "lake_load": lake_load,
                  "file_query": file_query, "lake_query": lake_query}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    query = sub.add_parser("query")
    query.add_argument("db")
    run_args = sub.add_parser("run")
    run_args.add_argument("--counts", type=int, default=1_000_000)
    run_args.add_argument("--updates", type=int, default=100_000)
    run_args.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.mode == "query":
        child_query(args.db)
    else:
        from bench.common import table

        print(table(run(args.counts, args.updates, args.workdir)[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
