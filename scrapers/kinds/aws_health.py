"""AWS Service Health Dashboard, legacy ``status.aws.amazon.com/data.json`` (the format AWS served in 2021).

Each entry of ``current`` and ``archive`` is one incident for one service key (``ec2-us-east-1``); its posts sit in
the ``description`` HTML, each with a Pacific time (``8:22 AM PST``; ``Dec 8,  2:29 AM PST`` after midnight).
``status`` is a string or an integer, even within one document: 0 operating normally (a resolved current entry),
1 informational, 2 degraded performance, 3 disruption.

The same kind reads the later routes, told apart by the payload: a JSON array is ``health.aws.amazon.com/public/
currentevents`` (:func:`parse_current_events`), an RSS body is the SHD's per-service feed (:func:`parse_rss`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from parsel import Selector

from scrapers.declared import declared_window
from scrapers.formats.aws_posts import AwsPost, event_status, region_of, status_from_text, updates_from_posts
from scrapers.formats.feeds import (
    detail_text,
    entry_body,
    entry_time,
    entry_where,
    feed_entries,
    is_feed,
    read_feed,
    xml_root,
)
from scrapers.formats.feeds import raw_get as feed_field
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
from scrapers.timeparse import from_epoch
from scrapers.vocabulary import impact_rank, state_rank

PACIFIC = ZoneInfo("America/Los_Angeles")
PACIFIC_OFFSETS = {"PST": timezone(timedelta(hours=-8)), "PDT": timezone(timedelta(hours=-7))}
IMPACT: dict[str, Impact] = {"1": "minor", "2": "major", "3": "critical"}
POST_TIME = re.compile(
    r"^\s*(?:(?P<month>[A-Z][a-z]{2})\s+(?P<day>\d{1,2}),\s*)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>AM|PM)\s+(?P<zone>PST|PDT)\s*$"
)
MONTHS = {
    m: i
    for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)
}


def start_urls(url: str) -> list[str]:
    return [url]


def _post_time(label: str, first_day: date, where: str) -> datetime:
    match = POST_TIME.match(label.replace("\xa0", " "))
    if not match:
        raise ParseError(f"{where}: cannot read the post time {label!r} (expected like '8:22 AM PST')")
    day = first_day
    if match["month"]:
        month = MONTHS.get(match["month"])
        if month is None:
            raise ParseError(f"{where}: unknown month in post time {label!r}")
        year = first_day.year + (1 if month < first_day.month else 0)
        day = date(year, month, int(match["day"]))
    hour = int(match["hour"]) % 12 + (12 if match["ampm"] == "PM" else 0)
    local = datetime(day.year, day.month, day.day, hour, int(match["minute"]), tzinfo=PACIFIC_OFFSETS[match["zone"]])
    return local.astimezone(UTC)


def _posts(description: str, first_day: date, where: str) -> list[tuple[datetime, str]]:
    posts = []
    for div in Selector(text=f"<body>{description}</body>").xpath("//body/div"):
        label = div.xpath("./span[1]//text()").get()
        if label is None:
            continue
        text = " ".join(
            t.strip()
            for t in div.xpath(
                "./span[1]/following-sibling::node()//text() | ./span[1]/following-sibling::text()"
            ).getall()
        )
        posts.append((_post_time(label, first_day, where), " ".join(text.split())))
    return posts


def _entry(raw: Any, doc: Document, where: str) -> tuple[Incident, list[IncidentUpdate]]:
    if not isinstance(raw, dict):
        raise ParseError(f"{where}: expected an event object, got {type(raw).__name__}")
    for key in ("service", "date", "status", "summary"):
        if key not in raw:
            raise ParseError(f"{where}: event without {key!r}")
    service = str(raw["service"])
    began = from_epoch(raw["date"], what=f"{where} date")
    native_id = f"{service}-{int(began.timestamp())}"
    where = f"{where} event {native_id}"
    first_day = began.astimezone(PACIFIC).date()  # the dashboard's own day, PST or PDT as the date was
    status_code = str(raw["status"]).strip()
    summary = str(raw["summary"])
    posts = _posts(str(raw.get("description") or ""), first_day, where)
    # Each post's identity is its place in the event's list, oldest first: AWS re-dates and rewrites a post in place
    # (Amazon Connect's 17:08Z post of 2021-12-07 became 17:18Z), so its time is no identity.
    updates = updates_from_posts(
        native_id,
        [
            AwsPost(str(index), posted_at, status_from_text(text), None, text)
            for index, (posted_at, text) in enumerate(posts)
        ],
    )
    resolved = summary.startswith("[RESOLVED]") or status_code == "0"
    status = event_status(resolved, updates)
    region = region_of(service)
    # the admitted impact window, from the latest post that states one (AWS's resolution post)
    window = next((w for u in reversed(updates) if (w := declared_window(u.body, first_day))), None)
    service_name = str(raw.get("service_name") or service)
    incident = Incident(
        native_id=native_id,
        title=f"{service_name}: {summary.removeprefix('[RESOLVED]').strip()}",
        impact=IMPACT.get(status_code) if status_code != "0" else None,
        impact_native=status_code,
        status=status,
        status_native=status_code,
        started_at=updates[0].posted_at if updates else began,
        resolved_at=updates[-1].posted_at if resolved and updates else None,
        url=doc.url,
        service_key=service,
        region=region,
        regions=(region,) if region else (),
        declared_start=window[0] if window else None,
        declared_end=window[1] if window else None,
    )
    return incident, updates


def parse(doc: Document) -> Parsed:
    if urlsplit(doc.url).path.endswith(".rss") or is_feed(doc.body):
        return parse_rss(doc)
    data = load_json(doc)
    if isinstance(data, list) and (data or "currentevents" in doc.url):
        return parse_current_events(data, doc)
    if not isinstance(data, dict) or not ({"current", "archive"} & set(data)):
        raise ParseError(
            f"{doc.url}: not an AWS data.json payload (expected an object with 'current'/'archive') "
            "nor a currentevents array of events"
        )
    parsed = Parsed()
    for section in ("current", "archive"):
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise ParseError(f"{doc.url}: '{section}' is not a list")
        for position, raw in enumerate(entries):
            incident, updates = _entry(raw, doc, f"{doc.url} {section}[{position}]")
            parsed.incidents.append(incident)
            parsed.updates.extend(updates)
    return parsed


# ------------------------------------------------------------------- health.aws.amazon.com/public/currentevents

# A service's level in currentevents (``impacted_services[].current``/``max``, status changes): the same 0-3 scale.
COMPONENT_STATE: dict[str, ComponentState] = {
    "0": "operational",
    "1": "degraded",
    "2": "partial_outage",
    "3": "major_outage",
}


def _component_state(value: object) -> ComponentState:
    return COMPONENT_STATE.get(str(value).strip(), "unknown")


def _from_epoch_ms(value: object, *, what: str) -> datetime:
    """Epoch milliseconds (``impacted_service_status_changes[].timestamp``), unlike every other AWS time."""
    try:
        millis = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ParseError(f"{what}: expected epoch milliseconds, got {value!r}") from exc
    if millis < 10**11:
        raise ParseError(f"{what}: {value!r} is too small for epoch milliseconds (seconds?)")
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def _current_event(
    raw: Any, doc: Document, where: str
) -> tuple[Incident, list[IncidentUpdate], list[Component], list[ComponentChange]]:
    if not isinstance(raw, dict):
        raise ParseError(f"{where}: expected an event object, got {type(raw).__name__}")
    for key in ("service", "date", "status", "summary"):
        if key not in raw:
            raise ParseError(f"{where}: event without {key!r}")
    service = str(raw["service"])
    began = from_epoch(raw["date"], what=f"{where} date")
    native_id = f"{service}-{int(began.timestamp())}"  # as data.json's ids and the RSS chains: one id across routes
    where = f"{where} event {native_id}"
    status_code = str(raw["status"]).strip()
    summary = str(raw["summary"])
    log = raw.get("event_log") or []
    if not isinstance(log, list):
        raise ParseError(f"{where}: 'event_log' is not a list")
    posts = []
    for position, item in enumerate(log):
        if not isinstance(item, dict):
            raise ParseError(f"{where}: event_log[{position}] is not an object")
        posted_at = from_epoch(item.get("timestamp"), what=f"{where} event_log[{position}] timestamp")
        posts.append((posted_at, position, item))
    posts.sort(key=lambda post: (post[0], post[1]))
    levels = [status_code]
    log_posts = []
    for posted_at, position, item in posts:
        level = None if item.get("status") is None else str(item["status"]).strip()
        text = " ".join(str(item.get("message") or "").split())
        # level 0 is "operating normally"; otherwise the words name the stage, as on the legacy dashboard
        stage: UpdateStatus = "resolved" if level == "0" else status_from_text(text)
        if level is not None:
            levels.append(level)
        # its place in the event log, never its (editable) time
        log_posts.append(AwsPost(str(position), posted_at, stage, level, text))
    updates = updates_from_posts(native_id, log_posts)
    resolved = summary.startswith("[RESOLVED]") or status_code == "0"
    status = event_status(resolved, updates)
    stated = [level for level in levels if level in IMPACT]
    highest = max(stated, key=int) if stated else None  # the highest level the event log ever stated

    impacted = raw.get("impacted_services") or {}
    if not isinstance(impacted, dict):
        raise ParseError(f"{where}: 'impacted_services' is not an object")
    components = []
    for key, info in impacted.items():
        info = info if isinstance(info, dict) else {}
        current = info.get("current")
        components.append(
            Component(
                native_id=str(key),
                name=str(info.get("service_name") or key),
                group_name=region_of(str(key)),
                state=_component_state(current),
                state_native=None if current is None else str(current),
            )
        )
    changes = []
    raw_changes = raw.get("impacted_service_status_changes") or []
    if not isinstance(raw_changes, list):
        raise ParseError(f"{where}: 'impacted_service_status_changes' is not a list")
    for position, change in enumerate(raw_changes):
        if not isinstance(change, dict) or "service" not in change:
            raise ParseError(f"{where}: impacted_service_status_changes[{position}] without a service")
        new, old = change.get("current_status"), change.get("previous_status")
        changes.append(
            ComponentChange(
                component_native_id=str(change["service"]),
                changed_at=_from_epoch_ms(
                    change.get("timestamp"), what=f"{where} impacted_service_status_changes[{position}] timestamp"
                ),
                state=_component_state(new),
                state_native=None if new is None else str(new),
                old_state=None if old is None else _component_state(old),
                incident_native_id=native_id,
            )
        )

    region = region_of(service)
    regions = [region] if region else []
    for key in impacted:
        other = region_of(str(key))
        if other and other not in regions:
            regions.append(other)
    first_day = began.astimezone(PACIFIC).date()
    window = next((w for u in reversed(updates) if (w := declared_window(u.body, first_day))), None)
    incident = Incident(
        native_id=native_id,
        title=f"{raw.get('service_name') or service}: {summary.removeprefix('[RESOLVED]').strip()}",
        impact=IMPACT[highest] if highest else None,
        impact_native=highest or status_code,
        status=status,
        status_native=status_code,
        started_at=updates[0].posted_at if updates else began,
        resolved_at=updates[-1].posted_at if resolved and updates else None,
        url=doc.url,
        service_key=service,
        region=regions[0] if regions else None,
        regions=tuple(regions),
        component_ids=tuple(str(key) for key in impacted),
        declared_start=window[0] if window else None,
        declared_end=window[1] if window else None,
    )
    return incident, updates, components, changes


def parse_current_events(data: list[Any], doc: Document) -> Parsed:
    """``health.aws.amazon.com/public/currentevents``: a JSON array (served UTF-16 with a BOM), one event each.

    Event ``status`` and ``event_log[].status`` use the legacy 0-3 scale (0 operating normally, 1 informational,
    2 degraded, 3 disruption); the incident's impact is the highest level the document states. ``event_log[]``
    gives the posts (epoch-second ``timestamp``); ``impacted_services`` the components (their ``current`` level);
    ``impacted_service_status_changes`` the component changes (epoch *milliseconds*). An empty array: no events.
    """
    parsed = Parsed()
    states: dict[str, Component] = {}
    for position, raw in enumerate(data):
        incident, updates, components, changes = _current_event(raw, doc, f"{doc.url} [{position}]")
        parsed.incidents.append(incident)
        parsed.updates.extend(updates)
        parsed.component_changes.extend(changes)
        for component in components:  # a global service (route53) can sit under two events: keep its worst state
            known = states.get(component.native_id)
            if known is None or state_rank(component.state) > state_rank(known.state):
                states[component.native_id] = component
    parsed.components = list(states.values())
    return parsed


# ----------------------------------------------------------------- status.aws.amazon.com/rss/<service>-<region>.rss

# Each item is one post. Its title starts with the service's level at that post, then maybe "[RESOLVED]".
RSS_PREFIXES: dict[str, Impact | None] = {
    "service is operating normally": None,
    "informational message": "minor",
    "service degradation": "major",
    "service disruption": "critical",
    "service impact": "unknown",
}
RSS_GAP = timedelta(hours=24)  # posts of one service further apart than this are two events
_GUID_KEY = re.compile(r"#(?P<key>[A-Za-z0-9._-]+)_(?P<epoch>\d+)$")
_RESOLVED_MARK = re.compile(r"\[RESOLVED\]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _RssPost:
    service_key: str
    posted_at: datetime
    guid: str
    prefix: str | None  # as written, e.g. "Service disruption"
    resolved_mark: bool
    summary: str
    body: str

    @property
    def closes(self) -> bool:
        return self.resolved_mark or (self.prefix or "").lower() == "service is operating normally"

    @property
    def impact(self) -> Impact | None:
        return RSS_PREFIXES.get((self.prefix or "").lower())


def _rss_service_from_url(url: str) -> str | None:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    if not name.endswith(".rss") or name == "all.rss":
        return None
    return name.removesuffix(".rss")


def _rss_post(doc: Document, position: int, entry: Any) -> _RssPost:
    where = entry_where(doc, position, entry)
    posted_at = entry_time(entry, "published", where) or entry_time(entry, "updated", where)
    if posted_at is None:
        raise ParseError(f"{where}: item without a pubDate")
    guid = str(feed_field(entry, "id") or "")
    match = _GUID_KEY.search(guid)
    service_key = match["key"] if match else _rss_service_from_url(doc.url)
    if not service_key:
        raise ParseError(f"{where}: cannot tell the service (no '#<service>_<epoch>' guid, no <service>.rss url)")
    title = detail_text(feed_field(entry, "title_detail"), feed_field(entry, "title"))
    prefix, sep, rest = title.partition(":")
    if not sep or prefix.strip().lower() not in RSS_PREFIXES:
        prefix, rest = "", title
    summary = " ".join(_RESOLVED_MARK.sub(" ", rest).split())
    return _RssPost(
        service_key=service_key,
        posted_at=posted_at,
        guid=guid or f"{service_key}_{int(posted_at.timestamp())}",
        prefix=prefix.strip() or None,
        resolved_mark=bool(_RESOLVED_MARK.search(title)),
        summary=summary or title,
        body=entry_body(entry),
    )


def _rss_incident(doc: Document, chain: list[_RssPost]) -> tuple[Incident, list[IncidentUpdate]]:
    first, last = chain[0], chain[-1]
    native_id = f"{first.service_key}-{int(first.posted_at.timestamp())}"
    rss_posts: dict[str, AwsPost] = {}
    for post in chain:
        if post.guid not in rss_posts:
            stage: UpdateStatus = "resolved" if post.closes else status_from_text(post.body)
            native = " ".join(filter(None, (post.prefix, "[RESOLVED]" if post.resolved_mark else None)))
            rss_posts[post.guid] = AwsPost(post.guid, post.posted_at, stage, native or None, post.body)
    updates = updates_from_posts(native_id, list(rss_posts.values()))
    status = event_status(last.closes, updates)
    stated = [post for post in chain if post.impact is not None]
    worst = max(stated, key=lambda post: impact_rank(post.impact or "unknown")) if stated else None
    region = region_of(first.service_key)
    first_day = first.posted_at.astimezone(PACIFIC).date()
    window = next((w for u in reversed(updates) if (w := declared_window(u.body, first_day))), None)
    incident = Incident(
        native_id=native_id,
        title=f"{first.service_key}: {last.summary}",  # the feed has no service name, only its key
        impact=worst.impact if worst else None,
        impact_native=worst.prefix if worst else None,
        status=status,
        status_native=updates[-1].status_native,
        started_at=first.posted_at,
        resolved_at=last.posted_at if last.closes else None,
        url=doc.url,
        service_key=first.service_key,
        region=region,
        regions=(region,) if region else (),
        declared_start=window[0] if window else None,
        declared_end=window[1] if window else None,
    )
    return incident, updates


def parse_rss(doc: Document) -> Parsed:
    """The SHD RSS (``/rss/<service>-<region>.rss`` or ``all.rss``): one item per post, chained into incidents per
    service key, oldest first; a chain ends after a post that closes it ("[RESOLVED]" or "Service is operating
    normally") or before a gap of more than RSS_GAP. pubDate is Pacific (PST/PDT) and becomes UTC."""
    feed = read_feed(doc)
    by_service: dict[str, list[_RssPost]] = {}
    for position, entry in enumerate(feed_entries(feed)):
        post = _rss_post(doc, position, entry)
        by_service.setdefault(post.service_key, []).append(post)
    parsed = Parsed()
    for posts in by_service.values():
        posts.sort(key=lambda post: post.posted_at)
        chains: list[list[_RssPost]] = [[]]
        for post in posts:
            if chains[-1] and (chains[-1][-1].closes or post.posted_at - chains[-1][-1].posted_at > RSS_GAP):
                chains.append([])
            chains[-1].append(post)
        for chain in chains:
            incident, updates = _rss_incident(doc, chain)
            parsed.incidents.append(incident)
            parsed.updates.extend(updates)
    return parsed


def is_shd_rss(body: bytes) -> bool:
    """An RSS document from the AWS Service Health Dashboard (its generator, or its ``#<service>_<epoch>`` guids)."""
    return xml_root(body) == "rss" and (
        b"AWS Service Health Dashboard RSS Generator" in body[:8192] or b"status.aws.amazon.com/#" in body
    )


def detect(body: bytes) -> bool:
    """Legacy data.json (an object with ``current`` and ``archive`` lists), a non-empty currentevents array (events
    with an ``arn:aws:health`` arn or an ``event_log``), or the SHD RSS."""
    if is_feed(body):
        return is_shd_rss(body)
    data = sniff_json(body)
    if isinstance(data, dict):
        return isinstance(data.get("current"), list) and isinstance(data.get("archive"), list)
    if isinstance(data, list) and data and all(isinstance(event, dict) for event in data):
        return all(str(event.get("arn", "")).startswith("arn:aws:health") or "event_log" in event for event in data)
    return False


KIND = Kind(
    name="aws_health",
    description="AWS Health Dashboard: legacy data.json, health.aws.amazon.com currentevents, SHD RSS",
    start_urls=start_urls,
    parse=parse,
    needs_service=True,
    category="status",
    example_urls=(
        "https://status.aws.amazon.com/data.json",
        "https://status.aws.amazon.com/rss/ec2-us-east-1.rss",
        "https://health.aws.amazon.com/public/currentevents",
    ),
    detect=detect,
    fixtures="aws_",
)
