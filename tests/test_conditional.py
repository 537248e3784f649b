"""Incremental polling: conditional requests (ETag / 304), unchanged bodies not parsed twice, and the last sightings
those skipped parses must still move forward. Real flows against a loopback server, real DuckDB files."""

from __future__ import annotations

import copy
import inspect
import json
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.ingest import IngestResult, ingest
from flows.paths import runs_dir
from scrapers import registry
from scrapers.landing import read_jsonl
from tests.loopback import LoopbackServer, Route
from tests.test_ingest_flow import INCIDENTS, SUMMARY, content_hash, serve_good, write_catalog
from warehouse.load import load_landing
from warehouse.models import PUBLIC_VIEWS

T1, T2, T3 = "2021-12-07T17:00:00+00:00", "2021-12-07T17:05:00+00:00", "2021-12-07T17:10:00+00:00"
SUMMARY_PATH, INCIDENTS_PATH = "/good/api/v2/summary.json", "/good/api/v2/incidents.json"
# What a re-read moves forward by design: the sighting and read times.
SIGHTINGS = ("last_seen_at", "observed_at", "last_read_at", "state_observed_at")


def serve_with_etags(server: LoopbackServer) -> None:
    serve_good(server)
    for path, tag in ((SUMMARY_PATH, '"summary-1"'), (INCIDENTS_PATH, '"incidents-1"')):
        server.routes[path].etag = tag


def run(catalog: Path, db: Path, as_of: str) -> IngestResult:
    return ingest(sources=str(catalog), db=str(db), timeout_seconds=5, as_of=as_of)


def landing_rows(db: Path, result: IngestResult, table: str) -> list[dict[str, Any]]:
    return list(read_jsonl(runs_dir(db) / result.run_id / "landing" / f"{table}.jsonl"))


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def iso(value: Any) -> str:
    return str(value.isoformat())


