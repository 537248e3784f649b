"""Unit tests for the feed routes on our own invented fixtures (each marked INVENTED in an XML comment or `_note`):
the generic ``feed`` kind, Statuspage ``history.atom``/``history.rss``, and AWS ``currentevents`` and SHD RSS."""

from __future__ import annotations

import codecs
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scrapers import registry
from scrapers.formats import feeds
from scrapers.kinds import feed as feed_kind
from scrapers.kinds import statuspage
from scrapers.records import IMPACTS, UPDATE_STATUSES, Incident, IncidentUpdate, Parsed, ParseError
from tests.helpers import FIXTURES, assert_aware_utc, make_doc, utc

FETCHED_AT = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
FEED_URL = "https://status.example.test/feed.atom"
HISTORY_URL = "https://status.example.test/history.atom"
CURRENT_URL = "https://health.aws.amazon.com/public/currentevents"
RSS_URL = "https://status.aws.amazon.com/rss/ec2-us-east-1.rss"


def parse(kind: str, body: bytes, url: str, content_type: str | None = "application/xml") -> Parsed:
    doc = make_doc(url, body, source_id=f"test-{kind}", content_type=content_type, fetched_at=FETCHED_AT)
    return registry.get(kind).parse(doc)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def by_id(parsed: Parsed) -> dict[str, tuple[Incident, list[IncidentUpdate]]]:
    return {
        i.native_id: (i, [u for u in parsed.updates if u.incident_native_id == i.native_id]) for i in parsed.incidents
    }


def assert_well_formed(parsed: Parsed) -> None:
    ids = [i.native_id for i in parsed.incidents]
    assert len(ids) == len(set(ids))
    keys = [(u.incident_native_id, u.native_id) for u in parsed.updates]
    assert len(keys) == len(set(keys))
    for inc in parsed.incidents:
        assert inc.title.strip()
        assert inc.status in UPDATE_STATUSES
        assert inc.impact is None or inc.impact in IMPACTS
        assert_aware_utc(inc.started_at)
        assert_aware_utc(inc.resolved_at)
    for update in parsed.updates:
        assert update.incident_native_id in ids
        assert update.status in UPDATE_STATUSES
        assert update.posted_at.utcoffset() == timedelta(0)


# ------------------------------------------------------------------------------------------------ generic feed


def test_feed_kind_is_registered() -> None:
    kind = registry.get("feed")
    assert kind.needs_service is True
    assert kind.start_urls(FEED_URL) == [FEED_URL]


def test_generic_atom() -> None:
    parsed = parse("feed", fixture("feed_generic.atom"), FEED_URL)
    assert_well_formed(parsed)
    assert [i.native_id for i in parsed.incidents] == [
        "urn:example:status:incident:1001",
        "urn:example:status:incident:1002",
        "https://status.example.test/maintenance/7",  # no <id>: the link
    ]
    incidents = by_id(parsed)

    inc, [update] = incidents["urn:example:status:incident:1001"]
    assert inc.title == "[Resolved] Elevated API latency < EU"  # type="text": kept as written, not parsed as HTML
    assert inc.status == "resolved"
    assert inc.impact is None
    assert inc.impact_native is None
    assert inc.started_at == utc("2024-03-05T07:15:00Z")  # published, +01:00
    assert inc.resolved_at == update.posted_at == utc("2024-03-05T09:45:30Z")  # updated
    assert inc.url == "https://status.example.test/incidents/1001"
    assert update.native_id == "entry"  # the entry is the post: a later <updated> edits it, never adds one
    # HTML content to text: tags and script gone, entities decoded, one line per paragraph or <br>
    assert update.body == "Latency for API calls in eu-west was elevated.\nFixed & verified.\nNext steps follow."

    inc, [update] = incidents["urn:example:status:incident:1002"]
    assert inc.status == "unknown"  # "once this has been resolved" does not resolve it
    assert inc.resolved_at is None
    assert inc.started_at == update.posted_at == utc("2024-03-05T03:00:00Z")  # only <updated>, -05:00
    assert inc.url == FEED_URL  # no link: the feed's url

    inc, [update] = incidents["https://status.example.test/maintenance/7"]
    assert inc.status == "resolved"  # the text starts with "Resolved"
    assert update.body == "Resolved: the maintenance window has ended."


