"""Unit tests for the gcp, azure and slack kinds on invented fixtures (tests/fixtures/, marked `_note` / comment)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scrapers import registry
from scrapers.kinds import azure, gcp, slack
from scrapers.records import (
    COMPONENT_STATES,
    IMPACTS,
    UPDATE_STATUSES,
    Incident,
    IncidentUpdate,
    Parsed,
    ParseError,
)
from tests.helpers import FIXTURES, assert_aware_utc, make_doc, utc

FETCHED_AT = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)

URLS = {
    "gcp": "https://status.cloud.google.com/incidents.json",
    "azure": "https://azure.status.microsoft/en-us/status/feed/",
    "slack": "https://status.slack.com/api/v2.0.0/current",
}
OWN_FIXTURES = {
    "gcp": ["gcp_incidents.json", "gcp_incidents_2020_format.json"],
    "azure": ["azure_feed.xml", "azure_feed_empty.xml"],
    "slack": ["slack_current.json", "slack_history.json"],
}
OTHER_FIXTURES = [
    "statuspage_summary_new_york.json",
    "statuspage_incident.json",
    "statuspage_incidents.json",
    "aws_data.json",
    "report_counts_baseline.csv",
    "error_page.html",
]
DETECTORS = {"gcp": gcp.detect, "azure": azure.detect, "slack": slack.detect}


def parse(kind: str, body: bytes, content_type: str | None = None) -> Parsed:
    doc = make_doc(URLS[kind], body, source_id=f"test-{kind}", content_type=content_type, fetched_at=FETCHED_AT)
    return registry.get(kind).parse(doc)


def parse_fixture(kind: str, name: str) -> Parsed:
    result = parse(kind, (FIXTURES / name).read_bytes())
    assert_well_formed(result)
    return result


def fixture_json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def assert_well_formed(parsed: Parsed) -> None:
    ids = [incident.native_id for incident in parsed.incidents]
    assert len(ids) == len(set(ids))
    for incident in parsed.incidents:
        assert incident.title.strip() == incident.title
        assert incident.title
        assert incident.status in UPDATE_STATUSES
        assert incident.impact is None or incident.impact in IMPACTS
        assert incident.region == (incident.regions[0] if incident.regions else None)
        assert_aware_utc(incident.started_at)
        assert_aware_utc(incident.resolved_at)
    keys = [(u.incident_native_id, u.native_id) for u in parsed.updates]
    assert len(keys) == len(set(keys))
    for update in parsed.updates:
        assert update.incident_native_id in ids
        assert update.status in UPDATE_STATUSES
        assert_aware_utc(update.posted_at)
        assert_aware_utc(update.created_at)
    component_ids = [c.native_id for c in parsed.components]
    assert len(component_ids) == len(set(component_ids))
    assert {cid for i in parsed.incidents for cid in i.component_ids} == set(component_ids)
    for component in parsed.components:
        assert component.state in COMPONENT_STATES


def one(parsed: Parsed, native_id: str) -> tuple[Incident, list[IncidentUpdate]]:
    matches = [i for i in parsed.incidents if i.native_id == native_id]
    assert len(matches) == 1
    return matches[0], [u for u in parsed.updates if u.incident_native_id == native_id]


def test_kinds_are_registered() -> None:
    assert {"gcp", "azure", "slack"} <= set(registry.names())
    for name in ("gcp", "azure", "slack"):
        kind = registry.get(name)
        assert kind.detect is not None
        assert kind.needs_service is True


# ------------------------------------------------------------------------------------------------------- gcp


def test_gcp_ongoing_incident() -> None:
    parsed = parse_fixture("gcp", "gcp_incidents.json")
    assert len(parsed.incidents) == 3
    assert len(parsed.updates) == 6
    inc, updates = one(parsed, "TestOngoingOutage001")
    assert inc.title == "Cloud Widgets API requests are failing in us-central1"
    assert (inc.impact, inc.impact_native) == ("critical", "high")
    assert (inc.status, inc.status_native) == ("investigating", "SERVICE_OUTAGE")
    assert inc.started_at == utc("2026-03-02T14:15:00Z")  # begin -08:00 → UTC
    assert inc.resolved_at is None
    assert inc.declared_end is None
    assert inc.declared_start == inc.started_at
    assert inc.url == "https://status.cloud.google.com/incidents/TestOngoingOutage001"
    assert inc.service_key == "zall"
    assert inc.regions == ("us-central1", "global", "europe-west1")  # current first, no repeats
    assert inc.region == "us-central1"
    assert inc.component_ids == ("prodWidgets000000001", "prodGadgets000000002")
    assert [(u.native_id, u.posted_at, u.created_at, u.status, u.status_native) for u in updates] == [
        ("2026-03-02T15:05:00+00:00", utc("2026-03-02T15:05:00Z"), utc("2026-03-02T15:05:00Z"), "investigating",
         "SERVICE_OUTAGE"),
        ("2026-03-02T14:40:00+00:00", utc("2026-03-02T14:42:00Z"), utc("2026-03-02T14:40:00Z"), "investigating",
         "SERVICE_DISRUPTION"),
    ]  # fmt: skip
    assert updates[0].body.startswith("**Summary**\n")  # Markdown kept as is


def test_gcp_ended_and_advisory_incidents() -> None:
    parsed = parse_fixture("gcp", "gcp_incidents.json")
    ended, updates = one(parsed, "TestEndedDisrupt0002")
    assert (ended.impact, ended.impact_native, ended.status, ended.status_native) == (
        "minor",
        "low",
        "resolved",
        "AVAILABLE",
    )
    assert (ended.started_at, ended.resolved_at) == (utc("2026-02-20T10:00:00Z"), utc("2026-02-20T12:00:00Z"))
    assert (ended.declared_start, ended.declared_end) == (ended.started_at, ended.resolved_at)
    assert ended.regions == ("europe-west1",)
    assert [u.status for u in updates] == ["resolved", "resolved", "investigating"]
    advisory, _ = one(parsed, "TestAdvisoryInfo0003")
    assert (advisory.status, advisory.status_native, advisory.resolved_at) == (
        "identified",
        "SERVICE_INFORMATION",
        None,
    )
    assert advisory.regions == ()
    assert advisory.region is None


def test_gcp_components_take_the_worst_ongoing_state() -> None:
    parsed = parse_fixture("gcp", "gcp_incidents.json")
    states = {c.native_id: (c.name, c.state, c.state_native) for c in parsed.components}
    assert states == {
        "prodWidgets000000001": ("Cloud Widgets", "major_outage", "SERVICE_OUTAGE"),
        # named by the ongoing outage and by an ended incident: the ongoing one wins
        "prodGadgets000000002": ("Cloud Gadgets", "major_outage", "SERVICE_OUTAGE"),
        # named by an ended incident and an ongoing advisory: informational is operational
        "prodDoohickey0000003": ("Cloud Doohickeys", "operational", "AVAILABLE"),
    }


def test_gcp_older_payload_shape() -> None:
    parsed = parse_fixture("gcp", "gcp_incidents_2020_format.json")
    ongoing, updates = one(parsed, "widgets/20003")
    assert (ongoing.status, ongoing.status_native, ongoing.impact) == ("unknown", None, "major")
    assert ongoing.url == "https://status.cloud.google.com/incident/widgets/20003"
    assert ongoing.component_ids == ("widgets",)
    assert [u.status for u in updates] == ["unknown"]
    ended, ended_updates = one(parsed, "zall/20003")  # same number, another service: ids stay distinct
    assert (ended.status, ended.resolved_at, ended.impact) == ("resolved", utc("2020-05-10T11:30:00Z"), "critical")
    assert ended.component_ids == ()  # the catch-all "Multiple Products" is not a component
    assert [u.native_id for u in ended_updates] == [
        "2020-05-10T11:35:00+00:00",
        "2020-05-10T10:10:00+00:00",
        "2020-05-10T10:10:00+00:00#2",
    ]
    assert [(c.native_id, c.name, c.state) for c in parsed.components] == [("widgets", "Cloud Widgets", "unknown")]


def test_gcp_available_before_end_is_set() -> None:
    data = fixture_json("gcp_incidents.json")
    data[0]["most_recent_update"]["status"] = "AVAILABLE"
    data[0]["most_recent_update"]["when"] = "2026-03-02T16:00:00+01:00"
    inc, _ = one(parse("gcp", json.dumps(data).encode()), "TestOngoingOutage001")
    assert (inc.status, inc.status_native) == ("resolved", "AVAILABLE")
    assert (inc.resolved_at, inc.declared_end) == (utc("2026-03-02T15:00:00Z"), None)


def test_gcp_empty_array_is_no_incidents() -> None:
    assert len(parse("gcp", b"[]")) == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://status.cloud.google.com", ["https://status.cloud.google.com/incidents.json"]),
        ("https://status.cloud.google.com/", ["https://status.cloud.google.com/incidents.json"]),
        ("https://status.cloud.google.com/incidents.json", ["https://status.cloud.google.com/incidents.json"]),
    ],
)
def test_gcp_start_urls(url: str, expected: list[str]) -> None:
    assert gcp.start_urls(url) == expected


@pytest.mark.parametrize(
    ("field", "fragment"),
    [
        ("begin", "incident TestOngoingOutage001 begin: timestamp '2026-03-02T06:15:00' has no time zone"),
        ("end", "incident TestOngoingOutage001 end: timestamp '2026-03-02T06:15:00' has no time zone"),
        ("update", "updates[1] when: timestamp '2026-03-02T06:15:00' has no time zone"),
    ],
)
def test_gcp_timestamp_without_zone(field: str, fragment: str) -> None:
    data = fixture_json("gcp_incidents.json")
    if field == "update":
        data[0]["updates"][1]["when"] = "2026-03-02T06:15:00"
    else:
        data[0][field] = "2026-03-02T06:15:00"
    with pytest.raises(ParseError) as info:
        parse("gcp", json.dumps(data).encode())
    assert fragment in str(info.value)
    assert URLS["gcp"] in str(info.value)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"incidents": []}', "expected the Google Cloud incidents.json array, got a JSON dict (keys: incidents)"),
        (b"7", "got a JSON int"),
        (b'["x"]', "[0]: expected an incident object, got str"),
        (b'[{"external_desc": "no id"}]', "incident without 'id'"),
        (b'[{"id": "a", "begin": "2026-01-01T00:00:00Z"}]', "incident a: incident without 'external_desc'"),
        (b'[{"id": "a", "external_desc": "t", "updates": {}}]', "'updates' is not a list"),
        (b'[{"id": "a", "external_desc": "t", "updates": [{"text": "x"}]}]', "neither 'when' nor 'created'"),
        (b'[{"id": "a", "external_desc": "t", "affected_products": [{"title": "x"}]}]', "affected product has no id"),
    ],
)
def test_gcp_wrong_shape(body: bytes, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse("gcp", body)
    assert fragment in str(info.value)


# ----------------------------------------------------------------------------------------------------- azure


def test_azure_items_are_open_incidents() -> None:
    parsed = parse_fixture("azure", "azure_feed.xml")
    assert len(parsed.incidents) == 2
    assert len(parsed.updates) == 2
    inc, updates = one(parsed, "invented-storage-errors-in-east-us-2")
    assert inc.title == "Invented: storage errors in East US 2"  # trailing space dropped
    assert (inc.impact, inc.impact_native, inc.status, inc.status_native) == (None, None, "investigating", None)
    assert (inc.started_at, inc.resolved_at) == (utc("2026-03-02T14:40:00Z"), None)
    assert inc.url == "https://azurestatusprodeus.azurewebsites.net/en-us/status/"
    assert inc.regions == ("eastus2", "denmarkeast")
    assert inc.region == "eastus2"
    assert inc.component_ids == ("Storage", "Virtual Machines")
    (update,) = updates
    assert (update.native_id, update.posted_at, update.status) == (
        "entry",  # the item is the one post: re-dated, it stays that post
        utc("2026-03-02T14:40:00Z"),
        "investigating",
    )
    assert update.body == (
        "Starting at 13:55 UTC on 02 March 2026, a subset of customers may see errors.\n\n"
        "Current Status:\n\nWe are investigating."
    )


def test_azure_offset_pubdate_and_shared_service() -> None:
    parsed = parse_fixture("azure", "azure_feed.xml")
    inc, _ = one(parsed, "invented-front-door-latency")
    assert inc.started_at == utc("2026-03-02T15:05:00Z")  # -0800 → UTC
    assert inc.regions == ("global",)
    assert inc.component_ids == ("Azure Front Door", "Storage")
    assert [(c.native_id, c.name, c.state, c.state_native) for c in parsed.components] == [
        ("Storage", "Storage", "unknown", None),
        ("Virtual Machines", "Virtual Machines", "unknown", None),
        ("Azure Front Door", "Azure Front Door", "unknown", None),
    ]


def test_azure_empty_channel_is_all_clear() -> None:
    parsed = parse_fixture("azure", "azure_feed_empty.xml")
    assert len(parsed) == 0


@pytest.mark.parametrize(
    ("category", "region"),
    [
        ("West US", "westus"),
        ("Australia Central 2", "australiacentral2"),
        ("Germany West Central", "germanywestcentral"),
        ("US Gov Virginia", "usgovvirginia"),
        ("Global", "global"),
        ("East US 4", "eastus4"),  # not in the list: the shape says region
        ("Atlantis  North", "atlantisnorth"),
    ],
)
def test_azure_region_categories(category: str, region: str) -> None:
    assert azure.is_region(category)
    assert azure.region_id(category) == region


@pytest.mark.parametrize(
    "category",
    [
        "Network Infrastructure",
        "Azure Kubernetes Service (AKS)",
        "Power BI Embedded",
        "ExpressRoute Gateways",
        "App Service",
    ],
)
def test_azure_service_categories(category: str) -> None:
    assert not azure.is_region(category)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://azure.status.microsoft", ["https://azure.status.microsoft/en-us/status/feed/"]),
        ("https://azure.status.microsoft/en-us/status/", ["https://azure.status.microsoft/en-us/status/feed/"]),
        (
            "https://rssfeed.azure.status.microsoft/en-us/status/feed/",
            ["https://rssfeed.azure.status.microsoft/en-us/status/feed/"],
        ),
    ],
)
def test_azure_start_urls(url: str, expected: list[str]) -> None:
    assert azure.start_urls(url) == expected


def test_azure_pubdate_without_zone() -> None:
    body = (FIXTURES / "azure_feed.xml").read_bytes().replace(b"14:40:00 Z</pubDate>", b"14:40:00</pubDate>")
    with pytest.raises(ParseError) as info:
        parse("azure", body)
    message = str(info.value)
    assert "item invented-storage-errors-in-east-us-2 pubDate: date 'Mon, 02 Mar 2026 14:40:00' has no time zone" in (
        message
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("Mon, 02 Mar 2026 14:40:00 XYZ", "unknown time zone 'XYZ'"),
        ("Mon, 02 Foo 2026 14:40:00 Z", "unknown month"),
        ("Mon, 31 Feb 2026 14:40:00 Z", "impossible date"),
        ("yesterday", "not an RFC 822 date"),
        (None, "expected an RFC 822 date"),
    ],
)
def test_azure_bad_pubdates(value: object, fragment: str) -> None:
    with pytest.raises(ParseError, match=fragment):
        azure.pubdate_utc(value, what="pubDate")


def test_azure_pubdate_zones() -> None:
    assert azure.pubdate_utc("Thu, 23 Jul 2026 16:29:09 Z", what="x") == utc("2026-07-23T16:29:09Z")
    assert azure.pubdate_utc("23 Jul 2026 09:29 PDT", what="x") == utc("2026-07-23T16:29:00Z")
    assert azure.pubdate_utc("Thu, 23 Jul 2026 18:29:09 +0200", what="x") == utc("2026-07-23T16:29:09Z")


def test_azure_truncated_feed() -> None:
    body = (FIXTURES / "azure_feed.xml").read_bytes()
    with pytest.raises(ParseError, match=r"not well-formed XML .*truncated"):
        parse("azure", body[: len(body) * 2 // 3])


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty body from"),
        (b"Service Unavailable", "but the body is not XML"),
        (b'{"status": "ok"}', "but got JSON"),
        (b'<?xml version="1.0"?><note><to>x</to></note>', "but got XML that is not a feed"),
        (
            b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>',
            "but got a feed of type atom10",
        ),
        (
            b'<rss version="2.0"><channel><title>Azure Status</title><item><title>t</title></item></channel></rss>',
            "an item without a <guid>",
        ),
    ],
)
def test_azure_not_a_feed(body: bytes, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse("azure", body)
    assert fragment in str(info.value)


def test_azure_html_error_page() -> None:
    with pytest.raises(ParseError) as info:
        parse("azure", (FIXTURES / "error_page.html").read_bytes(), "text/html; charset=utf-8")
    message = str(info.value)
    assert "but got an HTML page" in message
    assert "text/html" in message
    assert URLS["azure"] in message


def test_azure_never_reads_a_body_as_a_file_name(tmp_path: Path) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_bytes((FIXTURES / "azure_feed.xml").read_bytes())
    with pytest.raises(ParseError):
        parse("azure", str(secret).encode())


# ----------------------------------------------------------------------------------------------------- slack


def test_slack_current_with_pacific_offsets() -> None:
    parsed = parse_fixture("slack", "slack_current.json")
    assert len(parsed.incidents) == 2
    assert len(parsed.updates) == 3
    outage, updates = one(parsed, "2001")
    assert outage.title == "Messages are slow to send"
    assert (outage.impact, outage.impact_native, outage.status, outage.status_native) == (
        "major",
        "outage",
        "investigating",
        "active",
    )
    assert (outage.started_at, outage.resolved_at) == (utc("2026-03-08T09:30:00Z"), None)  # PST
    assert outage.url == "https://status.slack.com/2026-03/aaaaaaaaaaaaaaaa"
    assert outage.component_ids == ("Messaging", "Connections")
    assert [(u.native_id, u.posted_at, u.created_at, u.status, u.status_native) for u in updates] == [
        ("2026-03-08T10:15:00+00:00", utc("2026-03-08T10:15:00Z"), utc("2026-03-08T10:15:00Z"), "investigating",
         "active"),  # PDT
        ("2026-03-08T09:30:00+00:00", utc("2026-03-08T09:30:00Z"), utc("2026-03-08T09:30:00Z"), "investigating",
         None),
    ]  # fmt: skip
    incident, _ = one(parsed, "2002")  # a string id is read as well
    assert (incident.impact, incident.impact_native) == ("minor", "incident")
    assert {c.native_id: (c.state, c.state_native) for c in parsed.components} == {
        "Messaging": ("major_outage", "outage"),  # named by the outage and the incident: the worst wins
        "Connections": ("major_outage", "outage"),
        "Calls": ("partial_outage", "incident"),
    }


def test_slack_history_ended_incidents() -> None:
    parsed = parse_fixture("slack", "slack_history.json")
    assert len(parsed.incidents) == 3
    assert len(parsed.updates) == 4
    resolved, updates = one(parsed, "1901")
    assert (resolved.status, resolved.impact) == ("resolved", "minor")
    assert resolved.resolved_at == utc("2026-02-10T19:45:00Z")  # the newest note, not date_updated
    assert [(u.status, u.status_native) for u in updates] == [("resolved", "resolved"), ("investigating", None)]
    notice, notice_updates = one(parsed, "1902")
    assert (notice.impact, notice.impact_native, notice.status) == ("none", "notice", "completed")
    # notes listed oldest first here: the newest is found by time, not position
    assert notice.resolved_at == utc("2026-02-13T06:30:00Z")
    assert [(u.body, u.status) for u in notice_updates] == [
        ("Search results may be incomplete during maintenance.", "scheduled"),
        ("Maintenance is complete.", "completed"),
    ]
    silent, silent_updates = one(parsed, "1903")
    assert (silent.impact, silent.resolved_at, silent_updates) == ("major", utc("2026-02-14T16:00:00Z"), [])
    assert {c.native_id: (c.state, c.state_native) for c in parsed.components} == {
        "Posts/Files": ("operational", "resolved"),
        "Search": ("operational", "completed"),
        "Login/SSO": ("operational", "resolved"),
    }


@pytest.mark.parametrize(
    "body",
    [
        b'{"status": "ok", "active_incidents": [], "date_created": "2026-03-08T01:30:00-08:00"}',
        b'{"status": "ok", "date_created": "2018-09-07T18:34:15-07:00"}',  # the older brief "ok" response
        b"[]",
    ],
)
def test_slack_all_clear(body: bytes) -> None:
    assert len(parse("slack", body)) == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://status.slack.com",
            ["https://status.slack.com/api/v2.0.0/current", "https://status.slack.com/api/v2.0.0/history"],
        ),
        (
            "https://slack-status.com/",
            ["https://slack-status.com/api/v2.0.0/current", "https://slack-status.com/api/v2.0.0/history"],
        ),
        ("https://status.slack.com/api/v2.0.0/history", ["https://status.slack.com/api/v2.0.0/history"]),
    ],
)
def test_slack_start_urls(url: str, expected: list[str]) -> None:
    assert slack.start_urls(url) == expected


@pytest.mark.parametrize("where", ["incident", "note"])
def test_slack_timestamp_without_zone(where: str) -> None:
    data = fixture_json("slack_current.json")
    if where == "incident":
        data["active_incidents"][0]["date_created"] = "2026-03-08T01:30:00"
        fragment = "active_incidents[0] incident 2001 date_created: timestamp '2026-03-08T01:30:00' has no time zone"
    else:
        data["active_incidents"][1]["notes"][0]["date_created"] = "2026-03-08T01:30:00"
        fragment = "incident 2002 notes[0] date_created: timestamp '2026-03-08T01:30:00' has no time zone"
    with pytest.raises(ParseError) as info:
        parse("slack", json.dumps(data).encode())
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"incidents": []}', "not a Slack status payload"),
        (b'"ok"', "expected a Slack status object or history array, got str"),
        (b'{"status": "active", "active_incidents": {}}', "'active_incidents' is not a list"),
        (b'{"status": "active", "active_incidents": [3]}', "expected an incident object, got int"),
        (b'[{"title": "no id", "date_created": "2026-03-08T01:30:00-08:00"}]', "incident without 'id'"),
        (b'[{"id": 1, "date_created": "2026-03-08T01:30:00-08:00"}]', "incident without 'title'"),
        (b'[{"id": 1, "title": "t", "date_created": "2026-03-08T01:30:00-08:00", "notes": ["x"]}]', "note object"),
        (b'[{"id": 1, "title": "t"}]', "date_created: expected an ISO 8601 timestamp"),
    ],
)
def test_slack_wrong_shape(body: bytes, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse("slack", body)
    assert fragment in str(info.value)


# ---------------------------------------------------------------------------------------------- every kind


@pytest.mark.parametrize("kind", ["gcp", "slack"])
def test_json_kinds_html_error_page(kind: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(kind, (FIXTURES / "error_page.html").read_bytes(), "text/html; charset=utf-8")
    message = str(info.value)
    assert "but got an HTML page" in message
    assert "text/html" in message
    assert URLS[kind] in message


@pytest.mark.parametrize("kind", ["gcp", "slack"])
def test_json_kinds_truncated(kind: str) -> None:
    body = (FIXTURES / OWN_FIXTURES[kind][0]).read_bytes()
    with pytest.raises(ParseError, match=r"invalid JSON from .*: .* at line \d+ column \d+"):
        parse(kind, body[: len(body) // 2])


@pytest.mark.parametrize("kind", ["gcp", "slack"])
def test_json_kinds_empty_body(kind: str) -> None:
    with pytest.raises(ParseError, match="empty body"):
        parse(kind, b" \n")


@pytest.mark.parametrize(("kind", "name"), [(k, n) for k, names in OWN_FIXTURES.items() for n in names])
def test_detect_accepts_its_own_format(kind: str, name: str) -> None:
    assert DETECTORS[kind]((FIXTURES / name).read_bytes())


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        (kind, name)
        for kind in DETECTORS
        for name in OTHER_FIXTURES + [n for other, names in OWN_FIXTURES.items() if other != kind for n in names]
    ],
)
def test_detect_rejects_other_formats(kind: str, name: str) -> None:
    assert not DETECTORS[kind]((FIXTURES / name).read_bytes())


@pytest.mark.parametrize("kind", sorted(DETECTORS))
@pytest.mark.parametrize("body", [b"", b"[]", b"{}", b"\xff\xfe\x00garbage", b"<rss"])
def test_detect_rejects_odd_bodies(kind: str, body: bytes) -> None:
    assert not DETECTORS[kind](body)


def test_registry_detect_names_our_kinds() -> None:
    for kind, names in OWN_FIXTURES.items():
        for name in names:
            assert kind in registry.detect((FIXTURES / name).read_bytes())
