"""Azure status RSS feed: ``https://azure.status.microsoft/en-us/status/feed/``.

(Also served as ``https://rssfeed.azure.status.microsoft/en-us/status/feed/``; the older host was
``status.azure.com``.) A catalog url naming a feed (a path with ``feed`` in it) is fetched as given; a page root
starts at ``/en-us/status/feed/``, and any other page url at its own ``feed/``.

The feed lists **active items only**: each ``<item>`` is one ongoing incident and an empty channel means all clear
(zero incidents, not an error). There is no resolution in the feed: an incident ends when its item disappears,
so every incident read here is open (``resolved_at`` is None). The feed is parsed with feedparser, from the body's
bytes only (handed over as an in-memory stream, so feedparser never opens a URL or a file); a body that is not an
RSS document, or an RSS document that is not well-formed XML (a truncated body), is a ParseError.

Normalization:

* native id: ``<guid>`` (a slug such as ``issues-connecting-to-resources-in-west-us``); title: ``<title>``, stripped
  (Azure leaves a trailing space).
* started_at: ``<pubDate>`` (RFC 822, ``Thu, 23 Jul 2026 16:29:09 Z``); a date without a zone is a ParseError. This
  is when the item was first posted; the impact start Azure writes in the text ("Starting at 14:44 UTC…") is not
  read.
* one update per item: ``<description>`` (HTML) as plain text, paragraphs separated by blank lines. Its id is the
  pubDate instant in UTC. Azure rewrites the description in place under the same pubDate (the two captures of
  2026-07-23 show it), so a rewrite is a new version of the same update, not a new update.
* status: the feed states no stage; an item in it is open, so both the incident and its update are
  ``investigating`` (``status_native`` None). Impact: the feed states none (``impact`` None).
* ``<category>`` elements name both the affected services and the affected regions, in one flat list (the region
  comes last in the captures: ``Network Infrastructure``, ``West US``). A category is a region when it is a known
  Azure region display name (``AZURE_REGIONS``, public, sovereign and China clouds, plus ``Global`` and
  ``Non-Regional``) or has the shape of one (geographic words ending in a compass word or ``US``, an optional
  number: ``Denmark East``, ``East US 4``); every other category is a service. Regions are normalized to Azure's
  programmatic names (``West US`` → ``westus``, ``Australia Central 2`` → ``australiacentral2``); services become
  components whose native id is the category text itself, in state ``unknown`` (the feed states none).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import feedparser
from parsel import Selector

from scrapers.records import Component, Document, Incident, IncidentUpdate, Parsed, ParseError
from scrapers.registry import Kind

AZURE_REGIONS = frozenset(
    name.lower()
    for name in (
        # Americas
        "East US",
        "East US 2",
        "East US 3",
        "Central US",
        "North Central US",
        "South Central US",
        "West Central US",
        "West US",
        "West US 2",
        "West US 3",
        "Central US EUAP",
        "East US 2 EUAP",
        "Canada Central",
        "Canada East",
        "Brazil South",
        "Brazil Southeast",
        "Mexico Central",
        "Chile Central",
        # Europe
        "North Europe",
        "West Europe",
        "UK South",
        "UK West",
        "France Central",
        "France South",
        "Germany West Central",
        "Germany North",
        "Germany Central",
        "Germany Northeast",
        "Switzerland North",
        "Switzerland West",
        "Norway East",
        "Norway West",
        "Sweden Central",
        "Sweden South",
        "Poland Central",
        "Italy North",
        "Spain Central",
        "Austria East",
        "Belgium Central",
        "Denmark East",
        "Finland Central",
        "Greece Central",
        # Asia Pacific
        "East Asia",
        "Southeast Asia",
        "Australia East",
        "Australia Southeast",
        "Australia Central",
        "Australia Central 2",
        "Japan East",
        "Japan West",
        "Korea Central",
        "Korea South",
        "Central India",
        "South India",
        "West India",
        "Jio India West",
        "Jio India Central",
        "Indonesia Central",
        "Malaysia West",
        "Malaysia South",
        "New Zealand North",
        "Taiwan North",
        "Taiwan Northwest",
        # Middle East and Africa
        "UAE North",
        "UAE Central",
        "Qatar Central",
        "Israel Central",
        "Saudi Arabia East",
        "South Africa North",
        "South Africa West",
        # sovereign clouds
        "US Gov Virginia",
        "US Gov Arizona",
        "US Gov Texas",
        "US Gov Iowa",
        "US DoD East",
        "US DoD Central",
        "China East",
        "China East 2",
        "China East 3",
        "China North",
        "China North 2",
        "China North 3",
        # not a place, but Azure files it where a region goes
        "Global",
        "Non-Regional",
    )
)
# The shape of a region not yet in the list: capitalized words ending in a compass word or "US", then a number.
REGION_SHAPE = re.compile(
    r"^(?:[A-Z][A-Za-z]*\s+)+(?:North|South|East|West|Central|Northeast|Northwest|Southeast|Southwest|US)(?:\s+\d)?$"
)
RFC822 = re.compile(
    r"^\s*(?:[A-Za-z]{3},\s*)?(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3})\s+(?P<year>\d{4})\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s+(?P<zone>[A-Za-z]{1,3}|[+-]\d{4})\s*$"
)
MONTHS = {
    m: i
    for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)
}
ZONES = {
    "z": 0,
    "ut": 0,
    "utc": 0,
    "gmt": 0,
    "est": -5,
    "edt": -4,
    "cst": -6,
    "cdt": -5,
    "mst": -7,
    "mdt": -6,
    "pst": -8,
    "pdt": -7,
}
_BLOCK_END = re.compile(r"</(?:p|div|li|h[1-6]|ul|ol|table|tr)\s*>|<br\s*/?>", re.IGNORECASE)


def start_urls(url: str) -> list[str]:
    path = urlsplit(url).path
    if "feed" in path.split("/"):
        return [url]
    if path in ("", "/"):
        return [f"{url.rstrip('/')}/en-us/status/feed/"]
    return [f"{url.rstrip('/')}/feed/"]


def _head(body: bytes) -> bytes:
    return body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")


def detect(body: bytes) -> bool:
    """An RSS document whose channel is Azure Status (by its title or its azurestatus link)."""
    head = _head(body)
    if not head.startswith(b"<") or b"<rss" not in head:
        return False
    lowered = head.lower()
    return b"<title>azure status</title>" in lowered or b"azurestatus" in lowered or b"azure.status." in lowered


def is_region(category: str) -> bool:
    name = " ".join(category.split())
    return name.lower() in AZURE_REGIONS or bool(REGION_SHAPE.match(name))


def region_id(category: str) -> str:
    """Azure's programmatic region name: ``West US`` → ``westus``."""
    return "".join(category.split()).lower()


