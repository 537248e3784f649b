"""status.io public status API: ``GET https://api.status.io/1.0/status/{page_id}``.

The page id (24 hex digits) is not derivable from a vanity domain: it sits in the status page's HTML. A catalog url
on ``api.status.io`` or ``status-api.hostedstatus.com`` is fetched as given; any other url whose path holds a 24-hex
id (``https://status.io/pages/<id>``) is turned into the API url; anything else is fetched as given and fails to parse
with a message that says which url to use instead.

Payload: ``result.status_overall`` (the page indicator, not kept), ``result.status[]`` (components, each with
``containers[]``), ``result.incidents[]`` and ``result.maintenance.active[]`` / ``.upcoming[]``. Incidents and
maintenances carry ``messages[]`` (``details``, ``state``, ``status``, ``datetime``) without ids of their own. The API
lists only current incidents: a resolved incident disappears, so no record of this kind is ever ``resolved``.

Normalization:

* A component is reported once per container (a container is a location or hosting provider, e.g. "Google Compute
  Engine" or "US East"), so each (component, container) pair is one :class:`Component` with native id
  ``"<component id>:<container id>"`` and the container's name as ``group_name``. A component without containers is
  one record under its own id.
* Status codes are status.io's own: 100 operational, 200 planned maintenance, 300 degraded performance, 400 partial
  service disruption, 500 service disruption, 600 security event. They grade components and, through the highest code
  any message or the incident itself states, the incident's impact. The code is kept as the native value.
* A message's ``state`` (100 investigating, 200 identified, 300 monitoring) is its update status; the latest
  message's state is the incident's. Messages of a maintenance are ``scheduled`` when posted before its planned start
  and ``in_progress`` after it; an upcoming maintenance is ``scheduled``, an active one ``in_progress``.
* A message's native id is its ``_id`` when present, else its raw ``datetime`` (unique within an incident).
* ``containers_affected`` names become the incident's ``regions``; ``components_affected`` x ``containers_affected``
  pairs that exist on the page become ``component_ids`` (the bare component ids when no pair matches).
* An incident starts at ``datetime_open``; a maintenance at ``datetime_planned_start`` (else ``datetime_open``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

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
from scrapers.timeparse import parse_iso_utc, parse_optional_iso_utc

API_HOSTS = ("api.status.io", "status-api.hostedstatus.com")
API_ROOT = "https://api.status.io/1.0/status"
PAGE_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{24}(?![0-9a-f])")

# status.io status codes (components, incidents, messages).
COMPONENT_STATE: dict[int, ComponentState] = {
    100: "operational",
    200: "maintenance",
    300: "degraded",
    400: "partial_outage",
    500: "major_outage",
}
IMPACT: dict[int, Impact] = {100: "none", 200: "maintenance", 300: "minor", 400: "major", 500: "critical"}
# The same codes as status.io spells them when a code is missing (text only).
STATUS_TEXT: dict[str, int] = {
    "operational": 100,
    "planned maintenance": 200,
    "degraded performance": 300,
    "partial service disruption": 400,
    "service disruption": 500,
    "security event": 600,
}
# A message's ``state`` on an incident.
MESSAGE_STATE: dict[int, UpdateStatus] = {100: "investigating", 200: "identified", 300: "monitoring"}


def start_urls(url: str) -> list[str]:
    parts = urlsplit(url)
    if parts.hostname in API_HOSTS:
        return [url]
    found = PAGE_ID.findall(parts.path.lower())
    if found:
        return [f"{API_ROOT}/{found[-1]}"]
    return [url]


def detect(body: bytes) -> bool:
    data = sniff_json(body)
    result = data.get("result") if isinstance(data, dict) else None
    return (
        isinstance(result, dict)
        and isinstance(result.get("status_overall"), dict)
        and isinstance(result.get("status"), list)
    )


def _code(raw: dict[str, Any], code_key: str = "status_code", text_key: str = "status") -> int | None:
    """A status code from ``status_code`` (or an integer ``status``), else from the status text."""
    for key in (code_key, text_key):
        value = raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
    text = raw.get(text_key)
    if isinstance(text, str):
        return STATUS_TEXT.get(text.strip().lower())
    return None


def _native(code: int | None, raw: dict[str, Any], text_key: str = "status") -> str | None:
    if code is not None:
        return str(code)
    text = raw.get(text_key)
    return None if text is None else str(text)


def _components(raw_status: list[Any], where: str) -> tuple[list[Component], dict[tuple[str, str], str]]:
    """Components per container, and the native id of each (component id, container id) pair."""
    out: list[Component] = []
    pairs: dict[tuple[str, str], str] = {}
    for position, raw in enumerate(raw_status):
        if not isinstance(raw, dict) or "id" not in raw or "name" not in raw:
            raise ParseError(f"{where}: result.status[{position}] is not a component with an id and a name")
        component_id, name = str(raw["id"]), str(raw["name"])
        containers = raw.get("containers") or []
        if not isinstance(containers, list):
            raise ParseError(f"{where}: component {component_id} 'containers' is not a list")
        if not containers:
            out.append(_component(component_id, name, None, raw))
            continue
        for container in containers:
            if not isinstance(container, dict) or "id" not in container:
                raise ParseError(f"{where}: component {component_id} has a container without an id")
            native_id = f"{component_id}:{container['id']}"
            pairs[(component_id, str(container["id"]))] = native_id
            group = None if container.get("name") is None else str(container["name"])
            out.append(_component(native_id, name, group, container))
    return out, pairs


def _component(native_id: str, name: str, group_name: str | None, graded: dict[str, Any]) -> Component:
    """A component in the state ``graded`` (the component itself, or one of its containers) gives it."""
    code = _code(graded)
    return Component(
        native_id=native_id,
        name=name,
        group_name=group_name,
        state=COMPONENT_STATE.get(code, "unknown") if code is not None else "unknown",
        state_native=_native(code, graded),
    )


def _affected(raw: dict[str, Any], key: str, where: str) -> list[tuple[str, str]]:
    """(id, name) of each entry of ``components_affected`` / ``containers_affected``."""
    entries = raw.get(key) or []
    if not isinstance(entries, list):
        raise ParseError(f"{where}: '{key}' is not a list")
    return [
        (str(entry.get("_id", entry.get("id"))), str(entry.get("name") or ""))
        for entry in entries
        if isinstance(entry, dict) and ("_id" in entry or "id" in entry)
    ]


@dataclass(frozen=True, slots=True)
class _Message:
    native_id: str
    posted_at: datetime
    state: int | None
    status_code: int | None
    body: str


def _messages(raw: dict[str, Any], where: str) -> list[_Message]:
    raw_messages = raw.get("messages") or []
    if not isinstance(raw_messages, list):
        raise ParseError(f"{where}: 'messages' is not a list")
    out: list[_Message] = []
    seen: set[str] = set()
    for position, message in enumerate(raw_messages):
        if not isinstance(message, dict):
            raise ParseError(f"{where}: messages[{position}] is not an object")
        posted = parse_iso_utc(message.get("datetime"), what=f"{where} messages[{position}] datetime")
        native_id = str(message.get("_id") or message.get("datetime"))
        base, n = native_id, 1
        while native_id in seen:  # two messages posted in the same millisecond
            n += 1
            native_id = f"{base}#{n}"
        seen.add(native_id)
        state = message.get("state")
        out.append(
            _Message(
                native_id=native_id,
                posted_at=posted,
                state=state if isinstance(state, int) and not isinstance(state, bool) else None,
                status_code=_code(message, code_key="status_code", text_key="status"),
                body=str(message.get("details") or ""),
            )
        )
    return out


def _state_status(state: int | None) -> UpdateStatus:
    return MESSAGE_STATE.get(state, "unknown") if state is not None else "unknown"


def _update(incident_id: str, message: _Message, status: UpdateStatus) -> IncidentUpdate:
    """A message as a post on its incident or maintenance; the native status is always the message's ``state``."""
    return IncidentUpdate(
        incident_native_id=incident_id,
        native_id=message.native_id,
        posted_at=message.posted_at,
        created_at=None,
        status=status,
        status_native=None if message.state is None else str(message.state),
        body=message.body,
    )


