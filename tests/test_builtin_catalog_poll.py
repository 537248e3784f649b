"""The whole built-in catalog, polled: a generated copy of it (every enabled source, same ids, kinds and services,
URLs moved to a loopback server) is crawled by the real ingest flow, each URL answered with a real capture of its kind
from ../shared/samples, and loaded into a real DuckDB file. Skipped when the captures are absent.

Every source of the catalog is polled (no sampling): about 760 sources and 1,400 requests to one loopback host.
The copy keeps each URL's form (a page root stays a page root, so the kind asks for its own endpoints); only Slack's
source points at ``current`` alone, since no capture of its ``history`` exists.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import duckdb
import pytest

from scrapers.catalog import Catalog, Source, load_catalog
from tests.loopback import LoopbackServer, Route

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
if not SAMPLES.is_dir():
    pytest.skip(f"real captures not available ({SAMPLES} is absent)", allow_module_level=True)

# kind -> captures of that kind (a source takes the next one in turn), and the path its copy's URL gets.
CAPTURES = {
    "statuspage": [
        "statuspage/github/summary_2026-08-18T1129Z_monitoring.json",
        "statuspage/github/summary_2021-08-10T2253Z_two_incidents.json",
        "statuspage/anthropic/summary_2026-07-29_major.json",
        "statuspage/cloudflare/summary_2026-07-29_raw_major.json",
        "statuspage/digitalocean/summary_2026-07-01T1156Z_three_incidents.json",
        "statuspage/atlassian/trello_summary_2026-05-26_monitoring_17updates.json",
        "statuspage/atlassian/confluence_summary_2026-08-21_identified.json",
        "statuspage/github/summary_2026-08-22T2227Z_allclear.json",
    ],
    "incidentio": [
        "incidentio/openai_summary_2026-07-22_minor.json",
        "incidentio/cohere_summary_2026-07-23_major.json",
    ],
    "instatus": ["instatus/perplexity_summary_2026-07-23_major.json"],
    "statusio": ["statusio/gitlab_status.io_2023-06-29.json"],
    "betterstack": ["betterstack/huggingface_index.json_2026-07-19_downtime.json"],
    "gcp": ["gcp/incidents.json_2026-07-14T2041Z_disruption.json"],
    "azure": ["azure/azure_status_feed_2026-07-23T1826_westus_major.xml"],
    "aws_health": ["aws/health.aws.amazon.com_public_currentevents_2026-08-01.json"],
    "slack": ["slack/current_2024-02-22T0810Z_two_incidents.json"],
}
# kind -> (the URL the copy gives, relative to /<source id>; the paths the kind then fetches)
FORMS = {
    "statuspage": ("", ["/api/v2/summary.json", "/api/v2/incidents.json"]),
    "incidentio": ("", ["/api/v2/summary.json"]),
    "instatus": ("", ["/api/v2/summary.json"]),
    "betterstack": ("", ["/index.json"]),
    "gcp": ("", ["/incidents.json"]),
    "statusio": ("/1.0/status", ["/1.0/status"]),  # no page id in the path: fetched as given
    "azure": ("/feed/", ["/feed/"]),
    "aws_health": ("/public/currentevents", ["/public/currentevents"]),
    "slack": ("/api/v2.0.0/current", ["/api/v2.0.0/current"]),
}
CONTENT_TYPES = {"azure": "application/rss+xml"}


def generated_copy(catalog: Catalog, server: LoopbackServer, folder: Path) -> tuple[Path, dict[str, str]]:
    """The catalog as one YAML file with every enabled source at the loopback server; and each source's capture."""
    turns = {kind: itertools.cycle(names) for kind, names in CAPTURES.items()}
    bodies: dict[str, bytes] = {}
    chosen: dict[str, str] = {}
    sources = []
    for source in catalog.sources:
        assert source.kind in FORMS, f"no capture for kind {source.kind}: add one to CAPTURES"
        given, fetched = FORMS[source.kind]
        capture = next(turns[source.kind])
        chosen[source.id] = capture
        body = bodies.setdefault(capture, (SAMPLES / capture).read_bytes())
        for path in fetched:
            content_type = CONTENT_TYPES.get(source.kind, "application/json")
            server.routes[f"/{source.id}{path}"] = Route(body, content_type=content_type)
        sources.append(_entry(source, server.url(f"/{source.id}{given}")))
    services = [
        {"id": s.id, "name": s.name, "aliases": list(s.aliases), "depends_on": list(s.depends_on), "tags": list(s.tags)}
        for s in catalog.services
    ]
    path = folder / "builtin-copy.yaml"  # written as JSON, which is YAML too (and much faster to write)
    path.write_text(json.dumps({"services": services, "sources": sources}, indent=1), encoding="utf-8")
    return path, chosen


def _entry(source: Source, url: str) -> dict[str, str | None]:
    return {"id": source.id, "kind": source.kind, "url": url, "service": source.service}


@pytest.mark.usefixtures("prefect_harness")
def test_the_whole_builtin_catalog_polls_and_loads(tmp_path: Path, loopback: LoopbackServer) -> None:
    from flows.ingest import ingest

    builtin = load_catalog()
    copy, chosen = generated_copy(builtin, loopback, tmp_path)
    copied = load_catalog(copy)
    assert [(s.id, s.kind, s.service) for s in copied.sources] == [(s.id, s.kind, s.service) for s in builtin.sources]

    db = tmp_path / "builtin.duckdb"
    result = ingest(sources=str(copy), db=str(db), timeout_seconds=30)

    assert result.failures == {}
    assert result.skipped == {}
    assert (result.sources_total, result.sources_failed) == (len(builtin.sources), 0)
    expected_requests = sum(len(FORMS[s.kind][1]) for s in builtin.sources)
    assert sum(loopback.hits.get(route, 0) for route in loopback.routes) == expected_requests
    con = duckdb.connect(str(db), read_only=True)
    try:
        status = dict(con.execute("select source_id, stale from source_status").fetchall())
        incidents = dict(
            con.execute("select split_part(incident_id, ':', 1), count(*) from incidents group by 1").fetchall()
        )
        services = {r[0] for r in con.execute("select service_id from services").fetchall()}
    finally:
        con.close()
    assert set(status) == {s.id for s in builtin.sources}
    assert not any(status.values())  # every source read: none stale
    assert services == {s.id for s in builtin.services}
    # Every source whose capture lists incidents has them in the warehouse, under its own id.
    with_incidents = {capture for capture in set(chosen.values()) if _has_incidents(capture)}
    assert with_incidents, "no capture with incidents: the check below would say nothing"
    for source_id, capture in chosen.items():
        if capture in with_incidents:
            assert incidents.get(source_id, 0) > 0, (source_id, capture)


def _has_incidents(capture: str) -> bool:
    """Whether the capture lists any incident, read plainly (not by our parsers)."""
    text = (SAMPLES / capture).read_bytes()
    if capture.endswith(".xml"):
        return b"<item>" in text
    try:
        data = json.loads(text.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        data = json.loads(text.decode("utf-16"))
    if isinstance(data, list):
        return bool(data)
    if "incidents" in data:
        return bool(data["incidents"])
    if "active_incidents" in data:
        return bool(data["active_incidents"])
    return False  # status.io and Better Stack keep incidents elsewhere: not asserted here
