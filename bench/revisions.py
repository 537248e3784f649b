"""Revisions benchmark: the views that compare what each read document listed (``stg_document_changes``,
``stg_removals``, ``incident_revisions``) on a warehouse of a busy half-year of Statuspage polling.

Generated in DuckDB: ``--revision-sources`` Statuspage sources (default 200), each read 2,000 times (every 5 minutes
for a week) through one ``incidents.json`` whose body changed 50 times; each body lists the latest 50 incidents with 4
posts each, so every new body pushes the oldest incident off the end (not a removal), the newest two are open and the
rest resolved (a status change per incident), and one body in ten leaves out a post that the next body lists again
(a removal that did not last). That is 400,000 reads, 10,000 documents with 500,000 incident and 2 million post
members, 20,000 incidents and 80,000 posts at the default size.

Measured in one fresh process after the models are built: reading each view in full (count), and the baseline in the
same process, DuckDB unnesting every document's members bare (what any comparison of memberships must at least read).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import Row, emit, fmt_mib, fmt_s, run_child

DOCUMENTS = 50  # distinct bodies a source served
READS = 2000  # reads of each source (one every 5 minutes: a week)
WINDOW = 50  # incidents a body lists (Statuspage's incidents.json keeps the latest 50)
POSTS = 4  # posts per incident
VIEWS = ("stg_document_changes", "stg_removals", "incident_revisions")


def generate(con: Any, sources: int) -> dict[str, int]:
    """The raw tables the views read, for ``sources`` sources (set-based: DuckDB generates every row)."""
    incidents = DOCUMENTS + WINDOW
    con.execute(
        f"""
        INSERT INTO raw_sources BY NAME
        SELECT 'src-' || s AS source_id, 'statuspage' AS kind, 'https://s' || s || '.test/' AS url,
               'svc-' || s AS service_id
        FROM range({sources}) t(s)
        """
    )
    con.execute(
        f"""
        INSERT INTO raw_incident_versions BY NAME
        SELECT 'src-' || s || ':' || i AS incident_id, v AS version_hash, 'src-' || s AS source_id,
               'svc-' || s AS service_id, i::varchar AS native_id, 'Incident ' || i AS title, 'minor' AS impact,
               if(v = 'o', 'investigating', 'resolved') AS status,
               TIMESTAMPTZ '2021-06-01 00:00:00+00' + to_hours(i * 3) AS started_at,
               if(v = 'r', TIMESTAMPTZ '2021-06-01 02:00:00+00' + to_hours(i * 3), NULL) AS resolved_at,
               TIMESTAMPTZ '2021-06-01 00:00:00+00' + to_hours(i * 3) + to_hours(if(v = 'r', 2, 0)) AS first_seen_at,
               TIMESTAMPTZ '2021-06-08 00:00:00+00' AS last_seen_at,
               'https://s' || s || '.test/api/v2/incidents.json' AS source_url
        FROM range({sources}) t(s), range({incidents}) u(i), (VALUES ('o'), ('r')) w(v)
        """
    )
    con.execute(
        f"""
        INSERT INTO raw_update_versions BY NAME
        SELECT 'src-' || s || ':' || i AS incident_id, 'u' || i || '-' || p AS update_id, 'v' AS version_hash,
               'src-' || s AS source_id,
               TIMESTAMPTZ '2021-06-01 00:00:00+00' + to_hours(i * 3) + to_minutes(p * 20) AS posted_at,
               if(p = {POSTS - 1}, 'resolved', 'investigating') AS status, 'Post ' || p AS body,
               TIMESTAMPTZ '2021-06-01 00:00:00+00' + to_hours(i * 3) AS first_seen_at,
               TIMESTAMPTZ '2021-06-08 00:00:00+00' AS last_seen_at,
               'https://s' || s || '.test/api/v2/incidents.json' AS source_url
        FROM range({sources}) t(s), range({incidents}) u(i), range({POSTS}) w(p)
        """
    )
    con.execute(
        f"""
        INSERT INTO raw_documents
        SELECT 'src-' || s, 'https://s' || s || '.test/api/v2/incidents.json', 'sha-' || s || '-' || d,
               TIMESTAMPTZ '2021-06-01 00:00:00+00' + to_minutes(d * {READS // DOCUMENTS} * 5),
               list({{'incident_id': incident_id, 'version_hash': if(i >= d + {WINDOW - 2}, 'o', 'r')}} ORDER BY i),
               flatten(list(posts ORDER BY i))
        FROM (
            SELECT s, d, d + k AS i, 'src-' || s || ':' || (d + k) AS incident_id,
                   [{{'incident_id': 'src-' || s || ':' || (d + k), 'update_id': 'u' || (d + k) || '-' || p,
                      'version_hash': 'v'}}
                    FOR p IN range({POSTS}) IF NOT (d % 10 = 5 AND k = {WINDOW - 5} AND p = 1)] AS posts
            FROM range({sources}) t(s), range({DOCUMENTS}) u(d), range({WINDOW}) w(k)
        )
        GROUP BY s, d
        """
    )
    con.execute(
        f"""
        INSERT INTO raw_fetches BY NAME
        SELECT 'run-' || r AS run_id, 'src-' || s AS source_id,
               'https://s' || s || '.test/api/v2/incidents.json' AS url,
               TIMESTAMPTZ '2021-06-01 00:00:00+00' + to_minutes(r * 5) AS fetched_at, 200 AS http_status,
               'sha-' || s || '-' || (r * {DOCUMENTS} // {READS}) AS sha256, 50000 AS bytes
        FROM range({sources}) t(s), range({READS}) u(r)
        """
    )
    counts = {}
    from warehouse.db import quote_ident

    for table in ("raw_fetches", "raw_documents", "raw_incident_versions", "raw_update_versions"):
        row = con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


def _timed(con: Any, sql: str) -> tuple[float, int]:
    started = time.perf_counter()
    row = con.execute(sql).fetchone()
    return time.perf_counter() - started, int(row[0]) if row else 0


def child(db: str, sources: int) -> None:
    from warehouse.db import connect, migrate, quote_ident
    from warehouse.models import build_models

    con = connect(db)
    migrate(con)
    started = time.perf_counter()
    generated = generate(con, sources)
    generate_s = time.perf_counter() - started
    build_models(con)
    con.execute("CHECKPOINT")
    bare_s, members = _timed(
        con,
        "SELECT count(*) FROM (SELECT unnest(update_versions) FROM raw_documents UNION ALL "
        "SELECT unnest(incident_versions) FROM raw_documents)",
    )
    views = {name: _timed(con, f"SELECT count(*) FROM {quote_ident(name)}") for name in VIEWS}
    con.close()
    emit(
        {
            "generate_s": generate_s,
            **generated,
            "members": members,
            "bare_members_s": bare_s,
            **{f"{name}_s": seconds for name, (seconds, _) in views.items()},
            **{f"{name}_rows": rows for name, (_, rows) in views.items()},
        }
    )


def run(sources: int, workdir: Path, echo: Any = print) -> tuple[list[Row], dict[str, Any]]:
    workdir.mkdir(parents=True, exist_ok=True)
    r = run_child("bench.revisions", [str(workdir / "revisions.duckdb"), str(sources)])
    echo(
        f"  revisions: generated {r['raw_fetches']:,} reads, {r['raw_documents']:,} documents, {r['members']:,} "
        f"members in {fmt_s(r['generate_s'])}; "
        + ", ".join(f"{name} {fmt_s(r[f'{name}_s'])} ({r[f'{name}_rows']:,} rows)" for name in VIEWS)
    )
    bare = r["bare_members_s"]
    size = f"{sources} sources, {r['raw_fetches'] / 1e3:.0f} k reads, {r['members'] / 1e6:.1f} M members"
    rows = [
        Row(
            "revisions",
            f"{name} in full ({size})" if name == VIEWS[0] else f"{name} in full ({r[f'{name}_rows']:,} rows)",
            fmt_s(r[f"{name}_s"]),
            f"{fmt_s(bare)} bare unnest of the members",
            f"{r[f'{name}_s'] / bare:.1f}x",
        )
        for name in VIEWS
    ]
    rows.append(Row("revisions", "  peak RSS of the revisions process", fmt_mib(r["peak_rss_mib"])))
    return rows, r


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db")
    parser.add_argument("sources", type=int)
    args = parser.parse_args(argv)
    child(args.db, args.sources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
