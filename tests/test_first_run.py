"""The CLI as a new user meets it: any working directory, no Prefect server, setup errors in one line, honest states.

Every ingest here is the real ``outages`` command in a subprocess (or the real flow under the Prefect test harness)
crawling a loopback server into a real DuckDB file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from prefect import task

from flows.ingest import IngestResult, ingest
from flows.paths import PROJECT_ROOT
from flows.runner import is_transient, step
from tests.loopback import LoopbackServer, Route
from tests.test_ingest_flow import serve_good, write_catalog

BOUND_SECONDS = 120


def outages(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``outages ARGS`` in a fresh process with no Prefect server configured (what a new user has)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    clean.update(PREFECT_HOME=str(cwd / ".prefect-home"), PREFECT_LOGGING_LEVEL="WARNING", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=BOUND_SECONDS,
    )


def test_relative_paths_from_another_directory(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_good(loopback)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_catalog(elsewhere, loopback)  # elsewhere/sources.yaml
    (elsewhere / "sources.yaml").rename(elsewhere / "s.yaml")
    done = outages("ingest", "--sources", "s.yaml", "--db", "w.duckdb", "--timeout", "5", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert f"2/2 sources loaded into {elsewhere / 'w.duckdb'}" in done.stdout
    assert (elsewhere / "w.landing" / "bodies").is_dir()
    assert not (PROJECT_ROOT / "w.landing").exists()
    assert not (PROJECT_ROOT / "w.duckdb").exists()
    con = duckdb.connect(str(elsewhere / "w.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from incidents").fetchone() == (1,)
    finally:
        con.close()
    # and the other commands read it with the same relative path
    shown = outages("timeline", "--db", "w.duckdb", cwd=elsewhere)
    assert shown.returncode == 0, shown.stderr
    assert "Elevated errors" in shown.stdout, shown.stderr
    counted = outages(
        "sql", "select count(*) as n from incidents", "--db", "w.duckdb", "--format", "csv", cwd=elsewhere
    )
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout == "n\n1\n", counted.stderr


def test_sql_prints_tables_csv_and_json_and_never_writes(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_good(loopback)
    write_catalog(tmp_path, loopback)
    assert outages("ingest", "--sources", "sources.yaml", "--db", "w.duckdb", cwd=tmp_path).returncode == 0
    table = outages("sql", "select service_id, title from incidents", "--db", "w.duckdb", cwd=tmp_path)
    assert table.returncode == 0
    assert "│ example" in table.stdout
    assert "Elevated errors" in table.stdout
    as_json = outages(
        "sql", "select incident_id, started_at from incidents", "--db", "w.duckdb", "--format", "json", cwd=tmp_path
    )
    assert json.loads(as_json.stdout) == [
        {"incident_id": "good-status:inc1", "started_at": "2021-12-07T16:19:05.682000+00:00"}
    ]
    piped = subprocess.run(
        [sys.executable, "-m", "flows.cli", "sql", "--db", "w.duckdb", "--format", "csv"],
        input="select 1 as a;\nselect 2 as b;\n",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=BOUND_SECONDS,
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == "a\n1\nb\n2\n", piped.stderr
    refused = outages("sql", "delete from raw_fetches", "--db", "w.duckdb", cwd=tmp_path)
    assert refused.returncode == 1
    assert "read-only" in refused.stderr


def test_a_folder_that_cannot_be_created_is_one_line_and_exit_2(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_good(loopback)
    write_catalog(tmp_path, loopback)
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    done = outages("ingest", "--sources", "sources.yaml", "--db", "file/w.duckdb", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"setup error: cannot write the warehouse's folder {tmp_path / 'file'}: it is a file, not a folder"
    ]
    assert loopback.hits == {}  # nothing was fetched


def test_an_immutable_warehouse_is_refused_before_fetching(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_good(loopback)
    write_catalog(tmp_path, loopback)
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here (needs root and a filesystem that supports it)")
    try:
        done = outages("ingest", "--sources", "sources.yaml", "--db", "w.duckdb", cwd=tmp_path)
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=True)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"setup error: cannot write the warehouse {db}"), lines
    assert loopback.hits == {}


HOLD_OPEN = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print("open", flush=True)
    time.sleep(120)
    """
)


