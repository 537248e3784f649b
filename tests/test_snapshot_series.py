"""Real captured snapshots of the same incidents, served in order through the real pipeline, accumulate into one
incident each with all its updates, the right status path, and the revisions between snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from scrapers.kinds.aws_health import parse as aws_parse
from scrapers.kinds.statuspage import parse as statuspage_parse
from scrapers.records import Parsed
from tests.helpers import make_doc, utc
from tests.loopback import LoopbackServer, Route
from tests.series import Read, ingest_series

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not present")

AWS = [
    ("aws/data.json_2021-12-07T1651Z.json", "2021-12-07T16:51:55+00:00"),
    ("aws/data.json_2021-12-07T1719Z.json", "2021-12-07T17:19:02+00:00"),
    ("aws/data.json_2021-12-07T2347Z.json", "2021-12-07T23:47:45+00:00"),
    ("aws/data.json_2021-12-08T0228Z.json", "2021-12-08T02:28:24+00:00"),
    ("aws/data.json_2021-12-08T0810Z.json", "2021-12-08T08:10:51+00:00"),
]
GITHUB = [
    "statuspage/github/summary_2022-01-28T0109Z_investigating.json",
    "statuspage/github/summary_2022-01-28T0205Z_monitoring.json",
]
BITBUCKET = [
    "aws-2021-12-07-correlated/bitbucket_summary_2021-12-07T1703Z_investigating.json",
    "aws-2021-12-07-correlated/bitbucket_summary_2021-12-07T2250Z_monitoring.json",
]


@pytest.fixture(scope="module")
def series_db(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> duckdb.DuckDBPyConnection:
    def reads(server: LoopbackServer) -> Iterator[Read]:
        catalog = f"""services:
  - {{id: aws, name: AWS}}
  - {{id: github, name: GitHub}}
  - {{id: bitbucket, name: Bitbucket}}
sources:
  - {{id: aws-health, kind: aws_health, url: "{server.url("/aws/data.json")}", service: aws}}
  - {{id: github-status, kind: statuspage, url: "{server.url("/github/summary.json")}", service: github}}
  - {{id: bitbucket-status, kind: statuspage, url: "{server.url("/bitbucket/summary.json")}", service: bitbucket}}
