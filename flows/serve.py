"""``outages serve`` (``make serve``): the deployments of ``prefect.yaml`` running for real here, for a trial.

It does what the README's "Scheduled ingestion" block does by hand: start a Prefect server, create the work pools the
file names, ``prefect deploy --all``, start one worker per pool; then it waits until Ctrl-C (or SIGTERM) and stops
the worker(s) and the server. Everything Prefect keeps (its SQLite database, the server's and workers' logs) goes in
its own home folder, so a trial never touches the user's own Prefect profile.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import IO

import yaml

from flows.paths import PROJECT_ROOT
from flows.serve_status import report_ready, run_ingest_deployments_now

SERVER_START_SECONDS = 120.0  # a first start migrates the server's database: tens of seconds on a small machine


class ServeError(RuntimeError):
    """A part of the local deployment stack could not be started; the message says which and where its log is."""


def work_pools(prefect_file: Path) -> list[str]:
    """The work pools the deployments of ``prefect_file`` run on, in the order they first appear."""
    config = yaml.safe_load(prefect_file.read_text(encoding="utf-8")) or {}
    pools: list[str] = []
    for deployment in config.get("deployments") or []:
        name = ((deployment or {}).get("work_pool") or {}).get("name")
        if name and name not in pools:
            pools.append(name)
    if not pools:
        raise ServeError(f"{prefect_file}: no deployment names a work pool (work_pool.name)")
    return pools


def prefect_env(home: Path, port: int) -> dict[str, str]:
    """The environment every Prefect process of the trial shares: its own home, the local server's API."""
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_HOME": str(home.resolve()),
            "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            # prefect.yaml's pull step runs the flows from {{ $PWD }}, resolved when the deployments are created
            "PWD": str(PROJECT_ROOT),
        }
    )
    return env


def _prefect(*args: str) -> list[str]:
    return [sys.executable, "-m", "prefect", *args]


def wait_for_server(api_url: str, server: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Return once ``api_url``/health answers; fail clearly when the server exits or does not answer in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServeError(f"the Prefect server exited with status {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2.0) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise ServeError(f"the Prefect server did not answer at {api_url} within {timeout:g}s; see {log}")


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    completed = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout)[-2000:]
        raise ServeError(f"{what} failed (status {completed.returncode}): {tail}")


def _stop(process: subprocess.Popen[bytes], seconds: float = 20.0) -> None:
    if process.poll() is None:
        # SIGTERM, not SIGINT: Prefect's server and worker shut down cleanly on either, but a process started in the
        # background by a non-interactive shell (a CI job, `make serve &`) inherits SIGINT ignored
        process.terminate()
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _stopped_by_ctrl_c_or_sigterm() -> Iterator[None]:
    """Ctrl-C, a scheduler or ``kill`` stop the trial alike. SIGINT is handled explicitly: a process started in the
    background by a non-interactive shell inherits it ignored, and Python then leaves it ignored."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def serve(
    *,
    port: int = 4200,
    prefect_file: Path | None = None,
    home: Path = Path(".prefect-serve"),
    say: Callable[[str], None] = print,
    run_now: bool = False,
) -> int:
    """Run the trial until interrupted (``prefect_file`` defaults to the project's prefect.yaml); returns 0 after a
    clean stop, 1 when a worker or the server died. Once ready it says where everything is and when each deployment
    runs next; ``run_now`` starts one run of each ingest deployment at once."""
    prefect_file = (prefect_file or PROJECT_ROOT / "prefect.yaml").resolve()
    pools = work_pools(prefect_file)
    home.mkdir(parents=True, exist_ok=True)
    env = prefect_env(home, port)
    api_url = env["PREFECT_API_URL"]
    logs: list[IO[bytes]] = []
    processes: dict[str, subprocess.Popen[bytes]] = {}  # what it is -> the process

    def start(what: str, command: list[str], log: Path) -> subprocess.Popen[bytes]:
        handle = log.open("ab")
        logs.append(handle)
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        processes[what] = process
        return process

    with _stopped_by_ctrl_c_or_sigterm():
        try:
            server_log = home / "server.log"
            say(f"starting a Prefect server on 127.0.0.1:{port} (home {home}, log {server_log})")
            server = start(
                "the Prefect server",
                _prefect("server", "start", "--host", "127.0.0.1", "--port", str(port)),
                server_log,
            )
            wait_for_server(api_url, server, server_log, SERVER_START_SECONDS)
            for pool in pools:
                _run(
                    _prefect("work-pool", "create", pool, "--type", "process", "--overwrite"),
                    env,
                    f"creating work pool {pool}",
                )
            _run(
                _prefect("--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file)),
                env,
                f"prefect deploy --all --prefect-file {prefect_file}",
            )
            for pool in pools:
                start(f"the worker of {pool}", _prefect("worker", "start", "--pool", pool), home / f"worker-{pool}.log")
            say(
                f"ready: deployments of {prefect_file.name} on pool(s) {', '.join(pools)}; "
                f"UI http://127.0.0.1:{port}; worker logs in {home}; Ctrl-C stops everything"
            )
            found = report_ready(api_url, f"http://127.0.0.1:{port}", say)
            if run_now:
                run_ingest_deployments_now(api_url, found, say)
            while all(process.poll() is None for process in processes.values()):
                time.sleep(1.0)
            what, died = next((what, p) for what, p in processes.items() if p.poll() is not None)
            say(f"stopping: {what} exited with status {died.returncode}; see the logs in {home}")
            return 1  # noqa: TRY300 (Ctrl-C may come at any point of the body above)
        except KeyboardInterrupt:
            say("stopping the worker(s) and the server")
            return 0
        finally:
            for process in reversed(processes.values()):  # workers first, then the server they talk to
                _stop(process)
            for handle in logs:
                handle.close()