def pubdate_utc(value: object, *, what: str) -> datetime:
    """An RFC 822 date with a zone (``Thu, 23 Jul 2026 16:29:09 Z``) as UTC; a date without a zone is an error."""
    if not isinstance(value, str) or not value.strip():
        raise ParseError(f"{what}: expected an RFC 822 date, got {value!r}")
    match = RFC822.match(value)
    if not match:
        if re.match(r"^\s*(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*$", value):
            raise ParseError(f"{what}: date {value!r} has no time zone")
        raise ParseError(f"{what}: not an RFC 822 date: {value!r}")
    month = MONTHS.get(match["month"].lower())
    zone = match["zone"]
    if zone[0] in "+-":
        sign = -1 if zone[0] == "-" else 1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
    elif zone.lower() in ZONES:
        offset = timedelta(hours=ZONES[zone.lower()])
    else:
        raise ParseError(f"{what}: unknown time zone {zone!r} in {value!r}")
    if month is None:
        raise ParseError(f"{what}: unknown month in {value!r}")
    try:
        local = datetime(
            int(match["year"]),
            month,
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            tzinfo=timezone(offset),
        )
    except ValueError as exc:
        raise ParseError(f"{what}: impossible date {value!r}: {exc}") from exc
    return local.astimezone(UTC)


