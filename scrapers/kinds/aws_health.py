"""AWS Service Health Dashboard, legacy ``status.aws.amazon.com/data.json`` (the format AWS served in 2021).

Each entry of ``current`` and ``archive`` is one incident for one service key (``ec2-us-east-1``); its posts sit in
the ``description`` HTML, each with a Pacific time (``8:22 AM PST``; ``Dec 8,  2:29 AM PST`` after midnight).
``status`` is a string or an integer, even within one document: 0 operating normally (a resolved current entry),
1 informational, 2 degraded performance, 3 disruption.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from parsel import Selector

from scrapers.jsonbody import load_json
from scrapers.records import Document, Impact, Incident, IncidentUpdate, Parsed, ParseError, UpdateStatus
from scrapers.registry import Kind, register
from scrapers.timeparse import from_epoch

PACIFIC = ZoneInfo("America/Los_Angeles")
PACIFIC_OFFSETS = {"PST": timezone(timedelta(hours=-8)), "PDT": timezone(timedelta(hours=-7))}
IMPACT: dict[str, Impact] = {"1": "minor", "2": "major", "3": "critical"}
REGION = re.compile(r"-((?:us-gov|us|eu|ap|sa|ca|me|af|il|mx|cn)-[a-z]+-\d)$")
POST_TIME = re.compile(
    r"^\s*(?:(?P<month>[A-Z][a-z]{2})\s+(?P<day>\d{1,2}),\s*)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>AM|PM)\s+(?P<zone>PST|PDT)\s*$"
)
MONTHS = {
    m: i
    for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)
}

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


def start_urls(url: str) -> list[str]:
    return [url]


def status_from_text(text: str) -> UpdateStatus:
    lowered = text.lower()
    if lowered.startswith("between ") and "we experienced" in lowered:
        return "resolved"  # AWS's closing formula: "Between 7:32 AM and 3:10 PM PST we experienced..."
    for status, phrases in _STATUS_PHRASES:
        if any(phrase in lowered for phrase in phrases):
            return status
    return "unknown"


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
    updates = []
    previous: UpdateStatus = "investigating"
    for index, (posted_at, text) in enumerate(posts):
        # A post whose words name no stage keeps the stage of the post before it (the first: investigating).
        stage = status_from_text(text)
        previous = previous if stage == "unknown" else stage
        updates.append(
            IncidentUpdate(
                incident_native_id=native_id,
                native_id=f"{int(posted_at.timestamp())}-{index}",
                posted_at=posted_at,
                created_at=None,
                status=previous,
                status_native=None,
                body=text,
            )
        )
    resolved = summary.startswith("[RESOLVED]") or status_code == "0"
    if resolved:
        status: UpdateStatus = "resolved"
    elif updates:
        latest = updates[-1].status
        status = "identified" if latest == "resolved" else latest  # an open event is not resolved whatever it says
    else:
        status = "unknown"
    region = REGION.search(service)
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
        region=region.group(1) if region else None,
        regions=(region.group(1),) if region else (),
    )
    return incident, updates


def parse(doc: Document) -> Parsed:
    data = load_json(doc)
    if not isinstance(data, dict) or not ({"current", "archive"} & set(data)):
        raise ParseError(f"{doc.url}: not an AWS data.json payload (expected an object with 'current'/'archive')")
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


KIND = register(
    Kind(
        name="aws_health",
        description="AWS Service Health Dashboard legacy data.json",
        start_urls=start_urls,
        parse=parse,
        needs_service=True,
    )
)