def _event(
    raw: Any,
    where: str,
    pairs: dict[tuple[str, str], str],
    maintenance: str | None,
) -> tuple[Incident, list[IncidentUpdate]]:
    """An incident, or a maintenance when ``maintenance`` is ``"active"`` or ``"upcoming"``."""
    if not isinstance(raw, dict):
        raise ParseError(f"{where}: expected an object, got {type(raw).__name__}")
    native_id = raw.get("_id", raw.get("id"))
    if native_id is None or not raw.get("name"):
        raise ParseError(f"{where}: an incident or maintenance without '_id' or 'name'")
    native_id = str(native_id)
    where = f"{where} {native_id}"
    opened = parse_optional_iso_utc(raw.get("datetime_open"), what=f"{where} datetime_open")
    messages = sorted(_messages(raw, where), key=lambda m: m.posted_at)

    containers = _affected(raw, "containers_affected", where)
    components = _affected(raw, "components_affected", where)
    paired = tuple(pairs[(c, k)] for c, _ in components for k, _ in containers if (c, k) in pairs)
    component_ids = paired or tuple(c for c, _ in components)
    regions = tuple(dict.fromkeys(name for _, name in containers if name))

    if maintenance is None:
        started = opened or (messages[0].posted_at if messages else None)
        codes = [m.status_code for m in messages if m.status_code is not None]
        own = raw.get("status_overall") if isinstance(raw.get("status_overall"), dict) else raw
        own_code = _code(own) if isinstance(own, dict) else None
        if own_code is not None:
            codes.append(own_code)
        worst = max(codes) if codes else None
        impact: Impact | None = None if worst is None else IMPACT.get(worst, "unknown")
        latest_state = messages[-1].state if messages else None
        status: UpdateStatus = _state_status(latest_state)
        status_native = None if latest_state is None else str(latest_state)
        updates = [_update(native_id, message, _state_status(message.state)) for message in messages]
        impact_native = None if worst is None else str(worst)
    else:
        planned = parse_optional_iso_utc(raw.get("datetime_planned_start"), what=f"{where} datetime_planned_start")
        started = planned or opened
        impact, impact_native = "maintenance", "200"
        status = "in_progress" if maintenance == "active" else "scheduled"
        status_native = f"maintenance.{maintenance}"
        updates = []
        for message in messages:
            before_start = planned is not None and message.posted_at < planned
            posted_status: UpdateStatus = "scheduled" if maintenance == "upcoming" or before_start else "in_progress"
            updates.append(_update(native_id, message, posted_status))
    incident = Incident(
        native_id=native_id,
        title=str(raw["name"]),
        impact=impact,
        impact_native=impact_native,
        status=status,
        status_native=status_native,
        started_at=started,
        resolved_at=None,  # the public API drops an incident once it is resolved
        url=None,
        region=regions[0] if regions else None,
        regions=regions,
        component_ids=component_ids,
    )
    return incident, updates


