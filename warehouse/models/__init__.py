"""SQL models, one per file, built in dependency order (staging first, then marts).

Every model is a view, except the complaint-count series, which a year of counts for hundreds of services makes too
costly to recompute on every query (windowed medians): it is a table, refreshed when the models are built — in full,
or, after a load, only for the series and buckets the load changed.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import re
from importlib import resources
from pathlib import Path

import duckdb

from warehouse.db import quote_ident


def model_sql(name: str) -> str:
    folder, file = name.split("/")
    return resources.files(f"warehouse.models.{folder}").joinpath(f"{file}.sql").read_text(encoding="utf-8")


MODEL_FOLDERS: tuple[str, ...] = ("staging", "marts")  # every .sql file of these is one model, named by its file


def model_names() -> list[str]:
    """Every model (``folder/name``), found in :data:`MODEL_FOLDERS`."""
    return [
        f"{folder}/{entry.name.removesuffix('.sql')}"
        for folder in MODEL_FOLDERS
        for entry in sorted(resources.files(f"warehouse.models.{folder}").iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".sql")
    ]


_CTE = re.compile(r"\b(\w+)\s+as\s*\(", re.IGNORECASE)
_READ = re.compile(r"\b(?:from|join)\s+(\w+)", re.IGNORECASE)


def _without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def _cte_ends(sql: str) -> dict[str, int]:
    """Each CTE's name with the position where its definition ends (after that, the name means the CTE)."""
    ends: dict[str, int] = {}
    for match in _CTE.finditer(sql):
        depth, at = 1, match.end()
        while depth and at < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[at], 0)
            at += 1
        ends.setdefault(match.group(1).lower(), at)
    return ends


def model_reads(name: str, views: set[str]) -> set[str]:
    """The views of ``views`` that model ``name`` reads: a name after FROM or JOIN that is no CTE defined before it."""
    sql = _without_comments(model_sql(name))
    ctes = _cte_ends(sql)
    own = name.split("/")[1]
    return {
        read
        for match in _READ.finditer(sql)
        if (read := match.group(1).lower()) in views
        and read != own
        and not (read in ctes and ctes[read] <= match.start())
    }


def dependency_order(names: list[str]) -> tuple[str, ...]:
    """``names`` so that each model comes after every model it reads (staging before marts, then by name, where the
    dependencies leave a choice); a cycle is an error."""
    by_view = {name.split("/")[1]: name for name in names}
    reads = {name: {by_view[v] for v in model_reads(name, set(by_view))} for name in names}
    rank = {name: (MODEL_FOLDERS.index(name.split("/")[0]), name) for name in names}
    ready = [rank[n] for n in names if not reads[n]]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for other in names:
            if name in reads[other]:
                reads[other].discard(name)
                if not reads[other]:
                    heapq.heappush(ready, rank[other])
    if len(order) != len(names):
        stuck = sorted(n for n in names if n not in order)
        raise RuntimeError(f"the models read each other in a cycle: {', '.join(stuck)}")
    return tuple(order)


# Dependency order: a view is created after every view it reads (derived from the SQL files).
MODEL_ORDER: tuple[str, ...] = dependency_order(model_names())

# Models kept as tables, with the models their result depends on (a change to any of them rebuilds the table in full).
MATERIALIZED: dict[str, tuple[str, ...]] = {
    "staging/stg_complaint_counts": (
        "staging/stg_complaint_counts",
        "staging/stg_spike_rule",
        "staging/stg_complaints",
        "staging/stg_complaint_rule",
        "macros/complaint_pattern",
        "macros/read_window",
    ),
}

DEFAULT_BUCKET_MINUTES = 15

# The input of the materialized complaint-count model besides the views it reads: which series to compute, and from
# which bucket (service_id, source_id, since). A temporary table made for each refresh from one of two queries the
# SQL owns, refresh/complaint_refresh_everything.sql (full, a batch of its services at a time: REFRESH_BATCH_WEIGHT)
# or refresh/complaint_refresh_scope.sql (after a load);
# staging/stg_complaint_counts.sql reads it as its `scope` import.
SCOPE_TABLE = "complaint_refresh_scope"

