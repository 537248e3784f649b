"""Crawl anywhere, one warehouse: four crawl workers, each a separate ``outages ingest`` process in a scratch folder of
its own (no filesystem shared with the others or with the loader), publish their runs on an S3 landing root (moto,
on loopback) and load them concurrently into one DuckLake (a PostgreSQL catalog of our own, data on the same S3
server); one of them is SIGKILLed in its load just before the commit, and ``outages load`` then takes up its
published run. The lake's analyst views must hash equal, over their documented columns, to a single-file run of the
same sources at the same simulated times; no key is doubled, no row lost, every fetched body is on S3; and a reader
attached read-only queries all the while without one failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from flows.demo import CLOCK, write_demo_catalog
from replay import timefmt
from replay.server import ReplayServer
from tests.lake_servers import S3, Postgres, postgres_bin, postgres_server, s3_server
from tests.test_docs import documented_views
from tests.test_lake import BUCKET, KEYS, duplicate_keys, new_lake
from warehouse.crashpoints import KILL_AT
from warehouse.db import connect, quote_ident
from warehouse.landing_root import LANDING_ENV, LandingError, RemoteLanding, s3_client
from warehouse.load import raw_tables
from warehouse.maintenance import rebuild
from warehouse.models import PUBLIC_VIEWS

pytestmark = [pytest.mark.lake, pytest.mark.slow]  # minutes: `make test-slow`

ROOT = Path(__file__).resolve().parent.parent
TICKS = CLOCK[:2]
WORKERS = 4
NOT_CONTRACT = {"run_id"}  # which run read a row differs between 4 workers and 1 process; nothing else may


def contract_hashes(db: str | Path) -> dict[str, tuple[int, int]]:
    """Per analyst view: (rows, an order-independent hash over its documented columns but the run id)."""
    documented = documented_views()
    con = connect(db, read_only=True)
    try:
        out = {}
        for view in PUBLIC_VIEWS:
            cols = ", ".join(quote_ident(c) for c, _ in documented[view] if c not in NOT_CONTRACT)
            row = con.execute(
                f"SELECT count(*), coalesce(sum(hash({cols})::HUGEINT), 0) FROM {quote_ident(view)}"
            ).fetchone()
            assert row is not None
            out[view] = (int(row[0]), int(row[1]))
        return out
    finally:
        con.close()


def row_counts(db: str | Path) -> dict[str, int]:
    con = connect(db, read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {quote_ident(t)}").fetchall()[0][0] for t in raw_tables()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Postgres, S3]]:
    """A PostgreSQL cluster and an S3 server of this module's own (tests/lake_servers.py)."""
    if not postgres_bin("initdb") or not postgres_bin("pg_ctl"):
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed: `make test` installs it when run as root")
    with postgres_server() as pg, s3_server(tmp_path_factory.mktemp("landing-servers") / "moto.log") as s3:
        s3.create_bucket(BUCKET)
        yield pg, s3


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ReplayServer, Path]]:
    server = ReplayServer().start()
    try:
        yield server, write_demo_catalog(server.base_url, tmp_path_factory.mktemp("lake-landing-catalog"))
    finally:
        server.stop()


def worker_env(s3: S3, **extra: str) -> dict[str, str]:
    """A worker's environment: the AWS variables, no Prefect server (loads meet only in the lake), no salt of ours
    (the landing root's is used), no landing root inherited (each command names it)."""
    env = {k: v for k, v in os.environ.items() if k not in {"PREFECT_API_URL", "OUTAGES_AUTHOR_SALT", LANDING_ENV}}
    return {**env, **s3.environ(), **extra}


def ingest_command(catalog: Path, db: str, tick: str, first: bool, server: ReplayServer) -> list[str]:
    command = [sys.executable, "-m", "flows.cli", "ingest", "--sources", str(catalog), "--db", db,
               "--as-of", timefmt.utc(tick).isoformat(), "--timeout", "10"]  # fmt: skip
    if first:  # the first run reads posts from the start of the replay's history, as the demo does
        command += ["--since", server.specs["complaints"]["history_start"]]
    return command


def source_groups(catalog: Path) -> list[list[str]]:
    import yaml

    ids = [s["id"] for s in yaml.safe_load(catalog.read_text(encoding="utf-8"))["sources"]]
    return [ids[i::WORKERS] for i in range(WORKERS)]


