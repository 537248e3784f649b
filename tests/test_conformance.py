"""Conformance: our parsers against the real captures in ../shared/samples (see its PROVENANCE.md).

The captures are read in place, never copied into the repo. Expected counts live in conformance_expected.json;
they were derived from the files independently of our parser (jq: Statuspage ``incidents`` +
``scheduled_maintenances`` (or the single ``incident``) and their ``incident_updates``; AWS ``current`` +
``archive`` entries and the number of ``<span class="yellowfg">`` post times in their descriptions).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from scrapers import registry
from scrapers.records import IMPACTS, UPDATE_STATUSES, Incident, IncidentUpdate, Parsed
from tests.helpers import assert_aware_utc, make_doc, utc

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
if not SAMPLES.is_dir():
    pytest.skip(f"real captures not available ({SAMPLES} is absent)", allow_module_level=True)

EXPECTED: dict[str, dict[str, object]] = json.loads(
    (Path(__file__).resolve().parent / "conformance_expected.json").read_text(encoding="utf-8")
)

# What this suite covers. Not yet supported, so not listed: AWS health.aws.amazon.com currentevents, all.rss,
# Statuspage history.atom/rss.
COVERED_GLOBS = {
    "statuspage/**/*.json": "statuspage",
    "aws-2021-12-07-correlated/*summary*.json": "statuspage",
    "aws/data.json_*.json": "aws_health",
    "aws/status.aws.amazon.com_data.json_*.json": "aws_health",
}
FETCHED_AT = datetime(2026, 9, 1, tzinfo=UTC)


def url_for(relative: str, kind: str) -> str:
    if kind == "aws_health":
        return "https://status.aws.amazon.com/data.json"
    return f"https://status.example.test/api/v2/{Path(relative).name}"


@cache
def parsed(relative: str) -> Parsed:
    kind = str(EXPECTED[relative]["kind"])
    body = (SAMPLES / relative).read_bytes()
    document = make_doc(url_for(relative, kind), body, source_id=f"conformance-{kind}", fetched_at=FETCHED_AT)
    return registry.get(kind).parse(document)


@cache
def raw(relative: str) -> object:
    return json.loads((SAMPLES / relative).read_bytes())


def incident(relative: str, native_id: str) -> tuple[Incident, list[IncidentUpdate]]:
    result = parsed(relative)
    matches = [i for i in result.incidents if i.native_id == native_id]
    assert len(matches) == 1, f"{relative}: expected one incident {native_id!r}, found {len(matches)}"
    return matches[0], [u for u in result.updates if u.incident_native_id == native_id]


CAPTURES = sorted(EXPECTED)
STATUSPAGE = [p for p in CAPTURES if EXPECTED[p]["kind"] == "statuspage"]
AWS = [p for p in CAPTURES if EXPECTED[p]["kind"] == "aws_health"]


def test_expectations_cover_exactly_the_captures() -> None:
    found = {
        str(path.relative_to(SAMPLES)): kind
        for pattern, kind in COVERED_GLOBS.items()
        for path in SAMPLES.glob(pattern)
    }
    missing = sorted(set(found) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(found))
    assert not missing, f"captures without an entry in conformance_expected.json (count them by hand): {missing}"
    assert not stale, f"conformance_expected.json names captures that are gone: {stale}"
    assert {p: EXPECTED[p]["kind"] for p in found} == found


@pytest.mark.parametrize("relative", CAPTURES)
def test_counts(relative: str) -> None:
    result = parsed(relative)
    expected = EXPECTED[relative]
    assert (len(result.incidents), len(result.updates), len(result.counts)) == (
        expected["incidents"],
        expected["updates"],
        0,
    )


@pytest.mark.parametrize("relative", CAPTURES)
def test_invariants(relative: str) -> None:
    result = parsed(relative)

    ids = [i.native_id for i in result.incidents]
    assert len(ids) == len(set(ids)), "incident native ids repeat within one document"
    for inc in result.incidents:
        assert inc.title.strip(), f"incident {inc.native_id} has an empty title"
        assert inc.status in UPDATE_STATUSES, inc
        assert inc.impact is None or inc.impact in IMPACTS, inc
        assert_aware_utc(inc.started_at, f"{inc.native_id} started_at")
        assert_aware_utc(inc.resolved_at, f"{inc.native_id} resolved_at")
        if inc.status == "resolved" and inc.resolved_at and inc.started_at:
            assert inc.started_at <= inc.resolved_at + timedelta(seconds=1), inc
    keys = [(u.incident_native_id, u.native_id) for u in result.updates]
    assert len(keys) == len(set(keys)), "update native ids repeat within one incident"
    known = set(ids)
    for update in result.updates:
        assert update.incident_native_id in known
        assert update.status in UPDATE_STATUSES, update
        assert_aware_utc(update.posted_at, f"update {update.native_id} posted_at")
        assert_aware_utc(update.created_at, f"update {update.native_id} created_at")


# ------------------------------------------------------------------------------------------------- Statuspage


def _raw_incidents(data: dict) -> list[dict]:
    if "incident" in data:
        return [data["incident"]]
    return list(data.get("incidents") or []) + list(data.get("scheduled_maintenances") or [])


@pytest.mark.parametrize("relative", STATUSPAGE)
def test_statuspage_times_match_the_payload(relative: str) -> None:
    """Each update's posted_at is its display_at and created_at its created_at, both in UTC, kept apart."""
    data = raw(relative)
    assert isinstance(data, dict)
    expected = {}
    for raw_incident in _raw_incidents(data):
        for raw_update in raw_incident.get("incident_updates") or []:
            created = utc(raw_update["created_at"])
            display = utc(raw_update["display_at"]) if raw_update.get("display_at") else created
            expected[(raw_incident["id"], raw_update["id"])] = (display, created, raw_update["status"])
    got = {
        (u.incident_native_id, u.native_id): (u.posted_at, u.created_at, u.status_native)
        for u in parsed(relative).updates
    }
    assert got == expected


