"""Any RSS or Atom feed, read through feedparser: each entry is one incident with one update.

The feed is only ever parsed from the fetched bytes (wrapped in a file object: given raw ``bytes``, feedparser would
first try them as a local file name); feedparser never fetches. The helpers here (feed sniffing, dates that must
carry a zone, HTML to text) are shared with the kinds that read provider-specific feeds (Statuspage
``history.atom``/``history.rss``, AWS SHD RSS). Detection is the fallback: a feed another kind's detector accepts
is left to that kind.

Mapping of one entry:

* ``native_id``: the entry's ``id`` (Atom ``<id>``, RSS ``<guid>``), else its link; an entry with neither is an error.
* ``started_at``: ``published``, else ``updated``; the one update is posted at ``updated``, else ``published``, and its
  id is that time in epoch seconds, so an entry the provider rewrites (same id, new date) adds an update.
  An entry with no readable date, or a date without a time zone, is a ParseError naming the entry (never a guess).
* ``status``: ``resolved`` only when the words say so plainly, else ``unknown`` (see :func:`says_resolved`).
* ``impact``: None (a generic feed states none).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import xml.sax
from datetime import UTC, datetime
from typing import Any

import feedparser
import lxml.html
from lxml import etree

from scrapers import registry
from scrapers.records import Document, Incident, IncidentUpdate, Parsed, ParseError, UpdateStatus
from scrapers.registry import Kind, register

FEED_ROOTS = frozenset({"rss", "feed", "RDF"})  # RSS 2.0/0.9x, Atom 1.0, RSS 1.0 (rdf:RDF)
_SNIFF_BYTES = 65536


def xml_root(body: bytes) -> str | None:
    """The local name of the first element when the body starts as XML (``rss``, ``feed``, ``html``…), else None."""
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, load_dtd=False)
    with contextlib.suppress(etree.XMLSyntaxError):  # events read before an error still name the root
        parser.feed(body[:_SNIFF_BYTES])
    for _event, element in parser.read_events():
        return str(etree.QName(element).localname)
    return None


def is_feed(body: bytes) -> bool:
    return xml_root(body) in FEED_ROOTS


def _looks_like_html(body: bytes) -> bool:
    head = body[:1000].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<!doctype html") or b"<html" in head


def _what_it_is(body: bytes) -> str:
    if _looks_like_html(body):
        return "an HTML page"
    root = xml_root(body)
    if root is not None:
        return f"XML whose root element is <{root}>"
    stripped = body.lstrip(b"\xef\xbb\xbf\xfe\xff \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "JSON"
    return "something that is not XML"


def read_feed(doc: Document) -> Any:
    """The body parsed by feedparser, or a ParseError saying what was served instead or where the XML breaks.

    A feed that is not well-formed XML (truncated, say) is an error: feedparser's lenient fallback would quietly
    return the entries before the break and drop the rest.
    """
    if not doc.body.strip():
        raise ParseError(f"empty body from {doc.url}; expected an RSS or Atom feed")
    if not is_feed(doc.body):
        raise ParseError(
            f"expected an RSS or Atom feed from {doc.url} but got {_what_it_is(doc.body)} "
            f"(Content-Type {doc.content_type or 'unknown'}); the site may be serving an error or bot-challenge page"
        )
    try:
        result = feedparser.parse(io.BytesIO(doc.body), sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser's loose parser can fail inside on broken markup (KeyError 'links'...)
        raise ParseError(f"malformed feed from {doc.url}: the feed parser gave up ({type(exc).__name__})") from exc
    problem = result.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXParseException):
        raise ParseError(
            f"malformed or truncated feed XML from {doc.url}: {problem.getMessage()} "
            f"at line {problem.getLineNumber()} column {problem.getColumnNumber()}"
        )
    if not result.entries and not result.feed.get("title"):
        raise ParseError(f"{doc.url}: not a feed (no entries and no feed title; feedparser said {problem!r})")
    return result


def raw_get(entry: Any, key: str) -> Any:
    """A feedparser field without its aliasing (``updated`` falling back to ``published`` warns, and is not ours)."""
    return dict.get(entry, key)


_RFC822_ZONE = re.compile(r"^(?:[+-]\d{4}|[A-Za-z]{1,5})$")  # +0000, -0800, GMT, UT, Z, PST, EDT…


def _states_zone(text: str) -> bool:
    """Whether a feed date names its zone: ISO 8601 (Atom) with an offset or Z, or RFC 822 (RSS) ending in a zone
    (``email.utils`` reads a missing zone as +0000, so the last token is checked instead)."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        pass
    tokens = text.split()
    return len(tokens) >= 2 and ":" in tokens[-2] and bool(_RFC822_ZONE.match(tokens[-1]))


def entry_time(entry: Any, key: str, where: str) -> datetime | None:
    """``published`` or ``updated`` as UTC (feedparser's parsed time), None when absent; a zone is required."""
    text = raw_get(entry, key)
    if text is None or not str(text).strip():
        return None
    if not _states_zone(str(text)):
        raise ParseError(f"{where}: {key} {text!r} has no time zone we can read")
    parsed = raw_get(entry, f"{key}_parsed")
    if parsed is None:
        raise ParseError(f"{where}: cannot read {key} {text!r}")
    year, month, day, hour, minute, second = (int(value) for value in parsed[:6])
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    ]
)


def html_to_text(html: str) -> str:
    """The text of an HTML fragment: one line per paragraph, block or ``<br>``, whitespace collapsed within a line,
    script and style dropped (lxml's HTML parser; entities are decoded by it)."""
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in list(root.iter("script", "style")):
        element.drop_tree()
    for element in root.iter():
        if element.tag == "br" or element.tag in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
            if element.tag != "br":
                element.text = "\n" + (element.text or "")
    lines = (" ".join(line.split()) for line in str(root.text_content()).splitlines())
    return "\n".join(line for line in lines if line)


def detail_text(detail: Any, fallback: object = "") -> str:
    """A feedparser ``*_detail`` as text: HTML types are parsed, plain text is only whitespace-collapsed."""
    if isinstance(detail, dict):
        value = str(detail.get("value") or "")
        if "html" in str(detail.get("type") or ""):
            return html_to_text(value)
        return " ".join(value.split())
    return html_to_text(str(fallback or ""))


def entry_body(entry: Any) -> str:
    """The entry's text: Atom ``content`` when present, else the summary (RSS ``description``)."""
    content = raw_get(entry, "content")
    if isinstance(content, list) and content:
        return detail_text(content[0])
    return detail_text(raw_get(entry, "summary_detail"), raw_get(entry, "summary"))


def entry_where(doc: Document, position: int, entry: Any) -> str:
    label = raw_get(entry, "id") or raw_get(entry, "link") or raw_get(entry, "title") or "(no id, link or title)"
    return f"{doc.url} entry {position} ({label})"


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


def feed_entries(feed: Any) -> list[Any]:
    return list(feed.entries)


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


KIND = register(
    Kind(
        name="feed",
        description="any RSS or Atom feed (one incident per entry, its text as the one update)",
        start_urls=start_urls,
        parse=parse,
        needs_service=True,
        detect=detect,
    )
)