@pytest.mark.usefixtures("prefect_harness")
def test_an_unchanged_page_answers_304_and_is_not_parsed_again(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_with_etags(loopback)
    catalog = write_catalog(tmp_path, loopback)
    db = tmp_path / "w.duckdb"
    first = run(catalog, db, T1)
    assert first.exit_code == 0, first.failures
    assert first.documents_unchanged == 0
    assert first.documents_parsed == 3
    assert loopback.conditional == {}  # nothing to be conditional on yet
    views = [v for v in PUBLIC_VIEWS if v != "source_status"]
    before = content_hash(db, views, SIGHTINGS)

    second = run(catalog, db, T2)
    assert second.exit_code == 0, second.failures
    # both status pages were asked with the ETag they sent, and answered 304; the counts CSV (no ETag) came whole
    assert loopback.conditional == {SUMMARY_PATH: ['"summary-1"'], INCIDENTS_PATH: ['"incidents-1"']}
    fetches = {row["url"]: row for row in landing_rows(db, second, "fetches")}
    earlier = {row["url"]: row for row in landing_rows(db, first, "fetches")}
    for path in (SUMMARY_PATH, INCIDENTS_PATH):
        fetch = fetches[loopback.url(path)]
        assert (fetch["http_status"], fetch["error"], fetch["not_modified"]) == (304, None, True)
        assert (fetch["sha256"], fetch["bytes"]) == (
            earlier[loopback.url(path)]["sha256"],
            earlier[loopback.url(path)]["bytes"],
        )
    # the two unchanged pages were not parsed: resighted; the counts (latest reading wins) were parsed again
    assert (second.documents_parsed, second.documents_unchanged) == (1, 2)
    assert landing_rows(db, second, "incidents") == []
    assert landing_rows(db, second, "updates") == []
    assert {r["url"] for r in landing_rows(db, second, "resightings")} == {
        loopback.url(p) for p in (SUMMARY_PATH, INCIDENTS_PATH)
    }

    # the analyst views say the same, read again later: only the sighting and read times moved
    assert content_hash(db, views, SIGHTINGS) == before
    (last_seen,) = query(db, "select last_seen_at from stg_incidents")
    assert iso(last_seen[0]) == "2021-12-07T17:05:00+00:00"
    assert {iso(r[0]) for r in query(db, "select last_seen_at from raw_update_versions")} == {
        "2021-12-07T17:05:00+00:00"
    }
    status = query(db, "select source_id, last_success_at, stale from source_status order by 1")
    assert [(s, iso(at), stale) for s, at, stale in status] == [
        ("counts", "2021-12-07T17:05:00+00:00", False),
        ("good-status", "2021-12-07T17:05:00+00:00", False),
    ]
    statuses = query(
        db, "select http_status, count(*) from raw_fetches where source_id = 'good-status' group by 1 order by 1"
    )
    assert statuses == [(200, 2), (304, 2)]


@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_read_after_a_304_is_still_a_failure(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_with_etags(loopback)
    catalog = write_catalog(tmp_path, loopback)
    db = tmp_path / "w.duckdb"
    assert run(catalog, db, T1).exit_code == 0
    assert run(catalog, db, T2).documents_unchanged == 2
    loopback.routes[SUMMARY_PATH] = Route(b"upstream connect error", status=503, content_type="text/plain")
    third = run(catalog, db, T3)
    assert third.exit_code == 1
    assert "HTTP 503" in "; ".join(third.failures["good-status"])
    # the stored copy did not stand in for the page that failed: no resighting of it, the source is stale
    assert [r["url"] for r in landing_rows(db, third, "resightings")] == [loopback.url(INCIDENTS_PATH)]
    (status,) = query(
        db, "select stale, last_success_at, last_error from source_status where source_id = 'good-status'"
    )
    assert status[0] is True
    assert iso(status[1]) == "2021-12-07T17:05:00+00:00"
    assert "HTTP 503" in status[2]
    assert query(db, "select stale from components") == [(True,)]


def incident(status: str) -> dict[str, Any]:
    changed = copy.deepcopy(SUMMARY["incidents"][0])  # type: ignore[index]
    changed["status"] = status
    return dict(changed)


def flip_pages(server: LoopbackServer, incidents_page: list[dict[str, Any]], tick: int, *, vary_summary: bool) -> None:
    """summary.json always shows the incident as "identified" (version A); incidents.json shows what it is given.
    ``vary_summary`` pads summary.json with whitespace each tick: new bytes, the same records (always parsed)."""
    pad = " " * tick if vary_summary else ""
    server.routes[SUMMARY_PATH] = Route((json.dumps(SUMMARY) + pad).encode(), etag=f'"s{len(pad)}"')
    body = json.dumps({"page": INCIDENTS["page"], "incidents": incidents_page}).encode()
    server.routes[INCIDENTS_PATH] = Route(body, etag=f'"i{tick}"')


def replay_flip(tmp_path: Path, server: LoopbackServer, name: str, *, vary_summary: bool) -> list[IngestResult]:
    """T1: both pages show A. T2: incidents.json shows B ("monitoring"). T3: incidents.json no longer lists it.
    At T3 the only current document that shows the incident is summary.json, unchanged since T1: the incident's
    latest version is A. Were summary.json's skipped parses not counted as sightings, B (last seen at T2) would win."""
    folder = tmp_path / name
    folder.mkdir()
    serve_good(server)
    catalog = write_catalog(folder, server)
    db = folder / "w.duckdb"
    results = []
    for tick, (at, page) in enumerate(((T1, [incident("identified")]), (T2, [incident("monitoring")]), (T3, []))):
        flip_pages(server, page, tick, vary_summary=vary_summary)
        results.append(run(catalog, db, at))
        assert results[-1].exit_code == 0, results[-1].failures
    return results


@pytest.mark.usefixtures("prefect_harness")
def test_a_skipped_unchanged_page_still_keeps_its_version_the_latest(tmp_path: Path, loopback: LoopbackServer) -> None:
    skipped = replay_flip(tmp_path, loopback, "skipped", vary_summary=False)
    # summary.json was answered 304 at T2 and T3 and never parsed again
    assert [r.documents_unchanged for r in skipped] == [0, 1, 1]
    db = tmp_path / "skipped" / "w.duckdb"
    (row,) = query(db, "select status, last_seen_at, versions from stg_incidents")
    assert (row[0], iso(row[1]), row[2]) == ("identified", "2021-12-07T17:10:00+00:00", 2)
    seen = dict(query(db, "select status, last_seen_at from raw_incident_versions"))
    assert {s: iso(at) for s, at in seen.items()} == {
        "identified": "2021-12-07T17:10:00+00:00",  # bumped by the resighting of summary.json at T3
        "monitoring": "2021-12-07T17:05:00+00:00",
    }
    # the same three polls with every page parsed (summary.json's bytes change, its records do not) agree exactly
    parsed = replay_flip(tmp_path, loopback, "parsed", vary_summary=True)
    assert [r.documents_unchanged for r in parsed] == [0, 0, 0]
    control = tmp_path / "parsed" / "w.duckdb"
    compared = ["incidents", "incident_updates", "incident_revisions", "raw_incident_versions", "raw_update_versions"]
    assert content_hash(db, compared) == content_hash(control, compared)


@pytest.mark.usefixtures("prefect_harness")
def test_landings_with_resightings_load_idempotently_and_in_any_order(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_with_etags(loopback)
    catalog = write_catalog(tmp_path, loopback)
    source = tmp_path / "w.duckdb"
    first, second = run(catalog, source, T1), run(catalog, source, T2)
    assert second.documents_unchanged == 2
    landings = [runs_dir(source) / r.run_id / "landing" for r in (first, second)]
    hashes = []
    for name, order in (("forward", landings), ("backward", landings[::-1]), ("twice", [*landings, *landings])):
        db = tmp_path / f"{name}.duckdb"
        for landing in order:
            added = load_landing(db, landing)
        if name == "twice":
            assert set(added.values()) == {0}  # the second load of a landing adds nothing
        tables = [r[0] for r in query(db, "select table_name from duckdb_tables()")]
        # wall-clock times of the migrations and of the model refreshes differ between any two databases
        hashes.append(content_hash(db, [*tables, *PUBLIC_VIEWS], exclude=("applied_at", "built_at")))
    assert hashes[0] == hashes[1] == hashes[2]
    # two documents (summary.json, incidents.json), each with the incident and its two updates, last seen at T2
    members = query(
        tmp_path / "backward.duckdb", "select len(incident_versions), len(update_versions) from raw_documents"
    )
    assert members == [(1, 2), (1, 2)]
    sightings = query(tmp_path / "backward.duckdb", "select last_seen_at from raw_document_sightings")
    assert [iso(r[0]) for r in sightings] == ["2021-12-07T17:05:00+00:00"] * 2
    # loaded backward, the T2 resighting arrives before the members it bumps: the load of T1 catches up with it
    seen = query(tmp_path / "backward.duckdb", "select last_seen_at from raw_incident_versions")
    assert [iso(r[0]) for r in seen] == ["2021-12-07T17:05:00+00:00"]


def test_every_kind_that_reads_the_fetch_time_is_parsed_again_when_unchanged() -> None:
    """A kind whose records depend on when a body was fetched cannot have an unchanged body's parse skipped."""
    for name in registry.names():
        module = sys.modules[registry.get(name).parse.__module__]
        if "fetched_at" in inspect.getsource(module):
            assert registry.get(name).clock_dependent, f"{name} reads Document.fetched_at: set clock_dependent=True"
