"""Conformance of the gcp, azure and slack kinds against the real captures in ../shared/samples (PROVENANCE.md).

The captures are read in place, never copied into the repo. Expected counts live in conformance_clouds.json and were
derived from the files with jq/grep, independently of our parsers (its ``_note`` says how). Each capture is parsed
once per module (the 2020 GCP full history is 569 KB).
"""

from __future__ import annotations

import email.utils
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scrapers import registry
from scrapers.kinds import azure, gcp, slack
from scrapers.records import COMPONENT_STATES, IMPACTS, UPDATE_STATUSES, Incident, IncidentUpdate, Parsed
from tests.helpers import assert_aware_utc, make_doc, utc

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
if not SAMPLES.is_dir():
    pytest.skip(f"real captures not available ({SAMPLES} is absent)", allow_module_level=True)

EXPECTED: dict[str, dict[str, Any]] = {
    key: value
    for key, value in json.loads(
        (Path(__file__).resolve().parent / "conformance_clouds.json").read_text(encoding="utf-8")
    ).items()
    if not key.startswith("_")
}
COVERED_GLOBS = {
    "gcp/*": "gcp",
    "azure/*": "azure",
    "slack/*": "slack",
    "aws-2021-12-07-correlated/slack_*.json": "slack",
}
URLS = {
    "gcp": "https://status.cloud.google.com/incidents.json",
    "azure": "https://rssfeed.azure.status.microsoft/en-us/status/feed/",
    "slack": "https://status.slack.com/api/v2.0.0/current",
}
DETECTORS = {"gcp": gcp.detect, "azure": azure.detect, "slack": slack.detect}
FETCHED_AT = datetime(2026, 9, 1, tzinfo=UTC)
CAPTURES = sorted(EXPECTED)


def kind_of(relative: str) -> str:
    return str(EXPECTED[relative]["kind"])


@pytest.fixture(scope="module")
def parsed() -> dict[str, Parsed]:
    """Every capture, parsed once for the whole module."""
    out = {}
    for relative in CAPTURES:
        kind = kind_of(relative)
        document = make_doc(
            URLS[kind],
            (SAMPLES / relative).read_bytes(),
            source_id=f"conformance-{kind}",
            content_type="application/rss+xml" if kind == "azure" else "application/json",
            fetched_at=FETCHED_AT,
        )
        out[relative] = registry.get(kind).parse(document)
    return out


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return {r: json.loads((SAMPLES / r).read_bytes()) for r in CAPTURES if kind_of(r) != "azure"}


def incident(result: Parsed, native_id: str) -> tuple[Incident, list[IncidentUpdate]]:
    matches = [i for i in result.incidents if i.native_id == native_id]
    assert len(matches) == 1, f"expected one incident {native_id!r}, found {len(matches)}"
    return matches[0], [u for u in result.updates if u.incident_native_id == native_id]


def test_expectations_cover_exactly_the_captures() -> None:
    found = {
        str(path.relative_to(SAMPLES)): kind
        for pattern, kind in COVERED_GLOBS.items()
        for path in SAMPLES.glob(pattern)
        if path.is_file()
    }
    missing = sorted(set(found) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(found))
    assert not missing, f"captures without an entry in conformance_clouds.json (count them by hand): {missing}"
    assert not stale, f"conformance_clouds.json names captures that are gone: {stale}"
    assert {p: kind_of(p) for p in found} == found


@pytest.mark.parametrize("relative", CAPTURES)
def test_counts(relative: str, parsed: dict[str, Parsed]) -> None:
    result = parsed[relative]
    expected = EXPECTED[relative]
    got = (len(result.incidents), len(result.updates), len(result.components), len(result.counts))
    assert got == (expected["incidents"], expected["updates"], expected["components"], 0)
    assert sorted(i.native_id for i in result.incidents if i.resolved_at is None) == sorted(expected["ongoing"])
    assert sorted({r for i in result.incidents for r in i.regions}) == expected["regions"]