# An incremental refresh's result, held while the rows it replaces are deleted (refresh_table).
FRESH_TABLE = "complaint_refresh_result"

# A full refresh computes the series in batches of services of about this many buckets together (the weights of
# refresh/complaint_refresh_everything.sql): the series of a service read its own readings only, so the batches give
# the table one statement would, with the peak memory of one batch (a year of 200 services at once holds GiBs).
REFRESH_BATCH_WEIGHT = 500_000

# Scalar macros the views call, created before them, in this order (each file is one CREATE OR REPLACE MACRO
# statement). The complaint pattern is one so that DuckDB sees a constant and compiles it once per query; impact_rank
# is the one order of impacts (scrapers/vocabulary.py's IMPACT_SEVERITY); read_window is the window a complaint read
# covered; iso_utc writes a time as the text revisions compare.
RULE_MACROS: tuple[str, ...] = ("complaint_pattern", "impact_rank", "read_window", "iso_utc")

# Table macros, created after the views they read (each file is one CREATE OR REPLACE MACRO statement).
MACROS: tuple[str, ...] = ("acknowledgment_ledger_between",)

# The views analysts query: a stable, documented interface (docs/schema.md is checked against them).
PUBLIC_VIEWS: tuple[str, ...] = tuple(name.split("/")[1] for name in MODEL_ORDER if name.startswith("marts/"))


def bucket_minutes_setting() -> int:
    """The complaint bucket width: OUTAGES_BUCKET_MINUTES (a divisor of a day), else 15."""
    value = os.environ.get("OUTAGES_BUCKET_MINUTES", "").strip()
    if not value:
        return DEFAULT_BUCKET_MINUTES
    if not value.isdigit() or int(value) == 0 or 1440 % int(value):
        raise ValueError(f"OUTAGES_BUCKET_MINUTES={value!r}: give whole minutes that divide a day (5, 15, 60, …)")
    return int(value)


def build_models(con: duckdb.DuckDBPyConnection, *, changes: Path | None = None) -> list[str]:
    """(Re)create every model; safe to run any number of times.

    ``changes`` is a landing folder just loaded: the materialized models are then refreshed only where its rows
    fall (unless a model, the services or the bucket width changed since they were built). Without it, in full.
    """
    built = []
    for macro in RULE_MACROS:
        con.execute(model_sql(f"macros/{macro}"))
        built.append(macro)
    for name in MODEL_ORDER:
        view = name.split("/")[1]
        if name in MATERIALIZED:
            refresh_table(con, name, changes)
        else:
            con.execute(f"CREATE OR REPLACE VIEW {quote_ident(view)} AS\n{model_sql(name)}")
        built.append(view)
    for macro in MACROS:
        con.execute(model_sql(f"macros/{macro}"))
        built.append(macro)
    return built


def _fingerprint(con: duckdb.DuckDBPyConnection, name: str, minutes: int) -> str:
    digest = hashlib.sha256(f"bucket_minutes={minutes}\n".encode())
    for dependency in MATERIALIZED[name]:
        digest.update(model_sql(dependency).encode("utf-8"))
    services = con.execute(
        "select coalesce(string_agg(to_json(s)::varchar, chr(10) order by service_id), '') from raw_services as s"
    ).fetchone()
    digest.update((services[0] if services else "").encode("utf-8"))
    return digest.hexdigest()