def test_generic_rss() -> None:
    parsed = parse("feed", fixture("feed_generic.rss"), FEED_URL)
    assert_well_formed(parsed)
    incidents = by_id(parsed)
    assert list(incidents) == ["incident-55", "https://status.example.test/i/54", "incident-53"]

    inc, [update] = incidents["incident-55"]
    assert inc.status == "resolved"  # title "RESOLVED: ..."
    assert inc.started_at == utc("2024-03-05T15:30:00Z")  # 10:30 EST
    assert update.body == "Email delivery is back to normal.\nQueued mail has been sent."

    # the same link twice (one item per post): one incident, two updates, the start moved to the earlier post
    inc, updates = incidents["https://status.example.test/i/54"]
    assert inc.status == "unknown"
    assert inc.started_at == utc("2024-03-04T21:40:00Z")
    assert sorted(u.posted_at for u in updates) == [utc("2024-03-04T21:40:00Z"), utc("2024-03-04T23:10:00Z")]
    assert "We are seeing errors for some requests." in [u.body for u in updates]

    inc, _ = incidents["incident-53"]
    assert inc.status == "resolved"  # "This incident has been resolved."
    assert inc.started_at == utc("2024-03-03T04:00:00Z")  # +0200


def test_generic_feed_rss_1_and_empty_channel() -> None:
    rdf = (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>Empty</title><link>https://x.test/</link>'
        b"<description>d</description></channel></rdf:RDF>"
    )
    assert len(parse("feed", rdf, FEED_URL)) == 0  # a feed with a title and no entries is an empty feed
    assert feed_kind.detect(rdf)


