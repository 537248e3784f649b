"""The ingest flow end to end: a real Prefect flow, a real Scrapy crawl of a loopback server, a real DuckDB file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from flows.cli import main
from flows.ingest import ingest
from flows.paths import runs_dir
from tests.loopback import LoopbackServer, Route
from warehouse.load import load_landing
from warehouse.models import PUBLIC_VIEWS

SUMMARY = {
    "page": {
        "id": "p1",
        "name": "Example",
        "url": "https://status.example.com",
        "time_zone": "America/New_York",
    },
    "components": [
        {"id": "c1", "name": "API", "status": "partial_outage", "group_id": "g1", "group": False},
        {"id": "g1", "name": "Core", "status": "operational", "group": True},
    ],
    "incidents": [
        {
            "id": "inc1",
            "name": "Elevated errors",
            "status": "identified",
            "impact": "major",
            "created_at": "2021-12-07T11:19:05.687-05:00",
            "started_at": "2021-12-07T11:19:05.682-05:00",
            "resolved_at": None,
            "shortlink": "https://stspg.io/x",
            "incident_updates": [
                {
                    "id": "u2",
                    "status": "identified",
                    "body": "Found it.",
                    "created_at": "2021-12-07T11:40:00-05:00",
                    "display_at": "2021-12-07T11:40:00-05:00",
                },
                {
                    "id": "u1",
                    "status": "investigating",
                    "body": "Looking.",
                    "created_at": "2021-12-07T11:19:06-05:00",
                    "display_at": "2021-12-07T11:19:06-05:00",
                },
            ],
        }
    ],
    "scheduled_maintenances": [],
    "status": {"indicator": "major", "description": "Partial System Outage"},
}
INCIDENTS = {"page": SUMMARY["page"], "incidents": SUMMARY["incidents"]}
COUNTS = "service,bucket_start,reports\nexample,2021-12-07T16:00:00Z,12\nExample Co,2021-12-07T16:15:00Z,40\n"


def write_catalog(tmp_path: Path, server: LoopbackServer, extra_sources: str = "") -> Path:
    catalog = tmp_path / "sources.yaml"
    catalog.write_text(
        f"""services:
  - {{id: example, name: Example Co, aliases: [example], depends_on: []}}
sources:
  - {{id: good-status, kind: statuspage, url: "{server.url("/good")}", service: example}}
  - {{id: counts, kind: report_counts, url: "{server.url("/counts.csv")}"}}
{extra_sources}""",
        encoding="utf-8",
    )
    return catalog


def serve_good(server: LoopbackServer) -> None:
    server.routes["/good/api/v2/summary.json"] = Route(json.dumps(SUMMARY).encode())
    server.routes["/good/api/v2/incidents.json"] = Route(json.dumps(INCIDENTS).encode())
    server.routes["/counts.csv"] = Route(COUNTS.encode(), content_type="text/csv")


def content_hash(db: Path, names: list[str], exclude: tuple[str, ...] = ()) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent hash of every row, per table or view (minus ``exclude`` columns)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for name in names:
            columns = [r[0] for r in con.execute(f'describe "{name}"').fetchall() if r[0] not in exclude]
            rows = con.execute(f'select {", ".join(columns)} from "{name}"').fetchall()
            digest = hashlib.sha256("\n".join(sorted(repr(r) for r in rows)).encode()).hexdigest()
            out[name] = (len(rows), digest)
        return out
    finally:
        con.close()


@pytest.mark.usefixtures("prefect_harness")
def test_broken_sources_do_not_stop_the_others(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_good(loopback)
    loopback.routes["/broken/api/v2/summary.json"] = Route(b'{"error": "boom"}', status=500)
    loopback.routes["/broken/api/v2/incidents.json"] = Route(b'{"error": "boom"}', status=500)
    loopback.routes["/slow.json"] = Route(b"{}", delay=4)
    loopback.routes["/html.json"] = Route(
        b"<!DOCTYPE html><html><body>Service Unavailable</body></html>", content_type="text/html"
    )
    catalog = write_catalog(
        tmp_path,
        loopback,
        f"""  - {{id: broken, kind: statuspage, url: "{loopback.url("/broken")}", service: example}}
  - {{id: slow, kind: statuspage, url: "{loopback.url("/slow.json")}", service: example}}
  - {{id: html, kind: statuspage, url: "{loopback.url("/html.json")}", service: example}}