def _relation_type(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    row = con.execute(
        "select table_type from information_schema.tables where table_schema = 'main' and table_name = ?", [name]
    ).fetchone()
    return str(row[0]) if row else None


def service_batches(con: duckdb.DuckDBPyConnection, weight: int) -> list[list[str]]:
    """Every service a full refresh computes, in batches of about ``weight`` buckets (in service order)."""
    batches: list[list[str]] = []
    held = 0
    for service_id, service_weight in con.execute(
        "SELECT service_id, weight FROM (\n" + model_sql("refresh/complaint_refresh_everything") + "\n)"
    ).fetchall():
        if not batches or (held > 0 and held + service_weight > weight):
            batches.append([])
            held = 0
        batches[-1].append(str(service_id))
        held += int(service_weight)
    return batches or [[]]


def _refresh_in_full(con: duckdb.DuckDBPyConnection, table: str, name: str) -> None:
    """Every series, a batch of services at a time: the rows one statement over every service would give."""
    for number, services in enumerate(service_batches(con, REFRESH_BATCH_WEIGHT)):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {quote_ident(SCOPE_TABLE)} AS SELECT unnest($services::varchar[]) AS"
            " service_id, NULL::varchar AS source_id, NULL::timestamptz AS since",
            {"services": services},
        )
        into = (
            f"CREATE OR REPLACE TABLE {quote_ident(table)} AS" if number == 0 else f"INSERT INTO {quote_ident(table)}"
        )
        con.execute(f"{into}\n{model_sql(name)}")


def refresh_table(con: duckdb.DuckDBPyConnection, name: str, changes: Path | None = None) -> str:
    """Rebuild the table of the materialized model ``name``; returns how: 'full' or 'incremental'."""
    table = name.split("/")[1]
    minutes = bucket_minutes_setting()
    fingerprint = _fingerprint(con, name, minutes)
    state = con.execute("select fingerprint from model_state where model = ?", [table]).fetchone()
    kind = _relation_type(con, table)
    full = changes is None or kind != "BASE TABLE" or state is None or state[0] != fingerprint
    if full:
        # the rule view reads the width from here, so it is recorded before the table is computed with it
        con.execute(
            "merge into model_state as t using (select ? as model, ? as fingerprint, ? as bucket_minutes) as s"
            " on t.model = s.model when matched then update set fingerprint = s.fingerprint,"
            " bucket_minutes = s.bucket_minutes, built_at = now()"
            " when not matched then insert (model, fingerprint, bucket_minutes, built_at)"
            " values (s.model, s.fingerprint, s.bucket_minutes, now())",
            [table, fingerprint, minutes],
        )
    if kind == "VIEW":  # a warehouse from before the table existed
        con.execute(f"DROP VIEW {quote_ident(table)}")
    if full:
        _refresh_in_full(con, table, name)
    else:
        assert changes is not None
        scope = model_sql("refresh/complaint_refresh_scope")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {quote_ident(SCOPE_TABLE)} AS\n{scope}",
            {
                "counts": str(changes / "counts.jsonl"),
                "posts": str(changes / "posts.jsonl"),
                "fetches": str(changes / "fetches.jsonl"),
            },
        )
        # computed first, then the refreshed series are deleted where the scope names them AND from where this
        # result writes them: the total of a service read from one source is written under that source too, which
        # the scope need not name (a post source's run scopes every service's total, not its other sources)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(FRESH_TABLE)} AS\n{model_sql(name)}")
        con.execute(
            f"""
            DELETE FROM {quote_ident(table)} AS t
            USING {quote_ident(SCOPE_TABLE)} AS scope, stg_spike_rule AS rule
            WHERE t.service_id = scope.service_id AND t.source_id = scope.source_id
              AND t.bucket_start >= time_bucket(rule.bucket_width, scope.since) - rule.bucket_width
            """
        )
        con.execute(
            f"""
            DELETE FROM {quote_ident(table)} AS t
            USING (
                SELECT service_id, source_id, min(bucket_start) AS write_from
                FROM {quote_ident(FRESH_TABLE)}
                GROUP BY service_id, source_id
            ) AS written
            WHERE t.service_id = written.service_id AND t.source_id = written.source_id
              AND t.bucket_start >= written.write_from
            """
        )
        con.execute(f"INSERT INTO {quote_ident(table)} SELECT * FROM {quote_ident(FRESH_TABLE)}")
        con.execute(f"DROP TABLE {quote_ident(FRESH_TABLE)}")
    con.execute(f"DROP TABLE {quote_ident(SCOPE_TABLE)}")
    return "full" if full else "incremental"
