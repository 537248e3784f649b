"""Reading RSS and Atom feeds through feedparser, shared by every kind that reads a feed (the generic ``feed`` kind,
Statuspage ``history.atom``/``history.rss``, the AWS SHD RSS): sniffing a body for a feed, parsing it from the fetched
bytes only (wrapped in a file object: given raw ``bytes``, feedparser would first try them as a local file name;
feedparser never fetches), entry dates that must carry a zone, and entry text.
"""

from __future__ import annotations

import contextlib
import io
import re
import xml.sax
from datetime import UTC, datetime
from typing import Any

import feedparser
from lxml import etree

from scrapers.formats.text import html_to_text
from scrapers.records import Document, ParseError

FEED_ROOTS = frozenset({"rss", "feed", "RDF"})  # RSS 2.0/0.9x, Atom 1.0, RSS 1.0 (rdf:RDF)
_SNIFF_BYTES = 65536
_NOT_XML_START = (b"{", b"[")


def xml_root(body: bytes) -> str | None:
    """The local name of the first element when the body starts as XML (``rss``, ``feed``, ``html``…), else None."""
    if body[:1] in _NOT_XML_START:
        return None  # a JSON object or array (the Statuspage kind asks of every body): XML fails at its first byte
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


def feed_entries(feed: Any) -> list[Any]:
    return list(feed.entries)
