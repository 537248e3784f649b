"""The warehouse in a DuckLake with real servers: a PostgreSQL catalog (our own cluster on loopback) and data files on
an S3 API server (moto, on loopback).

The same runs (landing folders of a replayed day, crawled once into a DuckDB file) are loaded into the lake; its
analyst views must hash equal to the file's; a reader attached read-only queries while a load commits; a load killed
mid-way leaves the last snapshot as it was, and a rerun gives the same views as an uninterrupted load.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import warehouse.models
from flows.cli import main
from flows.demo import CLOCK, replay_day, write_demo_catalog
from flows.paths import runs_dir
from replay.server import ReplayServer
from tests.lake_servers import S3, Postgres, postgres_bin, postgres_server, s3_server
from warehouse import lake
from warehouse.crashpoints import KILL_AT
from warehouse.db import connect, quote_ident
from warehouse.load import load_landing, raw_tables
from warehouse.models import PUBLIC_VIEWS, build_models, service_batches

pytestmark = [pytest.mark.lake, pytest.mark.slow]  # minutes: `make test-slow`

TICKS = CLOCK[:2]  # two runs: incidents, updates, components, counts and posts, and a second run over the first
BUCKET = "outages-lake"

# the keys each raw table holds one row per (the file enforces them; the lake relies on MERGE + one writer)
KEYS: dict[str, tuple[str, ...]] = {
    "raw_ingest_runs": ("run_id",),
    "raw_services": ("service_id",),
    "raw_fetches": ("run_id", "url"),
    "raw_incident_versions": ("incident_id", "version_hash"),
    "raw_update_versions": ("incident_id", "update_id", "version_hash"),
    "raw_complaint_counts": ("source_id", "service_id", "bucket_start"),
    "raw_ingest_errors": ("run_id", "source_id", "url"),
    "raw_component_observations": ("component_id", "sha256"),
    "raw_component_changes": ("component_id", "changed_at", "state"),
    "raw_posts": ("uri",),
    "raw_documents": ("source_id", "url", "sha256"),
    "raw_document_sightings": ("source_id", "url", "sha256"),
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Postgres, S3]]:
    if not postgres_bin("initdb") or not postgres_bin("pg_ctl"):
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed: `make test` installs it when run as root")
    folder = tmp_path_factory.mktemp("lake-servers")
    with postgres_server() as pg, s3_server(folder / "moto.log") as s3:
        s3.create_bucket(BUCKET)
        yield pg, s3


@pytest.fixture
def s3_env(servers: tuple[Postgres, S3], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # a load's lock file goes beside the lake's local path: <dbname>.lake.lock, here
    env = servers[1].environ()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """A DuckDB file built by the real flow from a few ticks of the replayed day, and its runs' landing folders.
    Its own Prefect test server, given more time to start than the session's: this module runs on busy CI machines."""
    from prefect.testing.utilities import prefect_test_harness

    folder = tmp_path_factory.mktemp("lake-replay")
    db = folder / "replay.duckdb"
    server = ReplayServer().start()
    try:
        with prefect_test_harness(server_startup_timeout=300):
            codes = replay_day(
                db, write_demo_catalog(server.base_url, folder), server, clock=TICKS, echo=lambda _: None
            )
    finally:
        server.stop()
    assert codes == [0] * len(TICKS)
    landings = sorted(path / "landing" for path in runs_dir(db).iterdir())
    assert len(landings) == len(TICKS)
    return db, landings


_lakes = iter(range(1000))


def new_lake(pg: Postgres, monkeypatch: pytest.MonkeyPatch, name: str) -> str:
    """A new, empty lake: a database of its own on the server, its files under its own S3 prefix (created by the
    first attach, which records the data path in the catalog; later attaches need no data path)."""
    dbname = f"{name}_{next(_lakes)}"
    pg.create_database(dbname)
    monkeypatch.setenv(lake.DATA_PATH_ENV, f"s3://{BUCKET}/{dbname}/")
    connect(pg.location(dbname)).close()
    monkeypatch.delenv(lake.DATA_PATH_ENV)
    return pg.location(dbname)