""",
    )
    db = tmp_path / "w.duckdb"
    result = CliRunner().invoke(main, ["ingest", "--sources", str(catalog), "--db", str(db), "--timeout", "1"])
    assert result.exit_code == 1, result.output
    assert "2/5 sources loaded" in result.output

    con = duckdb.connect(str(db), read_only=True)
    errors = dict(con.execute("select source_id, string_agg(error, ' | ') from ingest_errors group by 1").fetchall())
    assert set(errors) == {"broken", "slow", "html"}
    assert "HTTP 500" in errors["broken"]
    assert "timed out after 1s" in errors["slow"]
    assert "got an HTML page" in errors["html"]
    # the 500 was retried (3 requests per URL), then recorded with its body kept
    assert loopback.hits["/broken/api/v2/summary.json"] == 3
    kept = con.execute("select count(*) from raw_fetches where source_id = 'broken' and sha256 is not null").fetchone()
    assert kept == (2,)
    # the good sources loaded in full, times normalized to UTC
    incident = con.execute("select incident_id, status, impact, started_at from incidents").fetchall()
    assert [(r[0], r[1], r[2], r[3].isoformat()) for r in incident] == [
        ("good-status:inc1", "identified", "major", "2021-12-07T16:19:05.682000+00:00")
    ]
    assert con.execute("select count(*) from incident_updates").fetchone() == (2,)
    counts = con.execute("select service_id, reports from complaint_counts order by bucket_start").fetchall()
    assert counts == [("example", 12), ("example", 40)]  # an alias ("Example Co") resolves to the service id
    con.close()


@pytest.mark.usefixtures("prefect_harness")
def test_ingest_twice_changes_nothing(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_good(loopback)
    catalog = write_catalog(tmp_path, loopback)
    db = tmp_path / "w.duckdb"
    first = ingest(sources=str(catalog), db=str(db), timeout_seconds=5)
    assert first.exit_code == 0
    # source_status is the run log by design (attempts, last read); everything else must be unchanged
    views = [v for v in PUBLIC_VIEWS if v != "source_status"]
    stable = [*views, "raw_incident_versions", "raw_update_versions", "raw_complaint_counts"]
    # A re-read moves only the sighting times forward: by design, not a change.
    sightings = ("last_seen_at", "observed_at", "last_read_at")
    before = content_hash(db, stable, sightings)
    second = ingest(sources=str(catalog), db=str(db), timeout_seconds=5)
    assert second.exit_code == 0
    assert second.rows_added["raw_incident_versions"] == 0
    assert content_hash(db, stable, sightings) == before
    # the run log is the only thing a second run adds: one run, and one fetch per URL
    assert second.rows_added["raw_ingest_runs"] == 1
    assert second.rows_added["raw_fetches"] == 3


@pytest.mark.usefixtures("prefect_harness")
def test_loading_the_same_run_twice_leaves_the_database_identical(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_good(loopback)
    catalog = write_catalog(tmp_path, loopback)
    db = tmp_path / "w.duckdb"
    result = ingest(sources=str(catalog), db=str(db), timeout_seconds=5)
    con = duckdb.connect(str(db), read_only=True)
    tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
    con.close()
    before = content_hash(db, [*tables, *PUBLIC_VIEWS])
    added = load_landing(db, runs_dir(db) / result.run_id / "landing")
    assert set(added.values()) == {0}
    assert content_hash(db, [*tables, *PUBLIC_VIEWS]) == before


def test_bad_catalog_is_a_usage_error_naming_the_line(tmp_path: Path) -> None:
    catalog = tmp_path / "sources.yaml"
    catalog.write_text(
        "services:\n  - {id: a, name: A}\nsources:\n  - {id: s, kind: nosuchkind, url: 'https://x.test/'}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["ingest", "--sources", str(catalog), "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert f"{catalog}:4" in result.output
    assert "unknown kind 'nosuchkind'" in result.output
    assert not (tmp_path / "w.duckdb").exists()  # nothing fetched, nothing written


@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_read_is_never_all_clear(tmp_path: Path, loopback: LoopbackServer) -> None:
    serve_good(loopback)
    catalog = write_catalog(tmp_path, loopback)
    db = tmp_path / "w.duckdb"
    assert ingest(sources=str(catalog), db=str(db), timeout_seconds=5).exit_code == 0
    loopback.routes["/good/api/v2/summary.json"] = Route(
        b"upstream connect error", status=503, content_type="text/plain"
    )
    assert ingest(sources=str(catalog), db=str(db), timeout_seconds=5).exit_code == 1
    con = duckdb.connect(str(db), read_only=True)
    component = con.execute("select name, group_name, state, stale from components").fetchall()
    assert component == [("API", "Core", "partial_outage", True)]  # last known state, marked stale
    status = con.execute("select stale, last_error from source_status where source_id = 'good-status'").fetchone()
    assert status is not None
    assert status[0] is True
    assert "HTTP 503" in status[1]
    incident = con.execute("select status from incidents").fetchall()
    assert incident == [("identified",)]  # not resolved because a read failed
    con.close()