@pytest.mark.parametrize("relative", CAPTURES)
def test_invariants(relative: str, parsed: dict[str, Parsed]) -> None:
    result = parsed[relative]

    ids = [i.native_id for i in result.incidents]
    assert len(ids) == len(set(ids)), "incident native ids repeat within one document"
    components = {c.native_id for c in result.components}
    assert len(components) == len(result.components), "component ids repeat within one document"
    for inc in result.incidents:
        assert inc.title.strip() == inc.title, inc
        assert inc.title, inc
        assert inc.status in UPDATE_STATUSES, inc
        assert inc.impact is None or inc.impact in IMPACTS, inc
        assert inc.region == (inc.regions[0] if inc.regions else None), inc
        assert set(inc.component_ids) <= components, inc
        assert_aware_utc(inc.started_at, f"{inc.native_id} started_at")
        assert_aware_utc(inc.resolved_at, f"{inc.native_id} resolved_at")
        assert (inc.resolved_at is None) == (inc.status not in ("resolved", "completed")), inc
        if inc.resolved_at and inc.started_at:
            assert inc.started_at <= inc.resolved_at, inc
    keys = [(u.incident_native_id, u.native_id) for u in result.updates]
    assert len(keys) == len(set(keys)), "update native ids repeat within one incident"
    for update in result.updates:
        assert update.incident_native_id in ids
        assert update.status in UPDATE_STATUSES, update
        assert_aware_utc(update.posted_at, f"update {update.native_id} posted_at")
        assert_aware_utc(update.created_at, f"update {update.native_id} created_at")
    for component in result.components:
        assert component.state in COMPONENT_STATES, component


@pytest.mark.parametrize("relative", CAPTURES)
def test_detect(relative: str) -> None:
    body = (SAMPLES / relative).read_bytes()
    kind = kind_of(relative)
    assert {name for name, detector in DETECTORS.items() if detector(body)} == {kind}
    assert kind in registry.detect(body)


# ------------------------------------------------------------------------------------------------------- gcp

GCP = [r for r in CAPTURES if kind_of(r) == "gcp"]


@pytest.mark.parametrize("relative", GCP)
def test_gcp_fields_match_the_payload(relative: str, parsed: dict[str, Parsed], raw: dict[str, Any]) -> None:
    result = parsed[relative]
    by_position = dict(enumerate(result.incidents))
    for position, item in enumerate(raw[relative]):
        inc = by_position[position]
        assert inc.title == item["external_desc"].strip()
        assert inc.impact_native == item["severity"]
        assert inc.impact == {"low": "minor", "medium": "major", "high": "critical"}[item["severity"]]
        assert inc.started_at == utc(item["begin"])
        assert inc.resolved_at == (utc(item["end"]) if item.get("end") else None)
        assert inc.service_key == item["service_key"]
        latest = item.get("most_recent_update") or item.get("most-recent-update")
        assert inc.status_native == latest.get("status")
        updates = [u for u in result.updates if u.incident_native_id == inc.native_id]
        assert [(u.posted_at, u.created_at, u.status_native, u.body) for u in updates] == [
            (utc(u["when"]), utc(u["created"]), u.get("status"), u["text"]) for u in item["updates"]
        ]


def test_gcp_ongoing_disruption(parsed: dict[str, Parsed]) -> None:
    result = parsed["gcp/incidents.json_2026-07-14T2041Z_disruption.json"]
    inc, updates = incident(result, "T8gmtofFSTGT5tbhyciF")
    assert (inc.status, inc.status_native, inc.impact) == ("investigating", "SERVICE_DISRUPTION", "major")
    assert inc.regions == ("australia-southeast2", "europe-west3", "northamerica-northeast2")
    assert inc.url == "https://status.cloud.google.com/incidents/T8gmtofFSTGT5tbhyciF"
    assert [u.posted_at for u in updates] == [utc("2026-07-14T20:24:18Z")]
    # the declared start (begin, 17:00Z) is hours before the first post
    assert inc.started_at == inc.declared_start == utc("2026-07-14T17:00:00Z")
    states = {c.native_id: (c.name, c.state) for c in result.components}
    assert states["9H6gWUHvb2ZubeoxzQ1Y"] == ("VMWare engine", "partial_outage")
    assert sum(1 for c in result.components if c.state != "operational") == 1
    ended, _ = incident(result, "41E5S3mkTGDfkZuJZH5k")
    assert (ended.status, ended.status_native, ended.impact) == ("resolved", "AVAILABLE", "minor")


