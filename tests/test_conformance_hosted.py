"""Conformance of the hosted status-page kinds against the real captures in ../shared/samples (see PROVENANCE.md).

The captures are read in place, never copied. Expected counts live in conformance_hosted.json, counted from the files
with plain ``json`` (how is written there), not with our parsers. The field checks below also read the raw payload
directly and compare it with what the parser made of it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scrapers import registry
from scrapers.records import COMPONENT_STATES, IMPACTS, UPDATE_STATUSES, Parsed
from tests.helpers import assert_aware_utc, make_doc, utc

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
if not SAMPLES.is_dir():
    pytest.skip(f"real captures not available ({SAMPLES} is absent)", allow_module_level=True)

EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parent / "conformance_hosted.json").read_text(encoding="utf-8")
)["captures"]
HOSTED = ("statusio", "instatus", "incidentio", "betterstack", "cachet")
COVERED_FOLDERS = {
    "statusio": "statusio",
    "instatus": "instatus",
    "incidentio": "incidentio",
    "betterstack": "betterstack",
}
CAPTURES = sorted(EXPECTED)


def of_kind(kind: str) -> list[str]:
    return [p for p in CAPTURES if EXPECTED[p]["kind"] == kind]


@cache
def raw(relative: str) -> Any:
    return json.loads((SAMPLES / relative).read_bytes())


@cache
def parsed(relative: str) -> Parsed:
    kind = EXPECTED[relative]["kind"]
    document = make_doc(
        f"https://status.example.test/{Path(relative).name}",
        (SAMPLES / relative).read_bytes(),
        source_id=f"conformance-{kind}",
        fetched_at=utc(EXPECTED[relative]["fetched_at"]),
    )
    return registry.get(kind).parse(document)


def test_expectations_cover_exactly_the_captures() -> None:
    found = {
        str(path.relative_to(SAMPLES)): kind
        for folder, kind in COVERED_FOLDERS.items()
        for path in (SAMPLES / folder).glob("*.json")
    }
    assert sorted(found) == CAPTURES, "a capture was added or removed: count it by hand in conformance_hosted.json"
    assert {p: EXPECTED[p]["kind"] for p in CAPTURES} == found


@pytest.mark.parametrize("relative", CAPTURES)
def test_counts(relative: str) -> None:
    result = parsed(relative)
    expected = EXPECTED[relative]
    got = (len(result.incidents), len(result.updates), len(result.components), len(result.component_changes))
    assert got == (expected["incidents"], expected["updates"], expected["components"], expected["component_changes"])
    assert result.counts == []


@pytest.mark.parametrize("relative", CAPTURES)
def test_invariants(relative: str) -> None:
    result = parsed(relative)

    ids = [i.native_id for i in result.incidents]
    assert len(ids) == len(set(ids))
    for inc in result.incidents:
        assert inc.title.strip()
        assert inc.status in UPDATE_STATUSES, inc
        assert inc.impact is None or inc.impact in IMPACTS, inc
        assert_aware_utc(inc.started_at, f"{inc.native_id} started_at")
        assert_aware_utc(inc.resolved_at, f"{inc.native_id} resolved_at")
        if inc.resolved_at and inc.started_at:
            assert inc.started_at <= inc.resolved_at, inc
        if inc.status not in ("resolved", "completed", "postmortem"):
            assert inc.resolved_at is None, inc
    keys = [(u.incident_native_id, u.native_id) for u in result.updates]
    assert len(keys) == len(set(keys))
    for update in result.updates:
        assert update.incident_native_id in ids
        assert update.status in UPDATE_STATUSES, update
        assert_aware_utc(update.posted_at, f"update {update.native_id} posted_at")
        assert_aware_utc(update.created_at, f"update {update.native_id} created_at")
    component_ids = [c.native_id for c in result.components]
    assert len(component_ids) == len(set(component_ids))
    for component in result.components:
        assert component.name.strip()
        assert component.state in COMPONENT_STATES, component
    for change in result.component_changes:
        assert change.state in COMPONENT_STATES, change
        assert_aware_utc(change.changed_at, f"change of {change.component_native_id}")
        assert change.incident_native_id in ids


# ------------------------------------------------------------------------------------------------------ detect


@pytest.mark.parametrize("relative", CAPTURES)
def test_each_capture_is_detected_as_its_kind_only(relative: str) -> None:
    assert registry.detect((SAMPLES / relative).read_bytes()) == [EXPECTED[relative]["kind"]]


OTHER_CAPTURES = sorted(
    str(p.relative_to(SAMPLES))
    for p in SAMPLES.rglob("*")
    if p.is_file() and p.suffix != ".md" and p.relative_to(SAMPLES).parts[0] not in COVERED_FOLDERS
)


@pytest.mark.parametrize("relative", OTHER_CAPTURES)
def test_other_formats_are_not_claimed(relative: str) -> None:
    body = (SAMPLES / relative).read_bytes()
    for kind in HOSTED:
        detector = registry.get(kind).detect
        assert detector is not None, f"{kind} claims {relative}"
        assert detector(body) is False, f"{kind} claims {relative}"


# --------------------------------------------------------------------------------------------------- status.io


def test_gitlab_statusio_components_and_upcoming_maintenance() -> None:
    relative = of_kind("statusio")[0]
    result = raw(relative)["result"]
    got = {c.native_id: (c.name, c.group_name, c.state_native) for c in parsed(relative).components}
    expected = {
        f"{c['id']}:{k['id']}": (c["name"], k["name"], str(k["status_code"]))
        for c in result["status"]
        for k in c["containers"]
    }
    assert got == expected
    assert {c.state for c in parsed(relative).components} == {"operational"}
    (maintenance,) = parsed(relative).incidents
    (upcoming,) = result["maintenance"]["upcoming"]
    assert maintenance.native_id == upcoming["_id"]
    assert (maintenance.impact, maintenance.status) == ("maintenance", "scheduled")
    assert maintenance.started_at == utc(upcoming["datetime_planned_start"])
    assert maintenance.regions == ("Google Compute Engine",)
    assert len(maintenance.component_ids) == len(upcoming["components_affected"])
    (message,) = parsed(relative).updates
    assert message.posted_at == utc(upcoming["messages"][0]["datetime"])
    assert message.body == upcoming["messages"][0]["details"]


# ----------------------------------------------------------------------------------------------------- Instatus


@pytest.mark.parametrize("relative", of_kind("instatus"))
def test_instatus_incidents_match_the_payload(relative: str) -> None:
    data = raw(relative)
    by_id = {i.native_id: i for i in parsed(relative).incidents}
    for item in data.get("activeIncidents") or []:
        inc = by_id[item["id"]]
        assert (inc.title, inc.status_native, inc.impact_native, inc.url) == (
            item["name"],
            item["status"],
            item["impact"],
            item["url"],
        )
        assert inc.started_at == utc(item["started"])


def test_perplexity_major_outage_monitoring() -> None:
    (inc,) = parsed("instatus/perplexity_summary_2026-07-23_major.json").incidents
    assert (inc.status, inc.impact) == ("monitoring", "critical")
    assert inc.started_at == utc("2026-07-23T17:48:28.028Z")


# -------------------------------------------------------------------------------------------------- incident.io


@pytest.mark.parametrize("relative", of_kind("incidentio"))
def test_incidentio_fields_match_the_payload(relative: str) -> None:
    data = raw(relative)
    result = parsed(relative)
    incidents = {i.native_id: i for i in result.incidents}
    updates = {(u.incident_native_id, u.native_id): u for u in result.updates}
    for item in data["incidents"]:
        inc = incidents[item["id"]]
        assert (inc.title, inc.status_native, inc.impact_native) == (item["name"], item["status"], item["impact"])
        assert inc.started_at == utc(item["created_at"])
        assert inc.url == f"{data['page']['url']}incidents/{item['id']}"
        for raw_update in item["incident_updates"]:
            update = updates[(item["id"], raw_update["id"])]
            assert update.posted_at == utc(raw_update["display_at"])
            assert update.created_at == utc(raw_update["created_at"])
            assert update.status_native == raw_update["status"]
    states = {c.native_id: c.state_native for c in result.components}
    assert states == {c["id"]: c["status"] for c in data["components"]}


def test_cohere_playground_partial_outage() -> None:
    result = parsed("incidentio/cohere_summary_2026-07-23_major.json")
    playground = next(c for c in result.components if c.name == "Playground")
    assert playground.state == "partial_outage"
    assert (result.incidents[0].impact, result.incidents[0].status) == ("major", "investigating")


# ------------------------------------------------------------------------------------------------- Better Stack


def _included(relative: str, kind: str) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in raw(relative)["included"] if item["type"] == kind}


@pytest.mark.parametrize("relative", of_kind("betterstack"))
def test_betterstack_reports_match_the_payload(relative: str) -> None:
    reports = _included(relative, "status_report")
    updates = _included(relative, "status_update")
    result = parsed(relative)
    assert {i.native_id for i in result.incidents} == set(reports)
    for inc in result.incidents:
        attributes = reports[inc.native_id]["attributes"]
        assert inc.title == attributes["title"]
        assert inc.status_native == attributes["aggregate_state"]
        assert inc.started_at == utc(attributes["starts_at"])
        if attributes["report_type"] == "maintenance":
            assert inc.impact == "maintenance"
        refs = [r["id"] for r in reports[inc.native_id]["relationships"]["status_updates"]["data"]]
        posts = [u for u in result.updates if u.incident_native_id == inc.native_id]
        assert sorted(u.native_id for u in posts) == sorted(refs)
        assert [u.posted_at for u in posts] == sorted(u.posted_at for u in posts)
        for post in posts:
            assert post.posted_at == utc(updates[post.native_id]["attributes"]["published_at"])
            assert post.body == updates[post.native_id]["attributes"]["message"]


def test_huggingface_hub_unavailable() -> None:
    relative = of_kind("betterstack")[0]
    by_id = {i.native_id: i for i in parsed(relative).incidents}
    hub = by_id["965809"]
    assert (hub.title, hub.status, hub.impact, hub.impact_native) == (
        "Hub unavailable",
        "resolved",
        "major",
        "downtime",
    )
    # ends_at is null in the payload: resolved at the last update, 10:07Z, listed first in relationships
    assert hub.resolved_at == utc("2026-07-16T10:07:00Z")
    assert hub.component_ids == ("84641", "84642", "8379104")
    # a maintenance three days after the capture: scheduled
    upcoming = by_id["961899"]
    assert (upcoming.status, upcoming.status_native, upcoming.resolved_at) == ("scheduled", "maintenance", None)
    # the page's "downtime" comes from a monitor, not a report: only the component shows it
    spaces = next(c for c in parsed(relative).components if c.name == "Spaces Proxy")
    assert (spaces.state, spaces.state_native, spaces.group_name) == ("major_outage", "downtime", "Spaces")
    assert all(i.status != "unknown" for i in parsed(relative).incidents)
