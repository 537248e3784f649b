"""incident.io-hosted status pages: their Statuspage-compatible ``/api/v2/summary.json``.

A catalog url that is the page root starts at ``/api/v2/summary.json`` only: no ``incidents.json`` is documented or
captured for incident.io pages (the notes list only summary.json and an unverified ``/api/v1/summary``); a url naming
a ``.json`` endpoint is fetched as given.

The shape is Statuspage v2's, so :func:`scrapers.formats.statuspage_v2.parse_v2` does the work (same status, impact and
component vocabularies). What differs, as seen in the real captures (OpenAI, Cohere):

* ids are ULIDs (26 characters of Crockford base32) and ``page.url`` ends with a slash;
* ``page`` has no ``time_zone``; every timestamp is UTC with ``Z``;
* there is no ``scheduled_maintenances`` key;
* incidents carry only id, name, status, created_at, updated_at, impact, page_id and incident_updates: no
  ``shortlink``, ``started_at``, ``monitoring_at`` or ``resolved_at`` and no ``components``; updates carry no
  ``affected_components``; components carry no ``group``/``group_id``.

So an incident starts at its ``created_at`` (Statuspage's own fallback), and its url, absent from the payload, is
built as ``{page.url}incidents/{id}``, the route incident.io pages use for an incident.
"""

from __future__ import annotations

import dataclasses
import re

from scrapers.formats.statuspage_v2 import parse_v2
from scrapers.jsonbody import load_json, payload_shape, sniff_json
from scrapers.records import Document, Parsed, ParseError
from scrapers.registry import Kind

ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")


def start_urls(url: str) -> list[str]:
    if url.split("?")[0].endswith(".json"):
        return [url]
    return [f"{url.rstrip('/')}/api/v2/summary.json"]


def detect(body: bytes) -> bool:
    """A Statuspage-shaped payload whose page id is a ULID and whose page has no ``time_zone``."""
    data = sniff_json(body)
    if not isinstance(data, dict):
        return False
    page = data.get("page")
    return (
        isinstance(page, dict)
        and isinstance(page.get("id"), str)
        and bool(ULID.match(page["id"]))
        and "time_zone" not in page
        and bool({"incidents", "components", "status"} & set(data))
    )


def parse(doc: Document) -> Parsed:
    data = load_json(doc)
    page = data.get("page") if isinstance(data, dict) else None
    if not isinstance(page, dict):
        keys = payload_shape(data)
        raise ParseError(f"{doc.url}: not an incident.io summary.json (no 'page' object; got {keys})")
    parsed = parse_v2(doc)
    page_url = page.get("url")
    if isinstance(page_url, str) and page_url.startswith(("https://", "http://")):
        base = page_url if page_url.endswith("/") else f"{page_url}/"
        parsed.incidents = [
            incident if incident.url else dataclasses.replace(incident, url=f"{base}incidents/{incident.native_id}")
            for incident in parsed.incidents
        ]
    return parsed


KIND = Kind(
    name="incidentio",
    description="incident.io status page, Statuspage-compatible /api/v2/summary.json",
    start_urls=start_urls,
    parse=parse,
    needs_service=True,
    category="status",
    example_urls=("https://status.example-ai.test/api/v2/summary.json",),
    detect=detect,
)