def test_feedparser_gets_a_file_object_never_a_string(monkeypatch: pytest.MonkeyPatch) -> None:
    """Given bytes or str, feedparser would first try them as a file name or URL; we hand it a file object."""
    seen: list[object] = []
    real = feeds.feedparser.parse

    def spy(source: object, *args: Any, **kwargs: Any) -> Any:
        seen.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(feeds.feedparser, "parse", spy)
    parse("feed", fixture("feed_generic.rss"), FEED_URL)
    assert seen
    assert all(isinstance(source, io.BytesIO) for source in seen)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"https://status.example.test/feed.atom", "but got something that is not XML"),
        (b"/etc/hostname", "but got something that is not XML"),
        (b'{"incidents": []}', "but got JSON"),
        (b"<?xml version='1.0'?><status><ok/></status>", "but got XML whose root element is <status>"),
        (b"", "empty body from"),
    ],
)
def test_generic_feed_rejects_what_is_not_a_feed(body: bytes, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse("feed", body, FEED_URL)
    assert fragment in str(info.value)
    assert FEED_URL in str(info.value)


# ------------------------------------------------------------------------------------------------ error cases

ERROR_ROUTES = [
    ("feed", FEED_URL, "feed_generic.atom"),
    ("statuspage", HISTORY_URL, "statuspage_history.atom"),
    ("aws_health", RSS_URL, "aws_ec2-us-east-1.rss"),
]


@pytest.mark.parametrize(("kind", "url", "_good"), ERROR_ROUTES)
def test_html_page_instead_of_a_feed(kind: str, url: str, _good: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(kind, fixture("error_page.html"), url, "text/html; charset=utf-8")
    message = str(info.value)
    assert f"expected an RSS or Atom feed from {url} but got an HTML page" in message
    assert "text/html" in message


@pytest.mark.parametrize(("kind", "url", "good"), ERROR_ROUTES)
def test_truncated_xml(kind: str, url: str, good: str) -> None:
    body = fixture(good)
    with pytest.raises(ParseError, match=r"malformed or truncated feed XML from .*: .* at line \d+ column \d+"):
        parse(kind, body[: len(body) * 2 // 3], url)


def _without_dates(body: bytes) -> bytes:
    text = body.decode()
    for tag in ("published", "updated", "pubDate"):
        while f"<{tag}>" in text:
            start = text.index(f"<{tag}>")
            text = text[:start] + text[text.index(f"</{tag}>", start) + len(tag) + 3 :]
    return text.encode()


@pytest.mark.parametrize(("kind", "url", "good"), ERROR_ROUTES)
def test_entry_without_a_date(kind: str, url: str, good: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(kind, _without_dates(fixture(good)), url)
    message = str(info.value)
    assert "entry 0 (" in message  # names the entry: its position and its id, link or title
    assert "without a published or updated date" in message or "without a pubDate" in message


@pytest.mark.parametrize(
    "date", ["Tue, 05 Mar 2024 10:30:00", "2024-03-05T10:30:00", "2024-03-05"], ids=["rfc822", "iso", "day"]
)
def test_entry_date_without_zone_is_an_error(date: str) -> None:
    body = fixture("feed_generic.rss").replace(b"Tue, 05 Mar 2024 10:30:00 EST", date.encode())
    with pytest.raises(ParseError) as info:
        parse("feed", body, FEED_URL)
    assert f"entry 0 (incident-55): published {date!r} has no time zone" in str(info.value)


def test_generic_entry_without_id_or_link() -> None:
    body = (
        b'<rss version="2.0"><channel><title>t</title><item><title>Anonymous</title>'
        b"<pubDate>Tue, 05 Mar 2024 10:30:00 GMT</pubDate></item></channel></rss>"
    )
    with pytest.raises(ParseError, match=r"entry 0 \(Anonymous\): entry without an id, guid or link"):
        parse("feed", body, FEED_URL)


# ------------------------------------------------------------------------------------- Statuspage history feeds


def test_statuspage_history_atom_trail_crosses_new_year() -> None:
    parsed = parse("statuspage", fixture("statuspage_history.atom"), HISTORY_URL)
    assert_well_formed(parsed)
    incidents = by_id(parsed)
    assert list(incidents) == ["yr3x0ss1ng1a", "m41nt3n4nc3b", "0p3n1nc1d3nt"]  # from /incidents/<id>, not <id>

    inc, updates = incidents["yr3x0ss1ng1a"]
    assert [(u.posted_at, u.status_native, u.status) for u in updates] == [
        (utc("2023-12-31T22:05:00Z"), "Investigating", "investigating"),
        (utc("2023-12-31T23:59:00Z"), "Identified", "identified"),  # same minute: document order, oldest first
        (utc("2023-12-31T23:59:00Z"), "Monitoring", "monitoring"),
        (utc("2024-01-01T00:20:00Z"), "Update", "monitoring"),  # "Update" keeps the status before it
        (utc("2024-01-01T01:10:00Z"), "Resolved", "resolved"),
    ]
    assert [u.native_id for u in updates] == ["0", "1", "2", "3", "4"]  # places in the trail, never minutes
    assert updates[0].body == "We are investigating delayed webhooks."
    assert updates[2].body == "A fix has been applied & we are monitoring."
    assert updates[-1].body == "This incident has been resolved.\nA review will follow."
    assert all(u.created_at is None for u in updates)
    assert inc.title == "Delayed webhooks across the new year"
    assert inc.status == "resolved"
    assert inc.status_native == "Resolved"
    assert inc.impact is None
    assert inc.impact_native is None
    assert inc.started_at == utc("2023-12-31T22:05:00Z")
    assert inc.resolved_at == utc("2024-01-01T01:10:00Z")
    assert inc.url == "https://status.example.test/incidents/yr3x0ss1ng1a"
    assert inc.component_ids == ()

    inc, updates = incidents["m41nt3n4nc3b"]
    assert [u.status for u in updates] == ["scheduled", "in_progress", "completed"]
    assert inc.status == "completed"
    assert inc.resolved_at == utc("2023-12-20T06:00:00Z")

    inc, updates = incidents["0p3n1nc1d3nt"]
    assert [u.status for u in updates] == ["investigating", "investigating"]
    assert inc.status == "investigating"
    assert inc.resolved_at is None
    assert updates[0].posted_at == utc("2023-12-09T21:30:00Z")  # "Dec <var> 9</var>": the space is no matter


def test_statuspage_history_rss_route() -> None:
    """The same trail as RSS (<description>, pubDate only), at a history.rss url."""
    atom = fixture("statuspage_history.atom").decode()
    content = atom.split('<content type="html">')[1].split("</content>")[0]
    rss = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- INVENTED: built from statuspage_history.atom -->\n'
        '<rss version="2.0"><channel><title>Example - Incident History</title><link>https://status.example.test</link>'
        "<description>Statuspage</description><item><title>Delayed webhooks across the new year</title>"
        f"<description>{content}</description><pubDate>Mon, 01 Jan 2024 01:10:44 +0000</pubDate>"
        "<link>https://status.example.test/incidents/yr3x0ss1ng1a</link>"
        "<guid>https://status.example.test/incidents/yr3x0ss1ng1a</guid></item></channel></rss>"
    ).encode()
    assert statuspage.detect(rss)
    assert not feed_kind.detect(rss)
    parsed = parse("statuspage", rss, "https://status.example.test/history.rss")
    assert [i.native_id for i in parsed.incidents] == ["yr3x0ss1ng1a"]
    assert parsed.updates[0].posted_at == utc("2023-12-31T22:05:00Z")


@pytest.mark.parametrize(
    ("label", "bound", "expected"),
    [
        ("Dec 31, 23:59 UTC", "2024-01-01T01:10:44Z", "2023-12-31T23:59:00Z"),
        ("Jan 1, 00:20 UTC", "2024-01-01T01:10:44Z", "2024-01-01T00:20:00Z"),
        ("Jan 1, 00:20 UTC", "2023-12-31T23:50:00Z", "2024-01-01T00:20:00Z"),  # within a day's slack: that year
        ("Feb 29, 10:00 UTC", "2025-03-01T00:00:00Z", "2024-02-29T10:00:00Z"),  # 2025 has no 29 February
        ("Mar 9, 21:30 EST", "2024-03-10T12:00:00Z", "2024-03-10T02:30:00Z"),
        ("Mar 10, 04:15 EDT", "2024-03-10T12:00:00Z", "2024-03-10T08:15:00Z"),
    ],
)
def test_statuspage_label_year_inference(label: str, bound: str, expected: str) -> None:
    assert statuspage.label_time(label, utc(bound), "here") == utc(expected)


@pytest.mark.parametrize(
    ("label", "fragment"),
    [
        ("Dec 31 23:59 UTC", "cannot read the update time 'Dec 31 23:59 UTC'"),
        ("Dec 31, 23:59 CST", "names the zone 'CST', which we cannot convert"),
        ("Dez 31, 23:59 UTC", "unknown month"),
    ],
)
def test_statuspage_bad_labels(label: str, fragment: str) -> None:
    with pytest.raises(ParseError, match=fragment):
        statuspage.label_time(label, utc("2024-01-01T00:00:00Z"), "here")


def test_statuspage_history_entry_without_incident_link() -> None:
    body = fixture("statuspage_history.atom").replace(b"/incidents/yr3x0ss1ng1a", b"/pages/yr3x0ss1ng1a")
    with pytest.raises(ParseError, match=r"entry 0 \(.*Incident/40000003\): no link to /incidents/<id>"):
        parse("statuspage", body, HISTORY_URL)


def test_statuspage_history_entry_without_labels() -> None:
    body = fixture("statuspage_history.atom").replace(b"data-var='date'", b"data-x='date'")
    with pytest.raises(ParseError, match="incident yr3x0ss1ng1a: no update labels found"):
        parse("statuspage", body, HISTORY_URL)


def test_statuspage_generic_feed_is_not_a_history_feed() -> None:
    with pytest.raises(ParseError, match=r"entry 0 \(incident-55\): no link to /incidents/<id>"):
        parse("statuspage", fixture("feed_generic.rss"), HISTORY_URL)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.githubstatus.com/history.atom", ["https://www.githubstatus.com/history.atom"]),
        ("https://www.githubstatus.com/history.rss", ["https://www.githubstatus.com/history.rss"]),
        (
            "https://www.githubstatus.com",
            ["https://www.githubstatus.com/api/v2/summary.json", "https://www.githubstatus.com/api/v2/incidents.json"],
        ),
    ],
)
def test_statuspage_start_urls_for_history_feeds(url: str, expected: list[str]) -> None:
    assert registry.get("statuspage").start_urls(url) == expected


def test_statuspage_json_route_unchanged_at_a_json_url() -> None:
    parsed = parse(
        "statuspage", fixture("statuspage_incident.json"), "https://status.example.test/api/v2/incidents/x.json"
    )
    assert len(parsed.incidents) == 1


# ------------------------------------------------------------------------------------------ AWS currentevents


def test_aws_currentevents_fixture_is_utf16_be_with_bom() -> None:
    body = fixture("aws_currentevents_utf16.json")
    assert body.startswith(codecs.BOM_UTF16_BE)
    assert json.loads(body.decode("utf-16"))[0]["_note"].startswith("INVENTED")


def test_aws_currentevents() -> None:
    parsed = parse("aws_health", fixture("aws_currentevents_utf16.json"), CURRENT_URL, "application/json")
    assert_well_formed(parsed)
    incidents = by_id(parsed)
    assert list(incidents) == ["ec2-us-east-1-1709656800", "lambda-eu-west-1-1709629500"]

    inc, updates = incidents["ec2-us-east-1-1709656800"]
    assert inc.title == "Amazon Elastic Compute Cloud: Increased API Error Rates"
    assert (inc.impact, inc.impact_native, inc.status_native) == ("major", "2", "2")
    assert inc.status == "identified"
    assert inc.resolved_at is None
    assert inc.service_key == "ec2-us-east-1"
    assert inc.region == "us-east-1"
    assert inc.regions == ("us-east-1",)
    assert inc.component_ids == ("ec2-us-east-1", "route53", "elb-us-east-1")
    assert inc.started_at == utc("2024-03-05T16:40:00Z")
    assert [(u.posted_at, u.status, u.status_native) for u in updates] == [
        (utc("2024-03-05T16:40:00Z"), "investigating", "1"),
        (utc("2024-03-05T17:25:30Z"), "identified", "2"),
    ]
    assert updates[1].body.startswith("We have identified the root cause of the increased")  # spaces collapsed

    inc, updates = incidents["lambda-eu-west-1-1709629500"]
    assert inc.title == "AWS Lambda: Increased Invoke Latency"
    assert inc.status == "resolved"
    assert inc.status_native == "0"
    assert (inc.impact, inc.impact_native) == ("major", "2")  # the highest level its log stated
    assert inc.resolved_at == updates[-1].posted_at == utc("2024-03-05T10:15:00Z")
    assert [u.status for u in updates] == ["investigating", "monitoring", "resolved"]
    assert inc.region == "eu-west-1"
    assert inc.declared_start == utc("2024-03-05T09:05:00Z")
    assert inc.declared_end == utc("2024-03-05T10:10:00Z")

    components = {c.native_id: c for c in parsed.components}
    assert set(components) == {"ec2-us-east-1", "route53", "elb-us-east-1", "lambda-eu-west-1"}
    assert components["route53"].state == "degraded"  # under both events: its worst current state ("1" over "0")
    assert components["ec2-us-east-1"].name == "Amazon Elastic Compute Cloud"
    assert components["ec2-us-east-1"].group_name == "us-east-1"
    assert components["route53"].group_name is None
    assert (components["ec2-us-east-1"].state, components["ec2-us-east-1"].state_native) == ("partial_outage", "2")
    assert components["lambda-eu-west-1"].state == "operational"

    changes = [(c.component_native_id, c.changed_at, c.old_state, c.state) for c in parsed.component_changes]
    assert ("route53", utc("2024-03-05T17:25:30.250Z"), "operational", "degraded") in changes  # milliseconds
    assert ("lambda-eu-west-1", utc("2024-03-05T10:15:00Z"), "partial_outage", "operational") in changes
    assert len(changes) == 5


def test_aws_currentevents_empty_array_is_no_events() -> None:
    body = codecs.BOM_UTF16_BE + "[]".encode("utf-16-be")
    assert len(parse("aws_health", body, CURRENT_URL, "application/json")) == 0


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda events: events[0].pop("date"), "event without 'date'"),
        (lambda events: events[0]["event_log"][1].update(timestamp="soon"), "timestamp: expected epoch seconds"),
        (
            lambda events: events[0]["impacted_service_status_changes"][0].update(timestamp=1709656800),
            "too small for epoch milliseconds",
        ),
        (lambda events: events[1].update(event_log={"a": 1}), "'event_log' is not a list"),
    ],
)
def test_aws_currentevents_errors(mutate: Any, fragment: str) -> None:
    events = json.loads(fixture("aws_currentevents_utf16.json").decode("utf-16"))
    mutate(events)
    body = codecs.BOM_UTF16_BE + json.dumps(events).encode("utf-16-be")
    with pytest.raises(ParseError) as info:
        parse("aws_health", body, CURRENT_URL, "application/json")
    assert fragment in str(info.value)
    assert CURRENT_URL in str(info.value)


