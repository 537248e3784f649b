"""Conformance of the feed routes against the real captures in ../shared/samples (see its PROVENANCE.md).

The captures are read in place, never copied. Expected counts live in conformance_feeds.json (its ``_note`` says
how they were counted, without our parsers). The per-entry checks below read the raw XML or JSON with the standard
library (ElementTree, json) and compare it with what our parsers made of it.
"""

from __future__ import annotations

import codecs
import email.utils
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scrapers import registry
from scrapers.records import IMPACTS, UPDATE_STATUSES, IncidentUpdate, Parsed
from tests.helpers import assert_aware_utc, make_doc, utc

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
if not SAMPLES.is_dir():
    pytest.skip(f"real captures not available ({SAMPLES} is absent)", allow_module_level=True)

EXPECTED: list[dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parent / "conformance_feeds.json").read_text(encoding="utf-8")
)["cases"]
CASE_IDS = [f"{case['kind']}:{case['file']}" for case in EXPECTED]
# What this suite covers: a new capture matching these must get an entry in conformance_feeds.json.
COVERED_GLOBS = (
    "statuspage/**/history.atom_*.xml",
    "statuspage/**/history.rss_*.xml",
    "aws/health.aws.amazon.com_public_currentevents_*.json",
    "aws/*.rss_*.xml",
)
HISTORY = sorted({c["file"] for c in EXPECTED if c["kind"] == "statuspage"})
ATOM = "{http://www.w3.org/2005/Atom}"
FETCHED_AT = datetime(2026, 9, 1, tzinfo=UTC)


@cache
def parsed(kind: str, relative: str, url: str) -> Parsed:
    body = (SAMPLES / relative).read_bytes()
    document = make_doc(url, body, source_id=f"conformance-{kind}", content_type=None, fetched_at=FETCHED_AT)
    return registry.get(kind).parse(document)


def parsed_case(case: dict[str, Any]) -> Parsed:
    return parsed(str(case["kind"]), str(case["file"]), str(case["url"]))


def history_url(relative: str) -> str:
    return next(str(c["url"]) for c in EXPECTED if c["file"] == relative and c["kind"] == "statuspage")


def raw_entries(relative: str) -> list[dict[str, Any]]:
    """Each entry of a Statuspage history feed, read with ElementTree: link, newest date, HTML content."""
    root = ET.parse(SAMPLES / relative).getroot()
    out = []
    if root.tag == f"{ATOM}feed":
        for entry in root.iter(f"{ATOM}entry"):
            link = entry.find(f"{ATOM}link[@rel='alternate']")
            dates = [utc(str(entry.findtext(f"{ATOM}{tag}"))) for tag in ("published", "updated")]
            out.append(
                {
                    "link": link.get("href") if link is not None else None,
                    "newest": max(dates),
                    "html": entry.findtext(f"{ATOM}content") or "",
                }
            )
    else:
        out.extend(
            {
                "link": item.findtext("link"),
                "newest": email.utils.parsedate_to_datetime(str(item.findtext("pubDate"))).astimezone(UTC),
                "html": item.findtext("description") or "",
            }
            for item in root.iter("item")
        )
    return out


def updates_of(result: Parsed, native_id: str) -> list[IncidentUpdate]:
    return [u for u in result.updates if u.incident_native_id == native_id]


def test_expectations_cover_exactly_the_captures() -> None:
    found = {str(path.relative_to(SAMPLES)) for pattern in COVERED_GLOBS for path in SAMPLES.glob(pattern)}
    named = {c["file"] for c in EXPECTED if c["kind"] != "feed"}
    assert found == named, f"captures without an entry: {sorted(found - named)}; gone: {sorted(named - found)}"
    assert len(set(CASE_IDS)) == len(CASE_IDS)


@pytest.mark.parametrize("case", EXPECTED, ids=CASE_IDS)
def test_counts(case: dict[str, Any]) -> None:
    result = parsed_case(case)
    got = {
        "incidents": len(result.incidents),
        "updates": len(result.updates),
        "components": len(result.components),
        "component_changes": len(result.component_changes),
    }
    expected = {key: int(case.get(key, 0)) for key in got}
    assert got == expected


@pytest.mark.parametrize("case", EXPECTED, ids=CASE_IDS)
def test_invariants(case: dict[str, Any]) -> None:
    result = parsed_case(case)

    ids = [i.native_id for i in result.incidents]
    assert len(ids) == len(set(ids))
    for inc in result.incidents:
        assert inc.title.strip()
        assert inc.status in UPDATE_STATUSES
        assert inc.impact is None or inc.impact in IMPACTS
        assert_aware_utc(inc.started_at, f"{inc.native_id} started_at")
        assert_aware_utc(inc.resolved_at, f"{inc.native_id} resolved_at")
        if inc.resolved_at and inc.started_at:
            assert inc.started_at <= inc.resolved_at
    keys = [(u.incident_native_id, u.native_id) for u in result.updates]
    assert len(keys) == len(set(keys))
    for update in result.updates:
        assert update.incident_native_id in ids
        assert update.status in UPDATE_STATUSES
        assert_aware_utc(update.posted_at, f"update {update.native_id}")


# --------------------------------------------------------------------------------------- Statuspage history


@pytest.mark.parametrize("relative", HISTORY)
def test_history_ids_are_the_incident_links(relative: str) -> None:
    result = parsed("statuspage", relative, history_url(relative))
    links = [e["link"] for e in raw_entries(relative)]
    assert [i.native_id for i in result.incidents] == [re.sub(r".*/incidents/", "", str(link)) for link in links]
    for inc in result.incidents:
        assert re.fullmatch(r"[a-z0-9]{12}", inc.native_id), inc.native_id  # the JSON API's incident id shape
        assert inc.url == f"https://www.githubstatus.com/incidents/{inc.native_id}"
        assert inc.impact is None


