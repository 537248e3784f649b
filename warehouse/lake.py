"""A warehouse in a DuckLake: the same tables and views, with the catalog in PostgreSQL (or a local DuckLake file) and
the data files under a folder or an S3 prefix, so that many machines read it and loads never block readers.

A location is what ``--db`` accepts besides a file path:

- ``ducklake:postgres:dbname=outages host=db.internal port=5432`` (libpq key=value; the password comes from the
  environment, ``PGPASSWORD`` or ``~/.pgpass``, never from the location);
- ``ducklake:/srv/outages/meta.ducklake`` (a catalog in a local DuckDB file: one machine, many readers).

The data path (``--data-path`` or ``OUTAGES_DATA_PATH``: a folder or ``s3://bucket/prefix/``) is needed only when
the lake is created: DuckLake records it in the catalog, and every later attach finds its files there. S3 credentials
come from the standard AWS variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``,
``AWS_REGION``, and ``AWS_ENDPOINT_URL_S3``/``AWS_ENDPOINT_URL`` for a server other than AWS's).

What differs from a DuckDB file, and how the warehouse copes (README "Scaling out" says which guarantee holds where):

- DuckLake has no PRIMARY KEY or UNIQUE: the migrations are applied without them (:func:`lake_ddl`; those that only
  drop keys, :data:`UNKEYING_MIGRATIONS`, are recorded without being run), and every load statement is a keyed
  ``MERGE`` (``warehouse/load_sql``), which upserts the same way in both engines. A DuckDB file's raw tables have no
  keys either since migration 0009 (their indexes only slowed loads), so what follows holds for both.
- A keyed MERGE is only as good as its isolation: two loads that insert the same new key concurrently would both
  insert it. Loads therefore stay serialized: the writer lock of ``flows.locking`` (the Prefect global concurrency
  limit across machines), and in the lake itself, each load first rewrites the one row of ``lake_writer``
  (:func:`claim_writer`), so of two loads that overlap DuckLake aborts the second at commit as a conflict and
  ``load_landing`` runs it again from the start, on the committed snapshot.
- Readers attach read-only and query the last committed snapshot; a load that dies before its commit leaves nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

LAKE_PREFIX = "ducklake:"
LAKE_ALIAS = "lake"
DATA_PATH_ENV = "OUTAGES_DATA_PATH"
SECRET_NAME = "outages_s3"

# DuckLake reports a concurrent commit it cannot reconcile with these words (a "Transaction conflict" error), or, when
# its own retries of the next snapshot id ran out, with the catalog's refusal of a second snapshot of the same id.
CONFLICT_MARKERS = ("conflict", "concurrent", "duplicate key value violates unique constraint")

_TABLE_KEY = re.compile(r",\s*PRIMARY\s+KEY\s*\([^)]*\)", re.IGNORECASE)
_COLUMN_KEY = re.compile(r"\s+PRIMARY\s+KEY\b", re.IGNORECASE)


class LakeConfigError(ValueError):
    """A DuckLake location or its settings cannot be used as given."""


def is_lake(db: object) -> bool:
    """Whether ``db`` names a DuckLake (``ducklake:…``) rather than a DuckDB file."""
    return str(db).startswith(LAKE_PREFIX)


def local_path(location: str) -> Path:
    """Where the files a machine keeps beside a lake go (landing area, lock file): ``X.landing`` and ``X.lock``
    beside this path. For a local catalog ``ducklake:/srv/x/meta.ducklake``: ``/srv/x/meta.ducklake``; for a
    PostgreSQL catalog: ``<dbname>.lake`` in the working directory (with ``OUTAGES_LANDING=s3://…`` that landing
    area is only a worker's scratch folder: runs are published to and loaded from S3, warehouse/landing_root.py)."""
    catalog = location[len(LAKE_PREFIX) :]
    if catalog.startswith("postgres:"):
        fields = dict(item.split("=", 1) for item in catalog[len("postgres:") :].split() if "=" in item)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", fields.get("dbname", "") or "outages")
        return Path(f"{name}.lake").absolute()
    return Path(catalog).absolute()


def data_path_setting(environ: Mapping[str, str] | None = None) -> str | None:
    """The data path for a new lake (``OUTAGES_DATA_PATH``), or None to use the one the catalog recorded."""
    value = (environ if environ is not None else os.environ).get(DATA_PATH_ENV, "").strip()
    if not value:
        return None
    return value if value.endswith("/") else value + "/"


def sql_literal(value: str) -> str:
    """A string constant for the statements that take no bound parameters (ATTACH, CREATE SECRET)."""
    if "\x00" in value:
        raise LakeConfigError("a setting contains a NUL byte")
    return "'" + value.replace("'", "''") + "'"


UNKEYING_MIGRATIONS = frozenset({"0009_raw_tables_unkeyed"})  # they only drop keys a lake never had: recorded, not run


def lake_ddl(sql: str) -> str:
    """A migration as DuckLake takes it: the same tables without PRIMARY KEY (a key column stays NOT NULL)."""
    sql = _TABLE_KEY.sub("", sql)
    return _COLUMN_KEY.sub(" NOT NULL", sql)


def is_lake_connection(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's default database is a DuckLake."""
    row = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return row is not None and str(row[0]) == "ducklake"


def is_conflict(exc: BaseException) -> bool:
    """Whether DuckLake refused a commit because another transaction changed what this one changed."""
    if not isinstance(exc, duckdb.Error):
        return False
    text = str(exc).lower()
    return any(marker in text for marker in CONFLICT_MARKERS)


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load a DuckDB extension from the signed builds pinned in requirements.lock (no extension repository)."""
    try:
        con.execute(f"LOAD {name}")
    except duckdb.Error:
        pass
    else:
        return
    from duckdb_extensions import import_extension

    import_extension(name, con=con)
    con.execute(f"LOAD {name}")


def s3_secret_sql(environ: Mapping[str, str]) -> str | None:
    """The CREATE SECRET statement for S3 from the AWS variables, or None when no key is set."""
    key = environ.get("AWS_ACCESS_KEY_ID", "")
    secret = environ.get("AWS_SECRET_ACCESS_KEY", "")
    if not key or not secret:
        return None
    options = [f"KEY_ID {sql_literal(key)}", f"SECRET {sql_literal(secret)}"]
    if environ.get("AWS_SESSION_TOKEN"):
        options.append(f"SESSION_TOKEN {sql_literal(environ['AWS_SESSION_TOKEN'])}")
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if region:
        options.append(f"REGION {sql_literal(region)}")
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        if not parts.netloc:
            raise LakeConfigError(f"AWS_ENDPOINT_URL={endpoint!r}: give a URL such as http://127.0.0.1:9000")
        options += [
            f"ENDPOINT {sql_literal(parts.netloc)}",
            f"USE_SSL {'true' if parts.scheme == 'https' else 'false'}",
            "URL_STYLE 'path'",
        ]
    return f"CREATE OR REPLACE SECRET {SECRET_NAME} (TYPE s3, {', '.join(options)})"


def attach(
    con: duckdb.DuckDBPyConnection,
    location: str,
    *,
    read_only: bool = False,
    data_path: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Attach the lake at ``location`` as the connection's default database (``USE lake``)."""
    env = environ if environ is not None else os.environ
    if not is_lake(location):
        raise LakeConfigError(f"{location!r} is not a DuckLake location (ducklake:postgres:… or ducklake:PATH)")
    catalog = location[len(LAKE_PREFIX) :]
    if not catalog.strip():
        raise LakeConfigError(
            "ducklake: needs a catalog: ducklake:postgres:dbname=… host=… or ducklake:/path/x.ducklake"
        )
    data_path = data_path if data_path is not None else data_path_setting(env)
    load_extension(con, "ducklake")
    if catalog.startswith("postgres:"):
        load_extension(con, "postgres_scanner")
    if (data_path is not None and data_path.startswith("s3://")) or env.get("AWS_ACCESS_KEY_ID"):
        load_extension(con, "httpfs")
        secret = s3_secret_sql(env)
        if secret:
            con.execute(secret)
    options = []
    if data_path is not None:
        options.append(f"DATA_PATH {sql_literal(data_path)}")
    if read_only:
        options.append("READ_ONLY")
    suffix = f" ({', '.join(options)})" if options else ""
    con.execute(f"ATTACH {sql_literal(location)} AS {LAKE_ALIAS}{suffix}")
    con.execute(f"USE {LAKE_ALIAS}")


WRITER_TABLE = "lake_writer"


def ensure_writer_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``lake_writer`` (once, before any load's transaction: two loads creating it at once would conflict)."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {WRITER_TABLE} (slot INTEGER NOT NULL, holder VARCHAR, claimed_at TIMESTAMPTZ)"
    )


def claim_writer(con: duckdb.DuckDBPyConnection, holder: str) -> None:
    """Inside a load's transaction: rewrite the one row of ``lake_writer``, so that DuckLake refuses to commit two
    overlapping loads (both delete the same row) and the later one is run again (``load_landing``)."""
    con.execute(f"DELETE FROM {WRITER_TABLE}")
    con.execute(f"INSERT INTO {WRITER_TABLE} VALUES (1, ?, now())", [holder])
