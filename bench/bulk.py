"""Bulk-counts benchmark: a year of 15-minute report counts for 200 services as 365 daily CSV files (7.0 M rows),
ingested through the ``report_counts`` kind by the real ``ingest`` flow (one catalog source per file, read from disk).

Measured, each in a fresh process and in this order: the baseline — DuckDB reading the same files into a table
(``read_csv``) plus the baseline window over them (each bucket's median of the same slot over the 28 days before);
the ingest with the set-based parse (``scrapers/bulk_counts.py``: DuckDB reads the stored bodies); with
``--bulk-python``, the same ingest with every body parsed in Python (``OUTAGES_BULK_PARSE=0``, the parse before it),
with each one's peak memory; then the parse stage alone over the same crawl, both ways (where the set-based parse
saves: the rest of an ingest is the load and the refresh of the complaint series, the same on both paths).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import Row, emit, fmt_mib, fmt_s, run_child, verdict

GIB = 1024.0  # MiB


def write_files(folder: Path, services: int, days: int) -> dict[str, Any]:
    """``days`` daily CSVs (service,bucket_start,reports) of 96 buckets for each of ``services`` services, and a
    catalog naming the services and one report_counts source per file."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for day in range(days):
        target = str(folder / f"counts-{day:03d}.csv").replace("'", "''")
        con.execute(
            f"""
            COPY (
                SELECT 'svc-' || lpad(s::varchar, 3, '0') AS service,
                       strftime(TIMESTAMP '2021-01-01' + INTERVAL 1 DAY * {day} + INTERVAL 15 MINUTE * b,
                                '%Y-%m-%dT%H:%M:%SZ') AS bucket_start,
                       ((4 + s % 30) * (1.2 + sin(2 * pi() * (b / 96.0 - 0.3))) + hash(s, {day}, b) % 7)::bigint
                           AS reports
                FROM range({services}) t(s), range(96) u(b)
                ORDER BY s, b
            ) TO '{target}' (FORMAT csv, HEADER true)
            """
        )
    con.close()
    lines = ["services:"]
    lines += [f"  - {{id: svc-{s:03d}, name: Service {s}}}" for s in range(services)]
    lines.append("sources:")
    lines += [
        f'  - {{id: counts-{day:03d}, kind: report_counts, url: "{folder / f"counts-{day:03d}.csv"}"}}'
        for day in range(days)
    ]
    (folder / "catalog.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    files = sorted(folder.glob("counts-*.csv"))
    return {"rows": services * days * 96, "files": len(files), "bytes": sum(f.stat().st_size for f in files)}


# --- child processes -------------------------------------------------------------------------------------------


def child_bare(folder: str) -> None:
    """DuckDB reads the files into a table, then the baseline window over them."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    started = time.perf_counter()
    con.execute(
        "CREATE TABLE counts AS SELECT * FROM read_csv($files, header = true,"
        " columns = {'service': 'VARCHAR', 'bucket_start': 'TIMESTAMPTZ', 'reports': 'BIGINT'})",
        {"files": str(Path(folder) / "counts-*.csv")},
    )
    read_s = time.perf_counter() - started
    row = con.execute(
        """
        SELECT count(*), count(baseline) FROM (
            SELECT median(reports) OVER (
                PARTITION BY service, epoch(bucket_start) % 86400 ORDER BY bucket_start
                ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING
            ) AS baseline
            FROM counts
        )
        """
    ).fetchone()
    emit({"bare_s": time.perf_counter() - started, "read_s": read_s, "rows": int(row[0]) if row else 0})


def child_stage(run_dir: str, store: str, catalog: str) -> None:
    """The parse stage alone (build_landing) over a run the ingest crawled, into a copy of its folder."""
    import shutil
    from datetime import UTC, datetime

    from scrapers.catalog import load_catalog
    from scrapers.landing import build_landing

    copy = Path(run_dir).with_name(Path(run_dir).name + f"-stage-{os.environ.get('OUTAGES_BULK_PARSE', '1')}")
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    for name in ("plan.json", "fetches.jsonl"):
        shutil.copy(Path(run_dir) / name, copy / name)
    parsed = load_catalog(catalog)
    started = time.perf_counter()
    summary = build_landing(copy, Path(store), parsed, "bench-stage", datetime.now(UTC), workers=1)
    emit({"stage_s": time.perf_counter() - started, "counts": summary.rows.get("counts", 0)})
    shutil.rmtree(copy, ignore_errors=True)


def child_ingest(folder: str, db: str) -> None:
    from flows.runner import run_ingest

    started = time.perf_counter()
    result = run_ingest(sources=str(Path(folder) / "catalog.yaml"), db=db)
    emit(
        {
            "ingest_s": time.perf_counter() - started,
            "counts": result.rows_added.get("raw_complaint_counts", 0),
            "failed": len(result.failures),
        }
    )


# --- the benchmark ---------------------------------------------------------------------------------------------


def run(
    services: int, days: int, workdir: Path, *, python_too: bool = False, echo: Any = print
) -> tuple[list[Row], dict[str, Any]]:
    workdir.mkdir(parents=True, exist_ok=True)
    folder = workdir / "files"
    started = time.perf_counter()
    written = write_files(folder, services, days)
    echo(
        f"  bulk: wrote {written['files']} CSVs, {written['rows']:,} counts ({written['bytes'] / 1e6:.0f} MB) in "
        f"{time.perf_counter() - started:.0f} s"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    bare = run_child("bench.bulk", ["bare", str(folder)])
    bulk = run_child("bench.bulk", ["ingest", str(folder), str(workdir / "bulk.duckdb")], env=env)
    before = None
    if python_too:
        python_env = {**env, "OUTAGES_BULK_PARSE": "0"}
        before = run_child("bench.bulk", ["ingest", str(folder), str(workdir / "python.duckdb")], env=python_env)
    run_dir = next((workdir / "bulk.landing" / "runs").iterdir())
    stage_args = ["stage", str(run_dir), str(workdir / "bulk.landing" / "bodies"), str(folder / "catalog.yaml")]
    stage_sql = run_child("bench.bulk", stage_args, env={**env, "OUTAGES_BULK_PARSE": "1"})
    stage_python = run_child("bench.bulk", stage_args, env={**env, "OUTAGES_BULK_PARSE": "0"})
    base = bare["bare_s"]
    echo(
        f"  bulk: ingest {fmt_s(bulk['ingest_s'])} ({bulk['counts']:,} counts), parsed in Python "
        f"{fmt_s(before['ingest_s']) if before else 'not run'}; read_csv + baseline window {fmt_s(base)}"
    )
    rows = [
        Row(
            "bulk",
            f"{written['rows'] / 1e6:.1f} M counts from {written['files']} CSVs, set-based parse",
            fmt_s(bulk["ingest_s"]),
            f"{fmt_s(base)} read_csv + baseline window",
            f"{bulk['ingest_s'] / base:.1f}x",
            "≤ 3x",
            verdict(bulk["ingest_s"] <= 3 * base and bulk["counts"] == written["rows"]),
        ),
        Row(
            "bulk",
            "  peak RSS of the ingesting process",
            fmt_mib(bulk["peak_rss_mib"]),
            "",
            "",
            "≤ 1.5 GiB",
            verdict(bulk["peak_rss_mib"] <= 1.5 * GIB),
        ),
    ]
    rows.append(
        Row(
            "bulk",
            "  of which the parse stage alone: set-based / in Python",
            f"{fmt_s(stage_sql['stage_s'])} / {fmt_s(stage_python['stage_s'])}",
            f"{fmt_s(bare['read_s'])} bare read_csv",
            f"{stage_python['stage_s'] / stage_sql['stage_s']:.1f}x faster",
        )
    )
    if before:
        rows.append(
            Row(
                "bulk",
                "  the same ingest, every body parsed in Python (before)",
                fmt_s(before["ingest_s"]),
                f"{fmt_s(base)} read_csv + baseline window",
                f"{before['ingest_s'] / base:.1f}x",
                "",
                f"peak {fmt_mib(before['peak_rss_mib'])}",
            )
        )
    stages = {"sql": stage_sql, "python": stage_python}
    return rows, {"bare": bare, "bulk": bulk, "python": before, "stage": stages, "files": written}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    bare = sub.add_parser("bare")
    bare.add_argument("folder")
    ingest = sub.add_parser("ingest")
    ingest.add_argument("folder")
    ingest.add_argument("db")
    stage = sub.add_parser("stage")
    stage.add_argument("run_dir")
    stage.add_argument("store")
    stage.add_argument("catalog")
    args = parser.parse_args(argv)
    if args.mode == "bare":
        child_bare(args.folder)
    elif args.mode == "stage":
        child_stage(args.run_dir, args.store, args.catalog)
    else:
        child_ingest(args.folder, args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
