"""Any RSS or Atom feed, read through feedparser: each entry is one incident with one update.

Feed reading itself (from the fetched bytes only, dates that must carry a zone, entry text) is
:mod:`scrapers.formats.feeds`, shared with the kinds that read provider-specific feeds. Detection is the fallback: a
feed another kind's detector accepts is left to that kind.

Mapping of one entry:

* ``native_id``: the entry's ``id`` (Atom ``<id>``, RSS ``<guid>``), else its link; an entry with neither is an error.
* ``started_at``: ``published``, else ``updated``; the one update is posted at ``updated``, else ``published``, and its
  id is that time in epoch seconds, so an entry the provider rewrites (same id, new date) adds an update.
  An entry with no readable date, or a date without a time zone, is a ParseError naming the entry (never a guess).
* ``status``: ``resolved`` only when the words say so plainly, else ``unknown`` (see :func:`says_resolved`).
* ``impact``: None (a generic feed states none).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from scrapers import registry
from scrapers.formats.feeds import (
    detail_text,
    entry_body,
    entry_time,
    entry_where,
    feed_entries,
    is_feed,
    raw_get,
    read_feed,
)
from scrapers.records import Document, Incident, IncidentUpdate, Parsed, ParseError, UpdateStatus
from scrapers.registry import Kind

_RESOLVED_TITLE = re.compile(r"\[resolved\]|^\W*resolved\b", re.IGNORECASE)
_RESOLVED_BODY = re.compile(
    r"^\W*(?:resolved\b|this incident has been resolved\b|the issue has been resolved\b)", re.IGNORECASE
)


def says_resolved(title: str, body: str) -> bool:
    """The rule for a generic entry: resolved only when its title carries ``[RESOLVED]`` or starts with "Resolved",
    or its text starts with "Resolved", "This incident has been resolved" or "The issue has been resolved".

    Deliberately narrow: "we will post again once this has been resolved" must not close an incident.
    """
    return bool(_RESOLVED_TITLE.search(title) or _RESOLVED_BODY.search(body))


def _entry(doc: Document, position: int, entry: Any) -> tuple[Incident, IncidentUpdate]:
    where = entry_where(doc, position, entry)
    native_id = str(raw_get(entry, "id") or raw_get(entry, "link") or "").strip()
    if not native_id:
        raise ParseError(f"{where}: entry without an id, guid or link")
    published = entry_time(entry, "published", where)
    updated = entry_time(entry, "updated", where)
    started_at = published or updated
    posted_at = updated or published
    if started_at is None or posted_at is None:
        raise ParseError(f"{where}: entry without a published or updated date")
    body = entry_body(entry)
    title = detail_text(raw_get(entry, "title_detail"), raw_get(entry, "title")) or body[:120] or native_id
    status: UpdateStatus = "resolved" if says_resolved(title, body) else "unknown"
    link = str(raw_get(entry, "link") or "")
    incident = Incident(
        native_id=native_id,
        title=title,
        impact=None,
        impact_native=None,
        status=status,
        status_native=None,
        started_at=started_at,
        resolved_at=posted_at if status == "resolved" else None,
        url=link if link.startswith(("https://", "http://")) else doc.url,  # feedparser may copy a urn id here
    )
    update = IncidentUpdate(
        incident_native_id=native_id,
        # An entry with its own id is one post: a later <updated> is that post edited, not a new one. Items that share
        # a link and have no id of their own (one item per post) have nothing stable but their time.
        native_id="entry" if raw_get(entry, "id") else str(int(posted_at.timestamp())),
        posted_at=posted_at,
        created_at=None,
        status=status,
        status_native=None,
        body=body,
    )
    return incident, update


def parse(doc: Document) -> Parsed:
    """Each entry, in feed order. An id seen again (a feed with one item per post, linking the same incident) adds
    its update to the first one (the newest, in feed order) and can only move its start earlier."""
    feed = read_feed(doc)
    parsed = Parsed()
    incidents: dict[str, Incident] = {}
    update_keys: set[tuple[str, str]] = set()
    for position, entry in enumerate(feed_entries(feed)):
        incident, update = _entry(doc, position, entry)
        known = incidents.get(incident.native_id)
        if known is None:
            incidents[incident.native_id] = incident
        elif incident.started_at and known.started_at and incident.started_at < known.started_at:
            incidents[incident.native_id] = dataclasses.replace(known, started_at=incident.started_at)
        if (update.incident_native_id, update.native_id) not in update_keys:
            update_keys.add((update.incident_native_id, update.native_id))
            parsed.updates.append(update)
    parsed.incidents = list(incidents.values())
    return parsed


def start_urls(url: str) -> list[str]:
    return [url]


def detect(body: bytes) -> bool:
    """An RSS or Atom document no other kind claims: the generic kind is the fallback, so that `outages parse FILE`
    finds exactly one kind for a Statuspage, AWS or Azure feed."""
    if not is_feed(body):
        return False
    for name in registry.names():
        other = registry.get(name).detect
        if name != KIND.name and other is not None and other(body):
            return False
    return True


KIND = Kind(
    name="feed",
    description="any RSS or Atom feed (one incident per entry, its text as the one update)",
    start_urls=start_urls,
    parse=parse,
    needs_service=True,
    category="status",
    example_urls=(
        "https://status.example.test/feed.atom",
        "https://status.example.test/feed.rss",
    ),
    detect=detect,
    reads_files=True,
)
