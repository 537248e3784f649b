"""SQL models, one per file, built as views in dependency order (staging first, then marts)."""

from __future__ import annotations

from importlib import resources

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

# Table macros, created after the views they read (each file is one CREATE OR REPLACE MACRO statement).
MACROS: tuple[str, ...] = ("acknowledgment_ledger_between",)

# The views analysts query: a stable, documented interface (docs/schema.md is checked against them).
PUBLIC_VIEWS: tuple[str, ...] = tuple(name.split("/")[1] for name in MODEL_ORDER if name.startswith("marts/"))


def model_sql(name: str) -> str:
    folder, file = name.split("/")
    return resources.files(f"warehouse.models.{folder}").joinpath(f"{file}.sql").read_text(encoding="utf-8")


def build_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create every model view; safe to run any number of times."""
    built = []
    for name in MODEL_ORDER:
        view = name.split("/")[1]
        con.execute(f"CREATE OR REPLACE VIEW {quote_ident(view)} AS\n{model_sql(name)}")
        built.append(view)
    for macro in MACROS:
        con.execute(model_sql(f"macros/{macro}"))
        built.append(macro)
    return built
