"""Atlassian Statuspage v2: ``/api/v2/summary.json``, ``incidents.json`` and ``incidents/{id}.json``.

A catalog url that is the page root starts at summary.json and incidents.json; a url naming a ``.json``
endpoint is fetched as given. The JSON is read by :mod:`scrapers.formats.statuspage_v2` (other hosts serve it too).

The history feeds (``/history.atom``, ``/history.rss``, fetched as given) are the same kind: ``parse`` reads an XML
body, or any body from a url naming a history feed, as the history route (see :func:`parse_history`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from parsel import Selector

from scrapers.formats.feeds import detail_text, entry_time, entry_where, feed_entries, is_feed, read_feed
from scrapers.formats.feeds import raw_get as feed_field
from scrapers.formats.statuspage_v2 import STATUS, parse_v2
from scrapers.formats.text import html_to_text
from scrapers.jsonbody import sniff_json
from scrapers.records import Document, Incident, IncidentUpdate, Parsed, ParseError, UpdateStatus
from scrapers.registry import Kind


def start_urls(url: str) -> list[str]:
    if url.split("?")[0].endswith(".json") or names_history_feed(url):
        return [url]
    root = url.rstrip("/")
    return [f"{root}/api/v2/summary.json", f"{root}/api/v2/incidents.json"]


def parse(doc: Document) -> Parsed:
    if names_history_feed(doc.url) or is_feed(doc.body):
        return parse_history(doc)
    return parse_v2(doc)


# ------------------------------------------------------------------------------- history.atom / history.rss

HISTORY_FEEDS = ("history.atom", "history.rss")
_INCIDENT_LINK = re.compile(r"/incidents/([A-Za-z0-9]+)/?$")
_LABEL = re.compile(
    r"^(?P<month>[A-Z][a-z]{2}) (?P<day>\d{1,2}), (?P<hour>\d{1,2}):(?P<minute>\d{2}) (?P<zone>[A-Z]{2,5})$"
)
_MONTHS = {
    m: i
    for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)
}
# The zone a label names (the page's own zone). Only unambiguous abbreviations: CST (US Central or China) is not.
LABEL_ZONES: dict[str, timezone] = {
    "UTC": UTC,
    "GMT": UTC,
    **{
        name: timezone(timedelta(hours=hours))
        for name, hours in {"EST": -5, "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}.items()
    },
}
# A label later than its entry's <updated> by at most this much is still read in that year (never seen in the
# captures, where the newest label is the entry's <published> minute); anything later belongs to an earlier year.
LABEL_SLACK = timedelta(days=1)
# The bold word before each post. "Update" means the status did not change: the post keeps the one before it.
HISTORY_STATUS: dict[str, UpdateStatus] = {**STATUS, "in progress": "in_progress"}


def names_history_feed(url: str) -> bool:
    return urlsplit(url).path.rstrip("/").endswith(HISTORY_FEEDS)


def label_time(label: str, bound: datetime, where: str) -> datetime:
    """A post label (``Aug 21, 00:37 UTC``: no year) as UTC, in the latest year that does not put it after ``bound``
    (the entry's updated time) by more than LABEL_SLACK; a trail crossing New Year walks back into the old year."""
    match = _LABEL.match(label)
    if not match:
        raise ParseError(f"{where}: cannot read the update time {label!r} (expected like 'Aug 21, 00:37 UTC')")
    zone = LABEL_ZONES.get(match["zone"])
    if zone is None:
        raise ParseError(f"{where}: update time {label!r} names the zone {match['zone']!r}, which we cannot convert")
    month = _MONTHS.get(match["month"])
    if month is None:
        raise ParseError(f"{where}: unknown month in update time {label!r}")
    for year in range(bound.year + 1, bound.year - 5, -1):  # back to a year with 29 February, if need be
        try:
            local = datetime(year, month, int(match["day"]), int(match["hour"]), int(match["minute"]), tzinfo=zone)
        except ValueError:
            continue
        if local.astimezone(UTC) <= bound + LABEL_SLACK:
            return local.astimezone(UTC)
    raise ParseError(f"{where}: update time {label!r} fits no year up to {bound.isoformat()}")


_CLOSED = frozenset({"resolved", "postmortem", "completed"})

# Where a post's time label begins in an entry's HTML: each post runs from its label to the next one.
_LABEL_START = re.compile(r"<small\b[^>]*>(?:(?!</small>).)*?data-var=[\"']date[\"']", re.IGNORECASE | re.DOTALL)
_WORD_END = re.compile(r"</strong\s*>", re.IGNORECASE)


def _history_posts(html: str, bound: datetime, where: str) -> list[tuple[datetime, str, str]]:
    """(posted_at, bold status word, text) for each post of an entry's HTML, in document order (newest first).

    A post's text is everything from its status word to the next post's label, whatever elements wrap it: a post
    written as several (even nested) paragraphs keeps all of them."""
    posts = []
    starts = [m.start() for m in _LABEL_START.finditer(html)]
    for number, start in enumerate(starts):
        chunk = html[start : starts[number + 1] if number + 1 < len(starts) else len(html)]
        post = Selector(text=f"<div>{chunk}</div>")
        label = post.xpath("normalize-space(//small[1])").get() or ""
        posted_at = label_time(label, bound, where)
        word = post.xpath("normalize-space(//small[1]/following::strong[1])").get() or ""
        word_end = _WORD_END.search(chunk) if word else None
        body = chunk[word_end.end() :] if word_end else chunk[chunk.lower().find("</small>") + len("</small>") :]
        posts.append((posted_at, word, html_to_text(body).strip().removeprefix("-").strip()))
    return posts


def _history_entry(doc: Document, position: int, entry: Any) -> tuple[Incident, list[IncidentUpdate]]:
    where = entry_where(doc, position, entry)
    native_id = None
    for candidate in (feed_field(entry, "link"), feed_field(entry, "id")):
        match = _INCIDENT_LINK.search(urlsplit(str(candidate or "")).path)
        if match:
            native_id = match.group(1)
            break
    if native_id is None:
        raise ParseError(f"{where}: no link to /incidents/<id> (not a Statuspage history entry?)")
    where = f"{where} incident {native_id}"
    times = [t for t in (entry_time(entry, "published", where), entry_time(entry, "updated", where)) if t]
    if not times:
        raise ParseError(f"{where}: entry without a published or updated date (the update times need its year)")
    content = feed_field(entry, "content")
    html = str(content[0].get("value") or "") if isinstance(content, list) and content else ""
    html = html or str(feed_field(entry, "summary") or "")
    posts = _history_posts(html, max(times), where)
    if not posts:
        raise ParseError(
            f"{where}: no update labels found (expected <small>Mon <var data-var='date'>D</var>, "
            "<var data-var='time'>HH:MM</var> UTC</small>)"
        )
    posts.reverse()  # oldest first; the sort below keeps that order among posts of the same minute
    # A post's identity is its place in the trail, oldest first: the provider re-dates posts (so never its minute)
    # and only ever adds new ones on top.
    placed = sorted(((t, place, word, body) for place, (t, word, body) in enumerate(posts)), key=lambda p: p[:2])
    updates: list[IncidentUpdate] = []
    status: UpdateStatus = "unknown"
    for posted_at, place, word, body in placed:
        named = HISTORY_STATUS.get(word.lower())
        status = named if named is not None else (status if word.lower() == "update" else "unknown")
        updates.append(
            IncidentUpdate(
                incident_native_id=native_id,
                native_id=str(place),
                posted_at=posted_at,
                created_at=None,
                status=status,
                status_native=word or None,
                body=body,
            )
        )
    # The state is the latest minute's: among posts of that minute (the feed's order among them says nothing), the one
    # that closes the incident decides, so a resolution that shares its minute with another post still closes it.
    final_minute = [u for u in updates if u.posted_at == updates[-1].posted_at]
    latest = next((u for u in reversed(final_minute) if u.status in _CLOSED), updates[-1])
    closing = [u.posted_at for u in updates if u.status in ("resolved", "completed")]
    closed = latest.status in _CLOSED
    link = feed_field(entry, "link")
    incident = Incident(
        native_id=native_id,
        title=detail_text(feed_field(entry, "title_detail"), feed_field(entry, "title")) or native_id,
        impact=None,  # the feed states none; the warehouse keeps the highest impact any source stated
        impact_native=None,
        status=latest.status,
        status_native=latest.status_native,
        started_at=updates[0].posted_at,
        resolved_at=(closing[-1] if closing else latest.posted_at) if closed else None,
        url=str(link) if link else None,
    )
    return incident, updates


def parse_history(doc: Document) -> Parsed:
    """``history.atom``/``history.rss``: one incident per entry, id from its ``/incidents/<id>`` link (the JSON API's
    id), posts from the escaped HTML trail, oldest first. The labels carry no year; see :func:`label_time`. The feed
    gives no impact, components or created_at, so those stay empty."""
    feed = read_feed(doc)
    parsed = Parsed()
    for position, entry in enumerate(feed_entries(feed)):
        incident, updates = _history_entry(doc, position, entry)
        if any(i.native_id == incident.native_id for i in parsed.incidents):
            raise ParseError(f"{entry_where(doc, position, entry)}: incident {incident.native_id} appears twice")
        parsed.incidents.append(incident)
        parsed.updates.extend(updates)
    return parsed


def is_history_feed(body: bytes) -> bool:
    """An RSS/Atom document shaped like a Statuspage history feed."""
    if not is_feed(body):
        return False
    trail = b"/incidents/" in body and b"data-var" in body
    return trail or b",2005:/history</id>" in body or b"<description>Statuspage</description>" in body


def detect(body: bytes) -> bool:
    """A Statuspage v2 JSON payload (a ``page`` with incidents, status or components and a ``page.time_zone`` or an
    incident ``shortlink``; or a single ``incident`` with a shortlink), or a history feed."""
    if is_feed(body):
        return is_history_feed(body)
    data = sniff_json(body, opens="{")
    if not isinstance(data, dict):
        return False
    page = data.get("page")
    if isinstance(page, dict) and {"incidents", "status", "components"} & set(data):
        incidents = data.get("incidents")
        with_link = isinstance(incidents, list) and any(isinstance(i, dict) and i.get("shortlink") for i in incidents)
        return bool(page.get("time_zone")) or with_link
    incident = data.get("incident")
    return isinstance(incident, dict) and bool(incident.get("shortlink")) and "incident_updates" in incident


KIND = Kind(
    name="statuspage",
    description="Atlassian Statuspage v2 JSON (summary.json, incidents.json) and history.atom/history.rss",
    start_urls=start_urls,
    parse=parse,
    needs_service=True,
    category="status",
    example_urls=(
        "https://status.example.test/api/v2/summary.json",
        "https://status.example.test/api/v2/incidents/abc.json",
        "https://status.example.test/history.atom",
    ),
    detect=detect,
    bulk_reader="scrapers.bulk_statuspage:READER",
)
