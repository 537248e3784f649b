"""Whether the models a warehouse holds are those this code would build now, so that a load that brought nothing
the models read may leave them as they are (``load_landing(refresh_models=False)``: an unchanged re-poll).

The models are current when the ``model_state`` row ``*`` holds the fingerprint of every model, macro, refresh and
migration file of this code, the bucket width and the services the warehouse holds (for every view, the inputs the
materialized model's own fingerprint covers, and the schema). The row is written after each build, only when it
changes: loading the same landing twice still changes nothing.
"""

from __future__ import annotations

import hashlib
from importlib import resources

import duckdb

from warehouse.db import MIGRATIONS_PACKAGE
from warehouse.models import bucket_minutes_setting

ROW = "*"  # model_state.model of the fingerprint of all the models together
FOLDERS = ("macros", "refresh", "staging", "marts")  # every .sql file of these packages under warehouse.models


def models_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    minutes = bucket_minutes_setting()
    digest = hashlib.sha256(f"bucket_minutes={minutes}\n".encode())
    for package in (*(f"warehouse.models.{folder}" for folder in FOLDERS), MIGRATIONS_PACKAGE):
        for entry in sorted(resources.files(package).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".sql"):
                digest.update(f"{package}/{entry.name}\n".encode())
                digest.update(entry.read_text(encoding="utf-8").encode("utf-8"))
    services = con.execute(
        "select coalesce(string_agg(to_json(s)::varchar, chr(10) order by service_id), '') from raw_services as s"
    ).fetchone()
    digest.update((services[0] if services else "").encode("utf-8"))
    return digest.hexdigest()


def models_current(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the last build recorded the fingerprint this code and these services give now."""
    row = con.execute("select fingerprint from model_state where model = ?", [ROW]).fetchone()
    return row is not None and row[0] == models_fingerprint(con)


def record_models(con: duckdb.DuckDBPyConnection) -> None:
    """Record that the models were just built from this code and these services (no write when already so)."""
    con.execute(
        "merge into model_state as t using (select ? as model, ? as fingerprint, ? as bucket_minutes) as s"
        " on t.model = s.model"
        " when matched and (t.fingerprint <> s.fingerprint or t.bucket_minutes <> s.bucket_minutes) then update"
        " set fingerprint = s.fingerprint, bucket_minutes = s.bucket_minutes, built_at = now()"
        " when not matched then insert (model, fingerprint, bucket_minutes, built_at)"
        " values (s.model, s.fingerprint, s.bucket_minutes, now())",
        [ROW, models_fingerprint(con), bucket_minutes_setting()],
    )