def test_a_warehouse_held_open_names_its_holder(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_good(loopback)
    write_catalog(tmp_path, loopback)
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "open"
        done = outages("ingest", "--sources", "sources.yaml", "--db", "w.duckdb", cwd=tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert f"is held open by PID {holder.pid} (" in lines[0], lines
    assert loopback.hits == {}


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    write_catalog(tmp_path, LoopbackServer())  # never started: nothing is fetched
    done = outages("--debug", "ingest", "--sources", "sources.yaml", "--db", "file/w.duckdb", cwd=tmp_path)
    assert done.returncode != 0
    assert "Traceback (most recent call last)" in done.stderr
    assert "SetupError" in done.stderr


def test_only_transient_failures_are_retried() -> None:
    calls: list[str] = []

    @task(retries=2, retry_delay_seconds=0)
    def flaky(error: str) -> None:
        calls.append(error)
        raise {"permission": PermissionError("denied"), "refused": ConnectionRefusedError("refused")}[error]

    with pytest.raises(PermissionError):
        step(flaky, "permission")
    assert calls == ["permission"]  # permanent: tried once
    with pytest.raises(ConnectionRefusedError):
        step(flaky, "refused")
    assert calls == ["permission"] + ["refused"] * 3  # transient: the task's two retries
    assert is_transient(duckdb.IOException('Could not set lock on file "w.duckdb": Conflicting lock is held'))
    assert not is_transient(duckdb.IOException('Cannot open file "w.duckdb": Permission denied'))
    assert not is_transient(duckdb.CatalogException("Table with name x does not exist"))


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_run_state_says_when_sources_failed(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_good(loopback)
    catalog = write_catalog(tmp_path, loopback)
    db = tmp_path / "w.duckdb"
    whole = ingest(sources=str(catalog), db=str(db), timeout_seconds=5, return_state=True)
    assert whole.is_completed()
    assert not whole.message
    loopback.routes["/counts.csv"] = Route(b"gone", status=410, content_type="text/plain")
    some = ingest(sources=str(catalog), db=str(db), timeout_seconds=5, return_state=True)
    assert some.is_completed()
    assert some.message == "1 of 2 sources failed: counts"
    assert some.result().sources_failed == 1
    loopback.routes["/good/api/v2/summary.json"] = Route(b"down", status=503, content_type="text/plain")
    loopback.routes["/good/api/v2/incidents.json"] = Route(b"down", status=503, content_type="text/plain")
    none = ingest(sources=str(catalog), db=str(db), timeout_seconds=5, return_state=True)
    assert none.is_failed()
    assert none.message == "all 2 sources failed: counts, good-status"
    result = none.result(raise_on_failure=False)
    assert isinstance(result, IngestResult)
    assert result.exit_code == 1


SERVER_URL = (
    "import sys; from flows.locking import prefect_server_url; print(prefect_server_url(), 'prefect' in sys.modules)"
)


def test_the_server_check_reads_the_environment_and_the_profile_without_importing_prefect(tmp_path: Path) -> None:
    def ask(**env: str) -> str:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        done = subprocess.run(
            [sys.executable, "-c", SERVER_URL],
            cwd=tmp_path,
            env={**clean, "PREFECT_HOME": str(tmp_path / "home"), "PYTHONPATH": str(PROJECT_ROOT), **env},
            capture_output=True,
            text=True,
            timeout=BOUND_SECONDS,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert ask() == "None False"  # no server anywhere: Prefect is not even imported
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "profiles.toml").write_text(
        'active = "trial"\n[profiles.trial]\nPREFECT_API_URL = "http://127.0.0.1:4299/api"\n', encoding="utf-8"
    )
    assert ask() == "http://127.0.0.1:4299/api False"  # what `prefect config set PREFECT_API_URL=...` writes
    assert ask(PREFECT_API_URL="http://127.0.0.1:4300/api") == "http://127.0.0.1:4300/api False"
