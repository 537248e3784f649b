"""``outages serve`` (``make serve``): a real Prefect server, the work pool, every deployment of a prefect.yaml and a
process worker, started as one command; a deployment run goes through them end to end, and Ctrl-C stops it all.

The prefect.yaml served is the project's own with its schedules switched off and its parameters pointed at a loopback
catalog and a temporary warehouse, so nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from flows.paths import PROJECT_ROOT
from flows.serve import ServeError, work_pools
from flows.serve_status import api as prefect_api
from tests.loopback import LoopbackServer, Route
from tests.test_ingest_flow import serve_good, write_catalog

READY_SECONDS = 180  # a first server start migrates its database; deploying imports every flow
RUN_SECONDS = 120
STOP_SECONDS = 60  # the worker and the server get 20 s each to stop before they are killed


def logs(home: Path) -> str:
    """The trial's server and worker logs, for a failure message."""
    return "".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}\n" for log in sorted(home.glob("*.log")))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def offline_prefect_file(tmp_path: Path, catalog: Path, db: Path) -> Path:
    """The project's prefect.yaml, schedules off, every deployment reading ``catalog`` into ``db``."""
    config = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    for deployment in config["deployments"]:
        parameters = deployment.setdefault("parameters", {})
        parameters["db"] = str(db)
        if "sources" in parameters:
            parameters["sources"] = str(catalog)
            parameters["timeout_seconds"] = 5
        if "dest" in parameters:
            parameters["dest"] = str(tmp_path / "backups")
        for schedule in deployment.get("schedules") or []:
            schedule["active"] = False
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def api(url: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's output, line by line, read on a thread so that waiting for a line can time out."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_for_line(lines: queue.Queue[str], starting: str, seconds: float, seen: list[str]) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        if line.startswith(starting):
            return line
    pytest.fail(f"no line starting {starting!r} within {seconds}s; output: {''.join(seen)}")


@pytest.mark.slow  # a real Prefect server, deploy, a worker: minutes on 2 cores
def test_serve_runs_a_deployment_end_to_end_and_stops_on_ctrl_c(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_good(loopback)
    catalog = write_catalog(tmp_path, loopback)
    db = tmp_path / "w.duckdb"
    prefect_file = offline_prefect_file(tmp_path, catalog, db)
    port = free_port()
    env = dict(os.environ, PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="1")
    env.pop("PREFECT_API_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "serve",
            "--port",
            str(port),
            "--prefect-file",
            str(prefect_file),
            "--home",
            str(tmp_path / "home"),
            "--run-now",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        lines = lines_of(process)
        wait_for_line(lines, "ready:", READY_SECONDS, seen)
        base = f"http://127.0.0.1:{port}/api"
        assert wait_for_line(lines, "  UI:", 30, seen).split() == ["UI:", f"http://127.0.0.1:{port}"]
        assert wait_for_line(lines, "  API:", 30, seen).split() == ["API:", base]
        assert wait_for_line(lines, "  to run commands", 30, seen).endswith(f"export PREFECT_API_URL={base}\n")
        assert wait_for_line(lines, "  warehouse:", 30, seen).split() == ["warehouse:", str(db)]
        said = [wait_for_line(lines, "  deployment ", 30, seen) for _ in range(4)]
        assert all("next run no active schedule" in line for line in said), said  # this file's schedules are off
        started = [wait_for_line(lines, "  started ", 60, seen) for _ in range(2)]  # --run-now: each ingest deployment
        assert sorted(line.split()[1] for line in started) == ["complaints", "status-pages"]
        deployed = api(f"{base}/deployments/filter", {})
        assert sorted(d["name"] for d in deployed) == sorted(
            d["name"] for d in yaml.safe_load(prefect_file.read_text(encoding="utf-8"))["deployments"]
        )
        assert all(not schedule["active"] for d in deployed for schedule in d["schedules"])
        for line in started:  # "  started NAME now: flow run RUN-NAME (ID)"
            run_id = line.strip().rsplit("(", 1)[1].rstrip(")")
            deadline = time.monotonic() + RUN_SECONDS
            while time.monotonic() < deadline:
                state = api(f"{base}/flow_runs/{run_id}")["state"]
                if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                    break
                time.sleep(1)
            assert state["type"] == "COMPLETED", f"{line}{state}\n{logs(tmp_path / 'home')}"
        con = duckdb.connect(str(db), read_only=True)
        try:
            # each ingest deployment read its own kinds: the status page, and the complaint counts
            assert con.execute("select count(*) from incidents").fetchone() == (1,)
            assert con.execute("select count(distinct source_id) from raw_fetches").fetchone() == (2,)
            assert con.execute("select count(*) from raw_complaint_counts").fetchone() == (2,)
        finally:
            con.close()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            code = None
    assert code == 0, (
        f"exit status {code} after Ctrl-C ({STOP_SECONDS}s allowed)\n{''.join(seen)}{logs(tmp_path / 'home')}"
    )
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the Prefect server is still listening after Ctrl-C"


def test_a_prefect_file_without_work_pools_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "prefect.yaml"
    path.write_text("deployments:\n  - name: x\n    entrypoint: flows/ingest.py:ingest\n", encoding="utf-8")
    with pytest.raises(ServeError, match=r"prefect\.yaml: no deployment names a work pool"):
        work_pools(path)


def test_the_project_deployments_run_on_the_pool_the_readme_creates() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for pool in work_pools(PROJECT_ROOT / "prefect.yaml"):
        assert f"work-pool create {pool} --type process" in readme


def test_a_busy_prefect_api_is_asked_again_and_a_lasting_failure_is_raised(loopback: LoopbackServer) -> None:
    """Prefect's server answers 503 while its SQLite database is locked (seen in `make test-slow` on a loaded
    machine: `serve --run-now` stopped with a traceback); a real loopback server is busy twice, then answers."""
    loopback.routes["/api/deployments"] = Route(b'[{"name": "d"}]', busy_first=2)
    assert prefect_api(loopback.url("/api"), "/deployments", waits=(0.01, 0.01, 0.01)) == [{"name": "d"}]
    assert loopback.hits["/api/deployments"] == 3
    loopback.routes["/api/flows"] = Route(b"[]", busy_first=10)
    with pytest.raises(urllib.error.HTTPError) as raised:
        prefect_api(loopback.url("/api"), "/flows", waits=(0.01, 0.01))
    assert raised.value.code == 503
    assert loopback.hits["/api/flows"] == 3  # two waits: three attempts, then the answer is raised
    loopback.routes["/api/missing"] = Route(b"no", 404, "text/plain")
    with pytest.raises(urllib.error.HTTPError):
        prefect_api(loopback.url("/api"), "/missing", waits=(0.01, 0.01))
    assert loopback.hits["/api/missing"] == 1  # a wrong request is not asked again
