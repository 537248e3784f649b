"""Unit tests for the built-in source kinds on our own invented fixtures (tests/fixtures/, see README)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from scrapers import registry
from scrapers.records import (
    ComplaintCount,
    Incident,
    IncidentUpdate,
    Parsed,
    ParseError,
)
from tests.helpers import FIXTURES, assert_aware_utc, assert_incidents_well_formed, make_doc, utc

FETCHED_AT = datetime(2021, 12, 8, 12, 0, tzinfo=UTC)

URLS = {
    "statuspage": "https://status.example.test/api/v2/summary.json",
    "aws_health": "https://status.aws.amazon.com/data.json",
    "report_counts": "https://exports.example.test/counts.csv",
}


def parse(kind: str, body: bytes, content_type: str | None = "application/json") -> Parsed:
    doc = make_doc(URLS[kind], body, source_id=f"test-{kind}", content_type=content_type, fetched_at=FETCHED_AT)
    return registry.get(kind).parse(doc)


def parse_fixture(kind: str, name: str) -> Parsed:
    return parse(kind, (FIXTURES / name).read_bytes())


def fixture_json(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def assert_well_formed(parsed: Parsed) -> None:
    """The invariants every parser output keeps: UTC-aware times, titles, known enums, linked updates."""
    assert_incidents_well_formed(parsed)
    for count in parsed.counts:
        assert isinstance(count, ComplaintCount)
        assert_aware_utc(count.bucket_start)


def by_id(parsed: Parsed) -> tuple[dict[str, Incident], dict[str, IncidentUpdate]]:
    return {i.native_id: i for i in parsed.incidents}, {u.native_id: u for u in parsed.updates}


# --------------------------------------------------------------------------------------------------- registry


def test_builtin_kinds_are_registered() -> None:
    assert {"statuspage", "aws_health", "report_counts"} <= set(registry.names())
    assert registry.get("statuspage").needs_service is True
    assert registry.get("report_counts").needs_service is False


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="statuspage"):
        registry.get("no-such-kind")


# ------------------------------------------------------------------------------------------------- statuspage


def test_statuspage_summary_with_new_york_offsets() -> None:
    parsed = parse_fixture("statuspage", "statuspage_summary_new_york.json")
    assert_well_formed(parsed)
    incidents, updates = by_id(parsed)
    assert list(incidents) == ["inc0boards01", "mnt0boards01"]  # incidents first, then scheduled maintenances
    assert len(parsed.updates) == 3
    assert parsed.counts == []

    incident = incidents["inc0boards01"]
    assert incident.title == "Degraded performance in Example Boards"
    assert (incident.impact, incident.impact_native) == ("major", "major")
    assert (incident.status, incident.status_native) == ("identified", "identified")
    assert incident.started_at == utc("2021-12-07T16:10:00Z")  # started_at wins over created_at
    assert incident.resolved_at is None
    assert incident.url == "https://stspg.io/exmpl001"

    maintenance = incidents["mnt0boards01"]
    assert (maintenance.impact, maintenance.status) == ("maintenance", "scheduled")

    # display_at (posted_at) and created_at are kept apart when they differ, both converted to UTC
    first = updates["upd0boards01"]
    assert first.incident_native_id == "inc0boards01"
    assert first.posted_at == utc("2021-12-07T16:15:00Z")
    assert first.created_at == utc("2021-12-07T16:19:05.769Z")
    assert first.status == "investigating"
    assert first.body == "You may notice degraded performance when loading boards."
    second = updates["upd0boards02"]
    assert second.posted_at == second.created_at == utc("2021-12-07T17:02:41.004Z")
    assert second.posted_at.tzinfo is not None
    assert second.posted_at.utcoffset() == timedelta(0)


def test_statuspage_single_incident_payload() -> None:
    parsed = parse_fixture("statuspage", "statuspage_incident.json")
    assert_well_formed(parsed)
    assert [i.native_id for i in parsed.incidents] == ["gitinc000001"]
    incident = parsed.incidents[0]
    assert (incident.status, incident.impact) == ("postmortem", "minor")
    assert incident.started_at == utc("2023-10-05T16:02:11.295Z")
    assert incident.resolved_at == utc("2023-10-05T17:05:44.930Z")
    statuses = {u.native_id: (u.status, u.status_native) for u in parsed.updates}
    assert statuses == {
        "gitupd000005": ("postmortem", "postmortem"),
        "gitupd000004": ("resolved", "resolved"),
        "gitupd000003": ("monitoring", "verifying"),  # Statuspage's "verifying" maps to monitoring
        "gitupd000002": ("identified", "identified"),
        "gitupd000001": ("investigating", "investigating"),
    }


def test_statuspage_incidents_list_endpoint() -> None:
    parsed = parse_fixture("statuspage", "statuspage_incidents.json")
    assert_well_formed(parsed)
    incidents, updates = by_id(parsed)
    assert set(incidents) == {"hrinc0000002", "hrinc0000001"}
    assert len(updates) == 3
    login = incidents["hrinc0000002"]
    assert login.impact == "critical"
    assert login.started_at == utc("2024-01-16T06:55:00Z")
    assert login.resolved_at == utc("2024-01-16T08:11:58.777Z")
    mail = incidents["hrinc0000001"]
    assert mail.impact == "none"
    assert mail.started_at == utc("2024-01-10T13:00:00Z")  # no started_at key: falls back to created_at
    assert mail.url is None  # shortlink null
    assert updates["hrupd0000001"].posted_at == utc("2024-01-10T14:30:00Z")


def test_statuspage_status_json_has_no_incidents() -> None:
    body = json.dumps(
        {
            "page": {"id": "fx0example04", "name": "Example", "url": "https://status.example.test"},
            "status": {"indicator": "none", "description": "All Systems Operational"},
        }
    ).encode()
    assert len(parse("statuspage", body)) == 0


def test_statuspage_unknown_enums_become_unknown() -> None:
    data = fixture_json("statuspage_incident.json")
    data["incident"]["impact"] = "catastrophic"
    data["incident"]["status"] = "escalated"
    data["incident"]["incident_updates"][0]["status"] = "escalated"
    parsed = parse("statuspage", json.dumps(data).encode())
    assert_well_formed(parsed)
    incident = parsed.incidents[0]
    assert (incident.impact, incident.impact_native) == ("unknown", "catastrophic")
    assert (incident.status, incident.status_native) == ("unknown", "escalated")
    assert (parsed.updates[0].status, parsed.updates[0].status_native) == ("unknown", "escalated")


def test_statuspage_utf8_bom_is_accepted() -> None:
    body = b"\xef\xbb\xbf" + (FIXTURES / "statuspage_incident.json").read_bytes()
    assert len(parse("statuspage", body).incidents) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.githubstatus.com",
            [
                "https://www.githubstatus.com/api/v2/summary.json",
                "https://www.githubstatus.com/api/v2/incidents.json",
            ],
        ),
        (
            "https://status.example.test/",
            [
                "https://status.example.test/api/v2/summary.json",
                "https://status.example.test/api/v2/incidents.json",
            ],
        ),
        (
            "https://www.githubstatus.com/api/v2/incidents/rgy28jwprr1c.json",
            ["https://www.githubstatus.com/api/v2/incidents/rgy28jwprr1c.json"],
        ),
        (
            "https://status.example.test/api/v2/incidents/unresolved.json?limit=5",
            ["https://status.example.test/api/v2/incidents/unresolved.json?limit=5"],
        ),
    ],
)
def test_statuspage_start_urls(url: str, expected: list[str]) -> None:
    assert registry.get("statuspage").start_urls(url) == expected


# ------------------------------------------------------------------------------------------------- aws_health


def test_aws_data_json_fixture() -> None:
    parsed = parse_fixture("aws_health", "aws_data.json")
    assert_well_formed(parsed)
    incidents, _ = by_id(parsed)
    assert list(incidents) == [
        "ec2-us-east-1-1638891300",
        "lambda-us-east-1-1638942000",
        "s3-us-west-2-1624549500",
        "route53-1630515720",
    ]
    assert len(parsed.updates) == 4 + 2 + 2 + 1


def test_aws_string_status_and_post_after_midnight() -> None:
    parsed = parse_fixture("aws_health", "aws_data.json")
    ec2 = by_id(parsed)[0]["ec2-us-east-1-1638891300"]
    assert ec2.title == "Amazon Elastic Compute Cloud (N. Virginia): Increased API Error Rates"
    assert (ec2.impact, ec2.impact_native, ec2.status_native) == ("major", "2", "2")
    assert (ec2.service_key, ec2.region) == ("ec2-us-east-1", "us-east-1")
    assert ec2.url == URLS["aws_health"]
    assert ec2.resolved_at is None
    posts = [u for u in parsed.updates if u.incident_native_id == ec2.native_id]
    assert [u.posted_at for u in posts] == [
        utc("2021-12-07T15:35:00Z"),  #  7:35 AM PST
        utc("2021-12-07T18:12:00Z"),  # 10:12 AM PST
        utc("2021-12-08T07:40:00Z"),  # 11:40 PM PST, still Dec 7 in Pacific time
        utc("2021-12-08T10:29:00Z"),  # "Dec 8,  2:29 AM PST" (double space)
    ]
    assert [u.status for u in posts] == ["investigating", "identified", "monitoring", "monitoring"]
    assert all(u.created_at is None for u in posts)  # the SHD shows only one time per post
    assert posts[-1].body == (
        "We have seen improvement across most APIs and are working on the remaining RunInstances errors."
    )
    assert ec2.started_at == posts[0].posted_at
    assert ec2.status == "monitoring"  # open event: the latest post's stage
    assert len({u.native_id for u in posts}) == len(posts)


def test_aws_integer_status_zero_is_resolved_without_impact() -> None:
    parsed = parse_fixture("aws_health", "aws_data.json")
    lam = by_id(parsed)[0]["lambda-us-east-1-1638942000"]
    assert lam.impact is None
    assert lam.impact_native == "0"
    assert lam.status == "resolved"
    assert lam.started_at == utc("2021-12-08T05:40:00Z")  # 9:40 PM PST on Dec 7
    assert lam.resolved_at == utc("2021-12-08T08:55:00Z")  # "Dec 8, 12:55 AM PST"


def test_aws_pdt_posts_and_archive() -> None:
    parsed = parse_fixture("aws_health", "aws_data.json")
    incidents = by_id(parsed)[0]
    s3 = incidents["s3-us-west-2-1624549500"]
    assert s3.title == "Amazon Simple Storage Service (Oregon): Increased Error Rates"  # [RESOLVED] dropped
    assert (s3.impact, s3.impact_native) == ("minor", "1")  # integer status 1
    assert s3.region == "us-west-2"
    assert s3.status == "resolved"
    assert s3.started_at == utc("2021-06-24T15:45:00Z")  # 8:45 AM PDT = UTC-7
    assert s3.resolved_at == utc("2021-06-24T16:30:00Z")
    closing = [u for u in parsed.updates if u.incident_native_id == s3.native_id][-1]
    assert closing.status == "resolved"  # "Between ... we experienced ..."

    route53 = incidents["route53-1630515720"]
    assert (route53.impact, route53.region, route53.status) == ("critical", None, "resolved")
    assert route53.started_at == utc("2021-09-01T17:02:00Z")


def test_aws_utf16_with_bom_is_decoded() -> None:
    text = (FIXTURES / "aws_data.json").read_text(encoding="utf-8")
    body = text.encode("utf-16")  # BOM + native byte order, as AWS served its JSON
    assert len(parse("aws_health", body).updates) == 9


def test_aws_start_urls_as_given() -> None:
    url = "https://status.aws.amazon.com/data.json"
    assert registry.get("aws_health").start_urls(url) == [url]


def test_aws_event_beginning_just_after_midnight_pdt() -> None:
    parsed = parse_fixture("aws_health", "aws_data_after_midnight_pdt.json")
    assert [u.posted_at for u in parsed.updates] == [utc("2022-06-15T07:20:00Z"), utc("2022-06-15T08:05:00Z")]


# ---------------------------------------------------------------------------------------------- report_counts


def test_report_counts_with_baseline() -> None:
    parsed = parse("report_counts", (FIXTURES / "report_counts_baseline.csv").read_bytes(), "text/csv")
    assert_well_formed(parsed)
    assert parsed.incidents == []
    assert parsed.updates == []
    assert parsed.counts == [
        ComplaintCount(service="AWS", bucket_start=utc("2021-12-07T15:15:00Z"), reports=312, baseline=14.5),
        ComplaintCount(service="AWS", bucket_start=utc("2021-12-07T15:30:00Z"), reports=4870, baseline=15.0),
        ComplaintCount(service="Slack", bucket_start=utc("2021-12-07T15:30:00Z"), reports=96, baseline=None),
    ]


def test_report_counts_without_baseline() -> None:
    parsed = parse("report_counts", (FIXTURES / "report_counts_plain.csv").read_bytes(), "text/csv")
    assert_well_formed(parsed)
    assert [(c.service, c.bucket_start, c.reports, c.baseline) for c in parsed.counts] == [
        ("aws", utc("2021-12-07T15:15:00Z"), 312, None),
        ("aws", utc("2021-12-07T15:30:00Z"), 4870, None),
    ]


def test_report_counts_header_only_is_empty() -> None:
    assert len(parse("report_counts", b"service,bucket_start,reports\n", "text/csv")) == 0


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"name,time,count\naws,2021-12-07T15:15:00Z,3\n", "lacks service, bucket_start, reports"),
        (b"service,bucket_start\naws,2021-12-07T15:15:00Z\n", "lacks reports"),
        (b"service,bucket_start,reports\naws,2021-12-07T15:15:00Z,many\n", "'many' is not a whole number"),
        (b"service,bucket_start,reports\naws,2021-12-07T15:15:00Z,2.5\n", "is not a whole number"),
        (b"service,bucket_start,reports\naws,2021-12-07T15:15:00Z,-4\n", "negative reports"),
        (b"service,bucket_start,reports\naws,2021-12-07T15:15:00,3\n", "has no time zone"),
        (b"service,bucket_start,reports\naws,yesterday,3\n", "not an ISO 8601 timestamp"),
        (b"service,bucket_start,reports\n,2021-12-07T15:15:00Z,3\n", "empty service"),
        (b"service,bucket_start,reports,baseline\naws,2021-12-07T15:15:00Z,3,lots\n", "baseline 'lots'"),
    ],
    ids=[
        "bad-header",
        "missing-column",
        "non-integer",
        "fractional",
        "negative",
        "missing-offset",
        "not-a-time",
        "empty-service",
        "bad-baseline",
    ],
)
def test_report_counts_errors(body: bytes, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse("report_counts", body, "text/csv")
    assert fragment in str(info.value)


def test_report_counts_error_names_the_line() -> None:
    body = b"service,bucket_start,reports\naws,2021-12-07T15:15:00Z,3\naws,2021-12-07T15:30:00Z,x\n"
    with pytest.raises(ParseError) as info:
        parse("report_counts", body, "text/csv")
    assert "line 3" in str(info.value)
    assert URLS["report_counts"] in str(info.value)


# ----------------------------------------------------------------------------------------- errors, every kind

GOOD_BODIES = {
    "statuspage": "statuspage_summary_new_york.json",
    "aws_health": "aws_data.json",
    "report_counts": "report_counts_baseline.csv",
}


@pytest.mark.parametrize("kind", sorted(GOOD_BODIES))
def test_html_error_page(kind: str) -> None:
    body = (FIXTURES / "error_page.html").read_bytes()
    with pytest.raises(ParseError) as info:
        parse(kind, body, "text/html; charset=utf-8")
    message = str(info.value)
    assert URLS[kind] in message
    if kind == "report_counts":
        assert "got markup or JSON" in message
    else:
        assert "but got an HTML page" in message
        assert "text/html" in message  # the served Content-Type is named


@pytest.mark.parametrize("kind", ["statuspage", "aws_health"])
def test_truncated_json(kind: str) -> None:
    body = (FIXTURES / GOOD_BODIES[kind]).read_bytes()
    with pytest.raises(ParseError, match=r"invalid JSON from .*: .* at line \d+ column \d+"):
        parse(kind, body[: len(body) // 2])


def test_truncated_json_given_to_report_counts() -> None:
    body = (FIXTURES / "aws_data.json").read_bytes()
    with pytest.raises(ParseError, match="got markup or JSON"):
        parse("report_counts", body[: len(body) // 2])


@pytest.mark.parametrize("kind", ["statuspage", "aws_health"])
@pytest.mark.parametrize("body", [b"", b"  \r\n"], ids=["empty", "whitespace"])
def test_empty_body_json_kinds(kind: str, body: bytes) -> None:
    with pytest.raises(ParseError, match=r"empty body from .*; expected JSON"):
        parse(kind, body)


def test_empty_body_report_counts() -> None:
    with pytest.raises(ParseError, match="lacks service, bucket_start, reports"):
        parse("report_counts", b"", "text/csv")


def test_not_utf8_body() -> None:
    with pytest.raises(ParseError, match="not UTF-8"):
        parse("statuspage", b'{"incidents": [], "name": "\xff\xfe\xfa"}')


@pytest.mark.parametrize(
    ("kind", "body", "fragment"),
    [
        ("statuspage", b"[]", "expected a Statuspage JSON object, got list"),
        ("statuspage", b'{"page": {"id": "x"}, "components": []}', "not a Statuspage v2 payload"),
        ("statuspage", b'{"incidents": {"id": "x"}}', "'incidents' is not a list"),
        ("statuspage", b'{"incidents": ["x"]}', "expected an incident object, got str"),
        ("statuspage", b'{"incidents": [{"name": "no id"}]}', "incident without 'id'"),
        ("statuspage", b'{"incident": {"id": "a", "name": "n", "created_at": null}}', "expected an ISO 8601"),
        ("aws_health", b"[]", "not an AWS data.json payload"),
        ("aws_health", b'{"incidents": []}', "not an AWS data.json payload"),
        ("aws_health", b'{"current": {"service": "ec2"}, "archive": []}', "'current' is not a list"),
        ("aws_health", b'{"current": [], "archive": [{"service": "ec2-us-east-1"}]}', "event without 'date'"),
        ("aws_health", b'{"archive": [7]}', "expected an event object, got int"),
        (
            "report_counts",
            b'{"service": "aws", "bucket_start": "2021-12-07T15:15:00Z", "reports": 3}',
            "got markup or JSON",
        ),
    ],
)
def test_json_of_the_wrong_shape(kind: str, body: bytes, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(kind, body)
    assert fragment in str(info.value)


def test_statuspage_timestamp_without_zone() -> None:
    data = fixture_json("statuspage_summary_new_york.json")
    data["incidents"][0]["created_at"] = "2021-12-07T16:19:05"
    with pytest.raises(ParseError) as info:
        parse("statuspage", json.dumps(data).encode())
    message = str(info.value)
    assert "'2021-12-07T16:19:05' has no time zone" in message
    assert "incident inc0boards01 created_at" in message  # says which field of which incident


def test_statuspage_update_display_at_without_zone() -> None:
    data = fixture_json("statuspage_incident.json")
    data["incident"]["incident_updates"][1]["display_at"] = "2023-10-05T17:05:44"
    with pytest.raises(ParseError, match=r"update gitupd000004 display_at: timestamp .* has no time zone"):
        parse("statuspage", json.dumps(data).encode())


def test_statuspage_update_without_id() -> None:
    data = fixture_json("statuspage_incident.json")
    del data["incident"]["incident_updates"][0]["id"]
    with pytest.raises(ParseError, match="an update without an id"):
        parse("statuspage", json.dumps(data).encode())


def test_aws_post_time_without_zone() -> None:
    data = fixture_json("aws_data.json")
    data["archive"][1]["description"] = '<div><span class="yellowfg">10:02 AM</span>&nbsp;No zone here.</div>'
    with pytest.raises(ParseError) as info:
        parse("aws_health", json.dumps(data).encode())
    message = str(info.value)
    assert "cannot read the post time '10:02 AM'" in message
    assert "route53-1630515720" in message


def test_aws_date_not_epoch() -> None:
    data = fixture_json("aws_data.json")
    data["current"][0]["date"] = "2021-12-07T15:35:00"
    with pytest.raises(ParseError, match="date: expected epoch seconds, got '2021-12-07T15:35:00'"):
        parse("aws_health", json.dumps(data).encode())


def test_aws_unknown_month_prefix() -> None:
    data = fixture_json("aws_data.json")
    data["current"][0]["description"] = '<div><span class="yellowfg">Dez 8,  2:29 AM PST</span>&nbsp;x</div>'
    with pytest.raises(ParseError, match="unknown month"):
        parse("aws_health", json.dumps(data).encode())
