"""SQL models, one per file, built in dependency order (staging first, then marts).

Every model is a view, except the complaint-count series, which a year of counts for hundreds of services makes too
costly to recompute on every query (windowed medians): it is a table, refreshed when the models are built — in full,
or, after a load, only for the series and buckets the load changed.
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path

import duckdb

from warehouse.db import quote_ident

# Dependency order: a view is created after every view it reads.
MODEL_ORDER: tuple[str, ...] = (
    "staging/stg_spike_rule",
    "staging/stg_incidents",
    "staging/stg_incident_updates",
    "staging/stg_complaint_rule",
    "staging/stg_complaints",
    "staging/stg_complaint_counts",
    "staging/stg_source_status",
    "marts/services",
    "marts/incidents",
    "marts/incident_updates",
    "marts/complaints",
    "marts/complaint_counts",
    "marts/complaint_counts_by_source",
    "marts/complaint_spikes",
    "marts/outages",
    "marts/ingest_errors",
    "marts/source_status",
    "marts/components",
    "marts/component_states",
    "marts/incident_regions",
    "marts/incident_components",
    "marts/incident_revisions",
    "marts/timeline",
    "marts/declared_windows",
    "marts/blast_radius",
    "marts/acknowledgment_ledger",
)

# Models kept as tables, with the models their result depends on (a change to any of them rebuilds the table in full).
MATERIALIZED: dict[str, tuple[str, ...]] = {
    "staging/stg_complaint_counts": (
        "staging/stg_complaint_counts",
        "staging/stg_spike_rule",
        "staging/stg_complaints",
        "staging/stg_complaint_rule",
        "macros/complaint_pattern",
    ),
}

DEFAULT_BUCKET_MINUTES = 15

# Scalar macros the views call, created before them, in this order (each file is one CREATE OR REPLACE MACRO
# statement). The complaint pattern is one so that DuckDB sees a constant and compiles it once per query.
RULE_MACROS: tuple[str, ...] = ("complaint_pattern",)

# Table macros, created after the views they read (each file is one CREATE OR REPLACE MACRO statement).
MACROS: tuple[str, ...] = ("acknowledgment_ledger_between",)

# The views analysts query: a stable, documented interface (docs/schema.md is checked against them).
PUBLIC_VIEWS: tuple[str, ...] = tuple(name.split("/")[1] for name in MODEL_ORDER if name.startswith("marts/"))


def model_sql(name: str) -> str:
    folder, file = name.split("/")
    return resources.files(f"warehouse.models.{folder}").joinpath(f"{file}.sql").read_text(encoding="utf-8")


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
        con.execute(
            "CREATE OR REPLACE TEMP TABLE complaint_refresh_scope AS SELECT NULL::VARCHAR AS service_id, "
            "NULL::VARCHAR AS source_id, NULL::TIMESTAMPTZ AS since"
        )
        con.execute(f"CREATE OR REPLACE TABLE {quote_ident(table)} AS\n{model_sql(name)}")
    else:
        assert changes is not None
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE complaint_refresh_scope AS\n{model_sql('refresh/complaint_refresh_scope')}",
            {"counts": str(changes / "counts.jsonl"), "posts": str(changes / "posts.jsonl")},
        )
        con.execute(
            f"""
            DELETE FROM {quote_ident(table)} AS t
            USING complaint_refresh_scope AS scope, stg_spike_rule AS rule
            WHERE t.service_id = scope.service_id AND t.source_id = scope.source_id
              AND t.bucket_start >= time_bucket(rule.bucket_width, scope.since) - rule.bucket_width
            """
        )
        con.execute(f"INSERT INTO {quote_ident(table)}\n{model_sql(name)}")
    con.execute("DROP TABLE complaint_refresh_scope")
    return "full" if full else "incremental"
