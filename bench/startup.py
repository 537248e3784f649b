"""Start-up benchmark: what one ``outages ingest`` of one source costs from a cold command line.

Figure: the real ``outages ingest --sources one.yaml --db w.duckdb`` run in a fresh process with no Prefect server
configured (its steps run in order, no temporary API server), from another working directory with relative paths,
against a loopback status page; the median of ``--startup-runs`` runs, wall time and CPU seconds. Baseline, in the
same benchmark run: the same ingest as a Prefect flow run (``ingest(...)`` called as a flow), which starts Prefect's
temporary API server as every command did before; and ``outages --help``, the floor of any command.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import ROOT, Row, fmt_s, verdict

TARGET_SECONDS = 3.0
PAGE = {"id": "p", "name": "Bench", "url": "http://127.0.0.1", "updated_at": "2026-12-03T09:00:00Z"}
BODIES = {
    "/api/v2/summary.json": {
        "page": PAGE,
        "status": {"indicator": "none", "description": "All Systems Operational"},
        "components": [],
        "incidents": [],
        "scheduled_maintenances": [],
    },
    "/api/v2/incidents.json": {"page": PAGE, "incidents": []},
}
AS_FLOW_RUN = (
    "import sys; from flows.ingest import ingest; "
    "sys.exit(ingest(sources=sys.argv[1], db=sys.argv[2], timeout_seconds=10).exit_code)"
)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(BODIES[self.path]).encode() if self.path in BODIES else b"not found"
        self.send_response(200 if self.path in BODIES else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one command, which must exit 0 (a flow run
    whose temporary server did not start in time raises, saying so)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run(runs: int, workdir: Path, echo: Any = print) -> tuple[list[Row], dict[str, Any]]:
    workdir.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(workdir / "prefect-home"),  # the flow-run baseline's temporary server keeps its database here
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PYTHONPATH=str(ROOT),
    )
    outages = [sys.executable, "-m", "flows.cli"]
    try:
        (workdir / "one.yaml").write_text(
            "services:\n  - {id: svc, name: Bench}\nsources:\n"
            f'  - {{id: src, kind: statuspage, url: "http://127.0.0.1:{server.server_address[1]}", service: svc}}\n',
            encoding="utf-8",
        )
        _timed([*outages, "ingest", "--sources", "one.yaml", "--db", "warm.duckdb"], workdir, env)  # warm the caches
        direct = [
            _timed([*outages, "ingest", "--sources", "one.yaml", "--db", f"cli-{i}.duckdb"], workdir, env)
            for i in range(runs)
        ]
        echo(f"  startup: one-source outages ingest {fmt_s(statistics.median(w for w, _ in direct))}")
        # the old path gets all the time its temporary server needs: Prefect's default 20 s fails on a busy machine
        slow_start = {**env, "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"}
        flow_runs = [
            _timed([sys.executable, "-c", AS_FLOW_RUN, "one.yaml", f"flow-{i}.duckdb"], workdir, slow_start)
            for i in range(runs)
        ]
        echo(f"  startup: as a flow run (temporary server) {fmt_s(statistics.median(w for w, _ in flow_runs))}")
        helps = [_timed([*outages, "--help"], workdir, env) for _ in range(runs)]
    finally:
        server.shutdown()
        server.server_close()
    wall, cpu = (statistics.median(w for w, _ in direct), statistics.median(c for _, c in direct))
    flow_wall, flow_cpu = (statistics.median(w for w, _ in flow_runs), statistics.median(c for _, c in flow_runs))
    help_wall = statistics.median(w for w, _ in helps)
    rows = [
        Row(
            "startup",
            "one-source `outages ingest`, no server",
            fmt_s(wall),
            f"{fmt_s(flow_wall)} as a flow run (temporary server)",
            f"{flow_wall / wall:.1f}x faster",
            f"≤ {TARGET_SECONDS:g} s",
            verdict(wall <= TARGET_SECONDS),
        ),
        Row("startup", "  CPU seconds (with the crawl process)", fmt_s(cpu), fmt_s(flow_cpu), f"{flow_cpu / cpu:.1f}x"),
        Row("startup", "`outages --help`", fmt_s(help_wall)),
    ]
    details = {"direct": direct, "flow_run": flow_runs, "help": helps}
    return rows, details