@pytest.mark.parametrize("relative", HISTORY)
def test_history_posts_per_entry_and_their_times(relative: str) -> None:
    """Each entry's post count is its count of escaped <small> labels; every post time is UTC, not after the
    entry's newest date (published/updated or pubDate), and the trail is in order."""
    result = parsed("statuspage", relative, history_url(relative))
    for inc, entry in zip(result.incidents, raw_entries(relative), strict=True):
        updates = updates_of(result, inc.native_id)
        assert len(updates) == entry["html"].count("<small>"), inc.native_id
        times = [u.posted_at for u in updates]
        assert times == sorted(times)
        for posted_at in times:
            assert posted_at.utcoffset() == timedelta(0)
            assert posted_at <= entry["newest"], (inc.native_id, posted_at, entry["newest"])
        assert inc.started_at == times[0]
        assert (inc.status == "resolved") == (updates[-1].status_native == "Resolved")


# The incidents captured both as JSON (by the JSON route's payloads) and in a history feed.
CROSS = [
    (
        "statuspage/github/history.rss_2022-03-16_from-elixir-fixture.xml",
        "statuspage/github/incident_xvk42jkm6fzk.json",
    ),
    ("statuspage/github/history.atom_latest.xml", "statuspage/github/summary_2026-08-18T1129Z_monitoring.json"),
]


@pytest.mark.parametrize(("feed_file", "json_file"), CROSS)
def test_history_posts_match_the_json_api(feed_file: str, json_file: str) -> None:
    """The feed's posts are the JSON updates: display_at to the minute, and the same status (an "Update" label
    carries the status before it, as the JSON says)."""
    if not (SAMPLES / json_file).is_file():
        pytest.skip(f"{json_file} is absent")
    data = json.loads((SAMPLES / json_file).read_bytes())
    raw_incidents = [data["incident"]] if "incident" in data else data["incidents"]
    result = parsed("statuspage", feed_file, history_url(feed_file))
    feed_ids = {i.native_id for i in result.incidents}
    shared = [r for r in raw_incidents if r["id"] in feed_ids]
    assert shared, "the two captures should share an incident"
    for raw in shared:
        from_json = {
            (utc(u["display_at"] or u["created_at"]).replace(second=0, microsecond=0), u["status"])
            for u in raw["incident_updates"]
        }
        from_feed = {(u.posted_at, u.status) for u in updates_of(result, raw["id"])}
        assert from_json <= from_feed, raw["id"]  # the feed, captured later, may have more posts


# ------------------------------------------------------------------------------------------- AWS currentevents

CURRENT = "aws/health.aws.amazon.com_public_currentevents_2026-08-01.json"
CURRENT_URL = "https://health.aws.amazon.com/public/currentevents"


def test_currentevents_capture_is_utf16_be_with_bom() -> None:
    assert (SAMPLES / CURRENT).read_bytes().startswith(codecs.BOM_UTF16_BE)


def test_currentevents_match_the_payload() -> None:
    events = json.loads((SAMPLES / CURRENT).read_bytes().decode("utf-16"))
    result = parsed("aws_health", CURRENT, CURRENT_URL)
    assert [i.native_id for i in result.incidents] == [f"{e['service']}-{int(e['date'])}" for e in events]
    for inc, event in zip(result.incidents, events, strict=True):
        assert inc.service_key == event["service"]
        assert inc.region == event["service"].removeprefix("multipleservices-")
        assert inc.status_native == event["status"]
        assert inc.impact_native == str(max(int(x["status"]) for x in event["event_log"]))
        assert inc.component_ids == tuple(event["impacted_services"])
        updates = updates_of(result, inc.native_id)
        expected = sorted(datetime.fromtimestamp(int(x["timestamp"]), tz=UTC) for x in event["event_log"])
        assert [u.posted_at for u in updates] == expected
        assert sorted(str(u.status_native) for u in updates) == sorted(str(x["status"]) for x in event["event_log"])
        if event["status"] != "0":
            assert inc.status != "resolved"
            assert inc.resolved_at is None
    changes = {(c.component_native_id, c.changed_at) for c in result.component_changes}
    for event in events:
        for change in event["impacted_service_status_changes"]:
            at = datetime.fromtimestamp(change["timestamp"] / 1000, tz=UTC)  # milliseconds, unlike event_log
            assert (change["service"], at) in changes
            assert datetime(2026, 1, 1, tzinfo=UTC) < at < datetime(2026, 9, 1, tzinfo=UTC)


# -------------------------------------------------------------------------------------------------- AWS RSS

ALL_RSS = "aws/all.rss_2021-12-27_author-trimmed_excerpt.xml"


def test_all_rss_items_become_one_incident_per_service() -> None:
    result = parsed("aws_health", ALL_RSS, "https://status.aws.amazon.com/rss/all.rss")
    root = ET.parse(SAMPLES / ALL_RSS).getroot()
    items = list(root.iter("item"))
    for inc, item in zip(result.incidents, items, strict=True):
        guid = str(item.findtext("guid"))
        key, epoch = guid.rsplit("#", 1)[1].rsplit("_", 1)
        posted = email.utils.parsedate_to_datetime(str(item.findtext("pubDate")).replace("PST", "-0800"))
        assert inc.native_id == f"{key}-{epoch}"
        assert inc.started_at == posted.astimezone(UTC) == datetime.fromtimestamp(int(epoch), tz=UTC)
        assert inc.status == "resolved"  # both titles carry [RESOLVED]
        assert "[RESOLVED]" not in inc.title
        assert updates_of(result, inc.native_id)[0].native_id == guid
