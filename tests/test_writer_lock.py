"""One writer at a time: two ingest processes started at once against one DuckDB file both finish, their load steps
never overlap, and the database holds what a single run gives (twice the run log, once the data).

Each ingest process runs the real ``outages ingest`` command (``flows.cli.main``), with its load function wrapped
to log when it starts and ends, and to hold the warehouse one second longer so that an overlap would show.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest
from flows.locking import WRITER_LIMIT, writer_lock
from flows.maintenance import backup, rebuild_models, restore
from flows.paths import body_store, runs_dir
from tests.loopback import LoopbackServer
from tests.test_ingest_flow import serve_good, write_catalog
from warehouse.files import WarehouseFiles
from warehouse.lock import file_lock

ROOT = Path(__file__).resolve().parent.parent
BOUND_SECONDS = 120  # every subprocess of this file is killed after this long
RUNS_BOUND_SECONDS = 600  # four deployment runs on two workers: a bound for a wedged run, not a timing (busy machines)

# `outages ingest ARGS`, with the load step traced (start and end times, appended to $TRACE) and held one second.
TRACED_INGEST = textwrap.dedent(
    """
    import json, os, sys, time
    import flows.ingest as ingest_module
    from flows.cli import main

    real_load = ingest_module.load_landing

    def traced(*args, **kwargs):
        start = time.time()
        try:
            time.sleep(1.0)
            return real_load(*args, **kwargs)
        finally:
            with open(os.environ["TRACE"], "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"pid": os.getpid(), "start": start, "end": time.time()}) + "\\n")

    ingest_module.load_landing = traced
    main(["ingest", *sys.argv[1:]])
    """
)

# Hold the writer lock of $DB until standard input closes, saying "held" once it is held (no timing involved).
HOLD_LOCK = textwrap.dedent(
    """
    import os, sys
    from flows.locking import writer_lock
    with writer_lock(os.environ["DB"]):
        print("held", flush=True)
        sys.stdin.read()
    """
)

# Try the writer lock of $DB, waiting at most one second: exit 3 on a timeout, 0 when it was free.
TRY_LOCK = textwrap.dedent(
    """
    import os
    from flows.locking import writer_lock
    try:
        with writer_lock(os.environ["DB"], timeout_seconds=1):
            pass
    except TimeoutError:
        raise SystemExit(3)
    """
)


def child_env(tmp_path: Path, api_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_LOGGING_LEVEL="WARNING", PREFECT_SERVER_ANALYTICS_ENABLED="false", PYTHONPATH=str(ROOT))
    if api_url:
        env["PREFECT_API_URL"] = api_url
    else:  # no server (a Prefect home of its own, should anything look for one): nothing shared but the file lock
        env["PREFECT_HOME"] = str(tmp_path / f"prefect-home-{time.monotonic_ns()}")
    env.update(extra)
    return env


def api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "the Prefect test harness should set PREFECT_API_URL"
    return str(url)


def run_two_ingests(tmp_path: Path, catalog: Path, db: Path, url: str | None) -> list[dict[str, float]]:
    trace = tmp_path / "trace.jsonl"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TRACED_INGEST, "--sources", str(catalog), "--db", str(db), "--timeout", "5"],
            cwd=ROOT,
            env=child_env(tmp_path, url, TRACE=str(trace), N=str(n)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    try:
        outputs = [p.communicate(timeout=BOUND_SECONDS) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, f"ingest exited {p.returncode}\n{out}\n{err[-3000:]}"
        assert "2/2 sources loaded" in out
    loads = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    assert len(loads) == 2
    assert loads[0]["pid"] != loads[1]["pid"]
    return loads


def row_counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [
            "raw_ingest_runs",
            "raw_fetches",
            "raw_incident_versions",
            "raw_update_versions",
            "raw_complaint_counts",
            "incidents",
            "incident_updates",
            "complaint_counts",
            "ingest_errors",
        ]
        return {name: int(con.execute(f'select count(*) from "{name}"').fetchone()[0]) for name in names}  # type: ignore[index]
    finally:
        con.close()


def assert_one_at_a_time(loads: list[dict[str, float]]) -> None:
    first, second = sorted(loads, key=lambda load: load["start"])
    # both were started at once, yet the second load began only once the first had finished
    assert second["start"] >= first["end"] - 0.05, loads


def assert_like_one_run(double: Path, single: Path) -> None:
    twice, once = row_counts(double), row_counts(single)
    for name in ("raw_ingest_runs", "raw_fetches"):  # the run log: one entry per run
        assert twice[name] == 2 * once[name], (name, twice, once)
    for name in set(once) - {"raw_ingest_runs", "raw_fetches"}:  # the data: as one run gives it
        assert twice[name] == once[name], (name, twice, once)


@pytest.fixture
def single_run_db(tmp_path: Path, loopback: LoopbackServer, prefect_harness: None) -> Path:
    serve_good(loopback)
    db = tmp_path / "single" / "w.duckdb"
    catalog = write_catalog(tmp_path, loopback)
    assert ingest(sources=str(catalog), db=str(db), timeout_seconds=5).exit_code == 0
    return db


@pytest.mark.slow  # two flow runs against the harness server
def test_two_ingests_at_once_against_a_prefect_server(
    tmp_path: Path, loopback: LoopbackServer, single_run_db: Path
) -> None:
    """Both processes talk to one Prefect server: the global concurrency limit (and the file lock) serialize them."""
    catalog = write_catalog(tmp_path, loopback)
    db = tmp_path / "shared" / "w.duckdb"
    loads = run_two_ingests(tmp_path, catalog, db, api_url())
    assert_one_at_a_time(loads)
    assert_like_one_run(db, single_run_db)

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
    assert limit.limit == 1
    assert limit.active_slots == 0


def test_two_ingests_at_once_without_a_server(tmp_path: Path, loopback: LoopbackServer, single_run_db: Path) -> None:
    """No Prefect server at all (each command runs its steps in its own process): the file lock suffices."""
    catalog = write_catalog(tmp_path, loopback)
    db = tmp_path / "shared" / "w.duckdb"
    loads = run_two_ingests(tmp_path, catalog, db, None)
    assert_one_at_a_time(loads)
    assert_like_one_run(db, single_run_db)
    assert WarehouseFiles(db).lock.exists()


def start_holder(tmp_path: Path, db: Path, url: str | None) -> subprocess.Popen[str]:
    """A process holding the writer lock of ``db`` until its standard input is closed (:func:`release`)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK],
        cwd=ROOT,
        env=child_env(tmp_path, url, DB=str(db)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held", holder.stderr.read() if holder.stderr else ""
    return holder


def release(holder: subprocess.Popen[str], released: threading.Event | None = None) -> None:
    if released is not None:
        released.set()
    assert holder.stdin is not None
    holder.stdin.close()


def test_the_file_lock_holds_across_processes(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    holder = start_holder(tmp_path, db, None)
    released = threading.Event()
    try:
        with pytest.raises(TimeoutError), file_lock(WarehouseFiles(db).lock, timeout_seconds=0.5):
            pass
        threading.Timer(0.5, release, (holder, released)).start()
        with file_lock(WarehouseFiles(db).lock, timeout_seconds=BOUND_SECONDS):
            assert released.is_set()  # it waited for the holder to let go
        assert holder.wait(timeout=BOUND_SECONDS) == 0
    finally:
        holder.kill()


@pytest.mark.usefixtures("prefect_harness")
def test_the_global_limit_holds_across_processes_and_warehouses(tmp_path: Path) -> None:
    """Under a server the limit is global: a writer of another DuckDB file (another lock file) waits too."""
    url = api_url()
    holder = start_holder(tmp_path, tmp_path / "a.duckdb", url)
    try:
        attempt = subprocess.run(
            [sys.executable, "-c", TRY_LOCK],
            cwd=ROOT,
            env=child_env(tmp_path, url, DB=str(tmp_path / "b.duckdb")),
            capture_output=True,
            text=True,
            timeout=BOUND_SECONDS,
        )
        assert attempt.returncode == 3, attempt.stderr[-2000:]
        release(holder)
        assert holder.wait(timeout=BOUND_SECONDS) == 0
        with writer_lock(tmp_path / "b.duckdb", timeout_seconds=10):
            pass  # free again once the holder let go
    finally:
        holder.kill()


@pytest.mark.usefixtures("prefect_harness")
def test_maintenance_flows_rebuild_and_back_up_without_losing_anything(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    serve_good(loopback)
    catalog = write_catalog(tmp_path, loopback)
    db = tmp_path / "w.duckdb"
    result = ingest(sources=str(catalog), db=str(db), timeout_seconds=5)
    assert result.exit_code == 0
    assert "complaint_counts" in rebuild_models(db=str(db))
    before = row_counts(db)
    never_loaded = runs_dir(db) / "20000101T000000-deadbeef"
    (never_loaded / "landing").mkdir(parents=True)
    (never_loaded / "plan.json").write_text("[]", encoding="utf-8")

    first = backup(db=str(db), keep_days=0)
    folder = Path(first["backup"])
    assert first["deleted_runs"] == [result.run_id]  # loaded and old enough: archived, then removed
    assert first["kept_unloaded_runs"] == [never_loaded.name]  # never loaded: kept
    assert never_loaded.exists()
    assert not (runs_dir(db) / result.run_id).exists()
    assert first["archived_bodies"] == len(list(body_store(db).glob("*/*"))) > 0
    assert json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))["archived_runs"] == 1

    assert "complaint_counts" in restore(folder, tmp_path / "restored.duckdb")
    assert row_counts(tmp_path / "restored.duckdb") == before == row_counts(db)

    time.sleep(1.1)  # the backup folder is named to the second
    second = backup(db=str(db), keep_days=0)
    assert second["archived_bodies"] == 0
    assert second["archived_runs"] == 0


@pytest.mark.slow  # two process workers, four flow runs
@pytest.mark.usefixtures("prefect_harness")
def test_deployment_runs_on_two_process_workers_at_once(tmp_path: Path, loopback: LoopbackServer) -> None:
    """The scheduled path: a deployment of the ingest flow, two process workers on one pool, four runs at once."""
    from prefect import Flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments import run_deployment

    serve_good(loopback)
    catalog = write_catalog(tmp_path, loopback)
    db = tmp_path / "w.duckdb"
    pool = f"outages-test-{tmp_path.name[-12:]}-{os.getpid()}"
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    deployment = Flow.from_source(source=str(ROOT), entrypoint="flows/ingest.py:ingest").deploy(
        name="two-workers",
        work_pool_name=pool,
        build=False,
        push=False,
        print_next_steps=False,
        ignore_warnings=True,
        parameters={"sources": str(catalog), "db": str(db), "timeout_seconds": 5},
    )
    env = child_env(tmp_path, api_url(), PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="1")
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--name", f"w{n}", "--limit", "2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(2)
    ]
    try:
        runs = [run_deployment(deployment, timeout=0) for _ in range(4)]
        deadline = time.monotonic() + RUNS_BOUND_SECONDS
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                finished = [client.read_flow_run(run.id) for run in runs]
                if all(run.state and run.state.is_final() for run in finished):
                    break
                time.sleep(0.5)
            else:
                pytest.fail(f"deployment runs still not finished after {RUNS_BOUND_SECONDS}s")
            limit = client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
            client.delete_work_pool(pool)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
    assert [run.state_name for run in finished] == ["Completed"] * 4
    spans = sorted((run.start_time, run.end_time) for run in finished)
    assert all(a[1] is not None and b[0] is not None for a, b in itertools.pairwise(spans))
    assert any(b[0] < a[1] for a, b in itertools.pairwise(spans)), "the runs never overlapped"
    assert limit.limit == 1
    assert limit.active_slots == 0
    counts = row_counts(db)
    assert counts["raw_ingest_runs"] == 4
    assert counts["raw_fetches"] == 4 * 3
    assert (counts["incidents"], counts["incident_updates"], counts["complaint_counts"]) == (1, 2, 2)  # data once


def test_every_kind_is_polled_by_exactly_one_ingest_deployment() -> None:
    """status-pages and complaints split the kinds between them: a new kind must be added to one of the two."""
    import yaml

    from scrapers import registry

    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    kinds = {
        d["name"]: d["parameters"]["kinds"]
        for d in config["deployments"]
        if d["name"] in ("status-pages", "complaints")
    }
    assert set(kinds) == {"status-pages", "complaints"}
    assert not set(kinds["status-pages"]) & set(kinds["complaints"])
    missing = set(registry.names()) - set(kinds["status-pages"]) - set(kinds["complaints"])
    assert not missing, f"prefect.yaml: add kind(s) {sorted(missing)} to the status-pages or the complaints deployment"
    assert set(kinds["status-pages"]) | set(kinds["complaints"]) <= set(registry.names())
