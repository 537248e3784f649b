"""Load benchmark: complaint counts and incident updates from landing JSON Lines files into DuckDB.

The landing folder is written by DuckDB itself (fast, deterministic), with rows shaped exactly as ``scrapers.landing``
writes them. Measured, each in a fresh process: ``warehouse.load.load_landing`` into a new warehouse (time and peak
memory); DuckDB reading the same two files bare (``select count(*) from read_json(...)``); and a row-by-row
``executemany`` upsert of a sample (the same statements' keys, one row per call), extrapolated to the full size.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import Row, emit, fmt_mib, fmt_s, run_child, verdict

GIB = 1024.0  # MiB
SERVICES = 200


def write_landing(folder: Path, counts: int, updates: int) -> dict[str, int]:
    """``counts`` complaint counts over 200 services and ``updates`` incident updates, plus the run and services."""
    import duckdb

    from warehouse.load import load_steps

    folder.mkdir(parents=True, exist_ok=True)
    for table, _sql in load_steps():
        (folder / f"{table}.jsonl").write_text("", encoding="utf-8")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    iso = "strftime({}, '%Y-%m-%dT%H:%M:%S+00:00')"
    per_service = -(-counts // SERVICES)
    con.execute(
        f"""
        COPY (
            SELECT 'svc-' || lpad(s::varchar, 3, '0') AS service,
                   {iso.format("TIMESTAMPTZ '2021-06-01 00:00:00+00' + INTERVAL 15 MINUTE * b")} AS bucket_start,
                   (5 + s % 40 + hash(s, b) % 11)::bigint AS reports,
                   NULL AS baseline,
                   'svc-' || lpad(s::varchar, 3, '0') AS service_id,
                   'bench-counts' AS source_id,
                   {iso.format("TIMESTAMPTZ '2021-08-01 00:00:00+00'")} AS observed_at,
                   'http://127.0.0.1/counts.csv' AS source_url
            FROM range({SERVICES}) t(s), range({per_service}) u(b)
            LIMIT {counts}
        ) TO '{folder / "counts.jsonl"}' (FORMAT json)
        """
    )
    con.execute(
        f"""
        COPY (
            SELECT 'i' || (u // 4) AS incident_native_id,
                   'u' || u AS native_id,
                   {iso.format("TIMESTAMPTZ '2021-06-01 00:00:00+00' + INTERVAL 7 MINUTE * u")} AS posted_at,
                   {iso.format("TIMESTAMPTZ '2021-06-01 00:00:00+00' + INTERVAL 7 MINUTE * u")} AS created_at,
                   ['investigating', 'identified', 'monitoring', 'resolved'][u % 4 + 1] AS status,
                   ['investigating', 'identified', 'monitoring', 'resolved'][u % 4 + 1] AS status_native,
                   repeat('We are investigating elevated error rates for some customers. ', 2 + (u % 6)) AS body,
                   'src-' || (u % 500) || ':i' || (u // 4) AS incident_id,
                   'u' || u AS update_id,
                   md5(u::varchar)[:32] AS version_hash,
                   'src-' || (u % 500) AS source_id,
                   {iso.format("TIMESTAMPTZ '2021-08-01 00:00:00+00'")} AS observed_at,
                   'http://127.0.0.1/s/' || (u % 500) || '.json' AS source_url
            FROM range({updates}) t(u)
        ) TO '{folder / "updates.jsonl"}' (FORMAT json)
        """
    )
    (folder / "runs.jsonl").write_text(
        '{"run_id": "bench-load", "started_at": "2021-08-01T00:00:00+00:00", "catalog_path": "bench", '
        '"sources_total": 501, "sources_failed": 0}\n',
        encoding="utf-8",
    )
    (folder / "services.jsonl").write_text(
        "".join(
            f'{{"service_id": "svc-{s:03d}", "name": "Service {s}", "aliases": [], "depends_on": []}}\n'
            for s in range(SERVICES)
        ),
        encoding="utf-8",
    )
    con.close()
    return {"counts": counts, "updates": updates, "bytes": sum(f.stat().st_size for f in folder.glob("*.jsonl"))}


# --- child processes -------------------------------------------------------------------------------------------


def child_load(db: str, landing: str) -> None:
    from warehouse.load import load_landing

    started = time.perf_counter()
    timings: dict[str, float] = {}
    added = load_landing(db, Path(landing), timings=timings)
    emit(
        {
            "load_s": time.perf_counter() - started,
            "timings": timings,
            "counts": added.get("raw_complaint_counts", 0),
            "updates": added.get("raw_update_versions", 0),
        }
    )


def child_bare(landing: str) -> None:
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    rows = 0
    for name in ("counts", "updates"):
        path = str(Path(landing) / f"{name}.jsonl")
        rows += con.execute("SELECT count(*) FROM read_json(?, format = 'newline_delimited')", [path]).fetchone()[0]  # type: ignore[index]
    emit({"bare_s": time.perf_counter() - started, "rows": rows})


COUNTS_UPSERT = """
INSERT INTO raw_complaint_counts (source_id, service_id, bucket_start, reports, baseline, observed_at, source_url)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (source_id, service_id, bucket_start) DO UPDATE SET
    reports = CASE WHEN excluded.observed_at > observed_at THEN excluded.reports ELSE reports END,
    observed_at = greatest(observed_at, excluded.observed_at)
"""
UPDATES_UPSERT = """
INSERT INTO raw_update_versions (incident_id, update_id, version_hash, source_id, posted_at, created_at, status,
    status_native, body, first_seen_at, last_seen_at, source_url)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (incident_id, update_id, version_hash) DO UPDATE SET
    first_seen_at = least(first_seen_at, excluded.first_seen_at),
    last_seen_at = greatest(last_seen_at, excluded.last_seen_at)
"""


def child_rowwise(db: str, landing: str, sample: int) -> None:
    """executemany of the first ``sample`` counts and ``sample // 10`` updates (the landing's 10:1 mix)."""
    import itertools
    import json

    from warehouse.db import connect, migrate

    con = connect(db)
    migrate(con)
    for table, key in (
        ("raw_complaint_counts", "source_id, service_id, bucket_start"),
        ("raw_update_versions", "incident_id, update_id, version_hash"),
    ):  # the keys ON CONFLICT needs: the warehouse's raw tables have none (migration 0009)
        con.execute(f"CREATE UNIQUE INDEX {table}_key ON {table} ({key})")
    with (Path(landing) / "counts.jsonl").open(encoding="utf-8") as handle:
        counts = [json.loads(line) for line in itertools.islice(handle, sample)]
    with (Path(landing) / "updates.jsonl").open(encoding="utf-8") as handle:
        updates = [json.loads(line) for line in itertools.islice(handle, sample // 10)]
    count_rows = [
        (
            r["source_id"],
            r["service_id"],
            r["bucket_start"],
            r["reports"],
            r["baseline"],
            r["observed_at"],
            r["source_url"],
        )
        for r in counts
    ]
    update_rows = [
        (
            r["incident_id"],
            r["update_id"],
            r["version_hash"],
            r["source_id"],
            r["posted_at"],
            r["created_at"],
            r["status"],
            r["status_native"],
            r["body"],
            r["observed_at"],
            r["observed_at"],
            r["source_url"],
        )
        for r in updates
    ]
    started = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    con.executemany(COUNTS_UPSERT, count_rows)
    con.executemany(UPDATES_UPSERT, update_rows)
    con.execute("COMMIT")
    emit({"rowwise_s": time.perf_counter() - started, "rows": len(count_rows) + len(update_rows)})


# --- the benchmark ---------------------------------------------------------------------------------------------


def run(
    counts: int, updates: int, workdir: Path, sample: int = 2_000, echo: Any = print
) -> tuple[list[Row], dict[str, Any]]:
    workdir.mkdir(parents=True, exist_ok=True)
    landing = workdir / "landing"
    started = time.perf_counter()
    written = write_landing(landing, counts, updates)
    echo(
        f"  load: wrote {counts:,} counts and {updates:,} updates ({written['bytes'] / 1e6:.0f} MB of JSONL) "
        f"in {time.perf_counter() - started:.0f} s"
    )
    bare = run_child("bench.load", ["bare", str(landing)])
    load = run_child("bench.load", ["load", str(workdir / "load.duckdb"), str(landing)])
    sample = min(sample, counts)
    rowwise = run_child("bench.load", ["rowwise", str(workdir / "rowwise.duckdb"), str(landing), str(sample)])
    total = counts + updates
    rowwise_full = rowwise["rowwise_s"] * total / rowwise["rows"]
    load_s = load["load_s"]
    echo(
        f"  load: {fmt_s(load_s)}; bare read {fmt_s(bare['bare_s'])}; row by row {fmt_s(rowwise['rowwise_s'])} "
        f"for {rowwise['rows']:,} rows"
    )
    rows = [
        Row(
            "load",
            f"{counts:,} counts + {updates:,} updates",
            fmt_s(load_s),
            f"{fmt_s(bare['bare_s'])} bare read_json",
            f"{load_s / bare['bare_s']:.1f}x",
            "≤ 5 s, ≤ 3x",
            verdict(load_s <= 5 and load_s <= 3 * bare["bare_s"]),
        ),
        Row(
            "load",
            "  of which open + migrate / raw tables / model refresh / commit",
            " / ".join(fmt_s(load["timings"][step]) for step in ("open", "raw", "models", "commit")),
        ),
        Row(
            "load",
            "  against row-by-row executemany",
            fmt_s(load_s),
            f"{fmt_s(rowwise_full)} (extrapolated from {rowwise['rows']:,} rows)",
            f"{rowwise_full / load_s:.0f}x faster",
            "≥ 50x",
            verdict(rowwise_full / load_s >= 50),
        ),
        Row(
            "load",
            "  peak RSS of the loading process",
            fmt_mib(load["peak_rss_mib"]),
            "",
            "",
            "≤ 1 GiB",
            verdict(load["peak_rss_mib"] <= GIB),
        ),
    ]
    return rows, {"bare": bare, "load": load, "rowwise": rowwise, "landing": written}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    load = sub.add_parser("load")
    load.add_argument("db")
    load.add_argument("landing")
    bare = sub.add_parser("bare")
    bare.add_argument("landing")
    rowwise = sub.add_parser("rowwise")
    rowwise.add_argument("db")
    rowwise.add_argument("landing")
    rowwise.add_argument("sample", type=int)
    args = parser.parse_args(argv)
    if args.mode == "load":
        child_load(args.db, args.landing)
    elif args.mode == "bare":
        child_bare(args.landing)
    else:
        child_rowwise(args.db, args.landing, args.sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