# --------------------------------------------------------------------------------------------- AWS SHD RSS


def test_aws_rss_chains_two_incidents() -> None:
    parsed = parse("aws_health", fixture("aws_ec2-us-east-1.rss"), RSS_URL)
    assert_well_formed(parsed)
    incidents = by_id(parsed)
    first_start, second_start = utc("2024-03-10T04:00:12Z"), utc("2024-03-10T08:30:00Z")
    assert list(incidents) == [
        f"ec2-us-east-1-{int(first_start.timestamp())}",
        f"ec2-us-east-1-{int(second_start.timestamp())}",
    ]

    inc, updates = incidents[f"ec2-us-east-1-{int(first_start.timestamp())}"]
    assert [(u.posted_at, u.status_native, u.status) for u in updates] == [
        (utc("2024-03-10T04:00:12Z"), "Informational message", "investigating"),  # 20:00:12 PST on 9 March
        (utc("2024-03-10T05:10:05Z"), "Service disruption", "identified"),
        (utc("2024-03-10T06:30:00Z"), "Service is operating normally [RESOLVED]", "resolved"),
    ]
    assert updates[0].native_id == f"https://status.aws.amazon.com/#ec2-us-east-1_{int(first_start.timestamp())}"
    assert inc.title == "ec2-us-east-1: Increased API Error Rates"
    assert (inc.impact, inc.impact_native) == ("critical", "Service disruption")  # the highest prefix
    assert inc.status == "resolved"
    assert inc.resolved_at == utc("2024-03-10T06:30:00Z")
    assert inc.started_at == first_start
    assert inc.region == "us-east-1"
    assert inc.service_key == "ec2-us-east-1"
    assert inc.declared_start == utc("2024-03-10T03:40:00Z")
    assert inc.declared_end == utc("2024-03-10T06:20:00Z")

    # starts 2 h after the [RESOLVED] post (a new incident though within 24 h), crosses PST -> PDT, still open
    inc, updates = incidents[f"ec2-us-east-1-{int(second_start.timestamp())}"]
    assert [u.posted_at for u in updates] == [utc("2024-03-10T08:30:00Z"), utc("2024-03-10T11:15:00Z")]
    assert inc.title == "ec2-us-east-1: Elevated Instance Launch Failures"
    assert (inc.impact, inc.status, inc.resolved_at) == ("major", "monitoring", None)


