"""Acknowledgment states: a spike of a service nobody reads a status page for is "no status page tracked", never
"unacknowledged" (constructed series through the real views)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest

from scrapers.catalog import parse_catalog
from scrapers.landing import status_sources
from warehouse.db import connect, migrate
from warehouse.models import build_models
from warehouse.readouts.markdown import render_markdown
from warehouse.readouts.report import gather
from warehouse.readouts.selection import Selection
from warehouse.timeline import Window, outage_rows, render_text

START = datetime(2021, 11, 20, tzinfo=UTC)
STEP = 8 * 96 + 40  # day 8, 10:00Z


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = connect(":memory:")
    migrate(connection)
    for service, watched in (("acked", ["acked-status"]), ("silent", ["silent-status"]), ("brand", [])):
        connection.execute(
            "insert into raw_services (service_id, name, aliases, depends_on, exclusions, status_sources) "
            "values (?, ?, [], [], [], ?)",
            [service, service.title(), watched],
        )
        connection.execute(
            """
            insert into raw_complaint_counts
            select 'src', ?, ts, case when ts >= ? and ts < ? then 300 else 7 end, null, now(), 'http://x.test/c.csv'
            from unnest(generate_series(?::timestamptz, ?::timestamptz, interval 15 minute)) as t(ts)
            """,
            [
                service,
                START + timedelta(minutes=15 * STEP),
                START + timedelta(minutes=15 * (STEP + 6)),
                START,
                START + timedelta(days=10) - timedelta(minutes=15),
            ],
        )
    spike_start = START + timedelta(minutes=15 * STEP)
    connection.execute(
        "insert into raw_incident_versions (incident_id, version_hash, source_id, service_id, native_id, title, "
        "impact, status, started_at, first_seen_at, last_seen_at, source_url) values "
        "('acked-status:1', 'v', 'acked-status', 'acked', '1', 'Down', 'major', 'investigating', ?, now(), now(), 'u')",
        [spike_start + timedelta(minutes=20)],
    )
    connection.execute(
        "insert into raw_update_versions (incident_id, update_id, version_hash, source_id, posted_at, status, "
        "first_seen_at, last_seen_at, source_url) values "
        "('acked-status:1', 'u1', 'v', 'acked-status', ?, 'investigating', now(), now(), 'u')",
        [spike_start + timedelta(minutes=20)],
    )
    build_models(connection)
    return connection


def test_three_acknowledgment_states(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select service_id, acknowledgment, time_to_acknowledge, acknowledged from outages order by service_id"
    ).fetchall()
    assert rows == [
        ("acked", "acknowledged", timedelta(minutes=20), True),
        ("brand", "no_status_source", None, False),
        ("silent", "unacknowledged", None, False),
    ]


def test_ledger_counts_unacknowledged_only_for_watched_services(con: duckdb.DuckDBPyConnection) -> None:
    ledger = con.execute(
        "select service_id, unacknowledged_spikes, untracked_spikes, spikes from acknowledgment_ledger order by 1"
    ).fetchall()
    assert ledger == [("acked", 0, 0, 1), ("brand", 0, 1, 1), ("silent", 1, 0, 1)]
    between = con.execute(
        "select service_id, unacknowledged_spikes, untracked_spikes from "
        "acknowledgment_ledger_between('2021-11-01', '2021-12-01') order by 1"
    ).fetchall()
    assert between == [("acked", 0, 0), ("brand", 0, 1), ("silent", 1, 0)]


def test_terminal_and_markdown_say_no_status_page_tracked(con: duckdb.DuckDBPyConnection) -> None:
    outages = outage_rows(con, Window())
    zone = ZoneInfo("UTC")
    text = render_text([], outages, zone)
    brand = next(line for line in text.splitlines() if line.strip().startswith("brand"))
    silent = next(line for line in text.splitlines() if line.strip().startswith("silent"))
    assert "no status page tracked" in brand
    assert "never" not in brand
    assert "never" in silent  # a watched status page that posted nothing
    window = Selection.window(datetime(2021, 11, 1, tzinfo=UTC), datetime(2021, 12, 1, tzinfo=UTC))
    markdown = render_markdown(gather(con, window, zone, title="t"))
    assert "| brand |" in markdown
    assert "no status page tracked" in markdown


def test_status_sources_are_the_non_complaint_sources_of_a_service() -> None:
    catalog = parse_catalog(
        """
services:
  - {id: aws, name: AWS}
  - {id: netflix, name: Netflix}
sources:
  - {id: aws-health, kind: aws_health, url: "https://x.test/aws/data.json", service: aws}
  - {id: aws-dd, kind: downdetector, url: "https://x.test/dd/aws", service: aws}
  - {id: netflix-dd, kind: downdetector, url: "https://x.test/dd/netflix", service: netflix}
""",
        "catalog.yaml",
    )
    assert status_sources(catalog, "aws") == ["aws-health"]
    assert status_sources(catalog, "netflix") == []
