"""Query benchmark: a year of 15-minute complaint counts for 200 services (about 10 million rows), built in DuckDB.

Every service has a ``reports`` source; 43 % of them (86 of 200) also a ``social`` one, which makes 10.0 million
rows of ``raw_complaint_counts`` over 2021 (35,040 buckets a service). The series follow a daily cycle with noise and
20 injected surges a service; three in four surges have a matching official incident with two posts.

Measured in one fresh process: building the models in full (the complaint-count series are a table: baseline and
spike flag for every bucket of every series), then reading ``complaint_counts`` in full and ``outages`` in full
(spikes matched to incidents); an analyst query: one service, one week, its 15-minute buckets with baseline and
spike flag (the median of 5 warm runs); and what a scheduled run pays: loading one more day of counts for every
service through the real loader, which refreshes only the buckets that day touches. Baselines in the same process:
a bare scan of ``raw_complaint_counts``, the same week's buckets summed straight from it, and DuckDB reading the
new day's landing file bare.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import Row, emit, fmt_mib, fmt_s, run_child, verdict

SOCIAL_SHARE = 0.43
SURGES = 20


def generate(con: Any, services: int) -> dict[str, int]:
    social = round(services * SOCIAL_SHARE)
    con.execute(
        f"""
        INSERT INTO raw_services (service_id, name, aliases, depends_on)
        SELECT 'svc-' || lpad(s::varchar, 3, '0'), 'Service ' || s, [], []
        FROM range({services}) t(s)
        """
    )
    # surges: SURGES per service, 4 to 8 buckets long, at hashed times of the year
    con.execute(
        f"""
        CREATE TEMP TABLE surges AS
        SELECT s, k,
               (hash(s, k, 'day') % 360 + 3) * 96 + hash(s, k, 'slot') % 90 AS first_bucket,
               4 + hash(s, k, 'len') % 5 AS buckets
        FROM range({services}) t(s), range({SURGES}) u(k)
        """
    )
    con.execute(
        f"""
        INSERT INTO raw_complaint_counts (source_id, service_id, bucket_start, reports, baseline, observed_at,
                                          source_url)
        WITH grid AS (
            SELECT s, b, src
            FROM range({services}) t(s), range(35040) u(b), (VALUES ('reports'), ('social')) v(src)
            WHERE src = 'reports' OR s < {social}
        ),
        level AS (
            SELECT s, b, src,
                   (4 + s % 30) * (1.2 + sin(2 * pi() * ((b % 96) / 96.0 - 0.3))) + (hash(s, b, src) % 7) AS base
            FROM grid
        )
        , surge_buckets AS (
            SELECT DISTINCT s, first_bucket + i AS b FROM surges, range(8) r(i) WHERE i < buckets
        )
        SELECT src, 'svc-' || lpad(level.s::varchar, 3, '0'),
               TIMESTAMPTZ '2021-01-01 00:00:00+00' + INTERVAL 15 MINUTE * level.b,
               (base * CASE WHEN surge_buckets.s IS NULL THEN 1 ELSE 8 END)::bigint,
               NULL, TIMESTAMPTZ '2022-01-01 00:00:00+00', 'http://127.0.0.1/' || src || '.csv'
        FROM level LEFT JOIN surge_buckets ON surge_buckets.s = level.s AND surge_buckets.b = level.b
        """
    )
    con.execute(
        """
        INSERT INTO raw_incident_versions (incident_id, version_hash, source_id, service_id, native_id, title, impact,
            impact_native, status, status_native, started_at, resolved_at, url, first_seen_at, last_seen_at,
            source_url)
        SELECT 'status-' || s || ':i' || k, 'v1', 'status-' || s, 'svc-' || lpad(s::varchar, 3, '0'), 'i' || k,
               'Elevated errors', 'major', 'major', 'resolved', 'resolved',
               TIMESTAMPTZ '2021-01-01 00:00:00+00' + INTERVAL 15 MINUTE * (first_bucket + 1),
               TIMESTAMPTZ '2021-01-01 00:00:00+00' + INTERVAL 15 MINUTE * (first_bucket + buckets + 4),
               NULL, TIMESTAMPTZ '2022-01-01 00:00:00+00', TIMESTAMPTZ '2022-01-01 00:00:00+00',
               'http://127.0.0.1/status-' || s || '.json'
        FROM surges WHERE k % 4 <> 3
        """
    )
    con.execute(
        """
        INSERT INTO raw_update_versions (incident_id, update_id, version_hash, source_id, posted_at, created_at, status,
            status_native, body, first_seen_at, last_seen_at, source_url)
        SELECT 'status-' || s || ':i' || k, 'u' || n, 'v1', 'status-' || s,
               TIMESTAMPTZ '2021-01-01 00:00:00+00' + INTERVAL 15 MINUTE * (first_bucket + 2 + 3 * n),
               TIMESTAMPTZ '2021-01-01 00:00:00+00' + INTERVAL 15 MINUTE * (first_bucket + 2 + 3 * n),
               CASE n WHEN 0 THEN 'investigating' ELSE 'resolved' END,
               CASE n WHEN 0 THEN 'investigating' ELSE 'resolved' END,
               'We are investigating elevated error rates.', TIMESTAMPTZ '2022-01-01 00:00:00+00',
               TIMESTAMPTZ '2022-01-01 00:00:00+00', 'http://127.0.0.1/status-' || s || '.json'
        FROM surges, range(2) r(n) WHERE k % 4 <> 3
        """
    )
    counts = con.execute("SELECT count(*) FROM raw_complaint_counts").fetchone()[0]
    incidents = con.execute("SELECT count(*) FROM raw_incident_versions").fetchone()[0]
    return {"counts": int(counts), "incidents": int(incidents)}


ANALYST_QUERY = """
SELECT bucket_start, reports, baseline, is_spike
FROM complaint_counts
WHERE service_id = $service AND bucket_start >= $since AND bucket_start < $since + INTERVAL 7 DAY
ORDER BY bucket_start
"""
BARE_ANALYST_QUERY = """
SELECT bucket_start, sum(reports) AS reports
FROM raw_complaint_counts
WHERE service_id = $service AND bucket_start >= $since AND bucket_start < $since + INTERVAL 7 DAY
GROUP BY bucket_start
ORDER BY bucket_start
"""


def _timed(con: Any, sql: str, params: dict[str, Any] | None = None, cap: float = 0) -> tuple[float | None, list[Any]]:
    """Seconds the query took and its rows; (None, []) when it was stopped after ``cap`` seconds (0: no cap)."""
    import threading

    import duckdb

    timer = threading.Timer(cap, con.interrupt) if cap else None
    started = time.perf_counter()
    if timer:
        timer.start()
    try:
        rows = con.execute(sql, params or {}).fetchall()
    except duckdb.InterruptException:
        return None, []
    finally:
        if timer:
            timer.cancel()
    return time.perf_counter() - started, rows


def _median_of(con: Any, sql: str, params: dict[str, Any], runs: int = 5, cap: float = 0) -> tuple[float | None, int]:
    """The median of ``runs`` warm runs (of 1 when the warm-up alone took over a second)."""
    warm, _ = _timed(con, sql, params, cap)
    if warm is None:
        return None, 0
    times: list[float] = []
    rows: list[Any] = []
    for _ in range(runs if warm < 1 else 1):
        seconds, rows = _timed(con, sql, params, cap)
        if seconds is None:
            return None, 0
        times.append(seconds)
    return statistics.median(times), len(rows)


def write_next_day(con: Any, landing: Path) -> int:
    """A landing folder holding one more day (2022-01-01) of counts for every series: what a day of polls brings."""
    from warehouse.load import load_steps

    landing.mkdir(parents=True, exist_ok=True)
    for table, _sql in load_steps():
        (landing / f"{table}.jsonl").write_text("", encoding="utf-8")
    target = str(landing / "counts.jsonl").replace("'", "''")
    con.execute(
        f"""
        COPY (
            SELECT source_id, service_id, bucket_start + INTERVAL 365 DAY AS bucket_start, reports, baseline,
                   TIMESTAMPTZ '2022-01-02 00:00:00+00' AS observed_at, source_url
            FROM raw_complaint_counts
            WHERE bucket_start >= TIMESTAMPTZ '2021-01-01 00:00:00+00'
              AND bucket_start < TIMESTAMPTZ '2021-01-02 00:00:00+00'
        ) TO '{target}' (FORMAT json)
        """
    )
    services = str(landing / "services.jsonl").replace("'", "''")
    con.execute(f"COPY (SELECT * FROM raw_services) TO '{services}' (FORMAT json)")
    runs = str(landing / "runs.jsonl").replace("'", "''")
    con.execute(
        f"""COPY (SELECT 'bench-next-day' AS run_id, TIMESTAMPTZ '2022-01-02 00:00:00+00' AS started_at,
                         NULL AS catalog_path, 1 AS sources_total, 0 AS sources_failed) TO '{runs}' (FORMAT json)"""
    )
    row = con.execute(f"SELECT count(*) FROM read_json('{target}', format = 'newline_delimited')").fetchone()
    return int(row[0])


def child(db: str, services: int, cap: float) -> None:
    from datetime import UTC, datetime

    from warehouse.db import connect, migrate
    from warehouse.load import load_landing
    from warehouse.models import build_models

    con = connect(db)
    migrate(con)
    started = time.perf_counter()
    generated = generate(con, services)
    generate_s = time.perf_counter() - started
    con.execute("CHECKPOINT")
    con.close()

    con = connect(db)
    started = time.perf_counter()
    build_models(con)  # in full: every series of the complaint-count table is computed
    con.execute("CHECKPOINT")
    views_s = time.perf_counter() - started
    built = con.execute("SELECT built_at FROM model_state WHERE model = 'stg_complaint_counts'").fetchone()
    counts_s, counts = _timed(
        con, "SELECT count(*), count(baseline), sum(is_spike::int), sum(reports) FROM complaint_counts", cap=cap
    )
    outages_s, outages = _timed(
        con, "SELECT count(*), count(acknowledged_at), avg(epoch(time_to_acknowledge)) FROM outages", cap=cap
    )
    bare_s, _ = _timed(con, "SELECT count(*), sum(reports), count(DISTINCT service_id) FROM raw_complaint_counts")
    params = {"service": f"svc-{min(42, services - 1):03d}", "since": datetime(2021, 6, 7, tzinfo=UTC)}
    analyst_s, analyst_rows = _median_of(con, ANALYST_QUERY, params, cap=cap)
    bare_analyst_s, _ = _median_of(con, BARE_ANALYST_QUERY, params)
    landing = Path(db).with_name("next-day-landing")
    next_day_rows = write_next_day(con, landing)
    bare_day_s, _ = _timed(
        con,
        "SELECT count(*), sum(reports) FROM read_json($path, format = 'newline_delimited')",
        {"path": str(landing / "counts.jsonl")},
    )
    con.close()
    started = time.perf_counter()
    load_landing(db, landing)
    next_day_s = time.perf_counter() - started
    con = connect(db, read_only=True)
    rebuilt = con.execute("SELECT built_at FROM model_state WHERE model = 'stg_complaint_counts'").fetchone()
    con.close()
    emit(
        {
            "generate_s": generate_s,
            "rows": generated["counts"],
            "incidents": generated["incidents"],
            "views_s": views_s,
            "counts_s": counts_s,
            "buckets": counts[0][0] if counts else None,
            "spike_buckets": counts[0][2] if counts else None,
            "outages_s": outages_s,
            "outages": outages[0][0] if outages else None,
            "acknowledged": outages[0][1] if outages else None,
            "cap_s": cap,
            "bare_scan_s": bare_s,
            "analyst_s": analyst_s,
            "analyst_rows": analyst_rows,
            "bare_analyst_s": bare_analyst_s,
            "next_day_rows": next_day_rows,
            "next_day_s": next_day_s,
            # the load refreshed the table without rebuilding it when its last full build is still the one above
            "next_day_refresh": "incremental" if rebuilt == built else "full",
            "bare_next_day_s": bare_day_s,
        }
    )


def run(services: int, workdir: Path, cap: float = 60, echo: Any = print) -> tuple[list[Row], dict[str, Any]]:
    """``cap``: stop any one measured query after this many seconds and report it as "> cap" (0: never)."""
    workdir.mkdir(parents=True, exist_ok=True)
    r = run_child("bench.query", [str(workdir / "query.duckdb"), str(services), str(cap)])

    def shown(seconds: float | None) -> str:
        return fmt_s(seconds) if seconds is not None else f"> {fmt_s(cap)} (stopped)"

    stopped = r["counts_s"] is None or r["outages_s"] is None
    rebuild = r["views_s"] + (r["counts_s"] or cap) + (r["outages_s"] or cap)
    analyst = r["analyst_s"]
    found = f" ({r['outages']:,} outages, {r['acknowledged']:,} acknowledged)" if r["outages"] is not None else ""
    echo(
        f"  query: generated {r['rows']:,} counts in {fmt_s(r['generate_s'])}; complaint_counts "
        f"{shown(r['counts_s'])}, outages {shown(r['outages_s'])}{found}; analyst query {shown(analyst)} for "
        f"{r['analyst_rows']} rows"
    )
    rows = [
        Row(
            "query",
            f"rebuild over {r['rows'] / 1e6:.1f} M counts, {services} services, 1 year",
            ("> " if stopped else "") + fmt_s(rebuild),
            f"{fmt_s(r['bare_scan_s'])} bare scan",
            ("> " if stopped else "") + f"{rebuild / r['bare_scan_s']:.0f}x",
            "≤ 15 s",
            verdict(rebuild <= 15),
        ),
        Row(
            "query",
            "  of which models (series table) / complaint_counts / outages",
            f"{fmt_s(r['views_s'])} / {shown(r['counts_s'])} / {shown(r['outages_s'])}",
        ),
        Row(
            "query",
            f"load one more day ({r['next_day_rows']:,} counts), {r['next_day_refresh']} refresh",
            fmt_s(r["next_day_s"]),
            f"{fmt_s(r['bare_next_day_s'])} bare read_json of that day",
            f"{r['next_day_s'] / r['bare_next_day_s']:.0f}x",
        ),
        Row(
            "query",
            "analyst query: 1 service, 1 week, 15-min buckets",
            shown(analyst),
            f"{fmt_s(r['bare_analyst_s'])} same sums from the raw table",
            f"{analyst / r['bare_analyst_s']:.0f}x" if analyst is not None else "",
            "≤ 100 ms",
            verdict(analyst is not None and analyst <= 0.1),
        ),
        Row("query", "  peak RSS of the query process", fmt_mib(r["peak_rss_mib"])),
    ]
    return rows, r


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db")
    parser.add_argument("services", type=int)
    parser.add_argument("cap", type=float)
    args = parser.parse_args(argv)
    child(args.db, args.services, args.cap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
