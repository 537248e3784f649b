"""Crash safety: SIGKILL an ``outages ingest`` process at a point of its crawl or its load, run it again to completion,
and the database holds exactly what one uninterrupted run gives (the same content hash).

The ingest runs as a real process (``python -m flows.cli ingest``) in its own session, against a loopback server,
with ``--as-of`` so that fetch times, and hence every sighting time, are the same in every run. It dies by SIGKILL,
with its whole process group (the crawl, its Prefect server): at a named point (``OUTAGES_TEST_KILL_AT``, see
warehouse/crashpoints.py: after the plan, the crawl, the staging; in the load after connecting, migrating, each table,
the models, the COMMIT; inside each migration), on the server's n-th request (mid-crawl), or after a random delay.

What is compared: every table and analyst view except the run logs (``raw_ingest_runs``, ``raw_fetches``,
``raw_ingest_errors`` and the ``ingest_errors`` and ``source_status`` views: a killed run is a run, and they say so)
and ``schema_migrations.applied_at`` (a wall-clock time).

``make test`` tries a few kill points; ``make reliability`` (``OUTAGES_CRASH_POINTS=all``) tries every named point,
every request of the crawl, and random delays (``OUTAGES_CRASH_RANDOM``, default 8).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest
from flows.paths import runs_dir
from tests.hostile import Act, Hit, HostileServer
from tests.loopback import LoopbackServer
from tests.test_ingest_flow import COUNTS, INCIDENTS, SUMMARY, content_hash
from warehouse.crashpoints import KILL_AT
from warehouse.db import connect, migration_files
from warehouse.load import load_landing, load_steps
from warehouse.models import PUBLIC_VIEWS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
AS_OF = "2021-12-07T17:00:00+00:00"
LATER = "2021-12-07T18:00:00+00:00"
SALT = "crash-safety-salt"
INGEST = [sys.executable, "-m", "flows.cli", "ingest"]  # `outages ingest`, from this checkout
BOUND_SECONDS = 240  # no ingest process of this file lives longer
RANDOM_SPAN_SECONDS = float(os.environ.get("OUTAGES_CRASH_RANDOM_SPAN", "5"))  # a serverless run's length, about
RUN_LOGS = ("raw_ingest_runs", "raw_fetches", "raw_ingest_errors", "ingest_errors", "source_status")

NAMED_POINTS = [
    "ingest:planned",
    "ingest:crawled",
    "ingest:staged",
    "load:connected",
    *[f"migration:{name}" for name, _ in migration_files()],
    "load:migrated",
    *[f"load:{table}" for table, _ in load_steps()],
    "load:models",
    "load:committed",
    "ingest:loaded",
]
QUICK_POINTS = ["request:4", "load:committed"]  # mid-crawl; after the COMMIT, before the WAL is checkpointed


def crash_points() -> list[str]:
    if os.environ.get("OUTAGES_CRASH_POINTS") != "all":
        return QUICK_POINTS
    requests = [f"request:{n}" for n in range(1, len(ROUTES) + 1)]
    randoms = [f"random:{n}" for n in range(int(os.environ.get("OUTAGES_CRASH_RANDOM", "8")))]
    return [*NAMED_POINTS, *requests, *randoms]


ROUTES = {
    "/robots.txt": Act(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
    "/good/api/v2/summary.json": Act(body=json.dumps(SUMMARY).encode()),
    "/good/api/v2/incidents.json": Act(body=json.dumps(INCIDENTS).encode()),
    "/counts.csv": Act(body=COUNTS.encode(), content_type="text/csv"),
    "/feed.rss": Act(body=(FIXTURES / "feed_generic.rss").read_bytes(), content_type="application/rss+xml"),
    "/api/v1/timelines/tag/outage": Act(body=(FIXTURES / "complaints" / "mastodon_tag_page1.json").read_bytes()),
    "/aws/data.json": Act(body=(FIXTURES / "aws_data.json").read_bytes()),
}


def write_catalog(folder: Path, server: HostileServer | LoopbackServer) -> Path:
    catalog = folder / "sources.yaml"
    catalog.write_text(
        f"""services:
  - {{id: example, name: Example Co, aliases: [example], depends_on: []}}
  - {{id: aws, name: Amazon Web Services, aliases: [aws], depends_on: []}}
