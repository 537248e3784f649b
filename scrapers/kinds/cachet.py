"""Cachet 2.x (self-hosted status pages): ``/api/v1/incidents`` and ``/api/v1/components``.

A catalog url that is the page root starts at both endpoints, newest incidents first
(``/api/v1/incidents?sort=id&order=desc&per_page=50``, ``/api/v1/components?per_page=100``; Cachet pages 20 records by
default, oldest first, and ``meta.pagination.links.next_page`` is not followed). A url naming ``/api/v1/...`` is
fetched as given. No real capture exists; the shape is Cachet's own (``AbstractApiController::paginator``, the model
presenters): ``{"meta": {"pagination": {total, count, per_page, current_page, total_pages, links}}, "data": [...]}``,
or ``{"data": {...}}`` for a single record.

* Component: ``id, name, description, link, status (0-4), status_name, order, group_id, enabled, created_at,
  updated_at``. Status 1 Operational, 2 Performance Issues, 3 Partial Outage, 4 Major Outage map to operational,
  degraded, partial_outage, major_outage; 0 (Unknown, Cachet 2.4) and anything else to ``unknown``; the code is the
  native value. ``group_id`` names a group this endpoint does not describe, so ``group_name`` stays empty. A component
  with ``enabled: false`` is hidden on the page and skipped.
* Incident: ``id, name, message, status (0-4), human_status, visible, component_id, scheduled_at, occurred_at (2.4),
  created_at, updated_at``. Status 0 Scheduled, 1 Investigating, 2 Identified, 3 Watching, 4 Fixed map to scheduled,
  investigating, identified, monitoring, resolved; the code (not the translated ``human_status``) is the native value.
  Cachet states no impact: a scheduled incident has impact ``maintenance``, any other none (``None``). An incident
  starts at ``occurred_at``, else ``scheduled_at`` when scheduled, else ``created_at``; a fixed incident is resolved at
  ``updated_at`` (its last change: Cachet keeps no resolution time). ``visible: 0`` incidents are skipped.
* The incident's ``message`` is its first post (native id ``<id>-message``), with the incident's status when it has no
  later ``updates[]`` and ``unknown`` when it has; an embedded ``updates[]`` (``id, status, message, created_at``) adds
  one post each.

**Time zones.** Cachet 2.x serves times as ``YYYY-MM-DD HH:MM:SS`` in the installation's configured zone, with no
offset, and its API never says which zone that is. We do not guess: a time is read only if it carries an offset itself
(``2024-01-05 10:00:00+01:00``, ``...Z``) or if the payload names the zone in ``meta.timezone`` (an IANA name; stock
Cachet does not send it, a proxy that knows the installation may add it). Otherwise the record fails with a
:class:`ParseError` that names it and says why. Component times are never read, so components parse regardless.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scrapers.jsonbody import load_json, payload_shape, sniff_json
from scrapers.records import (
    Component,
    ComponentState,
    Document,
    Impact,
    Incident,
    IncidentUpdate,
    Parsed,
    ParseError,
    UpdateStatus,
)
from scrapers.registry import Kind

COMPONENT_STATE: dict[int, ComponentState] = {
    1: "operational",
    2: "degraded",
    3: "partial_outage",
    4: "major_outage",
}
INCIDENT_STATUS: dict[int, UpdateStatus] = {
    0: "scheduled",
    1: "investigating",
    2: "identified",
    3: "monitoring",
    4: "resolved",
}
SCHEDULED, FIXED = 0, 4
PAGINATION_KEYS = {"total", "count", "per_page", "current_page", "total_pages"}


def start_urls(url: str) -> list[str]:
    if "/api/v1/" in urlsplit(url).path:
        return [url]
    root = url.rstrip("/")
    return [f"{root}/api/v1/components?per_page=100", f"{root}/api/v1/incidents?sort=id&order=desc&per_page=50"]


def detect(body: bytes) -> bool:
    data = sniff_json(body)
    if not isinstance(data, dict):
        return False
    records = data.get("data")
    if isinstance(records, dict):
        return "human_status" in records or "status_name" in records
    meta = data.get("meta")
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    if not isinstance(records, list) or not isinstance(pagination, dict) or not set(pagination) >= PAGINATION_KEYS:
        return False
    return all(isinstance(r, dict) and _record_kind(r) in ("incident", "component") for r in records)


def _record_kind(raw: dict[str, Any]) -> str | None:
    if "type" in raw and "attributes" in raw:
        return None  # a JSON:API resource, not Cachet
    if "incident_id" in raw and "name" not in raw:
        return "update"
    if "message" in raw and "status" in raw:
        return "incident"
    if "status_name" in raw or ("status" in raw and {"link", "order", "group_id"} & set(raw)):
        return "component"
    return None


def _code(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


class _Clock:
    """Reads Cachet times: an offset in the value wins, else the payload's ``meta.timezone``, else an error."""

    def __init__(self, meta: object, where: str) -> None:
        name = meta.get("timezone") if isinstance(meta, dict) else None
        self.zone: ZoneInfo | None = None
        if name is not None:
            try:
                self.zone = ZoneInfo(str(name))
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ParseError(f"{where}: meta.timezone {name!r} is not an IANA time zone name") from exc

    def read(self, value: object, what: str) -> datetime:
        if not isinstance(value, str) or not value.strip():
            raise ParseError(f"{what}: expected a Cachet timestamp, got {value!r}")
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ParseError(f"{what}: not a timestamp: {value!r}") from exc
        if parsed.tzinfo is None:
            if self.zone is None:
                raise ParseError(
                    f"{what}: timestamp {value!r} has no time zone, and the payload names none (no meta.timezone); "
                    "Cachet serves local times of its installation's zone, which we do not guess"
                )
            parsed = parsed.replace(tzinfo=self.zone)
        return parsed.astimezone(UTC)

    def read_optional(self, value: object, what: str) -> datetime | None:
        return None if value is None or value == "" else self.read(value, what)