def _list(value: Any, what: str, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{where}: '{what}' is not a list")
    return value


def parse(doc: Document) -> Parsed:
    try:
        data = load_json(doc)
    except ParseError as exc:
        if urlsplit(doc.url).hostname not in API_HOSTS:
            raise ParseError(
                f"{exc}; a status.io source must point at {API_ROOT}/<24-hex page id> "
                "(the id is in the status page's HTML)"
            ) from exc
        raise
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, dict) or "status" not in result:
        keys = payload_shape(data)
        raise ParseError(f"{doc.url}: not a status.io status payload (no 'result.status'; got {keys})")
    raw_status = _list(result.get("status"), "result.status", doc.url)
    parsed = Parsed()
    parsed.components, pairs = _components(raw_status, doc.url)
    for position, raw in enumerate(_list(result.get("incidents"), "result.incidents", doc.url)):
        incident, updates = _event(raw, f"{doc.url} incidents[{position}]", pairs, None)
        parsed.incidents.append(incident)
        parsed.updates.extend(updates)
    maintenance = result.get("maintenance") or {}
    if not isinstance(maintenance, dict):
        raise ParseError(f"{doc.url}: 'result.maintenance' is not an object")
    for section in ("active", "upcoming"):
        for position, raw in enumerate(_list(maintenance.get(section), f"maintenance.{section}", doc.url)):
            incident, updates = _event(raw, f"{doc.url} maintenance.{section}[{position}]", pairs, section)
            parsed.incidents.append(incident)
            parsed.updates.extend(updates)
    return parsed


KIND = Kind(
    name="statusio",
    description="status.io public status API (api.status.io/1.0/status/{page_id})",
    start_urls=start_urls,
    parse=parse,
    needs_service=True,
    category="status",
    example_urls=("https://api.status.io/1.0/status/65e0a1b2c3d4e5f601234500",),
    detect=detect,
)