def _rss(*items: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><pubDate>{date}</pubDate><guid isPermaLink='false'>{guid}</guid>"
        "<description>We are investigating.</description></item>"
        for title, date, guid in items
    )
    return (
        "<?xml version='1.0'?><!-- INVENTED --><rss version='2.0'><channel><title>t</title>"
        f"<generator>AWS Service Health Dashboard RSS Generator</generator>{body}</channel></rss>"
    ).encode()


def test_aws_rss_gap_over_a_day_starts_a_new_incident() -> None:
    body = _rss(
        (
            "Informational message: Slow API",
            "Thu, 07 Mar 2024 12:00:00 PST",
            "https://status.aws.amazon.com/#s3-us-west-2_1",
        ),
        (
            "Informational message: Slow API",
            "Wed, 06 Mar 2024 06:00:00 PST",
            "https://status.aws.amazon.com/#s3-us-west-2_2",
        ),
        (
            "Informational message: Slow API",
            "Wed, 06 Mar 2024 05:00:00 PST",
            "https://status.aws.amazon.com/#s3-us-west-2_3",
        ),
        (
            "Service impact: Queue delays",
            "Wed, 06 Mar 2024 05:30:00 PST",
            "https://status.aws.amazon.com/#sqs-us-west-2_4",
        ),
    )
    parsed = parse("aws_health", body, "https://status.aws.amazon.com/rss/all.rss")
    assert_well_formed(parsed)
    chains = [
        (i.service_key, len([u for u in parsed.updates if u.incident_native_id == i.native_id]))
        for i in parsed.incidents
    ]
    assert chains == [("s3-us-west-2", 2), ("s3-us-west-2", 1), ("sqs-us-west-2", 1)]  # per service, oldest first
    assert [i.status for i in parsed.incidents] == ["investigating"] * 3
    assert parsed.incidents[2].impact == "unknown"  # "Service impact:" names no level