@pytest.mark.parametrize("relative", STATUSPAGE)
def test_statuspage_incident_fields_match_the_payload(relative: str) -> None:
    data = raw(relative)
    assert isinstance(data, dict)
    by_id = {i.native_id: i for i in parsed(relative).incidents}
    for raw_incident in _raw_incidents(data):
        inc = by_id[raw_incident["id"]]
        assert inc.title == raw_incident["name"]
        assert inc.status_native == raw_incident["status"]
        assert inc.impact_native == raw_incident["impact"]
        start = raw_incident.get("started_at") or raw_incident["created_at"]
        assert inc.started_at == utc(start)
        if raw_incident.get("resolved_at"):
            assert inc.resolved_at == utc(raw_incident["resolved_at"])
        else:
            assert inc.resolved_at is None


def test_metastatuspage_update_keeps_created_and_display_apart() -> None:
    relative = "aws-2021-12-07-correlated/statuspage_meta_summary_2021-12-07T2339Z_monitoring.json"
    _, updates = incident(relative, "4qgqxtz1br4h")
    first = next(u for u in updates if u.native_id == "25rdvjptqwl6")
    assert first.created_at == utc("2021-12-07T10:59:02.940-08:00") == utc("2021-12-07T18:59:02.940Z")
    assert first.posted_at == utc("2021-12-07T10:59:02.000-08:00") == utc("2021-12-07T18:59:02Z")
    assert first.posted_at != first.created_at