def html_to_text(html: str) -> str:
    """The text of an HTML fragment: one paragraph per block element, blank lines between, spaces collapsed."""
    marked = _BLOCK_END.sub("\n\n", html)
    text = Selector(text=f"<body>{marked}</body>").xpath("string(//body)").get() or ""
    paragraphs = (" ".join(block.split()) for block in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def _read_feed(doc: Document) -> Any:
    if not doc.body.strip():
        raise ParseError(f"empty body from {doc.url}; expected the Azure status RSS feed")
    head = _head(doc.body)
    if head[:1] in (b"{", b"["):
        raise ParseError(f"expected RSS from {doc.url} but got JSON (Content-Type {doc.content_type or 'unknown'})")
    lowered = head[:500].lower()
    if b"<html" in lowered or b"<!doctype html" in lowered:
        raise ParseError(
            f"expected RSS from {doc.url} but got an HTML page (Content-Type {doc.content_type or 'unknown'}); "
            "the site may be serving an error or bot-challenge page"
        )
    # A stream, not bare bytes: feedparser would try a bytes value as a file name before reading it as data.
    try:
        feed = feedparser.parse(io.BytesIO(doc.body))
    except Exception as exc:  # feedparser's loose parser can fail inside on broken markup (KeyError 'links'...)
        raise ParseError(f"{doc.url}: the Azure status RSS feed is malformed ({type(exc).__name__})") from exc
    version = str(feed.get("version") or "")
    problem = feed.get("bozo_exception") if feed.get("bozo") else None
    # An encoding disagreement is harmless here; any other complaint means the XML itself is broken.
    if problem is not None and not isinstance(problem, feedparser.CharacterEncodingOverride):
        if version.startswith("rss"):
            raise ParseError(f"{doc.url}: the Azure status RSS feed is not well-formed XML ({problem}); truncated?")
        raise ParseError(f"expected the Azure status RSS feed from {doc.url} but the body is not XML ({problem})")
    if not version.startswith("rss"):
        got = f"a feed of type {version}" if version else "XML that is not a feed"
        raise ParseError(f"expected the Azure status RSS feed from {doc.url} but got {got}")
    return feed


def _item(entry: Any, doc: Document, where: str) -> tuple[Incident, IncidentUpdate, list[Component]]:
    native_id = str(entry.get("id") or "").strip()
    if not native_id:
        raise ParseError(f"{where}: an item without a <guid>")
    where = f"{where} item {native_id}"
    title = str(entry.get("title") or "").strip()
    if not title:
        raise ParseError(f"{where}: an item without a <title>")
    posted = pubdate_utc(entry.get("published"), what=f"{where} pubDate")
    services: list[str] = []
    regions: list[str] = []
    for tag in entry.get("tags") or []:
        term = " ".join(str(tag.get("term") or "").split())
        if not term:
            continue
        target, value = (regions, region_id(term)) if is_region(term) else (services, term)
        if value not in target:
            target.append(value)
    incident = Incident(
        native_id=native_id,
        title=title,
        impact=None,
        impact_native=None,
        status="investigating",
        status_native=None,
        started_at=posted,
        resolved_at=None,
        url=str(entry.get("link") or doc.url),
        region=regions[0] if regions else None,
        regions=tuple(regions),
        component_ids=tuple(services),
    )
    update = IncidentUpdate(
        incident_native_id=native_id,
        native_id="entry",  # the entry is the one post: a re-dated entry is the same post, edited
        posted_at=posted,
        created_at=None,
        status="investigating",
        status_native=None,
        body=html_to_text(str(entry.get("summary") or "")),
    )
    components = [
        Component(native_id=name, name=name, group_name=None, state="unknown", state_native=None) for name in services
    ]
    return incident, update, components


def parse(doc: Document) -> Parsed:
    feed = _read_feed(doc)
    parsed = Parsed()
    components: dict[str, Component] = {}
    for position, entry in enumerate(feed.entries):
        incident, update, item_components = _item(entry, doc, f"{doc.url} item[{position}]")
        if any(i.native_id == incident.native_id for i in parsed.incidents):
            raise ParseError(f"{doc.url}: the guid {incident.native_id!r} appears twice")
        parsed.incidents.append(incident)
        parsed.updates.append(update)
        for component in item_components:
            components.setdefault(component.native_id, component)
    parsed.components = list(components.values())
    return parsed


KIND = Kind(
    name="azure",
    description="Azure status RSS feed (active incidents only; an empty channel is all clear)",
    start_urls=start_urls,
    parse=parse,
    needs_service=True,
    category="status",
    example_urls=("https://azure.status.microsoft/en-us/status/feed/",),
    detect=detect,
)
