"""Google Cloud Service Health: ``https://status.cloud.google.com/incidents.json``.

The endpoint is a flat JSON array with every incident Google still lists, newest first, ended and ongoing alike.
A catalog url that is the page root starts at ``/incidents.json``; a url naming a ``.json`` file is fetched as given.

Two generations of the payload are read:

* current (2021 onward): ``id``, ``begin``, ``end`` (absent or null while ongoing), ``external_desc``, ``severity``,
  ``status_impact`` (the incident's classification), ``most_recent_update.status`` (the current state),
  ``affected_products[{id,title}]``, ``currently_affected_locations[{id,title}]`` /
  ``previously_affected_locations``, and ``updates[]`` (newest first) of ``{created, modified, when, text, status,
  affected_locations}``; ``text`` is Markdown and is kept as is.
* older (seen in 2020): no ``id`` (the incident is ``service_key`` + ``number``, as in its ``uri``
  ``/incident/storage/20008``), ``most-recent-update`` with a hyphen, no statuses, no products, no locations.

Normalization:

* native id: ``id``; else ``<service_key>/<number>``.
* started_at ``begin`` (else ``created``); resolved_at ``end`` (an incident whose latest update is AVAILABLE
  before Google sets ``end``: that update's ``when``). ``begin``/``end`` are also the declared impact
  window (``declared_start``/``declared_end``): Google sets them after the fact; ``begin`` can be hours earlier
  than the first update and ``end`` days earlier than the closing one. Every timestamp must carry a zone.
* impact from ``severity``: low → minor, medium → major, high → critical (``impact_native`` keeps it).
* status: GCP states the service's condition, not the stage of the work, so an ongoing condition
  (SERVICE_OUTAGE, SERVICE_DISRUPTION) is ``investigating``; an advisory on a known issue (SERVICE_INFORMATION,
  AVAILABLE_INFORMATION) is ``identified``; AVAILABLE is ``resolved``. An incident with an ``end`` is ``resolved``
  whatever its last update says. Without any status (older payloads) an ended incident is ``resolved`` and
  the rest (and every older update) ``unknown``.
* update id: its ``created`` instant in UTC (GCP gives updates no id; this stays stable as updates are added),
  with ``#2``, ``#3``… if two updates of one incident share it. posted_at is ``when``, created_at ``created``.
* regions: location ``id`` values (``us-central1``, ``global``), current first, then previous, without repeats.
* components: each affected product (older payloads: the incident's ``service_key``, except the catch-all
  ``zall`` "Multiple Products"). A product affected by an ongoing incident takes the state of that incident's latest
  update (else its ``status_impact``): SERVICE_OUTAGE → major_outage, SERVICE_DISRUPTION → partial_outage, the
  information values and AVAILABLE → operational; a product named only by ended incidents is operational. When
  several ongoing incidents name one product, the worst state wins.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapers.jsonbody import load_json, sniff_json
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
from scrapers.timeparse import parse_optional_iso_utc
from scrapers.vocabulary import state_rank

IMPACT: dict[str, Impact] = {"low": "minor", "medium": "major", "high": "critical"}
STATUS: dict[str, UpdateStatus] = {
    "SERVICE_OUTAGE": "investigating",
    "SERVICE_DISRUPTION": "investigating",
    "SERVICE_INFORMATION": "identified",
    "AVAILABLE_INFORMATION": "identified",
    "AVAILABLE": "resolved",
}
COMPONENT_STATE: dict[str, ComponentState] = {
    "SERVICE_OUTAGE": "major_outage",
    "SERVICE_DISRUPTION": "partial_outage",
    "SERVICE_INFORMATION": "operational",
    "AVAILABLE_INFORMATION": "operational",
    "AVAILABLE": "operational",
}
CATCH_ALL_SERVICE = "zall"  # GCP's "Multiple Products" key: not a product of its own


def start_urls(url: str) -> list[str]:
    if urlsplit(url).path.endswith(".json"):
        return [url]
    return [f"{url.rstrip('/')}/incidents.json"]


def _native(value: object) -> str | None:
    return None if value is None else str(value)


def _looks_like_incident(item: object) -> bool:
    return (
        isinstance(item, dict)
        and "begin" in item
        and "external_desc" in item
        and ("most_recent_update" in item or "most-recent-update" in item or "updates" in item)
    )


def detect(body: bytes) -> bool:
    """A JSON array whose first element is a GCP incident (``begin``, ``external_desc``, updates)."""
    data = sniff_json(body, opens="[")
    return isinstance(data, list) and bool(data) and _looks_like_incident(data[0])


def _list(raw: dict[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{where}: '{key}' is not a list (got {type(value).__name__})")
    return value


def _regions(raw: dict[str, Any], where: str) -> tuple[str, ...]:
    found: list[str] = []
    for key in ("currently_affected_locations", "previously_affected_locations"):
        for location in _list(raw, key, where):
            if not isinstance(location, dict) or not location.get("id"):
                raise ParseError(f"{where}: a location in '{key}' has no id")
            location_id = str(location["id"])
            if location_id not in found:
                found.append(location_id)
    return tuple(found)


def _products(raw: dict[str, Any], where: str) -> list[tuple[str, str]]:
    if "affected_products" in raw:
        products = []
        for product in _list(raw, "affected_products", where):
            if not isinstance(product, dict) or not product.get("id"):
                raise ParseError(f"{where}: an affected product has no id")
            products.append((str(product["id"]), str(product.get("title") or product["id"])))
        return products
    key = raw.get("service_key")
    if key and key != CATCH_ALL_SERVICE:
        return [(str(key), str(raw.get("service_name") or key))]
    return []


def _updates(raw: dict[str, Any], native_id: str, where: str) -> list[IncidentUpdate]:
    updates = []
    seen: dict[str, int] = {}
    for position, raw_update in enumerate(_list(raw, "updates", where)):
        uwhere = f"{where} updates[{position}]"
        if not isinstance(raw_update, dict):
            raise ParseError(f"{uwhere}: expected an update object, got {type(raw_update).__name__}")
        created = parse_optional_iso_utc(raw_update.get("created"), what=f"{uwhere} created")
        when = parse_optional_iso_utc(raw_update.get("when"), what=f"{uwhere} when")
        posted = when or created
        if posted is None:
            raise ParseError(f"{uwhere}: an update with neither 'when' nor 'created'")
        base = (created or posted).isoformat()
        seen[base] = seen.get(base, 0) + 1
        status_native = _native(raw_update.get("status"))
        updates.append(
            IncidentUpdate(
                incident_native_id=native_id,
                native_id=base if seen[base] == 1 else f"{base}#{seen[base]}",
                posted_at=posted,
                created_at=created,
                status=STATUS.get(status_native, "unknown") if status_native else "unknown",
                status_native=status_native,
                body=str(raw_update.get("text") or ""),
            )
        )
    return updates


def _incident(raw: object, doc: Document, where: str) -> tuple[Incident, list[IncidentUpdate], list[Component]]:
    """The incident, its updates, and its products in the state it puts them in (ended: operational)."""
    if not isinstance(raw, dict):
        raise ParseError(f"{where}: expected an incident object, got {type(raw).__name__}")
    if raw.get("id"):
        native_id = str(raw["id"])
    elif raw.get("service_key") and raw.get("number") is not None:
        native_id = f"{raw['service_key']}/{raw['number']}"
    else:
        raise ParseError(f"{where}: incident without 'id' (nor 'service_key' and 'number')")
    where = f"{where} incident {native_id}"
    title = raw.get("external_desc") or raw.get("title") or raw.get("service_name")
    if not title:
        raise ParseError(f"{where}: incident without 'external_desc'")
    began = parse_optional_iso_utc(raw.get("begin"), what=f"{where} begin")
    created = parse_optional_iso_utc(raw.get("created"), what=f"{where} created")
    ended = parse_optional_iso_utc(raw.get("end"), what=f"{where} end")
    latest = raw.get("most_recent_update", raw.get("most-recent-update"))
    if latest is not None and not isinstance(latest, dict):
        raise ParseError(f"{where}: 'most_recent_update' is not an object")
    status_native = _native((latest or {}).get("status"))
    status: UpdateStatus
    if ended is not None:
        status = "resolved"
    elif status_native:
        status = STATUS.get(status_native, "unknown")
    else:
        status = "unknown"
    resolved_at = ended
    if resolved_at is None and status == "resolved":  # AVAILABLE before Google sets `end`: resolved as of that post
        resolved_at = parse_optional_iso_utc(
            (latest or {}).get("when") or (latest or {}).get("created"), what=f"{where} most_recent_update when"
        )
    severity = _native(raw.get("severity"))
    regions = _regions(raw, where)
    products = _products(raw, where)
    uri = raw.get("uri")
    incident = Incident(
        native_id=native_id,
        title=str(title).strip(),
        impact=IMPACT.get(severity, "unknown") if severity else None,
        impact_native=severity,
        status=status,
        status_native=status_native,
        started_at=began or created,
        resolved_at=resolved_at,
        url=urljoin(doc.url, str(uri)) if uri else None,
        service_key=_native(raw.get("service_key")),
        region=regions[0] if regions else None,
        regions=regions,
        component_ids=tuple(dict.fromkeys(product_id for product_id, _ in products)),
        declared_start=began,
        declared_end=ended,
    )
    state: ComponentState = "operational"
    state_native = status_native
    if status != "resolved":
        state_native = status_native or _native(raw.get("status_impact"))
        state = COMPONENT_STATE.get(state_native, "unknown") if state_native else "unknown"
    components = [
        Component(native_id=product_id, name=name, group_name=None, state=state, state_native=state_native)
        for product_id, name in products
    ]
    return incident, _updates(raw, native_id, where), components


def parse(doc: Document) -> Parsed:
    data = load_json(doc)
    if not isinstance(data, list):
        keys = f" (keys: {', '.join(sorted(map(str, data))[:8])})" if isinstance(data, dict) else ""
        raise ParseError(
            f"{doc.url}: expected the Google Cloud incidents.json array, got a JSON {type(data).__name__}{keys}"
        )
    parsed = Parsed()
    components: dict[str, Component] = {}  # one per product: the worst state any ongoing incident gives it
    for position, raw in enumerate(data):
        incident, updates, products = _incident(raw, doc, f"{doc.url} [{position}]")
        parsed.incidents.append(incident)
        parsed.updates.extend(updates)
        for product in products:
            previous = components.get(product.native_id)
            if previous is None or state_rank(product.state) > state_rank(previous.state):
                components[product.native_id] = product
    parsed.components = list(components.values())
    return parsed


KIND = Kind(
    name="gcp",
    description="Google Cloud Service Health incidents.json (flat array of incidents)",
    start_urls=start_urls,
    parse=parse,
    needs_service=True,
    category="status",
    example_urls=("https://status.cloud.google.com/incidents.json",),
    detect=detect,
)