def test_gcp_older_full_history(parsed: dict[str, Parsed]) -> None:
    result = parsed["gcp/incidents.json_2020-11-17_fullhistory.json"]
    inc, updates = incident(result, "storage/20008")
    assert (inc.status, inc.resolved_at, inc.url) == (
        "unknown",
        None,
        "https://status.cloud.google.com/incident/storage/20008",
    )
    assert [u.posted_at for u in updates] == [utc("2020-11-17T20:19:33Z")]
    assert {u.status for u in result.updates} == {"unknown"}  # that payload has no statuses
    assert "zall" not in {c.native_id for c in result.components}


# ----------------------------------------------------------------------------------------------------- azure

AZURE = [r for r in CAPTURES if kind_of(r) == "azure"]


@pytest.mark.parametrize("relative", AZURE)
def test_azure_fields_match_the_payload(relative: str, parsed: dict[str, Parsed]) -> None:
    text = (SAMPLES / relative).read_text(encoding="utf-8")
    (pub_date,) = re.findall(r"<pubDate>([^<]*)</pubDate>", text)
    (title,) = re.findall(r"<title>([^<]*)</title>\s*<description>", text)
    categories = re.findall(r"<category>([^<]*)</category>", text)
    inc, (update,) = incident(parsed[relative], "issues-connecting-to-resources-in-west-us")
    assert inc.title == title.strip() == "Issues connecting to resources in West US"
    assert inc.started_at == update.posted_at == email.utils.parsedate_to_datetime(pub_date).astimezone(UTC)
    assert inc.component_ids == tuple(c for c in categories if c != "West US")
    assert (inc.status, inc.impact, inc.resolved_at) == ("investigating", None, None)
    assert "<" not in update.body
    assert "&nbsp;" not in update.body
    assert update.body.startswith("Starting at ")


def test_azure_rewritten_description_is_a_revision_of_one_update(parsed: dict[str, Parsed]) -> None:
    first, later = (parsed[r].updates[0] for r in AZURE)
    assert (first.incident_native_id, first.native_id) == (later.incident_native_id, later.native_id)
    assert first.posted_at == later.posted_at == utc("2026-07-23T16:29:09Z")
    assert first.body != later.body
    assert "We may have identified the likely cause" in later.body


# ----------------------------------------------------------------------------------------------------- slack

SLACK = [r for r in CAPTURES if kind_of(r) == "slack"]


@pytest.mark.parametrize("relative", SLACK)
def test_slack_fields_match_the_payload(relative: str, parsed: dict[str, Parsed], raw: dict[str, Any]) -> None:
    data = raw[relative]
    items = data if isinstance(data, list) else data["active_incidents"]
    result = parsed[relative]
    for item in items:
        inc, updates = incident(result, str(item["id"]))
        assert inc.title == item["title"]
        assert (inc.impact_native, inc.status_native) == (item["type"], item["status"])
        assert inc.started_at == utc(item["date_created"])
        assert inc.component_ids == tuple(item["services"])
        assert inc.url == item["url"]
        assert [(u.posted_at, u.body) for u in updates] == [
            (utc(n["date_created"]), n["body"].strip()) for n in item["notes"]
        ]


def test_slack_2021_12_07_trail_in_utc(parsed: dict[str, Parsed]) -> None:
    inc, updates = incident(parsed["aws-2021-12-07-correlated/slack_current_2021-12-08T0221Z.json"], "1039")
    assert inc.started_at == utc("2021-12-07T16:42:22Z")  # 08:42:22 PST
    assert (inc.status, inc.impact, inc.resolved_at) == ("investigating", "minor", None)
    assert updates[0].posted_at == utc("2021-12-08T01:43:17Z")  # 17:43:17 PST, the next UTC day
    assert updates[-1].posted_at == utc("2021-12-07T16:42:22Z")
    assert [u.status_native for u in updates] == ["active"] + [None] * 12