"""
        for step, (aws_file, captured_at) in enumerate(AWS):
            # the two Statuspage series have two captures each: the first early, the second from step 2 on
            yield (
                captured_at,
                catalog,
                {
                    "/aws/data.json": Route((SAMPLES / aws_file).read_bytes()),
                    "/github/summary.json": Route((SAMPLES / GITHUB[min(step // 2, 1)]).read_bytes()),
                    "/bitbucket/summary.json": Route((SAMPLES / BITBUCKET[min(step // 2, 1)]).read_bytes()),
                },
            )

    return ingest_series(tmp_path_factory.mktemp("series") / "series.duckdb", reads)


def test_aws_console_event_is_one_incident_with_its_whole_path(series_db: duckdb.DuckDBPyConnection) -> None:
    incident = "aws-health:management-console-1638894176"
    row = series_db.execute(
        "select status, impact, versions, resolved_at from incidents where incident_id = ?", [incident]
    ).fetchone()
    assert row is not None
    status, impact, versions, resolved_at = row
    assert (status, impact) == ("resolved", "major")
    assert versions >= 2
    assert resolved_at.isoformat() == "2021-12-08T01:14:00+00:00"
    posts = series_db.execute("select count(*) from incident_updates where incident_id = ?", [incident]).fetchone()
    assert posts == (4,)
    revisions = series_db.execute(
        "select field, old_value, new_value from incident_revisions where incident_id = ? order by seen_at, field",
        [incident],
    ).fetchall()
    assert any(f == "status" and n == "resolved" for f, _, n in revisions)
    assert any(f == "update_added" for f, _, _ in revisions)
    assert ("resolved_at", None, "2021-12-08T01:14:00Z") in revisions


def test_events_that_appeared_later_are_added_not_duplicated(series_db: duckdb.DuckDBPyConnection) -> None:
    day = series_db.execute(
        "select service_key from incidents where source_id = 'aws-health' and started_at >= '2021-12-07' "
        "order by started_at"
    ).fetchall()
    assert [k for (k,) in day] == [
        "management-console",
        "ec2-us-east-1",
        "connect-us-east-1",
        "dynamodb-us-east-1",
        "supportcenter",
        "events-us-east-1",
        "apigateway-us-east-1",
        "ecs-us-east-1",
        "batch-us-east-1",
    ]


def test_github_incident_goes_from_investigating_to_monitoring(series_db: duckdb.DuckDBPyConnection) -> None:
    rows = series_db.execute(
        "select incident_id, title, status from incidents where source_id = 'github-status'"
    ).fetchall()
    dashboard = [r for r in rows if r[1] == "Errors on the GitHub Dashboard"]
    assert len(dashboard) == 1
    assert dashboard[0][2] == "monitoring"
    incident = dashboard[0][0]
    assert series_db.execute("select count(*) from incident_updates where incident_id = ?", [incident]).fetchone() == (
        3,
    )
    fields = series_db.execute(
        "select field, old_value, new_value from incident_revisions where incident_id = ?", [incident]
    ).fetchall()
    assert ("status", "investigating", "monitoring") in fields
    assert sum(1 for f, _, _ in fields if f == "update_added") == 1


def test_bitbucket_rename_and_component_changes(series_db: duckdb.DuckDBPyConnection) -> None:
    incident = "bitbucket-status:k6pbf7mbxhdd"
    fields = series_db.execute(
        "select field, old_value, new_value from incident_revisions where incident_id = ?", [incident]
    ).fetchall()
    assert (
        "title",
        "Pipelines are stuck in pending state",
        "Bitbucket Pipelines are not operational, Webhooks History is unavailable",
    ) in fields
    assert series_db.execute("select count(*) from incident_updates where incident_id = ?", [incident]).fetchone() == (
        6,
    )
    pipelines = series_db.execute(
        "select state from component_states where component_id = 'bitbucket-status:rzh2n85q7vtt' order by changed_at"
    ).fetchall()
    assert ("major_outage",) in pipelines
    affected = series_db.execute(
        "select component_id from incident_components where incident_id = ? order by 1", [incident]
    ).fetchall()
    assert affected == [("bitbucket-status:rfzky0v13fbp",), ("bitbucket-status:rzh2n85q7vtt",)]


def test_aws_post_re_dated_in_place_stays_one_post(series_db: duckdb.DuckDBPyConnection) -> None:
    # AWS's own final record of its 7 December (Pacific time) holds 34 posts; Amazon Connect's third post read 17:08Z
    # (a copy of the second) at 17:19Z and 17:18Z, rewritten, in every later capture: one post, revised
    posts = series_db.execute(
        "select count(*) from incident_updates join incidents using (incident_id) "
        "where incidents.source_id = 'aws-health' "
        "and posted_at >= '2021-12-07T08:00:00Z' and posted_at < '2021-12-08T08:00:00Z'"
    ).fetchone()
    assert posts == (34,)
    connect = "aws-health:connect-us-east-1-1638896019"
    third = series_db.execute(
        "select posted_at, body from incident_updates where incident_id = ? and update_id = '2'", [connect]
    ).fetchone()
    assert third is not None
    assert third[0].isoformat() == "2021-12-07T17:18:00+00:00"
    assert third[1].startswith("We can confirm degraded Contact handling")
    revisions = series_db.execute(
        "select field, old_value, new_value from incident_revisions where incident_id = ? "
        "and field in ('update_posted_at', 'update_body') order by field",
        [connect],
    ).fetchall()
    assert [(f, o, n) for f, o, n in revisions if f == "update_posted_at"] == [
        ("update_posted_at", "2021-12-07T17:08:00Z", "2021-12-07T17:18:00Z")
    ]
    assert any(f == "update_body" and n.startswith("We can confirm") for f, _, n in revisions)


# ------------------------------------------------------------------- against the providers' final records

FINAL = {  # source: its last capture of the series, read as the provider's final record
    "aws-health": ("aws/data.json_2021-12-08T0810Z.json", "/aws/data.json", aws_parse),
    "github-status": (GITHUB[-1], "/github/summary.json", statuspage_parse),
    "bitbucket-status": (BITBUCKET[-1], "/bitbucket/summary.json", statuspage_parse),
}


def final_record(source_id: str) -> Parsed:
    capture, path, parse = FINAL[source_id]
    return parse(make_doc(f"http://127.0.0.1{path}", (SAMPLES / capture).read_bytes(), fetched_at=utc("2022-02-01Z")))


@pytest.mark.parametrize("source_id", sorted(FINAL))
def test_current_posts_times_and_statuses_equal_the_final_record(
    series_db: duckdb.DuckDBPyConnection, source_id: str
) -> None:
    final = final_record(source_id)
    # each view is read once (AWS's final record lists hundreds of incidents), then compared incident by incident
    rows = {
        incident_id: tuple(rest)
        for incident_id, *rest in series_db.execute(
            "select incident_id, status, resolved_at, removed_at from incidents"
        ).fetchall()
    }
    current_posts: dict[str, list[tuple[Any, ...]]] = {}
    for incident_id, *post in series_db.execute(
        "select incident_id, update_id, date_trunc('second', posted_at), status from incident_updates "
        "where removed_at is null order by incident_id, update_id"
    ).fetchall():
        current_posts.setdefault(incident_id, []).append(tuple(post))
    for incident in final.incidents:
        incident_id = f"{source_id}:{incident.native_id}"
        row = rows.get(incident_id)
        assert row == (incident.status, incident.resolved_at, None), incident_id
        expected = sorted(
            (u.native_id, u.posted_at.replace(microsecond=0), u.status)
            for u in final.updates
            if u.incident_native_id == incident.native_id
        )
        assert current_posts.get(incident_id, []) == expected, incident_id


def test_nothing_the_final_records_still_list_is_marked_removed(series_db: duckdb.DuckDBPyConnection) -> None:
    listed = {f"{s}:{i.native_id}" for s in FINAL for i in final_record(s).incidents}
    removed = series_db.execute("select incident_id from incidents where removed_at is not null").fetchall()
    assert not listed & {i for (i,) in removed}
    gone = series_db.execute("select count(*) from incident_updates where removed_at is not null").fetchone()
    assert gone == (0,)  # the providers took no post down in these series
