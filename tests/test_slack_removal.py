"""A note Slack deletes from an incident it still lists is kept and marked removed, never dropped or left current
(issue 14). Constructed series, our own words, read through the real ingest flow from a loopback server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from tests.helpers import utc
from tests.loopback import LoopbackServer, Route
from tests.series import Read, ingest_series

FIRST = {"date_created": "2026-02-10T09:00:00-08:00", "body": "Some uploads fail; we are looking."}
WRONG = {"date_created": "2026-02-10T09:20:00-08:00", "body": "Posted to the wrong incident by mistake."}
FIXED = {"date_created": "2026-02-10T10:30:00-08:00", "body": "Uploads work again for everyone."}


def incident(status: str, notes: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "id": 1901,
        "date_created": "2026-02-10T09:00:00-08:00",
        "date_updated": notes[0]["date_created"],
        "title": "Uploads fail",
        "type": "incident",
        "status": status,
        "url": "https://status.slack.com/2026-02/constructed",
        "services": ["Posts/Files"],
        "notes": notes,  # newest first, as Slack lists them
    }


READS = [
    ("2026-02-10T17:25:00+00:00", incident("active", [WRONG, FIRST])),
    ("2026-02-10T18:00:00+00:00", incident("active", [FIRST])),  # the stray note is gone
    ("2026-02-10T18:40:00+00:00", incident("resolved", [FIXED, FIRST])),
]


@pytest.fixture(scope="module")
def slack_db(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> duckdb.DuckDBPyConnection:
    path = "/api/v2.0.0/history"

    def reads(server: LoopbackServer) -> Iterator[Read]:
        catalog = f"""services:
  - {{id: slack, name: Slack}}
sources:
  - {{id: slack-status, kind: slack, url: "{server.url(path)}", service: slack}}
"""
        for at, listed in READS:
            yield at, catalog, {path: Route(json.dumps([listed]).encode())}

    return ingest_series(tmp_path_factory.mktemp("slack-removal") / "slack.duckdb", reads)


def test_a_deleted_slack_note_is_kept_and_marked_removed(slack_db: duckdb.DuckDBPyConnection) -> None:
    rows = slack_db.execute("select posted_at, body, removed_at from incident_updates order by posted_at").fetchall()
    assert rows == [
        (utc("2026-02-10T17:00:00Z"), FIRST["body"], None),
        (utc("2026-02-10T17:20:00Z"), WRONG["body"], utc(READS[1][0])),
        (utc("2026-02-10T18:30:00Z"), FIXED["body"], None),
    ]
    removed = slack_db.execute("select seen_at from incident_revisions where field = 'update_removed'").fetchall()
    assert removed == [(utc(READS[1][0]),)]
    assert slack_db.execute("select status, removed_at from incidents").fetchall() == [("resolved", None)]
