"""Readers beside an ingest: what an analyst with a read-only DuckDB session sees while ``outages ingest`` runs.

DuckDB lets one process write, or many read, never both: while a writer process has the file open, a read-only
open from another process fails at once ("Could not set lock on file ... Conflicting lock"), and while a reader has
it open the writer cannot open it. So the ingest opens the file only for its load transaction (warehouse/load.py)
and reads it only in short read-only peeks (last reads, known outages), never during the crawl or while it waits
for the writer lock. This test measures it: one real ``outages ingest`` process that first waits for the writer lock
(another process holds it), then crawls a slow source, then loads with its model build held 1.5 s longer; a probe
opens the file read-only every 50 ms throughout and records when it could.

What must hold: the probe is refused only during the load (never while the ingest waited or crawled), for no longer
than the load lasted; and a writer that finds a reader's session open waits for it (up to a minute), then says so.
"""

from __future__ import annotations

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

from tests.hostile import Act, HostileServer
from tests.test_ingest_flow import COUNTS, INCIDENTS, SUMMARY
from warehouse.db import connect, migrate

ROOT = Path(__file__).resolve().parent.parent
BOUND_SECONDS = 120

# `outages ingest ARGS` with the load traced to $TRACE (when the file was opened and closed) and the model build
# inside the transaction held 1.5 s, so that a reader has time to bump into it.
TRACED_INGEST = textwrap.dedent(
    """
    import json, os, sys, time
    import warehouse.load as load_module
    from flows.cli import main

    real_connect, real_build = load_module.connect_writer, load_module.build_models

    def traced_connect(*args, **kwargs):
        con = real_connect(*args, **kwargs)
        with open(os.environ["TRACE"], "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"opened": time.time()}) + "\\n")
        real_close = con.close

        def close():
            real_close()
            with open(os.environ["TRACE"], "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"closed": time.time()}) + "\\n")

        return Wrapped(con, close)

    class Wrapped:
        def __init__(self, con, close):
            self._con, self.close = con, close
        def __getattr__(self, name):
            return getattr(self._con, name)

    def slow_build(con, **kwargs):
        time.sleep(1.5)
        return real_build(con, **kwargs)

    import flows.ingest as ingest_module
    real_lock = ingest_module.writer_lock

    def traced_lock(*args, **kwargs):
        with open(os.environ["TRACE"], "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"waiting": time.time()}) + "\\n")
        return real_lock(*args, **kwargs)

    load_module.connect_writer = traced_connect
    load_module.build_models = slow_build
    ingest_module.writer_lock = traced_lock
    main(["ingest", *sys.argv[1:]])
    """
)

# Hold the writer lock of $DB until the file $RELEASE appears (at most a minute).
HOLD_LOCK = textwrap.dedent(
    """
    import os, time
    from flows.locking import writer_lock
    with writer_lock(os.environ["DB"]):
        print("held", flush=True)
        deadline = time.monotonic() + 60
        while not os.path.exists(os.environ["RELEASE"]) and time.monotonic() < deadline:
            time.sleep(0.05)
    """
)