sources:
  - {{id: status, kind: statuspage, url: "{server.url("/good")}", service: example}}
  - {{id: counts, kind: report_counts, url: "{server.url("/counts.csv")}"}}
  - {{id: feed, kind: feed, url: "{server.url("/feed.rss")}", service: example}}
  - {{id: toots, kind: mastodon, url: "{server.url("/api/v1/timelines/tag/outage")}"}}
  - {{id: aws-health, kind: aws_health, url: "{server.url("/aws/data.json")}", service: aws}}
""",
        encoding="utf-8",
    )
    return catalog


def child_env(folder: Path, api_url: str | None, **extra: str) -> dict[str, str]:
    """With ``api_url`` the process uses that Prefect server; without, it runs with no server, as a bare
    ``outages ingest`` does (nothing is leased, so a kill leaves only the file lock, which dies with the process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != KILL_AT}
    env.update(
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PYTHONPATH=str(ROOT),
        OUTAGES_AUTHOR_SALT=SALT,  # the same author hashes in every database of this file
        OUTAGES_RETRY_BACKOFF="0.1",
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    else:
        env["PREFECT_HOME"] = str(folder / "prefect-home")
    env.update(extra)
    return env


def holds_the_writer_slot(point: str) -> bool:
    """Points inside the load, where the writer holds the warehouse's Prefect slot when it talks to a server.

    A SIGKILL there leaves the slot leased until the lease runs out (60 s, Prefect's minimum, plus the repossessor's
    pass; see flows/locking.py): correct, but a minute per kill point. Those kills (and random ones, which may land
    there) run with no server, as a bare ``outages ingest`` does; every other run, the
    baseline and each rerun use the test session's server.
    """
    return point.startswith(("load:", "migration:", "random:"))


def start_ingest(catalog: Path, db: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*INGEST, "--sources", str(catalog), "--db", str(db), "--timeout", "5", "--as-of", AS_OF],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a kill takes the crawl and the Prefect server with it
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        out, err = proc.communicate(timeout=BOUND_SECONDS)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
    return proc.returncode, (out + err)[-3000:]


def kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(proc.pid, signal.SIGKILL)


@dataclass(frozen=True)
class Baseline:
    digest: dict[str, tuple[int, str]]
    api_url: str
    db: Path
    run_id: str


def stable_hash(db: Path) -> dict[str, tuple[int, str]]:
    con = connect(db, read_only=True)
    try:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
    finally:
        con.close()
    names = [n for n in [*tables, *PUBLIC_VIEWS] if n not in RUN_LOGS]
    return content_hash(db, names, exclude=("applied_at", "built_at"))


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    hostile = HostileServer().start()
    hostile.routes.update(ROUTES)
    try:
        yield hostile
    finally:
        hostile.stop()


@pytest.fixture(scope="module")
def baseline(server: HostileServer, tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Baseline:
    """The content hash of one uninterrupted run (the same flow, in this process), and the server's URL."""
    folder = tmp_path_factory.mktemp("baseline")
    db = folder / "w.duckdb"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OUTAGES_AUTHOR_SALT", SALT)
        result = ingest(sources=str(write_catalog(folder, server)), db=str(db), timeout_seconds=5, as_of=AS_OF)
    assert result.exit_code == 0, result.failures
    digest = stable_hash(db)
    assert digest["incidents"][0] > 0
    assert digest["raw_posts"][0] > 0
    assert digest["raw_complaint_counts"][0] > 0
    return Baseline(digest, api_url(), db, result.run_id)


def api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "the Prefect test harness should set PREFECT_API_URL"
    return str(url)


def record(point: str, killed: bool, match: bool) -> None:
    stats = os.environ.get("OUTAGES_RELIABILITY_STATS")
    if stats:
        with Path(stats).open("a", encoding="utf-8") as handle:
            row = {"category": "crash", "case": point, "killed": killed, "match": match}
            handle.write(json.dumps(row) + "\n")


@pytest.mark.parametrize("point", crash_points())
def test_killed_then_rerun_equals_an_uninterrupted_run(
    point: str, server: HostileServer, baseline: Baseline, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    catalog = write_catalog(tmp_path, server)
    kind, _, arg = point.partition(":")
    hook = {KILL_AT: point} if kind not in ("request", "random") else {}
    url = None if holds_the_writer_slot(point) else baseline.api_url
    proc = start_ingest(catalog, db, child_env(tmp_path, url, **hook))
    if kind == "request":
        seen: list[Hit] = []

        def kill_on_nth(hit: Hit) -> None:
            seen.append(hit)
            if len(seen) == int(arg):
                kill_group(proc)

        server.on_hit = kill_on_nth
    elif kind == "random":
        time.sleep(random.uniform(0.5, RANDOM_SPAN_SECONDS))
        kill_group(proc)
    try:
        code, output = finish(proc)
    finally:
        server.on_hit = None
    killed = code == -signal.SIGKILL
    if kind != "random":  # a random delay may outlast the run: then it simply finished
        assert killed, f"{point}: expected a SIGKILL, got exit {code}\n{output}"

    code, output = finish(start_ingest(catalog, db, child_env(tmp_path, baseline.api_url)))
    assert code == 0, output
    got = stable_hash(db)
    expected = baseline.digest
    differs = sorted(name for name in set(expected) | set(got) if expected.get(name) != got.get(name))
    record(point, killed, not differs)
    assert not differs, f"{point}: these differ from an uninterrupted run's: {differs}"


def test_the_same_payloads_in_either_order_give_the_same_tables(
    server: HostileServer, baseline: Baseline, tmp_path: Path
) -> None:
    """Idempotency: two runs' landing folders (the baseline's, and one that sees a later state) loaded in either
    order, or each twice, give identical tables, run logs included."""
    later = json.loads(json.dumps(SUMMARY))
    later["incidents"][0]["status"] = "resolved"
    later["incidents"][0]["resolved_at"] = "2021-12-07T12:30:00-05:00"
    later["components"][0]["status"] = "operational"
    server.routes["/good/api/v2/summary.json"] = Act(body=json.dumps(later).encode())
    scratch = tmp_path / "scratch.duckdb"
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("OUTAGES_AUTHOR_SALT", SALT)
            second = ingest(
                sources=str(write_catalog(tmp_path, server)), db=str(scratch), timeout_seconds=5, as_of=LATER
            )
    finally:
        server.routes.update(ROUTES)
    landings = [runs_dir(baseline.db) / baseline.run_id / "landing", runs_dir(scratch) / second.run_id / "landing"]
    hashes = []
    for name, order in (("forward", landings), ("backward", landings[::-1]), ("twice", [*landings, *landings])):
        db = tmp_path / f"{name}.duckdb"
        for landing in order:
            load_landing(db, landing)
        con = duckdb.connect(str(db), read_only=True)
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        con.close()
        hashes.append(content_hash(db, [*tables, *PUBLIC_VIEWS], exclude=("applied_at", "built_at")))
    assert hashes[0] == hashes[1] == hashes[2]
    con = duckdb.connect(str(tmp_path / "backward.duckdb"), read_only=True)
    assert con.execute("select status from incidents where source_id = 'status'").fetchall() == [("resolved",)]
    assert con.execute("select state from components where source_id = 'status'").fetchall() == [("operational",)]
    con.close()
