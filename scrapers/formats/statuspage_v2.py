"""Atlassian Statuspage v2 JSON (``summary.json``, ``incidents.json``, ``incidents/{id}.json``): the ``statuspage``
kind reads it, and so does every host that serves the same shape (incident.io's ``/api/v2/summary.json``).

Timestamps carry the page's own offset and are normalized to UTC.
"""

from __future__ import annotations

from typing import Any

from scrapers.jsonbody import load_json
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
from scrapers.timeparse import cached_iso_utc, parse_iso_utc, parse_optional_iso_utc

IMPACT: dict[str, Impact] = {
    "none": "none",
    "minor": "minor",
    "major": "major",
    "critical": "critical",
    "maintenance": "maintenance",
}
STATUS: dict[str, UpdateStatus] = {
    "investigating": "investigating",
    "identified": "identified",
    "monitoring": "monitoring",
    "resolved": "resolved",
    "postmortem": "postmortem",
    "scheduled": "scheduled",
    "in_progress": "in_progress",
    "verifying": "monitoring",
    "completed": "completed",
}


COMPONENT_STATE: dict[str, ComponentState] = {
    "operational": "operational",
    "degraded_performance": "degraded",
    "partial_outage": "partial_outage",
    "major_outage": "major_outage",
    "under_maintenance": "maintenance",
}


def component_state(value: object) -> ComponentState:
    return COMPONENT_STATE.get(str(value), "unknown")


def _status(value: object) -> UpdateStatus:
    return STATUS.get(str(value), "unknown")


def _uwhere(where: str, raw_update: dict[str, Any]) -> str:
    """Where an update is, for a message about it."""
    return f"{where} update {raw_update['id']}"


def _incident(raw: Any, where: str) -> tuple[Incident, list[IncidentUpdate], list[ComponentChange]]:
    if not isinstance(raw, dict):
        raise ParseError(f"{where}: expected an incident object, got {type(raw).__name__}")
    try:
        native_id = str(raw["id"])
        name = raw["name"]
    except KeyError as exc:
        raise ParseError(f"{where}: incident without {exc.args[0]!r}") from None
    where = f"{where} incident {native_id}"
    raw_created, raw_started, raw_resolved = raw.get("created_at"), raw.get("started_at"), raw.get("resolved_at")
    created_at = cached_iso_utc(raw_created) or parse_iso_utc(raw_created, what=f"{where} created_at")
    started_at = (
        cached_iso_utc(raw_started) or parse_optional_iso_utc(raw_started, what=f"{where} started_at") or created_at
    )
    resolved_at = cached_iso_utc(raw_resolved) or parse_optional_iso_utc(raw_resolved, what=f"{where} resolved_at")
    raw_status = raw.get("status")
    impact_native = raw.get("impact")
    components = raw.get("components") or []
    incident = Incident(
        native_id=native_id,
        title=str(name),
        impact=IMPACT.get(str(impact_native), "unknown"),
        impact_native=None if impact_native is None else str(impact_native),
        status=_status(raw_status),
        status_native=None if raw_status is None else str(raw_status),
        started_at=started_at,
        resolved_at=resolved_at,
        url=raw.get("shortlink") or None,
        component_ids=tuple(str(c["id"]) for c in components if isinstance(c, dict) and "id" in c),
    )
    updates = []
    changes = []
    raw_updates = raw.get("incident_updates") or []
    if not isinstance(raw_updates, list):
        raise ParseError(f"{where}: incident_updates is not a list")
    for raw_update in raw_updates:
        if not isinstance(raw_update, dict) or "id" not in raw_update:
            raise ParseError(f"{where}: an update without an id")
        # A timestamp the cache knows needs no message; the message (and the parse that may fail) only for the others.
        raw_created, raw_display = raw_update.get("created_at"), raw_update.get("display_at")
        created = cached_iso_utc(raw_created) or parse_iso_utc(
            raw_created, what=f"{_uwhere(where, raw_update)} created_at"
        )
        display = (
            cached_iso_utc(raw_display)
            or parse_optional_iso_utc(raw_display, what=f"{_uwhere(where, raw_update)} display_at")
            or created
        )
        raw_status = raw_update.get("status")
        updates.append(
            IncidentUpdate(
                incident_native_id=native_id,
                native_id=str(raw_update["id"]),
                posted_at=display,
                created_at=created,
                status=_status(raw_status),
                status_native=None if raw_status is None else str(raw_status),
                body=str(raw_update.get("body") or ""),
            )
        )
        affected_components = raw_update.get("affected_components") or []
        if not isinstance(affected_components, list):
            raise ParseError(f"{_uwhere(where, raw_update)}: affected_components is not a list")
        for affected in affected_components:
            if not isinstance(affected, dict) or "code" not in affected:
                continue
            old, new = affected.get("old_status"), affected.get("new_status")
            changes.append(
                ComponentChange(
                    component_native_id=str(affected["code"]),
                    changed_at=display,
                    state=COMPONENT_STATE.get(str(new), "unknown"),
                    state_native=None if new is None else str(new),
                    old_state=None if old is None else COMPONENT_STATE.get(str(old), "unknown"),
                    incident_native_id=native_id,
                )
            )
    return incident, updates, changes


def _components(raw_components: Any, where: str) -> list[Component]:
    if not isinstance(raw_components, list):
        raise ParseError(f"{where}: 'components' is not a list")
    groups = {str(c.get("id")): str(c.get("name")) for c in raw_components if isinstance(c, dict) and c.get("group")}
    out = []
    for raw in raw_components:
        if not isinstance(raw, dict) or "id" not in raw or "name" not in raw:
            raise ParseError(f"{where}: a component without id or name")
        if raw.get("group"):
            continue  # a group is a heading, not a component with a state of its own
        status = raw.get("status")
        out.append(
            Component(
                native_id=str(raw["id"]),
                name=str(raw["name"]),
                group_name=groups.get(str(raw.get("group_id"))),
                state=component_state(status),
                state_native=None if status is None else str(status),
            )
        )
    return out


def parse_v2(doc: Document) -> Parsed:
    """A Statuspage v2 JSON payload: its incidents (with scheduled maintenances), their updates and the component
    changes they record, and the page's components."""
    data = load_json(doc)
    if not isinstance(data, dict):
        raise ParseError(f"{doc.url}: expected a Statuspage JSON object, got {type(data).__name__}")
    if "incidents" in data:
        raw_incidents = data["incidents"]
        if not isinstance(raw_incidents, list):
            raise ParseError(f"{doc.url}: 'incidents' is not a list")
        raw_incidents = raw_incidents + list(data.get("scheduled_maintenances") or [])
    elif "incident" in data:
        raw_incidents = [data["incident"]]
    elif "status" in data and "page" in data:
        raw_incidents = []  # status.json: the page indicator only
    else:
        raise ParseError(
            f"{doc.url}: not a Statuspage v2 payload (no 'incidents', 'incident' or 'status' key; "
            f"keys: {', '.join(sorted(map(str, data))[:8])})"
        )
    parsed = Parsed()
    if "components" in data:
        parsed.components = _components(data["components"], doc.url)
    for raw in raw_incidents:
        incident, updates, changes = _incident(raw, doc.url)
        parsed.incidents.append(incident)
        parsed.updates.extend(updates)
        parsed.component_changes.extend(changes)
    return parsed