def child_env(api_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_LOGGING_LEVEL="WARNING", PREFECT_API_URL=api_url, PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


def api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "the Prefect test harness should set PREFECT_API_URL"
    return str(url)


class Probe(threading.Thread):
    """Opens the database read-only every 50 ms; records (time, ok, error)."""

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.results: list[tuple[float, bool, str]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            at = time.time()
            try:
                con = duckdb.connect(str(self.db), read_only=True)
                con.execute("select count(*) from schema_migrations").fetchone()
                con.close()
                self.results.append((at, True, ""))
            except duckdb.Error as exc:
                self.results.append((at, False, str(exc)))
            self.done.wait(0.05)


@pytest.mark.usefixtures("prefect_harness")
def test_a_reader_is_refused_only_during_the_load_transaction(tmp_path: Path) -> None:
    server = HostileServer().start()
    try:
        server.routes["/good/api/v2/summary.json"] = Act(body=json.dumps(SUMMARY).encode())
        server.routes["/good/api/v2/incidents.json"] = Act(body=json.dumps(INCIDENTS).encode())
        server.routes["/counts.csv"] = Act(body=COUNTS.encode(), content_type="text/csv")
        server.routes["/slow.json"] = Act(body=json.dumps(INCIDENTS).encode(), hang_before=2)
        catalog = tmp_path / "sources.yaml"
        catalog.write_text(
            f"""services:
  - {{id: example, name: Example Co, aliases: [example], depends_on: []}}
sources:
  - {{id: good, kind: statuspage, url: "{server.url("/good")}", service: example}}
  - {{id: counts, kind: report_counts, url: "{server.url("/counts.csv")}"}}
  - {{id: slow, kind: statuspage, url: "{server.url("/slow.json")}", service: example}}
""",
            encoding="utf-8",
        )
        db = tmp_path / "w.duckdb"
        con = connect(db)  # a warehouse that exists already, as an analyst's would
        migrate(con)
        con.close()

        url = api_url()
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK],
            cwd=ROOT,
            env=child_env(url, DB=str(db), RELEASE=str(tmp_path / "release")),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"

        trace = tmp_path / "trace.jsonl"
        probe = Probe(db)
        probe.start()
        ingest = subprocess.Popen(
            [sys.executable, "-c", TRACED_INGEST, "--sources", str(catalog), "--db", str(db), "--timeout", "5"],
            cwd=ROOT,
            env=child_env(url, TRACE=str(trace)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + BOUND_SECONDS
        while not (trace.exists() and "waiting" in trace.read_text(encoding="utf-8")):
            if time.monotonic() > deadline or ingest.poll() is not None:
                ingest.kill()
                raise AssertionError(f"the ingest never reached its load: {ingest.communicate()}")
            time.sleep(0.05)
        time.sleep(1.0)  # the ingest waits for the writer lock meanwhile
        released_at = time.time()
        (tmp_path / "release").touch()
        out, err = ingest.communicate(timeout=BOUND_SECONDS)
        time.sleep(0.3)
        probe.done.set()
        probe.join()
        assert holder.wait(timeout=BOUND_SECONDS) == 0
    finally:
        (tmp_path / "release").touch()
        server.stop()
    assert ingest.returncode == 0, out + err[-3000:]

    events = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    opened = min(e["opened"] for e in events if "opened" in e)
    closed = max(e["closed"] for e in events if "closed" in e)
    refused = [(at, error) for at, ok, error in probe.results if not ok]
    allowed = [at for at, ok, _ in probe.results if ok]
    # refused only while the writer had the file open (a probe started just before the open may end inside it)
    assert refused, "the load never overlapped a probe: nothing was measured"
    assert all(opened - 0.2 <= at <= closed for at, _ in refused), (opened, closed, refused)
    assert all("lock" in error.lower() for _, error in refused)
    longest = longest_refusal(probe.results)
    assert longest <= (closed - opened) + 0.2
    # and read freely before it: while the ingest crawled the slow source, and while it waited for the writer lock
    waiting = min(e["waiting"] for e in events if "waiting" in e)
    assert any(at < waiting - 1.0 for at in allowed)
    assert any(waiting + 0.1 < at < released_at - 0.1 for at in allowed)
    assert not [at for at, _ in refused if at < released_at]
    assert any(at > closed for at in allowed)
    record("reader refused during load (s)", longest, closed - opened)


def longest_refusal(results: list[tuple[float, bool, str]]) -> float:
    longest, start = 0.0, None
    for at, ok, _ in results:
        if not ok and start is None:
            start = at
        elif ok and start is not None:
            longest, start = max(longest, at - start), None
    return longest


def test_a_writer_waits_for_an_open_reader_and_then_says_which_lock(tmp_path: Path) -> None:
    """The other way round: an analyst's session open (even read-only) keeps the writer out; the load waits."""
    db = tmp_path / "w.duckdb"
    con = connect(db)
    migrate(con)
    con.close()
    reader = duckdb.connect(str(db), read_only=True)
    try:
        attempt = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from warehouse.load import connect_writer; connect_writer(sys.argv[1], wait_seconds=1)",
                str(db),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=BOUND_SECONDS,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    finally:
        reader.close()
    assert attempt.returncode != 0
    assert "WarehouseLockedError" in attempt.stderr
    assert "locked by another process" in attempt.stderr
    assert f"PID {os.getpid()} (" in attempt.stderr  # it names the holder: this test's own process
    connect(db).close()  # once the reader is gone, the writer gets in


def record(what: str, measured: float, bound: float) -> None:
    stats = os.environ.get("OUTAGES_RELIABILITY_STATS")
    if stats:
        with Path(stats).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"category": "readers", "case": what, "measured": measured, "bound": bound}) + "\n")
