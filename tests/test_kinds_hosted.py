"""Unit tests for the hosted status-page kinds (status.io, Instatus, incident.io, Better Stack, Cachet).

They run on invented fixtures in tests/fixtures/ (each marked by a ``_note`` key): the wire shapes are the real ones,
the content is made up. Real captures are exercised in test_conformance_hosted.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from scrapers import registry
from scrapers.records import (
    COMPONENT_STATES,
    Component,
    Incident,
    IncidentUpdate,
    Parsed,
    ParseError,
)
from tests.helpers import FIXTURES, assert_aware_utc, assert_incidents_well_formed, make_doc, utc

FETCHED_AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

URLS = {
    "statusio": "https://api.status.io/1.0/status/65e0a1b2c3d4e5f601234500",
    "instatus": "https://status.example-cloud.test/api/v2/summary.json",
    "incidentio": "https://status.example-ai.test/api/v2/summary.json",
    "betterstack": "https://status.example-hosting.test/index.json",
    "cachet": "https://status.example.test/api/v1/incidents",
}
GOOD = {
    "statusio": "statusio_status.json",
    "instatus": "instatus_summary.json",
    "incidentio": "incidentio_summary.json",
    "betterstack": "betterstack_index.json",
    "cachet": "cachet_incidents.json",
}
HOSTED = sorted(GOOD)
# Every fixture this suite's detectors must place: our own, and the other kinds' (which they must all reject).
OWN_FIXTURES = {**{name: kind for kind, name in GOOD.items()}, "cachet_components.json": "cachet"}
FOREIGN_FIXTURES = sorted(
    p.name
    for p in FIXTURES.iterdir()
    if p.suffix in {".json", ".html", ".csv", ".xml", ".atom", ".rss"} and p.name not in OWN_FIXTURES
)


def parse(kind: str, body: bytes, *, url: str | None = None, fetched_at: datetime = FETCHED_AT) -> Parsed:
    return registry.get(kind).parse(make_doc(url or URLS[kind], body, source_id=f"test-{kind}", fetched_at=fetched_at))


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def parse_fixture(kind: str, name: str | None = None, **kwargs: Any) -> Parsed:
    return parse(kind, (FIXTURES / (name or GOOD[kind])).read_bytes(), **kwargs)


def parse_data(kind: str, data: Any) -> Parsed:
    return parse(kind, json.dumps(data).encode())


def assert_well_formed(parsed: Parsed) -> None:
    ids = [i.native_id for i in parsed.incidents]
    assert len(ids) == len(set(ids))
    keys = [(u.incident_native_id, u.native_id) for u in parsed.updates]
    assert len(keys) == len(set(keys))
    assert_incidents_well_formed(parsed)
    component_ids = [c.native_id for c in parsed.components]
    assert len(component_ids) == len(set(component_ids))
    for component in parsed.components:
        assert isinstance(component, Component)
        assert component.state in COMPONENT_STATES
    for change in parsed.component_changes:
        assert change.state in COMPONENT_STATES
        assert_aware_utc(change.changed_at)


def by_id(parsed: Parsed) -> tuple[dict[str, Incident], dict[str, IncidentUpdate], dict[str, Component]]:
    return (
        {i.native_id: i for i in parsed.incidents},
        {u.native_id: u for u in parsed.updates},
        {c.native_id: c for c in parsed.components},
    )


# ---------------------------------------------------------------------------------------------------- registry


def test_hosted_kinds_are_registered_with_detectors() -> None:
    assert set(HOSTED) <= set(registry.names())
    for kind in HOSTED:
        assert registry.get(kind).detect is not None
        assert registry.get(kind).needs_service is True
        assert registry.get(kind).description


# --------------------------------------------------------------------------------------------------- status.io


def test_statusio_components_per_container() -> None:
    parsed = parse_fixture("statusio")
    assert_well_formed(parsed)
    _, _, components = by_id(parsed)
    api, eu, ca = "65e0a1b2c3d4e5f601234501", "65e0a1b2c3d4e5f6012345c2", "65e0a1b2c3d4e5f6012345c1"
    assert len(components) == 5  # API x2 containers, Dashboard, Billing, and Account Security without containers
    assert components[f"{api}:{ca}"] == Component(
        native_id=f"{api}:{ca}", name="API", group_name="US East", state="partial_outage", state_native="400"
    )
    assert (components[f"{api}:{eu}"].group_name, components[f"{api}:{eu}"].state) == ("EU West", "operational")
    assert components["65e0a1b2c3d4e5f601234502:65e0a1b2c3d4e5f6012345c1"].state == "degraded"
    assert components["65e0a1b2c3d4e5f601234503:65e0a1b2c3d4e5f6012345c2"].state == "maintenance"
    security = components["65e0a1b2c3d4e5f601234504"]  # no containers: the component itself, under its own id
    assert (security.group_name, security.state, security.state_native) == (None, "unknown", "600")


def test_statusio_incident_messages_sorted_and_offsets_to_utc() -> None:
    parsed = parse_fixture("statusio")
    incidents, _, _ = by_id(parsed)
    incident = incidents["65e7260a1f2e3d4c5b6a7901"]
    assert incident.title == "Elevated API errors in US East"
    assert (incident.impact, incident.impact_native) == ("major", "400")  # worst message status code
    assert (incident.status, incident.status_native) == ("monitoring", "300")  # latest message's state
    assert incident.started_at == utc("2024-03-05T14:02:11Z")
    assert incident.resolved_at is None
    assert (incident.region, incident.regions) == ("US East", ("US East",))
    assert incident.component_ids == (
        "65e0a1b2c3d4e5f601234501:65e0a1b2c3d4e5f6012345c1",
        "65e0a1b2c3d4e5f601234502:65e0a1b2c3d4e5f6012345c1",
    )
    posts = [u for u in parsed.updates if u.incident_native_id == incident.native_id]
    assert [(u.posted_at, u.status) for u in posts] == [
        (utc("2024-03-05T14:05:00Z"), "investigating"),  # 09:05:00.000-05:00
        (utc("2024-03-05T14:40:00Z"), "identified"),
        (utc("2024-03-05T15:10:00Z"), "monitoring"),
    ]
    assert posts[0].native_id == "2024-03-05T09:05:00.000-05:00"  # messages have no id: their raw datetime
    assert posts[0].body == "We are investigating elevated error rates on the API."


def test_statusio_maintenances() -> None:
    parsed = parse_fixture("statusio")
    incidents, _, _ = by_id(parsed)
    active = incidents["65e1f00d1f2e3d4c5b6a7902"]
    assert (active.impact, active.status, active.status_native) == ("maintenance", "in_progress", "maintenance.active")
    assert active.started_at == utc("2024-03-05T13:00:00Z")  # planned start, not datetime_open
    assert [u.status for u in parsed.updates if u.incident_native_id == active.native_id] == [
        "scheduled",  # posted before the planned start
        "in_progress",
    ]
    upcoming = incidents["65e6aa001f2e3d4c5b6a7903"]
    assert (upcoming.status, upcoming.regions) == ("scheduled", ("US East", "EU West"))
    # Dashboard x {US East, EU West} affected, but only Dashboard in US East exists on this page
    assert upcoming.component_ids == ("65e0a1b2c3d4e5f601234502:65e0a1b2c3d4e5f6012345c1",)
    assert len(parsed.incidents) == 3
    assert len(parsed.updates) == 6


def test_statusio_empty_page_and_unknown_codes() -> None:
    data = fixture("statusio_status.json")
    data["result"]["incidents"][0]["messages"][0]["state"] = 999
    data["result"]["incidents"][0]["messages"][0]["status"] = 700
    parsed = parse_data("statusio", data)
    assert_well_formed(parsed)
    incident = parsed.incidents[0]
    assert (incident.status, incident.status_native) == ("unknown", "999")
    assert (incident.impact, incident.impact_native) == ("unknown", "700")
    empty = {"result": {"status_overall": {"status_code": 100}, "status": [], "incidents": [], "maintenance": {}}}
    assert len(parse_data("statusio", empty)) == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://api.status.io/1.0/status/5b36dc6502d06804c0834a06",
            ["https://api.status.io/1.0/status/5b36dc6502d06804c0834a06"],
        ),
        (
            "https://status.io/pages/5b36dc6502d06804c0834a06",
            ["https://api.status.io/1.0/status/5b36dc6502d06804c0834a06"],
        ),
        ("https://status.gitlab.com", ["https://status.gitlab.com"]),
    ],
)
def test_statusio_start_urls(url: str, expected: list[str]) -> None:
    assert registry.get("statusio").start_urls(url) == expected


def test_statusio_page_root_says_which_url_to_use() -> None:
    body = (FIXTURES / "error_page.html").read_bytes()
    with pytest.raises(ParseError, match=r"api\.status\.io/1\.0/status/<24-hex page id>"):
        parse("statusio", body, url="https://status.gitlab.com")


# ----------------------------------------------------------------------------------------------------- Instatus


def test_instatus_summary() -> None:
    parsed = parse_fixture("instatus")
    assert_well_formed(parsed)
    incidents, _, components = by_id(parsed)
    assert parsed.updates == []  # the summary carries no posts
    deploys = incidents["clu8x0abc0001example01"]
    assert (deploys.status, deploys.status_native) == ("investigating", "INVESTIGATING")
    assert (deploys.impact, deploys.impact_native) == ("critical", "MAJOROUTAGE")
    assert deploys.started_at == utc("2024-04-02T08:15:00Z")  # 10:15+02:00
    assert deploys.url == "https://status.example-cloud.test/clu8x0abc0001example01"
    builds = incidents["clu8x0abc0002example02"]
    assert (builds.status, builds.impact) == ("identified", "major")
    maintenance = incidents["clu8x0abc0003example03"]
    assert (maintenance.impact, maintenance.status, maintenance.status_native) == (
        "maintenance",
        "in_progress",
        "INPROGRESS",
    )
    assert maintenance.started_at == utc("2024-04-02T06:00:00Z")
    # The group "Builds" is a heading; its children carry its name.
    assert set(components) == {
        "clu8c0000000api0000001",
        "clu8c0000000bldeu00003",
        "clu8c0000000bldus00004",
        "clu8c0000000db00000005",
    }
    assert (components["clu8c0000000bldeu00003"].group_name, components["clu8c0000000bldeu00003"].state) == (
        "Builds",
        "major_outage",
    )
    assert components["clu8c0000000bldus00004"].state == "degraded"
    assert components["clu8c0000000db00000005"].state == "maintenance"
    assert components["clu8c0000000api0000001"].group_name is None


def test_instatus_unknown_enums_keep_native() -> None:
    data = fixture("instatus_summary.json")
    data["activeIncidents"][0]["status"] = "POSTPONED"
    data["activeIncidents"][0]["impact"] = "TOTALMELTDOWN"
    data["activeMaintenances"][0]["status"] = "PAUSED"
    data["components"][0]["status"] = "SLEEPING"
    parsed = parse_data("instatus", data)
    assert_well_formed(parsed)
    incidents, _, components = by_id(parsed)
    first = incidents["clu8x0abc0001example01"]
    assert (first.status, first.status_native, first.impact, first.impact_native) == (
        "unknown",
        "POSTPONED",
        "unknown",
        "TOTALMELTDOWN",
    )
    assert (incidents["clu8x0abc0003example03"].status, incidents["clu8x0abc0003example03"].status_native) == (
        "unknown",
        "PAUSED",
    )
    assert (components["clu8c0000000api0000001"].state, components["clu8c0000000api0000001"].state_native) == (
        "unknown",
        "SLEEPING",
    )


def test_instatus_all_clear_page() -> None:
    assert len(parse_data("instatus", {"page": {"name": "X", "url": "https://x.test", "status": "UP"}})) == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://status.perplexity.com", ["https://status.perplexity.com/api/v2/summary.json"]),
        ("https://status.example.test/summary.json", ["https://status.example.test/summary.json"]),
    ],
)
def test_instatus_start_urls(url: str, expected: list[str]) -> None:
    assert registry.get("instatus").start_urls(url) == expected


# -------------------------------------------------------------------------------------------------- incident.io


def test_incidentio_summary_reuses_statuspage() -> None:
    parsed = parse_fixture("incidentio")
    assert_well_formed(parsed)
    incidents, updates, components = by_id(parsed)
    chat = incidents["01HXR2K4M6N8P0Q2R4S6T8V0W2"]
    assert (chat.status, chat.impact) == ("identified", "major")
    assert chat.started_at == utc("2024-05-14T08:55:00Z")  # no started_at: created_at
    assert chat.resolved_at is None
    assert chat.url == "https://status.example-ai.test/incidents/01HXR2K4M6N8P0Q2R4S6T8V0W2"  # built from page.url
    assert updates["01HXR2K4M6N8P0Q2R4S6T8V0W3"].posted_at == utc("2024-05-14T08:55:00Z")
    assert updates["01HXR4A0B1C2D3E4F5G6H7J8K9"].status == "identified"
    assert len(parsed.updates) == 3
    assert {c.state for c in components.values()} == {"partial_outage", "degraded", "operational"}
    assert all(c.group_name is None for c in components.values())
    assert parsed.component_changes == []


def test_incidentio_offsets_become_utc() -> None:
    data = fixture("incidentio_summary.json")
    data["incidents"][1]["created_at"] = "2024-05-14T10:05:00+01:00"
    data["incidents"][1]["incident_updates"][0]["display_at"] = "2024-05-14T05:20:00-04:00"
    parsed = parse_data("incidentio", data)
    incidents, updates, _ = by_id(parsed)
    assert incidents["01HXR3P5Q7R9S1T3V5W7X9Y1Z3"].started_at == utc("2024-05-14T09:05:00Z")
    assert updates["01HXR3P5Q7R9S1T3V5W7X9Y1Z4"].posted_at == utc("2024-05-14T09:20:00Z")


def test_incidentio_start_urls_summary_only() -> None:
    assert registry.get("incidentio").start_urls("https://status.openai.com/") == [
        "https://status.openai.com/api/v2/summary.json"
    ]


# ------------------------------------------------------------------------------------------------- Better Stack


def test_betterstack_components_and_sections() -> None:
    parsed = parse_fixture("betterstack")
    assert_well_formed(parsed)
    _, _, components = by_id(parsed)
    assert {k: (c.name, c.group_name, c.state, c.state_native) for k, c in components.items()} == {
        "81001": ("Website", "Platform", "operational", "operational"),
        "81002": ("API", "Platform", "major_outage", "downtime"),
        "81003": ("Frankfurt", "Regions", "degraded", "degraded"),
        "81004": ("Batch jobs", "Regions", "unknown", "not_monitored"),
    }


def test_betterstack_open_report() -> None:
    parsed = parse_fixture("betterstack")
    incidents, _, _ = by_id(parsed)
    report = incidents["93001"]
    assert (report.title, report.status, report.status_native) == ("API errors", "unknown", "downtime")
    assert (report.impact, report.impact_native) == ("major", "downtime")
    assert report.started_at == utc("2024-05-01T09:05:00Z")
    assert report.resolved_at is None
    assert report.component_ids == ("81002", "81003")
    posts = [u for u in parsed.updates if u.incident_native_id == "93001"]
    # listed 94002, 94001, 94999 (not included: skipped); sorted by published_at; +02:00 converted
    assert [(u.native_id, u.posted_at, u.status_native) for u in posts] == [
        ("94001", utc("2024-05-01T09:05:00Z"), "degraded"),
        ("94002", utc("2024-05-01T09:20:00Z"), "downtime,degraded"),
    ]
    assert all(u.status == "unknown" and u.created_at is None for u in posts)
    changes = [(c.component_native_id, c.changed_at, c.state) for c in parsed.component_changes]
    assert ("81002", utc("2024-05-01T09:20:00Z"), "major_outage") in changes
    assert ("81003", utc("2024-05-01T09:05:00Z"), "degraded") in changes


def test_betterstack_resolved_report_and_maintenance() -> None:
    parsed = parse_fixture("betterstack")
    incidents, updates, _ = by_id(parsed)
    slow = incidents["93002"]
    assert (slow.status, slow.impact, slow.impact_native) == ("resolved", "minor", "degraded")
    assert slow.resolved_at == utc("2024-04-20T15:30:00Z")  # no ends_at: the last update
    assert (updates["94003"].status, updates["94004"].status) == ("unknown", "resolved")
    website_back = [c for c in parsed.component_changes if c.incident_native_id == "93002"][-1]
    assert (website_back.state, website_back.state_native) == ("operational", "resolved")

    maintenance = incidents["93003"]
    assert (maintenance.impact, maintenance.status, maintenance.status_native) == (
        "maintenance",
        "scheduled",  # starts 2024-05-04, fetched 2024-05-01
        "maintenance",
    )
    assert maintenance.resolved_at is None
    assert updates["94005"].status == "scheduled"
    during = parse_fixture("betterstack", fetched_at=utc("2024-05-04T07:00:00Z"))
    assert by_id(during)[0]["93003"].status == "in_progress"
    assert len(parsed.incidents) == 3
    assert len(parsed.updates) == 5


def test_betterstack_start_urls() -> None:
    assert registry.get("betterstack").start_urls("https://status.huggingface.co") == [
        "https://status.huggingface.co/index.json"
    ]


# ------------------------------------------------------------------------------------------------------- Cachet


def test_cachet_incidents_in_the_named_zone() -> None:
    parsed = parse_fixture("cachet")
    assert_well_formed(parsed)
    incidents, updates, _ = by_id(parsed)
    assert list(incidents) == ["12", "11", "10", "8"]  # 9 is not visible
    mail = incidents["12"]
    assert (mail.status, mail.status_native, mail.impact) == ("identified", "2", None)
    assert mail.started_at == utc("2024-07-01T12:30:00Z")  # occurred_at 14:30 Europe/Berlin (CEST)
    assert mail.component_ids == ("3",)
    assert updates["12-message"].status == "identified"  # no later updates: the incident's status
    assert updates["12-message"].created_at == utc("2024-07-01T12:35:12Z")

    website = incidents["11"]
    assert (website.status, website.resolved_at) == ("resolved", utc("2024-06-20T09:15:00Z"))
    posts = [(u.native_id, u.posted_at, u.status) for u in parsed.updates if u.incident_native_id == "11"]
    assert posts == [
        ("11-message", utc("2024-06-20T07:00:00Z"), "unknown"),  # status at posting time not kept by Cachet
        ("31", utc("2024-06-20T07:40:00Z"), "identified"),
        ("32", utc("2024-06-20T09:15:00Z"), "resolved"),
    ]

    planned = incidents["10"]
    assert (planned.status, planned.impact) == ("scheduled", "maintenance")
    assert planned.started_at == utc("2024-07-10T20:00:00Z")  # scheduled_at
    assert planned.component_ids == ()

    dns = incidents["8"]  # offsets in the values themselves
    assert (dns.status, dns.status_native) == ("monitoring", "3")
    assert dns.started_at == utc("2024-01-15T07:00:00Z")


def test_cachet_without_zone_is_a_parse_error_naming_the_record() -> None:
    data = fixture("cachet_incidents.json")
    del data["meta"]["timezone"]
    with pytest.raises(ParseError) as info:
        parse_data("cachet", data)
    message = str(info.value)
    assert "incident 12 created_at" in message
    assert "'2024-07-01 14:35:12' has no time zone" in message
    assert "meta.timezone" in message


def test_cachet_times_with_offsets_need_no_zone() -> None:
    data = fixture("cachet_incidents.json")
    del data["meta"]["timezone"]
    data["data"] = [r for r in data["data"] if r["id"] == 8]
    assert [i.native_id for i in parse_data("cachet", data).incidents] == ["8"]


def test_cachet_bad_zone_name() -> None:
    data = fixture("cachet_incidents.json")
    data["meta"]["timezone"] = "Mars/Olympus"
    with pytest.raises(ParseError, match="not an IANA time zone name"):
        parse_data("cachet", data)


def test_cachet_components() -> None:
    parsed = parse_fixture("cachet", "cachet_components.json", url="https://status.example.test/api/v1/components")
    assert_well_formed(parsed)
    assert parsed.incidents == []
    assert [(c.native_id, c.state, c.state_native, c.group_name) for c in parsed.components] == [
        ("1", "operational", "1", None),
        ("2", "degraded", "2", None),
        ("3", "partial_outage", "3", None),
        ("4", "major_outage", "4", None),
        ("5", "unknown", "0", None),
    ]  # 6 is disabled


def test_cachet_single_record_and_unknown_status() -> None:
    data = fixture("cachet_incidents.json")
    record = dict(data["data"][4], status=7)
    parsed = parse_data("cachet", {"data": record})
    assert (parsed.incidents[0].status, parsed.incidents[0].status_native) == ("unknown", "7")


def test_cachet_start_urls() -> None:
    assert registry.get("cachet").start_urls("https://status.example.test/") == [
        "https://status.example.test/api/v1/components?per_page=100",
        "https://status.example.test/api/v1/incidents?sort=id&order=desc&per_page=50",
    ]
    url = "https://status.example.test/api/v1/incidents?per_page=5"
    assert registry.get("cachet").start_urls(url) == [url]


# ------------------------------------------------------------------------------------------ errors, every kind


@pytest.mark.parametrize("kind", HOSTED)
def test_html_error_page(kind: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(kind, (FIXTURES / "error_page.html").read_bytes())
    assert "got an HTML page" in str(info.value)
    assert URLS[kind] in str(info.value)


@pytest.mark.parametrize("kind", HOSTED)
def test_truncated_body(kind: str) -> None:
    body = (FIXTURES / GOOD[kind]).read_bytes()
    with pytest.raises(ParseError, match="invalid JSON"):
        parse(kind, body[: len(body) // 2])


@pytest.mark.parametrize("kind", HOSTED)
@pytest.mark.parametrize("body", [b"[]", b'{"unrelated": true}', b'"text"'])
def test_wrong_shape(kind: str, body: bytes) -> None:
    fragments = {
        "statusio": "not a status.io status payload",
        "instatus": "Instatus",
        "incidentio": "not an incident.io summary.json",
        "betterstack": "not a Better Stack status page",
        "cachet": "not a Cachet API v1 payload",
    }
    with pytest.raises(ParseError) as info:
        parse(kind, body)
    assert fragments[kind] in str(info.value)


@pytest.mark.parametrize("kind", HOSTED)
def test_timestamp_without_zone(kind: str) -> None:
    data = fixture(GOOD[kind])
    if kind == "statusio":
        data["result"]["incidents"][0]["messages"][1]["datetime"] = "2024-03-05T14:40:00"
    elif kind == "instatus":
        data["activeIncidents"][1]["started"] = "2024-04-02T07:30:00"
    elif kind == "incidentio":
        data["incidents"][0]["incident_updates"][0]["created_at"] = "2024-05-14T09:30:00"
    elif kind == "betterstack":
        data["included"][-1]["attributes"]["starts_at"] = "2024-05-04T06:00:00"
    else:
        data["meta"].pop("timezone")
    with pytest.raises(ParseError, match="has no time zone"):
        parse_data(kind, data)


@pytest.mark.parametrize(
    ("kind", "data", "fragment"),
    [
        ("statusio", {"result": {"status": [{"name": "no id"}]}}, "is not a component with an id"),
        ("statusio", {"result": {"status": [], "incidents": {}}}, "'result.incidents' is not a list"),
        ("instatus", {"page": {"status": "UP"}, "activeIncidents": [{"name": "no id"}]}, "with 'id' and 'name'"),
        ("betterstack", {"data": {"type": "status_page"}, "included": [{"id": "1"}]}, "not a JSON:API resource"),
        ("cachet", {"data": [{"id": 1, "name": "x"}]}, "neither a Cachet incident"),
        ("cachet", {"data": [{"id": 31, "incident_id": 11, "status": 2, "message": "m"}]}, "point the source at"),
    ],
)
def test_malformed_records(kind: str, data: Any, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_data(kind, data)
    assert fragment in str(info.value)


# ------------------------------------------------------------------------------------------------------- detect


@pytest.mark.parametrize("name", sorted(OWN_FIXTURES))
def test_detect_claims_only_its_own_fixture(name: str) -> None:
    assert registry.detect((FIXTURES / name).read_bytes()) == [OWN_FIXTURES[name]]


@pytest.mark.parametrize("name", FOREIGN_FIXTURES)
def test_detect_rejects_other_formats(name: str) -> None:
    body = (FIXTURES / name).read_bytes()
    for kind in HOSTED:
        detector = registry.get(kind).detect
        assert detector is not None
        assert detector(body) is False, f"{kind} claims {name}"


def test_statuspage_with_a_ulid_page_id_but_a_time_zone_is_not_incidentio() -> None:
    data = fixture("incidentio_summary.json")
    data["page"]["time_zone"] = "Etc/UTC"
    detector = registry.get("incidentio").detect
    assert detector is not None
    assert detector(json.dumps(data).encode()) is False


@pytest.mark.parametrize("body", [b"", b"\xff\xfe\x00garbage", b"null", b"{", b"<html></html>"])
def test_detectors_survive_junk(body: bytes) -> None:
    for kind in HOSTED:
        detector = registry.get(kind).detect
        assert detector is not None
        assert detector(body) is False
