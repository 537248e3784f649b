"""Instatus status pages: ``/api/v2/summary.json`` (also served as ``/summary.json``).

A catalog url that is the page root starts at ``/api/v2/summary.json`` (the endpoint of the one real capture); a
url naming a ``.json`` endpoint (``/summary.json``, ``/v2/components.json``) is fetched as given.

Payload: ``page{name,url,status}`` where ``status`` is the page indicator (``UP``, ``HASISSUES``,
``UNDERMAINTENANCE``; ``ONEMAJOROUTAGE`` seen in a real capture) and is not kept as a record;
``activeIncidents[{id,name,started,status,impact,url,updatedAt}]``; ``activeMaintenances[{id,name,start,status,
duration,url}]``; and, on the components endpoint or when a page includes them, ``components[{id,name,status,
children?}]``. The summary carries no update posts, so this kind yields incidents and components only.

Normalization: every Instatus enum is UPPERCASE without separators. Incident status INVESTIGATING / IDENTIFIED /
MONITORING / RESOLVED map to ours; an incident's ``impact`` uses the component vocabulary and is graded like
Statuspage's (DEGRADEDPERFORMANCE minor, PARTIALOUTAGE and MINOROUTAGE major, MAJOROUTAGE critical,
UNDERMAINTENANCE maintenance, OPERATIONAL none). Maintenances get impact ``maintenance`` and status NOTSTARTEDYET
``scheduled``, INPROGRESS ``in_progress``, COMPLETED ``completed``. Any other value becomes ``unknown`` with the native
value kept. Components with ``children`` are group headings: the children become components with the parent's name as
``group_name``.
"""

from __future__ import annotations

import re
from typing import Any

from scrapers.jsonbody import load_json, sniff_json
from scrapers.records import Component, ComponentState, Document, Impact, Incident, Parsed, ParseError, UpdateStatus
from scrapers.registry import Kind
from scrapers.timeparse import parse_optional_iso_utc

INCIDENT_STATUS: dict[str, UpdateStatus] = {
    "INVESTIGATING": "investigating",
    "IDENTIFIED": "identified",
    "MONITORING": "monitoring",
    "RESOLVED": "resolved",
}
MAINTENANCE_STATUS: dict[str, UpdateStatus] = {
    "NOTSTARTEDYET": "scheduled",
    "INPROGRESS": "in_progress",
    "COMPLETED": "completed",
}
IMPACT: dict[str, Impact] = {
    "OPERATIONAL": "none",
    "DEGRADEDPERFORMANCE": "minor",
    "PARTIALOUTAGE": "major",
    "MINOROUTAGE": "major",
    "MAJOROUTAGE": "critical",
    "UNDERMAINTENANCE": "maintenance",
}
COMPONENT_STATE: dict[str, ComponentState] = {
    "OPERATIONAL": "operational",
    "DEGRADEDPERFORMANCE": "degraded",
    "PARTIALOUTAGE": "partial_outage",
    "MINOROUTAGE": "partial_outage",
    "MAJOROUTAGE": "major_outage",
    "UNDERMAINTENANCE": "maintenance",
}
_ENUM = re.compile(r"^[A-Z][A-Z_]*$")


def start_urls(url: str) -> list[str]:
    if url.split("?")[0].endswith(".json"):
        return [url]
    return [f"{url.rstrip('/')}/api/v2/summary.json"]


def detect(body: bytes) -> bool:
    data = sniff_json(body)
    if not isinstance(data, dict) or "status" in data:  # Statuspage puts its indicator at the top level
        return False
    page = data.get("page")
    return isinstance(page, dict) and isinstance(page.get("status"), str) and bool(_ENUM.match(page["status"]))


def _native(value: object) -> str | None:
    return None if value is None else str(value)


def _key(value: object) -> str:
    return str(value).strip().upper()


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{where}: '{key}' is not a list")
    return value


def _incident(raw: Any, where: str, *, maintenance: bool) -> Incident:
    if not isinstance(raw, dict) or "id" not in raw or not raw.get("name"):
        raise ParseError(f"{where}: expected an object with 'id' and 'name'")
    native_id = str(raw["id"])
    where = f"{where} {native_id}"
    status_native = raw.get("status")
    if maintenance:
        started = parse_optional_iso_utc(raw.get("start"), what=f"{where} start")
        status = MAINTENANCE_STATUS.get(_key(status_native), "unknown")
        impact: Impact | None = "maintenance"
        impact_native = _native(raw.get("impact"))
    else:
        started = parse_optional_iso_utc(raw.get("started"), what=f"{where} started")
        status = INCIDENT_STATUS.get(_key(status_native), "unknown")
        impact_native = _native(raw.get("impact"))
        impact = None if impact_native is None else IMPACT.get(_key(impact_native), "unknown")
    return Incident(
        native_id=native_id,
        title=str(raw["name"]),
        impact=impact,
        impact_native=impact_native,
        status=status,
        status_native=_native(status_native),
        started_at=started,
        resolved_at=None,  # the summary lists active incidents only and gives no end time
        url=raw.get("url") or None,
    )


def _components(raw_components: list[Any], where: str, group: str | None = None) -> list[Component]:
    out: list[Component] = []
    for raw in raw_components:
        if not isinstance(raw, dict) or "id" not in raw or "name" not in raw:
            raise ParseError(f"{where}: a component without id or name")
        children = raw.get("children")
        if isinstance(children, list) and children:
            out.extend(_components(children, where, group=str(raw["name"])))
            continue
        status = raw.get("status")
        out.append(
            Component(
                native_id=str(raw["id"]),
                name=str(raw["name"]),
                group_name=group,
                state=COMPONENT_STATE.get(_key(status), "unknown"),
                state_native=_native(status),
            )
        )
    return out


def parse(doc: Document) -> Parsed:
    data = load_json(doc)
    if not isinstance(data, dict):
        raise ParseError(f"{doc.url}: expected an Instatus JSON object, got {type(data).__name__}")
    page = data.get("page")
    known = {"activeIncidents", "activeMaintenances", "components"}
    if not (isinstance(page, dict) and isinstance(page.get("status"), str)) and not (known & set(data)):
        raise ParseError(
            f"{doc.url}: not an Instatus summary (no 'page.status', 'activeIncidents' or 'components'; "
            f"keys: {', '.join(sorted(map(str, data))[:8])})"
        )
    parsed = Parsed()
    for position, raw in enumerate(_list(data, "activeIncidents", doc.url)):
        parsed.incidents.append(_incident(raw, f"{doc.url} activeIncidents[{position}]", maintenance=False))
    for position, raw in enumerate(_list(data, "activeMaintenances", doc.url)):
        parsed.incidents.append(_incident(raw, f"{doc.url} activeMaintenances[{position}]", maintenance=True))
    parsed.components = _components(_list(data, "components", doc.url), doc.url)
    return parsed


KIND = Kind(
    name="instatus",
    description="Instatus status page summary (/api/v2/summary.json)",
    start_urls=start_urls,
    parse=parse,
    needs_service=True,
    category="status",
    example_urls=("https://status.example-cloud.test/api/v2/summary.json",),
    detect=detect,
)
