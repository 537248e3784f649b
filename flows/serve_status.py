"""What ``outages serve`` says once it is ready, and its ``--run-now``: read from the local server's REST API.

Once the deployments are created, the user needs to know where to look (the UI and the API), how to point their own
commands at that server (``PREFECT_API_URL``), which warehouse the deployments write, and when each one runs next.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from flows.paths import PROJECT_ROOT

INGEST_ENTRYPOINT = "flows/ingest.py:ingest"


# Answers of a server that is busy, not wrong: Prefect's answers 503 while its database is locked (SQLite under load)
BUSY_STATUSES = frozenset({429, 503})
BUSY_WAITS = (0.5, 1.0, 2.0, 4.0, 8.0)  # seconds before each new attempt: about 15 s in all


def api(base: str, path: str, body: dict[str, Any] | None = None, waits: tuple[float, ...] = BUSY_WAITS) -> Any:
    """One call of the Prefect REST API at ``base`` (``http://127.0.0.1:4200/api``): GET, or POST with ``body``.
    A busy answer is tried again after each of ``waits``; the last one is raised."""
    data = None if body is None else json.dumps(body).encode()
    for wait in (*waits, None):
        request = urllib.request.Request(f"{base}{path}", data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            if wait is None or error.code not in BUSY_STATUSES:
                raise
        time.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


def deployments(base: str) -> list[dict[str, Any]]:
    return sorted(api(base, "/deployments/filter", {}), key=lambda d: str(d["name"]))


def next_run(base: str, deployment: dict[str, Any]) -> str:
    """When the deployment runs next: its earliest scheduled flow run, or why there is none."""
    if not any(schedule.get("active") for schedule in deployment.get("schedules") or []):
        return "no active schedule"
    query = {
        "deployments": {"id": {"any_": [deployment["id"]]}},
        "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
        "sort": "EXPECTED_START_TIME_ASC",
        "limit": 1,
    }
    runs = api(base, "/flow_runs/filter", query)
    if not runs:  # a new deployment: have the server schedule its next run now rather than at its scheduler's pass
        api(base, f"/deployments/{deployment['id']}/schedule", {"min_runs": 1, "max_runs": 1})
        runs = api(base, "/flow_runs/filter", query)
    if not runs:
        return "not scheduled yet (the server's scheduler adds runs within a minute)"
    at = datetime.fromisoformat(str(runs[0]["expected_start_time"]).replace("Z", "+00:00"))
    return f"{at:%Y-%m-%d %H:%M:%S} UTC"


def warehouse_paths(found: list[dict[str, Any]]) -> list[str]:
    """The DuckDB files the deployments write (a relative ``db`` is taken from the project root, where the
    deployments run: the ``pull`` step of prefect.yaml)."""
    paths = {str(PROJECT_ROOT / str(d["parameters"]["db"])) for d in found if (d.get("parameters") or {}).get("db")}
    return sorted(str(Path(path).resolve()) for path in paths)


def report_ready(base: str, ui: str, say: Callable[[str], None]) -> list[dict[str, Any]]:
    """Print the URLs, the ``PREFECT_API_URL`` line to export, the warehouse(s) and each deployment's next run."""
    found = deployments(base)
    say(f"  UI:  {ui}")
    say(f"  API: {base}")
    say(f"  to run commands against this server:  export PREFECT_API_URL={base}")
    for path in warehouse_paths(found):
        say(f"  warehouse: {path}")
    for deployment in found:
        try:
            when = next_run(base, deployment)
        except (OSError, ValueError, KeyError) as exc:  # a report line must never stop the trial
            when = f"unknown ({exc})"
        say(f"  deployment {deployment['name']}: next run {when}")
    return found


def run_ingest_deployments_now(base: str, found: list[dict[str, Any]], say: Callable[[str], None]) -> list[str]:
    """Create one flow run, starting now, of each ingest deployment; returns the flow run ids."""
    ids = []
    for deployment in found:
        if deployment.get("entrypoint") != INGEST_ENTRYPOINT:
            continue
        run = api(base, f"/deployments/{deployment['id']}/create_flow_run", {})
        ids.append(str(run["id"]))
        say(f"  started {deployment['name']} now: flow run {run['name']} ({run['id']})")
    return ids
