"""An AWS post is identified by its place in its event's list, checked against its words: a post at the same place
whose words are wholly different (a post inserted in the middle moved the places after it) is recorded as
`update_replaced`, never silently as an edit; a post reworded in place stays an edit (`update_body`). Constructed
data.json series served through the real pipeline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from tests.loopback import LoopbackServer, Route
from tests.series import Read, ingest_series

A = ("8:00 AM PST", "We are investigating increased error rates for the widget service in the US-EAST-1 Region.")
B = ("8:20 AM PST", "We have identified the root cause of the widget errors and are working towards recovery.")
B_REWORDED = ("8:20 AM PST", "We have identified the root cause of the widget errors and are working toward recovery.")
C = ("8:45 AM PST", "We are seeing improvement in error rates for the widget service and continue to monitor.")
X = ("8:10 AM PST", "Customers may also see elevated latencies when calling the gadget APIs from the console.")
READS = [
    ("2021-12-07T16:50:00+00:00", [A, B, C]),
    ("2021-12-07T17:00:00+00:00", [A, B_REWORDED, C]),  # one word changed in place: an edit
    ("2021-12-07T17:10:00+00:00", [A, X, B_REWORDED, C]),  # a post inserted in the middle: the places move
]
EVENT = "widgets-us-east-1-1638892800"  # 2021-12-07T16:00:00Z


def data_json(posts: list[tuple[str, str]]) -> bytes:
    description = "".join(f'<div><span class="yellowfg"> {t}</span>&nbsp;{text}</div>' for t, text in posts)
    event: dict[str, Any] = {
        "service_name": "Widgets (N. Virginia)",
        "summary": "Increased Error Rates",
        "date": "1638892800",
        "status": "1",
        "details": "",
        "description": description,
        "service": "widgets-us-east-1",
    }
    return json.dumps({"archive": [], "current": [event]}).encode()


@pytest.fixture(scope="module")
def aws_db(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> duckdb.DuckDBPyConnection:
    def reads(server: LoopbackServer) -> Iterator[Read]:
        catalog = f"""services:
  - {{id: aws, name: AWS}}
sources:
  - {{id: aws-health, kind: aws_health, url: "{server.url("/data.json")}", service: aws}}
"""
        for at, posts in READS:
            yield at, catalog, {"/data.json": Route(data_json(posts))}

    return ingest_series(tmp_path_factory.mktemp("aws-places") / "aws.duckdb", reads)


def revisions(con: duckdb.DuckDBPyConnection, field: str) -> list[tuple[str, str | None, str | None]]:
    return con.execute(
        "select strftime(seen_at, '%H:%M'), old_value, new_value from incident_revisions "
        "where incident_id = ? and field = ? order by seen_at, old_value",
        [f"aws-health:{EVENT}", field],
    ).fetchall()


def test_a_reworded_post_is_an_edit(aws_db: duckdb.DuckDBPyConnection) -> None:
    assert revisions(aws_db, "update_body")[0] == ("17:00", B[1], B_REWORDED[1])


def test_places_moved_by_an_insertion_are_replacements_not_edits(aws_db: duckdb.DuckDBPyConnection) -> None:
    assert revisions(aws_db, "update_replaced") == [
        ("17:10", C[1], B_REWORDED[1]),  # place 2 holds what was place 1
        ("17:10", B_REWORDED[1], X[1]),  # place 1 now holds the inserted post
    ]
    assert revisions(aws_db, "update_body") == [("17:00", B[1], B_REWORDED[1])]
    # the posts now listed are exactly the provider's four, in its order
    posts = aws_db.execute(
        "select update_id, body from incident_updates where incident_id = ? order by posted_at",
        [f"aws-health:{EVENT}"],
    ).fetchall()
    assert [body for _, body in posts] == [A[1], X[1], B_REWORDED[1], C[1]]
    timeline = aws_db.execute("select count(*) from timeline where title like '%update_replaced changed'").fetchone()
    assert timeline == (2,)
