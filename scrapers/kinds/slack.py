"""Slack status API v2.0.0: ``status.slack.com/api/v2.0.0/current`` and ``…/history``.

``current`` is an object: ``status`` (``ok`` when all is well, ``active`` during an incident), ``date_created``,
``date_updated`` and ``active_incidents[]``. ``history`` is a bare array of the same incident objects (Slack caps it
at 50). A catalog url that is the page root (``https://status.slack.com``, also ``slack-status.com``) starts at both
endpoints; a url with ``/api/`` in it is fetched as given.

Each incident: ``id`` (an integer, a string in Slack's own docs), ``title``, ``type`` (``incident``, ``outage``,
``notice``), ``status`` (``active``, ``resolved``; notices also ``scheduled``, ``completed``), ``url``, ``services``
(names, no ids), ``date_created``, ``date_updated`` and ``notes[]`` of ``{date_created, body}``, newest first.
Every date is Pacific time with its offset (``2021-12-07T08:42:22-08:00``) and is normalized to UTC; a date without
an offset is a ParseError.

Normalization:

* impact from ``type``: outage → major, incident → minor, notice → none (``impact_native`` keeps the type).
* status: active → investigating (Slack says "open", not which stage), resolved → resolved, scheduled → scheduled,
  completed → completed; anything else → unknown.
* started_at: ``date_created``. resolved_at (resolved or completed only): the newest note's time, which is the
  closing post (the ``current`` document of 2021-12-08 03:28Z shows that instant as its own date); without notes,
  ``date_updated``.
* notes → updates. Notes carry no id and no status: the id is the note's instant in UTC (``#2``… on a tie), which
  stays stable as notes are added; the newest note carries the incident's status (and its ``status_native``), the
  earlier ones were posted while it was open: investigating (notices that end ``completed``: scheduled), with
  ``status_native`` None. posted_at and created_at are both the note's ``date_created``.
* services → components, native id and name both the service name. A service named by an open incident is in the
  state of its type (outage → major_outage, incident → partial_outage, notice → operational; ``state_native`` the
  type); one named only by ended incidents is operational (``state_native`` the status). The worst state wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from scrapers.jsonbody import load_json, sniff_json
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
from scrapers.vocabulary import state_rank

IMPACT: dict[str, Impact] = {"outage": "major", "incident": "minor", "notice": "none"}
STATUS: dict[str, UpdateStatus] = {
    "active": "investigating",
    "resolved": "resolved",
    "scheduled": "scheduled",
    "completed": "completed",
}
COMPONENT_STATE: dict[str, ComponentState] = {
    "outage": "major_outage",
    "incident": "partial_outage",
    "notice": "operational",
}
ENDED = frozenset({"resolved", "completed"})
INCIDENT_KEYS = frozenset({"id", "title", "type", "status", "services", "notes", "date_created"})


def start_urls(url: str) -> list[str]:
    if "/api/" in urlsplit(url).path:
        return [url]
    root = url.rstrip("/")
    return [f"{root}/api/v2.0.0/current", f"{root}/api/v2.0.0/history"]


def detect(body: bytes) -> bool:
    """``current`` (an object with ``status`` and ``active_incidents``) or ``history`` (an array of incidents)."""
    data = sniff_json(body)
    if isinstance(data, dict):
        return data.get("status") in ("ok", "active") and isinstance(data.get("active_incidents"), list)
    return isinstance(data, list) and bool(data) and isinstance(data[0], dict) and set(data[0]) >= INCIDENT_KEYS


def _native(value: object) -> str | None:
    return None if value is None else str(value)


def _list(raw: dict[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{where}: '{key}' is not a list (got {type(value).__name__})")
    return value


def _notes(raw: dict[str, Any], where: str) -> list[tuple[datetime, str]]:
    notes = []
    for position, note in enumerate(_list(raw, "notes", where)):
        if not isinstance(note, dict):
            raise ParseError(f"{where} notes[{position}]: expected a note object, got {type(note).__name__}")
        posted = parse_iso_utc(note.get("date_created"), what=f"{where} notes[{position}] date_created")
        notes.append((posted, str(note.get("body") or "").strip()))
    return notes


def _incident(raw: object, where: str) -> tuple[Incident, list[IncidentUpdate], list[Component]]:
    if not isinstance(raw, dict):
        raise ParseError(f"{where}: expected an incident object, got {type(raw).__name__}")
    for key in ("id", "title"):
        if raw.get(key) in (None, ""):
            raise ParseError(f"{where}: incident without {key!r}")
    native_id = str(raw["id"])
    where = f"{where} incident {native_id}"
    kind = _native(raw.get("type"))
    status_native = _native(raw.get("status"))
    status: UpdateStatus = STATUS.get(status_native, "unknown") if status_native else "unknown"
    created = parse_iso_utc(raw.get("date_created"), what=f"{where} date_created")
    updated = parse_optional_iso_utc(raw.get("date_updated"), what=f"{where} date_updated")
    notes = _notes(raw, where)
    newest = max(range(len(notes)), key=lambda i: (notes[i][0], -i)) if notes else None
    ended = status_native in ENDED
    resolved_at = (notes[newest][0] if newest is not None else updated) if ended else None

    earlier: UpdateStatus = "scheduled" if status_native in ("scheduled", "completed") else "investigating"
    updates = []
    seen: dict[str, int] = {}
    for position, (posted, body) in enumerate(notes):
        base = posted.isoformat()
        seen[base] = seen.get(base, 0) + 1
        is_newest = position == newest
        updates.append(
            IncidentUpdate(
                incident_native_id=native_id,
                native_id=base if seen[base] == 1 else f"{base}#{seen[base]}",
                posted_at=posted,
                created_at=posted,
                status=status if is_newest else earlier,
                status_native=status_native if is_newest else None,
                body=body,
            )
        )

    services: list[str] = []
    for service in _list(raw, "services", where):
        name = " ".join(str(service).split())
        if name and name not in services:
            services.append(name)
    if ended:
        state: ComponentState = "operational"
        state_native = status_native
    else:
        state = COMPONENT_STATE.get(kind, "unknown") if kind else "unknown"
        state_native = kind
    components = [
        Component(native_id=name, name=name, group_name=None, state=state, state_native=state_native)
        for name in services
    ]
    incident = Incident(
        native_id=native_id,
        title=str(raw["title"]).strip(),
        impact=IMPACT.get(kind, "unknown") if kind else None,
        impact_native=kind,
        status=status,
        status_native=status_native,
        started_at=created,
        resolved_at=resolved_at,
        url=_native(raw.get("url")) or None,
        component_ids=tuple(services),
    )
    return incident, updates, components


def _dated_changes(incident: Incident, components: list[Component]) -> list[ComponentChange]:
    """The changes Slack's own times date: each named service goes into the incident's state when it was created
    and back to operational when it was resolved (the component_states' ``provider`` time source)."""
    changes = []
    for component in components:
        onset = COMPONENT_STATE.get(incident.impact_native or "", "unknown")
        if onset in ("operational", "unknown"):
            continue  # a notice changes no state
        if incident.started_at is not None:
            changes.append(
                ComponentChange(
                    component_native_id=component.native_id,
                    changed_at=incident.started_at,
                    state=onset,
                    state_native=incident.impact_native,
                    incident_native_id=incident.native_id,
                )
            )
        if incident.resolved_at is not None:
            changes.append(
                ComponentChange(
                    component_native_id=component.native_id,
                    changed_at=incident.resolved_at,
                    state="operational",
                    state_native=incident.status_native,
                    old_state=onset,
                    incident_native_id=incident.native_id,
                )
            )
    return changes


def parse(doc: Document) -> Parsed:
    data = load_json(doc)
    if isinstance(data, dict):
        if "active_incidents" not in data and data.get("status") not in ("ok", "active"):
            raise ParseError(
                f"{doc.url}: not a Slack status payload (no 'active_incidents' or 'status' ok/active; "
                f"keys: {', '.join(sorted(map(str, data))[:8])})"
            )
        raw_incidents = _list(data, "active_incidents", doc.url)
        where = f"{doc.url} active_incidents"
    elif isinstance(data, list):
        raw_incidents = data
        where = doc.url
    else:
        raise ParseError(f"{doc.url}: expected a Slack status object or history array, got {type(data).__name__}")
    parsed = Parsed()
    components: dict[str, Component] = {}
    for position, raw in enumerate(raw_incidents):
        incident, updates, incident_components = _incident(raw, f"{where}[{position}]")
        if any(i.native_id == incident.native_id for i in parsed.incidents):
            raise ParseError(f"{doc.url}: incident {incident.native_id} appears twice")
        parsed.incidents.append(incident)
        parsed.updates.extend(updates)
        parsed.component_changes.extend(_dated_changes(incident, incident_components))
        for component in incident_components:
            previous = components.get(component.native_id)
            if previous is None or state_rank(component.state) > state_rank(previous.state):
                components[component.native_id] = component
    parsed.components = list(components.values())
    return parsed


KIND = Kind(
    name="slack",
    description="Slack status API v2.0.0 (current and history)",
    start_urls=start_urls,
    parse=parse,
    needs_service=True,
    category="status",
    example_urls=(
        "https://status.slack.com/api/v2.0.0/current",
        "https://status.slack.com/api/v2.0.0/history",
    ),
    detect=detect,
)
