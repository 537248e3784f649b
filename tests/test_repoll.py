"""Parsing while the crawl runs, and a re-poll that costs a request and a row: real crawls of a loopback server, real
Prefect flows, real DuckDB files.

- the fetch-record follower reads whole lines only, as they are written;
- a crawl process that dies mid-crawl leaves no landing (the stage that followed it discards its files);
- a run parsed while its crawl ran gives the same warehouse as the same fetch records parsed after the crawl, in one
  process or split over workers (``EXCEPT ALL`` both ways, every table and view);
- an unchanged re-poll (every body answered 304) writes no record or document row to the landing, changes no view but
  for the sighting times it moves forward, and leaves the models as they are, until the services change.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
from pathlib import Path

import duckdb
import pytest

from flows.crawl_stage import CrawlError, crawl_and_stage, follow_records, shard_plan
from flows.ingest import IngestResult, ingest
from flows.paths import runs_dir
from scrapers.catalog import load_catalog
from scrapers.landing import build_landing
from scrapers.records import RECORD_TABLES
from tests.helpers import utc
from tests.loopback import LoopbackServer, Route
from tests.test_conditional import INCIDENTS_PATH, SIGHTINGS, SUMMARY_PATH, serve_with_etags
from tests.test_crash_safety import write_catalog
from tests.test_ingest_flow import INCIDENTS, SUMMARY, content_hash, serve_good
from warehouse.files import WarehouseFiles
from warehouse.load import load_landing
from warehouse.models import PUBLIC_VIEWS

T1, T2, T3, T4 = (f"2021-12-07T17:{m:02d}:00+00:00" for m in (0, 5, 10, 15))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
WALL_CLOCK: dict[str, tuple[str, ...]] = {
    "schema_migrations": ("applied_at",),
    "model_state": ("built_at",),
}  # when, not what
RUN_LOG_VIEWS = ("source_status", "ingest_errors")  # a run is a run: they say when each source was read


def test_the_follower_reads_whole_lines_as_they_are_written(tmp_path: Path) -> None:
    path = tmp_path / "fetches.jsonl"
    records = [{"n": n, "text": "é" * n} for n in range(50)]
    lines = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    written = threading.Event()

    def write() -> None:  # in pieces that cut lines (and a character) in two, then a last line left unfinished
        with path.open("wb") as handle:
            for start in range(0, len(lines), 7):
                handle.write(lines[start : start + 7])
                handle.flush()
            handle.write(b'{"cut": ')
        written.set()

    writer = threading.Thread(target=write)
    writer.start()
    got = list(follow_records(path, lambda: not written.is_set(), poll_seconds=0.001))
    writer.join()
    assert got == records  # every whole line once, in order; the cut one never


def test_the_follower_waits_for_a_file_not_there_yet(tmp_path: Path) -> None:
    assert list(follow_records(tmp_path / "none.jsonl", lambda: False)) == []


def crawl_pids(marker: str) -> list[int]:
    """The crawl processes whose command line names ``marker`` (this test's own run folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"scrapers.crawl" in command and any(marker.encode() in part for part in command):
            found.append(int(entry.name))
    return found


def plan_for(run_dir: Path, server: LoopbackServer, sources: list[str]) -> None:
    plan = [
        {
            "source_id": name,
            "kind": "statuspage",
            "url": server.url(f"/{name}"),
            "since": T1,
            "until": T1,
            "validators": [],
        }
        for name in sources
    ]
    run_dir.mkdir(parents=True)
    (run_dir / "plan.json").write_text(json.dumps(plan), encoding="utf-8")


def test_a_crawl_killed_while_it_is_followed_leaves_no_landing(tmp_path: Path, loopback: LoopbackServer) -> None:
    loopback.routes["/fast/api/v2/summary.json"] = Route(json.dumps(SUMMARY).encode())
    loopback.routes["/fast/api/v2/incidents.json"] = Route(json.dumps(INCIDENTS).encode())
    loopback.routes["/slow/api/v2/summary.json"] = Route(b"{}", delay=60)  # still waited on when the crawl dies
    loopback.routes["/slow/api/v2/incidents.json"] = Route(b"{}", delay=60)
    catalog_file = tmp_path / "sources.yaml"
    catalog_file.write_text(
        "services:\n  - {id: example, name: Example Co}\nsources:\n"
        f'  - {{id: fast, kind: statuspage, url: "{loopback.url("/fast")}", service: example}}\n'
        f'  - {{id: slow, kind: statuspage, url: "{loopback.url("/slow")}", service: example}}\n',
        encoding="utf-8",
    )
    run_dir = tmp_path / "killed-run"
    plan_for(run_dir, loopback, ["fast", "slow"])
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            crawl_and_stage(
                run_dir, str(tmp_path / "bodies"), 120, T1, load_catalog(catalog_file), "run", utc(T1), b"salt"
            )
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    stager = threading.Thread(target=run)
    stager.start()
    fetches = run_dir / "fetches.jsonl"
    for _ in range(6000):  # a bound, not a timing: until the fast source's records are written (or a minute)
        if fetches.exists() and fetches.read_bytes().count(b"\n") >= 2 and crawl_pids(str(run_dir)):
            break
        threading.Event().wait(0.01)
    for pid in crawl_pids(str(run_dir)):
        os.kill(pid, signal.SIGKILL)
    stager.join(timeout=120)
    assert not stager.is_alive()
    assert len(outcome) == 1, outcome
    assert isinstance(outcome[0], CrawlError), outcome
    assert "exited with status -9" in str(outcome[0])
    landing = run_dir / "landing"
    assert sorted(p.name for p in landing.iterdir()) == []  # nothing committed, nothing left half-written


# --- the same warehouse, parsed while the crawl runs or after it ----------------------------------------------------


def relations(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables() where not temporary").fetchall()]
    finally:
        con.close()
    return sorted({*tables, *PUBLIC_VIEWS})


def export(db: Path, folder: Path, names: list[str], exclude: dict[str, tuple[str, ...]]) -> None:
    """Each table and view as a Parquet file (minus the ``exclude`` columns), for comparing two warehouses."""
    folder.mkdir()
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        for name in names:
            columns = [r[0] for r in con.execute(f'describe "{name}"').fetchall() if r[0] not in exclude.get(name, ())]
            select = ", ".join(f'"{c}"' for c in columns)
            con.execute(f"COPY (select {select} from \"{name}\") TO '{folder / name}.parquet' (FORMAT parquet)")
    finally:
        con.close()


def differences(one: Path, other: Path, names: list[str]) -> dict[str, tuple[int, int]]:
    """Per relation, the rows of each side the other lacks (``EXCEPT ALL`` both ways); only those that differ."""
    con = duckdb.connect()
    found = {}
    for name in names:
        a, b = f"read_parquet('{one / name}.parquet')", f"read_parquet('{other / name}.parquet')"
        only_a = con.execute(f"select count(*) from (select * from {a} except all select * from {b})").fetchone()
        only_b = con.execute(f"select count(*) from (select * from {b} except all select * from {a})").fetchone()
        if (only_a, only_b) != ((0,), (0,)):
            found[name] = (only_a[0] if only_a else -1, only_b[0] if only_b else -1)
    return found


def serve_mixed(server: LoopbackServer) -> Path:
    serve_good(server)
    server.routes["/feed.rss"] = Route((FIXTURES / "feed_generic.rss").read_bytes(), content_type="application/rss+xml")
    server.routes["/aws/data.json"] = Route((FIXTURES / "aws_data.json").read_bytes())
    toots = FIXTURES / "complaints" / "mastodon_tag_page1.json"
    server.routes["/api/v1/timelines/tag/outage"] = Route(toots.read_bytes())
    return toots


@pytest.mark.usefixtures("prefect_harness")
def test_parsing_while_the_crawl_runs_gives_the_warehouse_parsing_after_it_gives(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    serve_mixed(loopback)
    catalog = write_catalog(tmp_path, loopback)
    db = tmp_path / "overlap.duckdb"
    result = ingest(sources=str(catalog), db=str(db), timeout_seconds=5, as_of=T1)
    assert result.documents_parsed >= 5, result
    run_dir = runs_dir(db) / result.run_id
    salt = WarehouseFiles(db).author_salt()
    names = relations(db)
    export(db, tmp_path / "overlap", names, WALL_CLOCK)
    for label, workers in (("after", 1), ("after-split", 2)):
        # the same fetch records, parsed once the crawl is over (the path before the overlap), then loaded
        again = tmp_path / label / "run"
        again.mkdir(parents=True)
        for name in ("plan.json", "fetches.jsonl"):
            shutil.copy(run_dir / name, again / name)
        built = build_landing(
            again, WarehouseFiles(db).bodies, load_catalog(catalog), result.run_id, utc(T1), salt,
            workers=workers, min_parallel_bytes=0,
        )  # fmt: skip
        assert built.documents_parsed == result.documents_parsed
        other = tmp_path / label / "w.duckdb"
        load_landing(other, again / "landing")
        export(other, tmp_path / label / "export", names, WALL_CLOCK)
        assert differences(tmp_path / "overlap", tmp_path / label / "export", names) == {}, label


# --- the unchanged re-poll -----------------------------------------------------------------------------------------


def status_catalog(folder: Path, server: LoopbackServer, aliases: str = "example") -> Path:
    catalog = folder / "sources.yaml"
    catalog.write_text(
        f"""services:
  - {{id: example, name: Example Co, aliases: [{aliases}], depends_on: []}}
sources:
  - {{id: good-status, kind: statuspage, url: "{server.url("/good")}", service: example}}
""",
        encoding="utf-8",
    )
    return catalog


def landing_counts(db: Path, result: IngestResult) -> dict[str, int]:
    folder = runs_dir(db) / result.run_id / "landing"
    return {
        p.stem: sum(1 for line in p.read_text(encoding="utf-8").splitlines() if line) for p in folder.glob("*.jsonl")
    }


def view_sql(db: Path, view: str) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("select sql from duckdb_views() where view_name = ?", [view]).fetchone()
        return str(row[0]) if row else ""
    finally:
        con.close()


def mark_view(db: Path, view: str) -> None:
    """Replace a view by a marker: what a load that rebuilds the models would replace again."""
    con = duckdb.connect(str(db))
    try:
        con.execute(f'CREATE OR REPLACE VIEW "{view}" AS SELECT 1 AS marker')
    finally:
        con.close()


@pytest.fixture
def etag_server(loopback: LoopbackServer) -> LoopbackServer:
    serve_with_etags(loopback)
    return loopback


@pytest.mark.usefixtures("prefect_harness")
def test_an_unchanged_repoll_adds_no_landing_rows_changes_no_view_and_refreshes_no_model(
    tmp_path: Path, etag_server: LoopbackServer
) -> None:
    catalog = status_catalog(tmp_path, etag_server)
    db = tmp_path / "w.duckdb"
    first = ingest(sources=str(catalog), db=str(db), timeout_seconds=5, as_of=T1)
    assert first.exit_code == 0, first.failures
    assert first.documents_parsed == 2
    views = [v for v in PUBLIC_VIEWS if v not in RUN_LOG_VIEWS]
    before = content_hash(db, views, SIGHTINGS)

    second = ingest(sources=str(catalog), db=str(db), timeout_seconds=5, as_of=T2)
    assert second.exit_code == 0, second.failures
    assert etag_server.conditional == {SUMMARY_PATH: ['"summary-1"'], INCIDENTS_PATH: ['"incidents-1"']}
    assert (second.documents_parsed, second.documents_unchanged) == (0, 2)
    rows = landing_counts(db, second)
    # a request and a row: the fetch record, the sighting it stands for; no record, document or error row
    assert {t: rows[t] for t in (*RECORD_TABLES, "documents", "errors")} == dict.fromkeys(
        (*RECORD_TABLES, "documents", "errors"), 0
    )
    assert (rows["fetches"], rows["resightings"]) == (2, 2)
    assert content_hash(db, views, SIGHTINGS) == before  # only the sighting times moved (to T2)

    # the load left the models as they were: a view replaced by a marker stays replaced after another re-poll ...
    real = view_sql(db, "timeline")
    mark_view(db, "timeline")
    third = ingest(sources=str(catalog), db=str(db), timeout_seconds=5, as_of=T3)
    assert (third.documents_parsed, third.documents_unchanged) == (0, 2)
    assert "marker" in view_sql(db, "timeline")
    # ... and a run that changes what the models read (here the services: a new alias) rebuilds them
    changed = status_catalog(tmp_path, etag_server, aliases="example, example-co")
    fourth = ingest(sources=str(changed), db=str(db), timeout_seconds=5, as_of=T4)
    assert (fourth.documents_parsed, fourth.documents_unchanged) == (0, 2)
    assert view_sql(db, "timeline") == real


def landing_multiset(landing: Path) -> dict[str, list[str]]:
    """Each landing table's rows as sorted JSON texts (the order rows arrive in is not part of a landing)."""
    return {
        path.stem: sorted(json.dumps(json.loads(line), sort_keys=True) for line in path.read_text("utf-8").splitlines())
        for path in sorted(landing.glob("*.jsonl"))
    }


def test_two_crawl_processes_over_their_own_hosts_stage_what_one_stages(
    tmp_path: Path, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_mixed(loopback)
    other_host = loopback.base_url.replace("127.0.0.1", "localhost")  # the same server under a second host name
    catalog = tmp_path / "sources.yaml"
    catalog.write_text(
        write_catalog(tmp_path, loopback)
        .read_text(encoding="utf-8")
        .replace(f"{loopback.base_url}/feed", f"{other_host}/feed")
        .replace(f"{loopback.base_url}/api", f"{other_host}/api")
        .replace(f"{loopback.base_url}/aws", f"{other_host}/aws"),
        encoding="utf-8",
    )
    sources = load_catalog(catalog)
    plan = [
        {"source_id": s.id, "kind": s.kind, "url": s.url, "since": T1, "until": T1, "validators": []}
        for s in sources.sources
    ]
    assert sorted(len(part) for part in shard_plan(plan, 2)) == [2, 3]  # 127.0.0.1: status, counts; localhost: 3
    landings, stats = {}, {}
    for processes in (1, 2):
        monkeypatch.setenv("OUTAGES_CRAWL_PROCESSES", str(processes))
        run_dir = tmp_path / f"run-{processes}"
        run_dir.mkdir()
        (run_dir / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        summary, stats[processes] = crawl_and_stage(
            run_dir, str(tmp_path / "bodies"), 5, T1, sources, "run", utc(T1), b"salt"
        )
        assert summary.sources_failed == 0, summary.failed_sources
        assert not list(run_dir.glob("crawl-*"))  # the crawls' own folders are gone once put together
        landings[processes] = landing_multiset(run_dir / "landing")
        assert len((run_dir / "fetches.jsonl").read_text("utf-8").splitlines()) == summary.rows["fetches"]
    assert landings[2] == landings[1]
    for key in ("item_scraped_count", "downloader/request_count", "downloader/response_status_count/200"):
        assert stats[2][key] == stats[1][key], key
