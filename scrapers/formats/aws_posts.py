"""How the AWS Health Dashboard words an event's posts, shared by the three routes of the ``aws_health`` kind (legacy
``data.json``, ``currentevents``, the per-service RSS): the stage a post's words name, posts chained into updates,
the event's status, and the region a service key names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from scrapers.records import IncidentUpdate, UpdateStatus

REGION = re.compile(r"-((?:us-gov|us|eu|ap|sa|ca|me|af|il|mx|cn)-[a-z]+-\d)$")

# The SHD has no per-post status; these phrases are how AWS words each stage (checked on the 2021-2022 archive).
_STATUS_PHRASES: tuple[tuple[UpdateStatus, tuple[str, ...]], ...] = (
    ("resolved", ("has been resolved", "have been resolved", "operating normally", "now operating normally")),
    (
        "monitoring",
        (
            "seeing improvement",
            "seen improvement",
            "signs of recovery",
            "started to see recovery",
            "returned to normal",
            "are starting to see recovery",
            "is accelerating",
        ),
    ),
    ("identified", ("identified", "root cause", "working towards", "working toward")),
    ("investigating", ("investigating", "experiencing", "we can confirm", "continue to see", "looking into")),
)


def status_from_text(text: str) -> UpdateStatus:
    lowered = text.lower()
    if lowered.startswith("between ") and "we experienced" in lowered:
        return "resolved"  # AWS's closing formula: "Between 7:32 AM and 3:10 PM PST we experienced..."
    for status, phrases in _STATUS_PHRASES:
        if any(phrase in lowered for phrase in phrases):
            return status
    return "unknown"


@dataclass(frozen=True, slots=True)
class AwsPost:
    """One post of an event, on any of the three routes, before it becomes an update."""

    native_id: str
    posted_at: datetime
    stage: UpdateStatus  # the stage its own words (or level) name; unknown: none
    status_native: str | None
    body: str


def updates_from_posts(incident_native_id: str, posts: list[AwsPost]) -> list[IncidentUpdate]:
    """The event's updates, one per post in order. The dashboard keeps no status per post: a post whose words name
    no stage keeps the stage of the post before it (the first: investigating)."""
    updates = []
    previous: UpdateStatus = "investigating"
    for post in posts:
        previous = previous if post.stage == "unknown" else post.stage
        updates.append(
            IncidentUpdate(
                incident_native_id=incident_native_id,
                native_id=post.native_id,
                posted_at=post.posted_at,
                created_at=None,
                status=previous,
                status_native=post.status_native,
                body=post.body,
            )
        )
    return updates


def event_status(resolved: bool, updates: list[IncidentUpdate]) -> UpdateStatus:
    """Resolved when the event says so; else its latest update's stage, but an open event is not resolved whatever
    its words say."""
    if resolved:
        return "resolved"
    if not updates:
        return "unknown"
    return "identified" if updates[-1].status == "resolved" else updates[-1].status


def region_of(service_key: str) -> str | None:
    match = REGION.search(service_key)
    return match.group(1) if match else None