def test_aws_rss_service_from_the_url_when_the_guid_has_none() -> None:
    body = _rss(("Service degradation: Slow API", "Wed, 06 Mar 2024 05:00:00 PST", "plain-guid"))
    parsed = parse("aws_health", body, RSS_URL)
    assert [i.service_key for i in parsed.incidents] == ["ec2-us-east-1"]
    with pytest.raises(ParseError, match=r"entry 0 \(plain-guid\): cannot tell the service"):
        parse("aws_health", body, "https://status.aws.amazon.com/rss/all.rss")


def test_aws_rss_pubdate_without_zone() -> None:
    body = _rss(("Service degradation: Slow API", "Wed, 06 Mar 2024 05:00:00", "g"))
    with pytest.raises(ParseError, match=r"published 'Wed, 06 Mar 2024 05:00:00' has no time zone"):
        parse("aws_health", body, RSS_URL)


def test_aws_data_json_errors_unchanged() -> None:
    with pytest.raises(ParseError, match=r"not an AWS data\.json payload"):
        parse("aws_health", b"[]", "https://status.aws.amazon.com/data.json", "application/json")


# --------------------------------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("feed_generic.atom", "feed"),
        ("feed_generic.rss", "feed"),
        ("statuspage_history.atom", "statuspage"),
        ("aws_currentevents_utf16.json", "aws_health"),
        ("aws_ec2-us-east-1.rss", "aws_health"),
        ("statuspage_summary_new_york.json", "statuspage"),
        ("statuspage_incident.json", "statuspage"),
        ("aws_data.json", "aws_health"),
    ],
)
def test_detect_finds_exactly_one_kind(name: str, kind: str) -> None:
    assert registry.detect(fixture(name)) == [kind]


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body>hi</body></html>", b"service,bucket_start,reports\n", b"[]", b'{"page": {}}', b"\xff\xfe\x00"],
)
def test_detectors_decline(body: bytes) -> None:
    for name in ("feed", "statuspage", "aws_health"):
        detector = registry.get(name).detect
        assert detector is not None, name
        assert not detector(body), name