def view_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Per analyst view: (rows, an order-independent hash over every column of every row)."""
    out = {}
    for view in PUBLIC_VIEWS:
        row = con.execute(
            f"SELECT count(*), coalesce(sum(hash(v)::HUGEINT), 0) FROM {quote_ident(view)} AS v"
        ).fetchone()
        assert row is not None
        out[view] = (int(row[0]), int(row[1]))
    return out


def read(db: str | Path) -> dict[str, tuple[int, int]]:
    con = connect(db, read_only=True)
    try:
        return view_hashes(con)
    finally:
        con.close()


def duplicate_keys(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    out = {}
    for table, key in KEYS.items():
        cols = ", ".join(quote_ident(c) for c in key)
        row = con.execute(
            f"SELECT count(*) FROM (SELECT {cols} FROM {quote_ident(table)} GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()
        out[table] = int(row[0]) if row else 0
    return out


def test_runs_loaded_into_a_lake_give_the_same_views_as_the_file(
    servers: tuple[Postgres, S3], s3_env: dict[str, str], replayed: tuple[Path, list[Path]],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    pg, s3 = servers
    file_db, landings = replayed
    location = new_lake(pg, monkeypatch, "same_views")
    for landing in landings:
        load_landing(location, landing)
    expected = read(file_db)
    assert sum(rows for rows, _ in expected.values()) > 0
    assert read(location) == expected
    # idempotent: the last run loaded again changes nothing
    load_landing(location, landings[-1])
    assert read(location) == expected
    con = connect(location, read_only=True)
    try:
        assert duplicate_keys(con) == dict.fromkeys(KEYS, 0)
        counts = {t: con.execute(f"SELECT count(*) FROM {quote_ident(t)}").fetchone() for t in raw_tables()}
    finally:
        con.close()
    file_con = connect(file_db, read_only=True)
    try:
        assert counts == {
            t: file_con.execute(f"SELECT count(*) FROM {quote_ident(t)}").fetchone() for t in raw_tables()
        }
    finally:
        file_con.close()
    # the commands take the lake as they take the file
    runner = CliRunner()
    from_file = runner.invoke(main, ["timeline", "--service", "aws", "--db", str(file_db)])
    from_lake = runner.invoke(main, ["timeline", "--service", "aws", "--db", location])
    assert from_file.exit_code == 0, from_file.output
    assert from_lake.exit_code == 0, from_lake.output
    assert from_lake.output == from_file.output
    window = ["--window", "2021-12-07T00:00Z", "2021-12-09T00:00Z", "--format", "csv"]
    for name, db in (("file.csv", str(file_db)), ("lake.csv", location)):
        done = runner.invoke(main, ["export", *window, "--db", db, "--out", str(tmp_path / name)])
        assert done.exit_code == 0, done.output
    assert (tmp_path / "lake.csv").read_bytes() == (tmp_path / "file.csv").read_bytes()
    # the data files are on the S3 server, under the lake's prefix; the data path was recorded in the catalog
    assert any(key.endswith(".parquet") for key in s3.keys(BUCKET, location.split("dbname=")[1].split()[0] + "/"))
    # a full rebuild of the complaint series in batches of services (here one per batch) gives the same views
    monkeypatch.setattr(warehouse.models, "REFRESH_BATCH_WEIGHT", 1)
    con = connect(location)
    try:
        assert len(service_batches(con, 1)) > 1
        con.execute("BEGIN TRANSACTION")
        build_models(con)
        con.execute("COMMIT")
    finally:
        con.close()
    assert read(location) == expected


def test_a_reader_queries_while_a_load_commits(
    servers: tuple[Postgres, S3], s3_env: dict[str, str], replayed: tuple[Path, list[Path]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    pg, _ = servers
    _, landings = replayed
    location = new_lake(pg, monkeypatch, "reader")
    load_landing(location, landings[0])
    reader = connect(location, read_only=True)
    seen: list[int] = []
    failures: list[BaseException] = []
    done = threading.Event()

    def read_loop() -> None:
        try:
            while not done.is_set() or len(seen) < 2:
                row = reader.execute("SELECT count(*) FROM raw_ingest_runs").fetchone()
                reader.execute("SELECT count(*) FROM timeline").fetchone()
                seen.append(int(row[0]) if row else -1)
        except BaseException as exc:  # reported by the test below, not lost in the thread
            failures.append(exc)

    thread = threading.Thread(target=read_loop)
    thread.start()
    try:
        load_landing(location, landings[1])
    finally:
        done.set()
        thread.join(timeout=120)
    reader.close()
    assert not failures, failures
    # every read saw a committed snapshot: the first load's run, or both runs, never a partial state
    assert seen
    assert set(seen) <= {1, 2}
    assert seen == sorted(seen)
    assert read(location)["timeline"][0] > 0


def test_a_load_killed_before_commit_leaves_the_last_snapshot_and_a_rerun_completes_it(
    servers: tuple[Postgres, S3], s3_env: dict[str, str], replayed: tuple[Path, list[Path]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    pg, _ = servers
    file_db, landings = replayed
    expected = read(file_db)  # both runs, loaded without interruption

    location = new_lake(pg, monkeypatch, "killed")
    load_landing(location, landings[0])
    before = read(location)
    script = "import sys; from pathlib import Path; from warehouse.load import load_landing; " \
        "load_landing(sys.argv[1], Path(sys.argv[2]))"  # fmt: skip
    env = {**os.environ, KILL_AT: "load:models"}
    proc = subprocess.run(
        [sys.executable, "-c", script, location, str(landings[1])],
        env=env, capture_output=True, text=True, timeout=300, cwd=Path.cwd(),  # s3_env: a temp folder
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    assert read(location) == before  # nothing of the killed load is visible
    load_landing(location, landings[1])
    assert read(location) == expected


def test_concurrent_loads_into_one_lake_double_nothing_and_lose_nothing(
    servers: tuple[Postgres, S3], s3_env: dict[str, str], replayed: tuple[Path, list[Path]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Three loader processes at once, with no lock between them (no Prefect server, no shared file lock): the same
    run twice and another one, into a lake not even migrated yet. DuckLake refuses the overlapping commits (the
    tables created twice, the ``lake_writer`` row rewritten twice) and each refused load runs again."""
    pg, _ = servers
    file_db, landings = replayed
    location = new_lake(pg, monkeypatch, "concurrent")
    script = "import sys; from pathlib import Path; from warehouse.load import load_landing; " \
        "load_landing(sys.argv[1], Path(sys.argv[2]))"  # fmt: skip
    root = Path.cwd()  # s3_env: a temp folder, where each loader's lock file goes
    procs = [
        subprocess.Popen([sys.executable, "-c", script, location, str(landing)], cwd=root, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for landing in (landings[1], landings[0], landings[1])
    ]  # fmt: skip
    outputs = [proc.communicate(timeout=600) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], [err[-2000:] for _, err in outputs]
    con = connect(location, read_only=True)
    try:
        assert duplicate_keys(con) == dict.fromkeys(KEYS, 0)
    finally:
        con.close()
    assert read(location) == read(file_db)


def test_a_location_without_a_catalog_is_refused() -> None:
    with pytest.raises(lake.LakeConfigError, match="needs a catalog"):
        connect("ducklake:")


def test_migrations_lose_their_keys_in_a_lake_and_nothing_else() -> None:
    sql = "CREATE TABLE t (\n    a VARCHAR PRIMARY KEY,\n    b INT NOT NULL,\n    PRIMARY KEY (a, b)\n);"
    assert lake.lake_ddl(sql) == "CREATE TABLE t (\n    a VARCHAR NOT NULL,\n    b INT NOT NULL\n);"


def test_s3_credentials_come_from_the_environment_only() -> None:
    assert lake.s3_secret_sql({}) is None
    sql = lake.s3_secret_sql(
        {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s'x", "AWS_ENDPOINT_URL": "http://127.0.0.1:9000"}
    )
    assert sql is not None
    assert "SECRET 's''x'" in sql
    assert "ENDPOINT '127.0.0.1:9000'" in sql
    assert "USE_SSL false" in sql
