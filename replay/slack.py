"""Render Slack's status API (``/api/v2.0.0/current`` and ``/history``) as it stood at a given moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from replay.timefmt import utc


def _incident(spec: dict[str, Any], at: datetime) -> dict[str, Any] | None:
    incident = spec["incident"]
    notes = [n for n in incident["notes"] if utc(n["at"]) <= at]
    if not notes:
        return None
    services = [s for s in incident["services"] if utc(s["from"]) <= at][-1]["names"]
    resolved = utc(incident["resolved_at"]) <= at
    updated = notes[-1]["at"]
    if utc(incident["date_updated_after_last_note"]) <= at and len(notes) == len(incident["notes"]):
        updated = incident["date_updated_after_last_note"]
    return {
        "id": incident["id"],
        "date_created": incident["date_created"],
        "date_updated": updated,
        "title": incident["title"],
        "type": incident["type"],
        "status": "resolved" if resolved else "active",
        "url": incident["url"],
        "services": list(services),
        "notes": [{"date_created": n["at"], "body": n["body"]} for n in reversed(notes)],  # newest first
    }


def render(spec: dict[str, Any], at: datetime, endpoint: str) -> Any:
    """``endpoint`` is ``current`` or ``history``."""
    incident = _incident(spec, at)
    if endpoint == "history":
        return [incident] if incident else []
    if incident is None or incident["status"] == "resolved":
        last = incident["notes"][0]["date_created"] if incident else "2021-12-06T09:00:00-08:00"
        return {"status": "ok", "date_created": last, "date_updated": last, "active_incidents": []}
    return {
        "status": "active",
        "date_created": incident["date_updated"],
        "date_updated": incident["date_updated"],
        "active_incidents": [incident],
    }
