"""Posts and incidents the provider took down, and ones that only left a bounded or open-only list: constructed
Statuspage series served through the real pipeline (loopback server, Prefect flow, DuckDB file)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from tests.loopback import LoopbackServer, Route
from tests.series import Read, ingest_series

READS = ("2024-05-01T10:00:00+00:00", "2024-05-01T11:00:00+00:00", "2024-05-01T12:00:00+00:00")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def update(uid: str, status: str, at: str, body: str) -> dict[str, Any]:
    return {"id": uid, "status": status, "body": body, "created_at": at, "display_at": at}


def incident(iid: str, status: str, start: str, updates: list[dict[str, Any]]) -> dict[str, Any]:
    resolved = updates[0]["display_at"] if status == "resolved" else None
    return {
        "id": iid,
        "name": f"Incident {iid}",
        "status": status,
        "impact": "minor",
        "created_at": start,
        "started_at": start,
        "resolved_at": resolved,
        "shortlink": f"https://stspg.test/{iid}",
        "incident_updates": updates,  # newest first, as Statuspage lists them
    }


A1 = update("a1", "investigating", "2024-05-01T09:00:00Z", "Looking into errors.")
A2 = update("a2", "identified", "2024-05-01T09:20:00Z", "A bad deploy, rolling back.")
A3 = update("a3", "monitoring", "2024-05-01T09:40:00Z", "Fix out.")
A3_EDITED = update("a3", "monitoring", "2024-05-01T09:40:00.250Z", "Fix out, watching error rates.")
B = incident("bbb", "resolved", "2024-04-20T08:00:00Z", [update("b1", "resolved", "2024-04-20T09:00:00Z", "Done.")])
C = incident("ccc", "resolved", "2024-04-10T08:00:00Z", [update("c1", "resolved", "2024-04-10T09:00:00Z", "Done.")])
D = incident("ddd", "resolved", "2024-05-01T09:30:00Z", [update("d1", "resolved", "2024-05-01T09:50:00Z", "Done.")])

R1 = update("r1", "investigating", "2024-05-01T08:00:00Z", "Slow logins.")


def returning(status: str) -> dict[str, Any]:
    return incident("rrr", status, "2024-05-01T08:00:00Z", [R1])


# incidents.json (closed incidents too; bounded: the latest N), then summary.json (open incidents only); incident
# rrr goes investigating → monitoring → investigating with nothing else changed (its third version is its first)
HISTORY = [
    [incident("aaa", "monitoring", "2024-05-01T09:00:00Z", [A3, A2, A1]), returning("investigating"), B, C],
    # a2 taken down, a3 edited by 250 ms; incident bbb taken down (ccc, older, is still listed)
    [incident("aaa", "monitoring", "2024-05-01T09:00:00Z", [A3_EDITED, A1]), returning("monitoring"), C],
    # a new incident on top pushes ccc, the oldest, off the end of the bounded list: not a removal
    [D, incident("aaa", "monitoring", "2024-05-01T09:00:00Z", [A3_EDITED, A1]), returning("investigating")],
]
OPEN = [
    [
        incident(
            "ooo",
            "investigating",
            "2024-05-01T09:55:00Z",
            [update("o1", "investigating", "2024-05-01T09:55:00Z", "Hm.")],
        )
    ],
    [],  # it closed: an open-only list drops it
    [],
]


@pytest.fixture(scope="module")
def removals_db(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> duckdb.DuckDBPyConnection:
    def reads(server: LoopbackServer) -> Iterator[Read]:
        catalog = f"""services:
  - {{id: svc, name: Svc}}
sources:
  - {{id: svc-history, kind: statuspage, url: "{server.url("/api/v2/incidents.json")}", service: svc}}
  - {{id: svc-open, kind: statuspage, url: "{server.url("/api/v2/summary.json")}", service: svc}}
"""
        for at, history, open_now in zip(READS, HISTORY, OPEN, strict=True):
            yield (
                at,
                catalog,
                {
                    "/api/v2/incidents.json": Route(json.dumps({"incidents": history}).encode()),
                    "/api/v2/summary.json": Route(json.dumps({"incidents": open_now}).encode()),
                },
            )

    return ingest_series(tmp_path_factory.mktemp("removals") / "removals.duckdb", reads)


def test_a_removed_post_is_kept_and_marked(removals_db: duckdb.DuckDBPyConnection) -> None:
    rows = removals_db.execute(
        "select update_id, removed_at from incident_updates where incident_id = 'svc-history:aaa' order by posted_at"
    ).fetchall()
    assert rows == [("a1", None), ("a2", utc(READS[1])), ("a3", None)]
    revisions = removals_db.execute(
        "select seen_at, old_value from incident_revisions where field = 'update_removed'"
    ).fetchall()
    assert revisions == [(utc(READS[1]), "a2 [identified] 2024-05-01T09:20:00Z")]
    title = removals_db.execute(
        "select title from timeline where kind = 'official_update' and occurred_at = '2024-05-01T09:20:00Z'"
    ).fetchone()
    assert title is not None
    assert title[0].endswith("(removed by the provider at 2024-05-01 11:00Z)")


def test_a_removed_incident_is_kept_and_one_falling_off_a_bounded_list_is_not(
    removals_db: duckdb.DuckDBPyConnection,
) -> None:
    rows = removals_db.execute("select incident_id, removed_at from incidents order by incident_id").fetchall()
    assert rows == [
        ("svc-history:aaa", None),
        ("svc-history:bbb", utc(READS[1])),
        ("svc-history:ccc", None),  # the oldest, pushed off the end of the list
        ("svc-history:ddd", None),
        ("svc-history:rrr", None),
        ("svc-open:ooo", None),  # closed: an open-only list drops it
    ]
    removed = removals_db.execute(
        "select incident_id, old_value from incident_revisions where field = 'incident_removed'"
    ).fetchall()
    assert removed == [("svc-history:bbb", "Incident bbb")]


def test_an_edit_in_place_is_one_post_with_a_revision(removals_db: duckdb.DuckDBPyConnection) -> None:
    posts = removals_db.execute(
        "select count(*) from incident_updates where incident_id = 'svc-history:aaa' and update_id = 'a3'"
    ).fetchone()
    assert posts == (1,)
    fields = removals_db.execute(
        "select field from incident_revisions where incident_id = 'svc-history:aaa' order by field"
    ).fetchall()
    assert ("update_body",) in fields
    assert ("update_removed",) in fields


def test_rows_are_never_deleted(removals_db: duckdb.DuckDBPyConnection) -> None:
    counts = removals_db.execute("select count(*) from incidents").fetchone()
    assert counts == (6,)


def test_a_return_to_an_earlier_status_is_a_revision_when_first_seen(removals_db: duckdb.DuckDBPyConnection) -> None:
    steps = removals_db.execute(
        "select seen_at, old_value, new_value from incident_revisions "
        "where incident_id = 'svc-history:rrr' and field = 'status' order by seen_at"
    ).fetchall()
    assert steps == [
        (utc(READS[1]), "investigating", "monitoring"),
        (utc(READS[2]), "monitoring", "investigating"),  # the first version again: seen when it returned
    ]


def test_an_edit_by_milliseconds_is_a_revision(removals_db: duckdb.DuckDBPyConnection) -> None:
    moved = removals_db.execute(
        "select seen_at, old_value, new_value from incident_revisions "
        "where incident_id = 'svc-history:aaa' and field = 'update_posted_at'"
    ).fetchall()
    assert moved == [(utc(READS[1]), "2024-05-01T09:40:00Z", "2024-05-01T09:40:00.25Z")]
