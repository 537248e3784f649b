"""Component onsets: the first reading of a component in trouble is a change into that state, dated by the provider
when its payload dates it and labelled "observed" when only our read does."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from scrapers.kinds.slack import parse as parse_slack
from tests.helpers import make_doc, utc
from warehouse.db import connect, migrate
from warehouse.models import build_models

FIXTURES = Path(__file__).parent / "fixtures"


def test_slack_dates_each_services_onset_and_end_from_its_incident() -> None:
    doc = make_doc(
        "https://slack-status.test/api/v2.0.0/history",
        (FIXTURES / "slack_history.json").read_bytes(),
        fetched_at=utc("2026-03-01T00:00:00Z"),
    )
    changes = [(c.component_native_id, c.changed_at, c.old_state, c.state) for c in parse_slack(doc).component_changes]
    assert ("Posts/Files", utc("2026-02-10T17:00:00Z"), None, "partial_outage") in changes
    assert ("Posts/Files", utc("2026-02-10T19:45:00Z"), "partial_outage", "operational") in changes
    assert not [c for c in changes if c[0] == "Search"]  # a notice changes no state


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = connect(":memory:")
    migrate(connection)
    rows = [
        ("s:api", "h1", "2024-05-01T10:00:00Z", "partial_outage"),
        ("s:api", "h2", "2024-05-01T11:00:00Z", "operational"),
        ("s:web", "h1", "2024-05-01T10:00:00Z", "operational"),
    ]
    for component_id, sha, at, state in rows:
        connection.execute(
            "insert into raw_component_observations values (?, ?, 's', 'svc', ?, ?, null, ?, null, ?, 'https://s.test/x')",
            [component_id, sha, component_id.split(":")[1], component_id.split(":")[1].upper(), state, utc(at)],
        )
    connection.execute(
        "insert into raw_component_changes values "
        "('s:web', ?, 'major_outage', null, 'operational', null, 's', ?, 'https://s.test/y')",
        [utc("2024-05-01T10:20:00Z"), utc("2024-05-01T10:30:00Z")],
    )
    build_models(connection)
    return connection


def test_first_reading_in_trouble_is_an_onset_labelled_observed(con: duckdb.DuckDBPyConnection) -> None:
    states = con.execute(
        "select component_id, changed_at, previous_state, state, time_source from component_states order by 1, 2"
    ).fetchall()
    assert states == [
        ("s:api", utc("2024-05-01T10:00:00Z"), None, "partial_outage", "observed"),
        ("s:api", utc("2024-05-01T11:00:00Z"), "partial_outage", "operational", "observed"),
        ("s:web", utc("2024-05-01T10:00:00Z"), None, "operational", "observed"),
        ("s:web", utc("2024-05-01T10:20:00Z"), "operational", "major_outage", "provider"),
    ]
    titles = con.execute("select title from timeline where kind = 'component_change' order by occurred_at").fetchall()
    assert titles == [
        ("API: ? → partial_outage (observed at 2024-05-01 10:00Z)",),  # the onset, though first seen so
        ("WEB: operational → major_outage",),  # dated by the provider
        ("API: partial_outage → operational (observed at 2024-05-01 11:00Z)",),
    ]
