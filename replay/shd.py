"""Render the AWS Service Health Dashboard legacy ``data.json`` as it stood at a given moment."""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone
from typing import Any

from replay.timefmt import utc

PST = timezone(timedelta(hours=-8), "PST")


def post_label(posted: datetime, first_day: datetime) -> str:
    """AWS's own label: `` 8:22 AM PST``, or ``Dec 8,  2:29 AM PST`` once past the event's first day."""
    local = posted.astimezone(PST)
    clock = f"{local.hour % 12 or 12:2d}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} PST"
    if local.date() != first_day.astimezone(PST).date():
        return f"{local:%b} {local.day}, {clock}"
    return clock


def render(spec: dict[str, Any], at: datetime) -> dict[str, list[dict[str, Any]]]:
    current: list[dict[str, Any]] = []
    archive: list[dict[str, Any]] = []
    for event in spec["events"]:
        statuses = [s for s in event["statuses"] if utc(s["from"]) <= at]
        if not statuses:
            continue
        began = utc(event["date"])
        posts = [p for p in event["posts"] if utc(p["at"]) <= at]
        description = "".join(
            f'<div><span class="yellowfg">{post_label(utc(p["at"]), began)}</span>&nbsp;{html.escape(p["text"])}</div>'
            for p in posts
        )
        entry: dict[str, Any] = {
            "service_name": event["service_name"],
            "summary": statuses[-1]["summary"],
            "date": str(int(began.timestamp())),
            "status": str(statuses[-1]["status"]),
            "details": "",
            "description": description,
            "service": event["service"],
        }
        archived_at = event.get("archived_at")
        if archived_at and utc(archived_at) <= at:
            # Archived entries show their peak severity, as an integer (the live feed mixed both types).
            entry["status"] = max(int(s["status"]) for s in event["statuses"])
            archive.append(entry)
        else:
            current.append(entry)
    return {"archive": archive, "current": current}
