"""Render an Atlassian Statuspage v2 page (summary.json, incidents.json) as it stood at a given moment.

Times are written in the page's own time zone, with its offset, as the real pages do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from replay.timefmt import utc

INDICATOR = {"none": "none", "minor": "minor", "major": "major", "critical": "critical"}
DESCRIPTION = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}


def _fmt(value: datetime | str | None, zone: ZoneInfo) -> str | None:
    if value is None:
        return None
    local = utc(value).astimezone(zone)
    text = local.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _incident(spec: dict[str, Any], page: dict[str, Any], at: datetime, zone: ZoneInfo) -> dict[str, Any] | None:
    if utc(spec["created_at"]) > at:
        return None
    updates = [u for u in spec["updates"] if utc(u["at"]) <= at]
    names = [n for n in spec["names"] if utc(n["from"]) <= at]
    status = updates[-1]["status"] if updates else "investigating"

    def first_at(wanted: str) -> str | None:
        return next((_fmt(u["at"], zone) for u in updates if u["status"] == wanted), None)

    component_ids = {c["code"] for u in updates for c in (u.get("affected_components") or [])}
    return {
        "id": spec["id"],
        "name": names[-1]["name"],
        "status": status,
        "created_at": _fmt(spec["created_at"], zone),
        "updated_at": _fmt(updates[-1]["at"] if updates else spec["created_at"], zone),
        "monitoring_at": first_at("monitoring"),
        "resolved_at": first_at("resolved"),
        "impact": spec["impact"],
        "shortlink": spec["shortlink"],
        "started_at": _fmt(spec["created_at"], zone),
        "page_id": page["id"],
        "incident_updates": [
            {
                "id": f"{spec['id']}-u{index}",
                "status": update["status"],
                "body": update["body"],
                "incident_id": spec["id"],
                "created_at": _fmt(update["at"], zone),
                "updated_at": _fmt(update["at"], zone),
                "display_at": _fmt(update["at"], zone),
                "affected_components": update.get("affected_components"),
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for index, update in reversed(list(enumerate(updates)))  # newest first, as Statuspage lists them
        ],
        "components": [
            {"id": c["id"], "name": c["name"], "page_id": page["id"]}
            for c in page["_components"]
            if c["id"] in component_ids
        ],
    }


def _component_states(spec: dict[str, Any], at: datetime) -> dict[str, str]:
    states: dict[str, str] = {}
    for incident in spec["incidents"]:
        updates = [u for u in incident["updates"] if utc(u["at"]) <= at]
        for update in updates:
            for component in update.get("affected_components") or []:
                states[component["code"]] = component["new_status"]
        if updates and updates[-1]["status"] == "resolved":
            for component in incident_components(incident):
                states[component] = "operational"
    return states


def incident_components(incident: dict[str, Any]) -> set[str]:
    return {c["code"] for u in incident["updates"] for c in (u.get("affected_components") or [])}


def render(spec: dict[str, Any], at: datetime, endpoint: str) -> dict[str, Any]:
    """``endpoint`` is ``summary`` or ``incidents``."""
    zone = ZoneInfo(spec["page"].get("time_zone") or "UTC")
    page = dict(spec["page"])
    page["_components"] = spec.get("components", [])
    incidents = [i for i in (_incident(s, page, at, zone) for s in spec["incidents"]) if i is not None]
    updated = max((utc(u["at"]) for s in spec["incidents"] for u in s["updates"] if utc(u["at"]) <= at), default=at)
    page_out = {k: v for k, v in page.items() if not k.startswith("_")}
    page_out["updated_at"] = _fmt(updated, zone)
    if endpoint == "incidents":
        return {
            "page": page_out,
            "incidents": sorted(incidents, key=lambda i: i["created_at"], reverse=True)[:50],
        }
    states = _component_states(spec, at)
    open_incidents = [i for i in incidents if i["status"] not in ("resolved", "postmortem")]
    worst = max(
        (i["impact"] for i in open_incidents),
        key=["none", "minor", "major", "critical"].index,
        default="none",
    )
    return {
        "page": page_out,
        "components": [
            {
                "id": c["id"],
                "name": c["name"],
                "status": states.get(c["id"], "operational"),
                "group_id": c.get("group_id"),
                "page_id": page["id"],
                "group": False,
                "only_show_if_degraded": False,
            }
            for c in spec.get("components", [])
        ],
        "incidents": open_incidents,
        "scheduled_maintenances": [],
        "status": {"indicator": INDICATOR[worst], "description": DESCRIPTION[worst]},
    }