def test_trello_new_york_offsets_become_utc() -> None:
    relative = "aws-2021-12-07-correlated/trello_summary_2021-12-07T1626Z_investigating.json"
    inc, updates = incident(relative, "hz4l1hj6cl4d")
    assert inc.title == "Degraded performance in Trello"
    # The record has no created_at; started_at comes from the payload's started_at (11:19:05.682-05:00).
    # The payload's created_at is 11:19:05.687-05:00 = 2021-12-07T16:19:05.687Z.
    assert inc.started_at == utc("2021-12-07T16:19:05.682Z")
    assert raw(relative)["incidents"][0]["created_at"] == "2021-12-07T11:19:05.687-05:00"  # type: ignore[index]
    assert utc("2021-12-07T11:19:05.687-05:00") == utc("2021-12-07T16:19:05.687Z")
    assert [(u.posted_at, u.created_at) for u in updates] == [
        (utc("2021-12-07T16:19:05.769Z"), utc("2021-12-07T16:19:05.769Z"))
    ]


def test_statuspage_status_json_only() -> None:
    assert len(parsed("statuspage/github/status_2026-08-22T2227Z.json")) == 0


# ---------------------------------------------------------------------------------------------- AWS data.json


@pytest.mark.parametrize("relative", AWS)
def test_aws_posts_are_in_order(relative: str) -> None:
    by_incident: dict[str, list[datetime]] = {}
    for update in parsed(relative).updates:
        by_incident.setdefault(update.incident_native_id, []).append(update.posted_at)
    for native_id, times in by_incident.items():
        assert times == sorted(times), f"{native_id}: posts out of order {times}"


@pytest.mark.parametrize("relative", AWS)
def test_aws_entries_match_the_payload(relative: str) -> None:
    data = raw(relative)
    assert isinstance(data, dict)
    entries = list(data.get("current") or []) + list(data.get("archive") or [])
    result = parsed(relative)
    assert [i.native_id for i in result.incidents] == [f"{e['service']}-{int(e['date'])}" for e in entries]
    for inc, entry in zip(result.incidents, entries, strict=True):
        assert inc.service_key == entry["service"]
        assert inc.impact_native == str(entry["status"])
        if str(entry["status"]) == "0":
            assert inc.impact is None
        if entry["summary"].startswith("[RESOLVED]"):
            assert inc.status == "resolved"
            assert "[RESOLVED]" not in inc.title


def test_aws_first_capture_management_console() -> None:
    relative = "aws/data.json_2021-12-07T1651Z.json"
    inc, updates = incident(relative, "management-console-1638894176")
    assert inc.service_key == "management-console"
    assert inc.region is None
    assert inc.impact == "major"  # status "2"
    assert inc.status != "resolved"
    assert updates[0].posted_at == utc("2021-12-07T16:22:00Z")  # " 8:22 AM PST"
    assert updates[0].status == "investigating"
    assert inc.started_at == utc("2021-12-07T16:22:00Z")


def test_aws_ecs_still_open_on_dec_8() -> None:
    relative = "aws/data.json_2021-12-08T0810Z.json"
    inc, updates = incident(relative, "ecs-us-east-1-1638919976")
    assert inc.status != "resolved"
    assert inc.resolved_at is None
    assert inc.region == "us-east-1"
    assert inc.impact == "minor"  # status "1"
    assert updates[-1].posted_at == utc("2021-12-08T07:01:00Z")  # "11:01 PM PST" on Dec 7
    assert max(u.posted_at for u in updates) == utc("2021-12-08T07:01:00Z")


def test_aws_archive_post_after_midnight_has_its_date() -> None:
    relative = "aws/status.aws.amazon.com_data.json_2022-07-03.json"
    inc, updates = incident(relative, "ecs-us-east-1-1638919976")
    assert inc.status == "resolved"
    assert inc.resolved_at is not None
    assert utc("2021-12-08T10:29:00Z") in [u.posted_at for u in updates]  # "Dec 8,  2:29 AM PST"
    assert updates[-1].posted_at == inc.resolved_at


def test_aws_event_starting_just_after_midnight_pdt() -> None:
    relative = "aws/data.json_2023-04-18_last_nonempty.json"
    _, updates = incident(relative, "grafana-us-west-2-1664954146")
    assert updates[0].posted_at == utc("2022-10-05T07:15:00Z")