def _component(raw: dict[str, Any], where: str) -> Component | None:
    if "id" not in raw or not raw.get("name"):
        raise ParseError(f"{where}: a component without id or name")
    if raw.get("enabled") is False:
        return None
    code = _code(raw.get("status"))
    return Component(
        native_id=str(raw["id"]),
        name=str(raw["name"]),
        group_name=None,
        state=COMPONENT_STATE.get(code, "unknown") if code is not None else "unknown",
        state_native=None if raw.get("status") is None else str(raw["status"]),
    )


def _status(value: object) -> tuple[UpdateStatus, str | None]:
    code = _code(value)
    native = None if value is None else str(value)
    return (INCIDENT_STATUS.get(code, "unknown") if code is not None else "unknown"), native


def _incident(raw: dict[str, Any], clock: _Clock, where: str) -> tuple[Incident, list[IncidentUpdate]] | None:
    if "id" not in raw or not raw.get("name"):
        raise ParseError(f"{where}: an incident without id or name")
    if _code(raw.get("visible")) == 0 or raw.get("visible") is False:
        return None
    native_id = str(raw["id"])
    where = f"{where} incident {native_id}"
    status, status_native = _status(raw.get("status"))
    code = _code(raw.get("status"))
    created = clock.read(raw.get("created_at"), f"{where} created_at")
    occurred = clock.read_optional(raw.get("occurred_at"), f"{where} occurred_at")
    scheduled = clock.read_optional(raw.get("scheduled_at"), f"{where} scheduled_at") if code == SCHEDULED else None
    updated = clock.read_optional(raw.get("updated_at"), f"{where} updated_at")

    raw_updates = raw.get("updates") or []
    if not isinstance(raw_updates, list):
        raise ParseError(f"{where}: 'updates' is not a list")
    first_status: tuple[UpdateStatus, str | None] = (status, status_native) if not raw_updates else ("unknown", None)
    updates = [
        IncidentUpdate(
            incident_native_id=native_id,
            native_id=f"{native_id}-message",
            posted_at=occurred or scheduled or created,
            created_at=created,
            status=first_status[0],
            status_native=first_status[1],
            body=str(raw.get("message") or ""),
        )
    ]
    for position, raw_update in enumerate(raw_updates):
        if not isinstance(raw_update, dict) or "id" not in raw_update:
            raise ParseError(f"{where}: updates[{position}] has no id")
        uwhere = f"{where} update {raw_update['id']}"
        posted = clock.read(raw_update.get("created_at"), f"{uwhere} created_at")
        ustatus, unative = _status(raw_update.get("status"))
        updates.append(
            IncidentUpdate(
                incident_native_id=native_id,
                native_id=str(raw_update["id"]),
                posted_at=posted,
                created_at=posted,
                status=ustatus,
                status_native=unative,
                body=str(raw_update.get("message") or ""),
            )
        )
    updates.sort(key=lambda u: u.posted_at)
    component = _code(raw.get("component_id"))
    impact: Impact | None = "maintenance" if code == SCHEDULED else None
    incident = Incident(
        native_id=native_id,
        title=str(raw["name"]),
        impact=impact,
        impact_native=None,
        status=status,
        status_native=status_native,
        started_at=occurred or scheduled or created,
        resolved_at=(updated or updates[-1].posted_at) if code == FIXED else None,
        url=raw.get("permalink") or None,
        component_ids=(str(component),) if component else (),
    )
    return incident, updates


def parse(doc: Document) -> Parsed:
    data = load_json(doc)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list | dict):
        keys = payload_shape(data)
        raise ParseError(f"{doc.url}: not a Cachet API v1 payload (no 'data' list or object; got {keys})")
    records = data["data"] if isinstance(data["data"], list) else [data["data"]]
    clock = _Clock(data.get("meta"), doc.url)
    parsed = Parsed()
    for position, raw in enumerate(records):
        where = f"{doc.url} data[{position}]"
        kind = _record_kind(raw) if isinstance(raw, dict) else None
        if kind is None or not isinstance(raw, dict):
            raise ParseError(f"{where}: neither a Cachet incident (message, status) nor a component (status_name)")
        if kind == "update":
            raise ParseError(
                f"{where}: an incident update; /api/v1/incidents/{{id}}/updates is not read on its own, "
                "point the source at /api/v1/incidents"
            )
        if kind == "component":
            component = _component(raw, where)
            if component is not None:
                parsed.components.append(component)
            continue
        found = _incident(raw, clock, where)
        if found is not None:
            parsed.incidents.append(found[0])
            parsed.updates.extend(found[1])
    return parsed


KIND = Kind(
    name="cachet",
    description="Cachet 2.x API v1 (/api/v1/incidents, /api/v1/components)",
    start_urls=start_urls,
    parse=parse,
    needs_service=True,
    category="status",
    example_urls=(
        "https://status.example.test/api/v1/incidents",
        "https://status.example.test/api/v1/components",
    ),
    detect=detect,
)
