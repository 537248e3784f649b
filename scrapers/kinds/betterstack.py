"""Better Stack (formerly Better Uptime) status pages: ``/index.json``, a JSON:API document.

A catalog url that is the page root starts at ``/index.json``; a url naming a ``.json`` endpoint is fetched as given.

Payload (as in the real Hugging Face capture): ``data`` is the ``status_page`` (``attributes.aggregate_state`` is the
page indicator, not kept); ``included[]`` holds ``status_page_section`` (``name``), ``status_page_resource``
(``public_name``, ``status``, ``status_page_section_id``, 90 days of ``status_history``), ``status_report``
(``title``, ``report_type`` manual|maintenance, ``starts_at``, ``ends_at``, ``aggregate_state``,
``affected_resources[{status_page_resource_id,status}]``, ``relationships.status_updates``) and ``status_update``
(``message``, ``published_at``, ``published_at_timezone``, ``affected_resources``). There is no ``resolved_at``:
``ends_at`` is null on resolved manual reports.

Normalization:

* A resource is a component; its section's name is the ``group_name``. Resource status operational, degraded,
  downtime, maintenance map to operational, degraded, major_outage, maintenance; anything else (``not_monitored``
  appears in ``status_history``) is ``unknown`` with the native value kept. The daily ``status_history`` is not kept:
  it has no change times.
* A status report is an incident. Its updates are the ``status_update`` records its relationships name (listed in no
  particular order; sorted by ``published_at``); a named update missing from ``included`` is skipped.
* Each update's ``affected_resources`` entry is a :class:`ComponentChange` at ``published_at``; ``resolved`` there
  means the resource is back to operational.
* Updates have no status of their own: one whose affected resources are all ``resolved`` is ``resolved``, one on a
  maintenance report follows the window's phase at that time (``scheduled`` before ``starts_at``, ``completed``
  from ``ends_at`` on, else ``in_progress``), any other is ``unknown``; the native value is the affected statuses
  joined with ``,``.
* Report status: ``aggregate_state`` resolved is ``resolved`` (``completed`` for a maintenance); a maintenance not
  yet resolved is ``scheduled`` until ``starts_at`` and ``in_progress`` after, judged at the document's fetch time;
  any other state (degraded, downtime) is ``unknown``, as Better Stack has no investigating/identified phases.
* Report impact: a maintenance is ``maintenance``; a manual report takes the worst resource status any of its
  updates or the report states: downtime ``major`` (Better Stack has one outage level, so never ``critical``),
  degraded ``minor``; none stated gives no impact.
* A resolved (or completed) report's ``resolved_at`` is ``ends_at``, else its latest update's ``published_at``; an
  open report has none.
* Times carry their own offset (``Z`` in the capture) and are normalized to UTC; ``published_at_timezone`` is only
  the zone the author typed in, and is not used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapers.jsonbody import load_json, payload_shape, sniff_json
from scrapers.records import (
    Component,
    ComponentChange,
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
from scrapers.timeparse import parse_iso_utc, parse_optional_iso_utc
from scrapers.vocabulary import impact_rank

RESOURCE_STATE: dict[str, ComponentState] = {
    "operational": "operational",
    "degraded": "degraded",
    "downtime": "major_outage",
    "maintenance": "maintenance",
    "resolved": "operational",  # only in a report's or update's affected_resources
}
# A manual report's impact from the most severe resource status it states.
REPORT_IMPACT: dict[str, Impact] = {"degraded": "minor", "downtime": "major"}


def start_urls(url: str) -> list[str]:
    if url.split("?")[0].endswith(".json"):
        return [url]
    return [f"{url.rstrip('/')}/index.json"]


def detect(body: bytes) -> bool:
    data = sniff_json(body)
    page = data.get("data") if isinstance(data, dict) else None
    return (
        isinstance(page, dict)
        and page.get("type") == "status_page"
        and isinstance(page.get("attributes"), dict)
        and "aggregate_state" in page["attributes"]
    )


def _state(value: object) -> ComponentState:
    return RESOURCE_STATE.get(str(value), "unknown")


def _attributes(raw: dict[str, Any], where: str) -> dict[str, Any]:
    attributes = raw.get("attributes")
    if not isinstance(attributes, dict):
        raise ParseError(f"{where}: {raw.get('type')} {raw.get('id')} has no 'attributes' object")
    return attributes


def _affected(attributes: dict[str, Any], where: str) -> list[tuple[str, str]]:
    entries = attributes.get("affected_resources") or []
    if not isinstance(entries, list):
        raise ParseError(f"{where}: 'affected_resources' is not a list")
    return [
        (str(e["status_page_resource_id"]), str(e.get("status")))
        for e in entries
        if isinstance(e, dict) and e.get("status_page_resource_id") is not None
    ]


def _components(resources: list[dict[str, Any]], sections: dict[str, str], where: str) -> list[Component]:
    out = []
    for raw in resources:
        attributes = _attributes(raw, where)
        name = attributes.get("public_name")
        if not name:
            raise ParseError(f"{where}: status_page_resource {raw.get('id')} has no 'public_name'")
        status = attributes.get("status")
        out.append(
            Component(
                native_id=str(raw["id"]),
                name=str(name),
                group_name=sections.get(str(attributes.get("status_page_section_id"))),
                state=_state(status),
                state_native=None if status is None else str(status),
            )
        )
    return out


def _phase(at: datetime, starts_at: datetime | None, ends_at: datetime | None) -> UpdateStatus:
    """Where a maintenance window stands at a given instant."""
    if starts_at is not None and at < starts_at:
        return "scheduled"
    if ends_at is not None and at >= ends_at:
        return "completed"
    return "in_progress"


def _update_status(
    affected: list[tuple[str, str]],
    maintenance: bool,
    posted_at: datetime,
    window: tuple[datetime | None, datetime | None],
) -> UpdateStatus:
    if affected and all(status == "resolved" for _, status in affected):
        return "resolved"
    if maintenance:
        return _phase(posted_at, *window)
    return "unknown"


def _report(
    raw: dict[str, Any], updates_by_id: dict[str, dict[str, Any]], fetched_at: datetime, where: str
) -> tuple[Incident, list[IncidentUpdate], list[ComponentChange]]:
    native_id = str(raw["id"])
    where = f"{where} status_report {native_id}"
    attributes = _attributes(raw, where)
    title = attributes.get("title")
    if not title:
        raise ParseError(f"{where}: no 'title'")
    report_type = attributes.get("report_type")
    maintenance = report_type == "maintenance"
    starts_at = parse_optional_iso_utc(attributes.get("starts_at"), what=f"{where} starts_at")
    ends_at = parse_optional_iso_utc(attributes.get("ends_at"), what=f"{where} ends_at")
    state = attributes.get("aggregate_state")
    report_affected = _affected(attributes, where)

    relationships = raw.get("relationships")
    link = relationships.get("status_updates") if isinstance(relationships, dict) else None
    related = (link.get("data") if isinstance(link, dict) else None) or []
    if not isinstance(related, list):
        raise ParseError(f"{where}: relationships.status_updates.data is not a list")
    updates: list[IncidentUpdate] = []
    changes: list[ComponentChange] = []
    stated: list[str] = [status for _, status in report_affected]
    for ref in related:
        update_id = str(ref.get("id")) if isinstance(ref, dict) else None
        raw_update = updates_by_id.get(update_id or "")
        if raw_update is None:
            continue  # named but not included: nothing to read
        uwhere = f"{where} status_update {update_id}"
        uattributes = _attributes(raw_update, uwhere)
        posted = parse_iso_utc(uattributes.get("published_at"), what=f"{uwhere} published_at")
        affected = _affected(uattributes, uwhere)
        stated.extend(status for _, status in affected)
        native_statuses = ",".join(dict.fromkeys(status for _, status in affected))
        updates.append(
            IncidentUpdate(
                incident_native_id=native_id,
                native_id=str(update_id),
                posted_at=posted,
                created_at=None,
                status=_update_status(affected, maintenance, posted, (starts_at, ends_at)),
                status_native=native_statuses or None,
                body=str(uattributes.get("message") or ""),
            )
        )
        for resource_id, resource_status in affected:
            changes.append(
                ComponentChange(
                    component_native_id=resource_id,
                    changed_at=posted,
                    state=_state(resource_status),
                    state_native=resource_status,
                    incident_native_id=native_id,
                )
            )
    updates.sort(key=lambda u: (u.posted_at, u.native_id))
    changes.sort(key=lambda c: (c.changed_at, c.component_native_id))

    impact: Impact | None
    impact_native: str | None
    if maintenance:
        impact, impact_native = "maintenance", str(report_type)
    else:
        known = [s for s in stated if s in REPORT_IMPACT]
        worst = max(known, key=lambda s: impact_rank(REPORT_IMPACT[s])) if known else None
        impact, impact_native = (REPORT_IMPACT[worst], worst) if worst else (None, None)

    status: UpdateStatus
    if state == "resolved":
        status = "completed" if maintenance else "resolved"
    elif maintenance:
        now = fetched_at if fetched_at.tzinfo is not None else fetched_at.replace(tzinfo=UTC)
        status = _phase(now, starts_at, None)
    else:
        status = "unknown"
    resolved_at = ends_at
    if resolved_at is None and state == "resolved" and updates:
        resolved_at = updates[-1].posted_at
    incident = Incident(
        native_id=native_id,
        title=str(title),
        impact=impact,
        impact_native=impact_native,
        status=status,
        status_native=None if state is None else str(state),
        started_at=starts_at or (updates[0].posted_at if updates else None),
        resolved_at=resolved_at if status in ("resolved", "completed") else None,
        url=None,
        component_ids=tuple(dict.fromkeys(resource_id for resource_id, _ in report_affected)),
    )
    return incident, updates, changes


def parse(doc: Document) -> Parsed:
    data = load_json(doc)
    page = data.get("data") if isinstance(data, dict) else None
    if not isinstance(page, dict) or page.get("type") != "status_page":
        keys = payload_shape(data)
        raise ParseError(
            f"{doc.url}: not a Better Stack status page index.json (no 'data' of type 'status_page'; got {keys})"
        )
    included = data.get("included") or []
    if not isinstance(included, list):
        raise ParseError(f"{doc.url}: 'included' is not a list")
    by_type: dict[str, list[dict[str, Any]]] = {}
    for position, item in enumerate(included):
        if not isinstance(item, dict) or "id" not in item or "type" not in item:
            raise ParseError(f"{doc.url}: included[{position}] is not a JSON:API resource with 'id' and 'type'")
        by_type.setdefault(str(item["type"]), []).append(item)
    sections = {
        str(s["id"]): str(name)
        for s in by_type.get("status_page_section", [])
        if (name := _attributes(s, doc.url).get("name"))
    }
    updates_by_id = {str(u["id"]): u for u in by_type.get("status_update", [])}
    parsed = Parsed()
    parsed.components = _components(by_type.get("status_page_resource", []), sections, doc.url)
    for raw in by_type.get("status_report", []):
        incident, updates, changes = _report(raw, updates_by_id, doc.fetched_at, doc.url)
        parsed.incidents.append(incident)
        parsed.updates.extend(updates)
        parsed.component_changes.extend(changes)
    return parsed


KIND = Kind(
    name="betterstack",
    description="Better Stack (Better Uptime) status page /index.json (JSON:API)",
    start_urls=start_urls,
    parse=parse,
    needs_service=True,
    category="status",
    example_urls=("https://status.example-hosting.test/index.json",),
    detect=detect,
    clock_dependent=True,
)