@dataclass
class Anywhere:
    """What the four-worker scenario left: the lake, the single file, and what was seen on the way."""

    location: str
    file_db: Path
    landing: str
    folder: Path
    codes: list[list[int]] = field(default_factory=list)
    runs_before_rerun: int = 0
    rerun: subprocess.CompletedProcess[str] | None = None
    seen: list[int] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)
    incremental: dict[str, tuple[int, int]] = field(default_factory=dict)  # before the nightly model rebuild


@pytest.fixture(scope="module")
def anywhere(
    servers: tuple[Postgres, S3], replay: tuple[ReplayServer, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Anywhere]:
    pg, s3 = servers
    server, catalog = replay
    folder = tmp_path_factory.mktemp("anywhere")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(folder)  # the lock file this process keeps beside a PostgreSQL lake goes there
        for name, value in s3.environ().items():
            monkeypatch.setenv(name, value)
        location = new_lake(pg, monkeypatch, "anywhere")
        rebuild(location)  # the views exist before the first load: the reader has something to query from the start
        out = Anywhere(location, folder / "single" / "single.duckdb", f"s3://{BUCKET}/landing-anywhere/", folder)
        run_workers(out, server, catalog, s3)
        # the same sources, the same simulated times, one process, one DuckDB file, the same author salt
        salt = RemoteLanding(out.landing).author_salt().decode()
        out.file_db.parent.mkdir()
        for number, tick in enumerate(TICKS):
            server.set_clock(timefmt.utc(tick))
            done = subprocess.run(
                ingest_command(catalog, str(out.file_db), tick, number == 0, server), cwd=out.file_db.parent,
                env=worker_env(s3, OUTAGES_AUTHOR_SALT=salt), capture_output=True, text=True, timeout=900, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr[-3000:]
        out.incremental = contract_hashes(location)
        # the nightly rebuild-models job (prefect.yaml): a full refresh of the materialized complaint counts
        rebuild(location)
        yield out


def run_workers(out: Anywhere, server: ReplayServer, catalog: Path, s3: S3) -> None:
    """Two ticks of four concurrent workers (the first one of the second tick killed just before its load commits),
    then ``outages load`` for what was published and not loaded; a reader queries the lake throughout."""
    reader = connect(out.location, read_only=True)
    stop, abort = threading.Event(), threading.Event()
    every_run = WORKERS * len(TICKS)

    def read_loop() -> None:  # until told to stop and it has seen every run (a last read after the last commit)
        try:
            while not abort.is_set() and (not stop.is_set() or out.seen[-1:] != [every_run]):
                runs = reader.execute("SELECT count(*) FROM raw_ingest_runs").fetchone()
                reader.execute("SELECT count(*), max(occurred_at) FROM timeline").fetchone()
                reader.execute("SELECT count(*) FROM complaint_counts").fetchone()
                out.seen.append(int(runs[0]) if runs else -1)
                stop.wait(0.05)
        except BaseException as exc:  # reported by the test, not lost in the thread
            out.failures.append(exc)

    thread = threading.Thread(target=read_loop)
    thread.start()
    try:
        for number, tick in enumerate(TICKS):
            server.set_clock(timefmt.utc(tick))
            procs = []
            for index, group in enumerate(source_groups(catalog)):
                scratch = out.folder / f"worker-{index}"
                scratch.mkdir(exist_ok=True)
                kill = {KILL_AT: "load:models"} if (number, index) == (1, 0) else {}
                command = [*ingest_command(catalog, out.location, tick, number == 0, server),
                           "--landing", out.landing, "--only", ",".join(group)]  # fmt: skip
                procs.append(subprocess.Popen(command, cwd=scratch, env=worker_env(s3, **kill), text=True,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE))  # fmt: skip
            outputs = [proc.communicate(timeout=900) for proc in procs]
            out.codes.append([proc.returncode for proc in procs])
            assert all(code in (0, -signal.SIGKILL) for code in out.codes[-1]), [e[-3000:] for _, e in outputs]
        out.runs_before_rerun = row_counts(out.location)["raw_ingest_runs"]
        out.rerun = load_command(out, s3)
    finally:
        stop.set()
        thread.join(timeout=300)
        abort.set()
        thread.join()
        reader.close()


def load_command(out: Anywhere, s3: S3) -> subprocess.CompletedProcess[str]:
    """``outages load`` on a machine of its own (a fresh folder), as an operator reruns what did not load."""
    cwd = Path(tempfile.mkdtemp(dir=out.folder, prefix="loader-"))
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", "load", "--db", out.location, "--landing", out.landing],
        cwd=cwd, env=worker_env(s3), capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip


def test_four_workers_landing_on_s3_load_one_lake_as_one_process_loads_a_file(
    anywhere: Anywhere, servers: tuple[Postgres, S3]
) -> None:
    _, s3 = servers
    out = anywhere
    assert out.codes == [[0] * WORKERS, [-signal.SIGKILL, 0, 0, 0]]
    # the killed worker's run was published but not loaded; `outages load` took it up
    assert out.runs_before_rerun == WORKERS * len(TICKS) - 1
    assert out.rerun is not None
    assert out.rerun.returncode == 0, out.rerun.stderr[-3000:]
    assert "1 published runs loaded" in out.rerun.stdout
    # the reader never failed and never saw the lake go back in time, and its last read saw every run
    assert not out.failures, out.failures
    assert out.seen
    assert out.seen == sorted(out.seen)
    assert out.seen[-1] == WORKERS * len(TICKS)

    expected = contract_hashes(out.file_db)
    assert sum(rows for rows, _ in expected.values()) > 0
    found = contract_hashes(out.location)
    assert found == expected, {view: (found[view], expected[view]) for view in found if found[view] != expected[view]}
    con = connect(out.location, read_only=True)
    try:
        assert duplicate_keys(con) == dict.fromkeys(KEYS, 0)
        fetched = con.execute("SELECT DISTINCT sha256 FROM raw_fetches WHERE sha256 IS NOT NULL").fetchall()
    finally:
        con.close()
    lake_rows, file_rows = row_counts(out.location), row_counts(out.file_db)
    assert lake_rows.pop("raw_ingest_runs") == WORKERS * len(TICKS)
    assert file_rows.pop("raw_ingest_runs") == len(TICKS)
    assert lake_rows == file_rows  # nothing lost, nothing doubled
    # every fetched body is kept, on the landing root, under its sha256
    stored = {key.rsplit("/", 1)[1] for key in s3.keys(BUCKET, "landing-anywhere/bodies/")}
    assert fetched
    assert {sha for (sha,) in fetched} <= stored
    # and loading again changes nothing
    again = load_command(out, s3)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "0 published runs loaded" in again.stdout
    assert contract_hashes(out.location) == expected


def test_the_incremental_complaint_counts_need_no_nightly_rebuild(anywhere: Anywhere) -> None:
    assert anywhere.incremental == contract_hashes(anywhere.file_db)


def test_a_run_not_published_completely_is_neither_listed_nor_loaded(
    servers: tuple[Postgres, S3], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, s3 = servers
    for name, value in s3.environ().items():
        monkeypatch.setenv(name, value)
    remote = RemoteLanding(f"s3://{BUCKET}/half-published")
    client = s3_client()
    client.put_object(Bucket=BUCKET, Key=remote.key("runs", "r1", "landing", "runs.jsonl"), Body=b"{}\n")
    assert remote.published_runs() == []
    with pytest.raises(LandingError, match=r"run r1 is not published completely"):
        remote.download_landing("r1", tmp_path / "r1")
    # two workers asking for the author salt at once get the same one
    salts: list[bytes] = []
    threads = [threading.Thread(target=lambda: salts.append(remote.author_salt())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(salts) == 4
    assert len(set(salts)) == 1
    assert len(salts[0]) == 64


def test_a_lake_backs_up_like_a_file_and_restores_into_one(
    anywhere: Anywhere, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backup job's export (``EXPORT DATABASE`` of the lake's last snapshot, as Parquet) restores into a DuckDB
    file whose views hash equal to the lake's."""
    from warehouse.maintenance import export_database, restore

    monkeypatch.chdir(tmp_path)  # the export's writer lock file goes beside the lake's local path, here

    loaded = export_database(anywhere.location, tmp_path / "export")
    assert len(loaded) == WORKERS * len(TICKS)
    restore(tmp_path / "export", tmp_path / "restored.duckdb")
    assert contract_hashes(tmp_path / "restored.duckdb") == contract_hashes(anywhere.location)
