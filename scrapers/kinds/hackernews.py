"""Hacker News posts through the public Algolia search API. No credentials; the API allows 10,000 requests an hour
per IP and sends no rate-limit headers.

Catalog url: the search as a person would paste it, e.g.
``https://hn.algolia.com/api/v1/search_by_date?query=outage&tags=(story,comment)`` (``search_by_date`` returns the
newest first; ``/search`` ranks by relevance and works the same way here).

Requests. Algolia stops at 1,000 hits however you page (algolia/hn-search#230), so this kind never pages with
``page``; it reads time windows instead. :func:`start_requests` cuts the read window [since, until] into windows of
one day (wider when that would make more than MAX_START_WINDOWS of them) and asks for each with ``hitsPerPage=1000``
and ``numericFilters=created_at_i>=FROM,created_at_i<TO`` merged into the pasted query (other numeric filters the
url carries are kept; ``page`` and a pasted ``created_at_i`` filter are dropped). Windows are half-open so that a
hit on a boundary second is read once. Each request carries its window as ``meta["window"] = [FROM, TO]`` (epoch
seconds). :func:`follow` splits a window in two halves when its page holds more than it returned (``nbHits`` > hits
returned, or ``nbPages`` > ``page`` + 1), and never makes a window shorter than MIN_WINDOW_SECONDS: a minute with
more than 1,000 hits is kept as far as Algolia returns it. Every split makes a window shorter, so paging ends.

Normalization (:func:`parse`). Each hit is a :class:`Post`: ``native_id`` = ``objectID``; ``uri`` = ``hn:<objectID>``
(an HN item has one id everywhere); ``url`` = the item's page ``https://news.ycombinator.com/item?id=<objectID>``
(where the post itself can be read: a comment's ``story_url`` is the article its story links to, not the comment);
``posted_at`` = ``created_at`` (ISO 8601 with ``Z``) in UTC, or ``created_at_i`` when it is missing; ``author``;
``text`` = the title (a story's ``title``, else the ``story_title`` of the comment's story), then the
``comment_text`` or ``story_text`` with its HTML removed, one line per paragraph. Algolia sends no language.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapers.jsonbody import decode_text, load_json
from scrapers.kinds.feed import html_to_text
from scrapers.records import Document, Parsed, ParseError, Post
from scrapers.registry import Kind, RequestSpec, SourceContext, register
from scrapers.timeparse import from_epoch, parse_iso_utc

HITS_PER_PAGE = 1000  # Algolia's maximum, and the most it returns for one query however it is paged
START_WINDOW_SECONDS = 86_400
MAX_START_WINDOWS = 64
MIN_WINDOW_SECONDS = 60
ITEM_URL = "https://news.ycombinator.com/item?id={}"


def start_urls(url: str) -> list[str]:
    return [url]


def window_url(url: str, start: int, end: int) -> str:
    """The pasted search url asking for hits created in [start, end), up to 1,000 of them on one page."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("page", "hitsPerPage")]
    filters = [f"created_at_i>={start}", f"created_at_i<{end}"]
    kept: list[tuple[str, str]] = []
    for key, value in query:
        if key != "numericFilters":
            kept.append((key, value))
            continue
        if "(" in value or value.lstrip().startswith("["):
            filters.insert(0, value)  # an OR group or a JSON array: keep it whole, ours are ANDed after it
            continue
        filters[:0] = [f for f in value.split(",") if f.strip() and not f.strip().startswith("created_at_i")]
    kept.append(("numericFilters", ",".join(filters)))
    kept.append(("hitsPerPage", str(HITS_PER_PAGE)))
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _request(url: str, start: int, end: int) -> RequestSpec:
    return RequestSpec(
        url=window_url(url, start, end),
        headers={"Accept": "application/json"},
        meta={"window": [start, end], "search_url": url},
    )


def start_windows(since: datetime, until: datetime) -> list[tuple[int, int]]:
    """[since, until] as half-open windows of epoch seconds: a day each, or wider to stay within MAX_START_WINDOWS."""
    start = math.floor(since.timestamp())
    end = math.floor(until.timestamp()) + 1  # the until second itself is inside
    if end <= start:
        return [(start, start + MIN_WINDOW_SECONDS)]
    width = max(START_WINDOW_SECONDS, math.ceil((end - start) / MAX_START_WINDOWS))
    return [(lo, min(lo + width, end)) for lo in range(start, end, width)]


def start_requests(context: SourceContext) -> list[RequestSpec]:
    return [_request(context.url, lo, hi) for lo, hi in start_windows(context.since, context.until)]


def _window(doc: Document) -> tuple[int, int] | None:
    window = doc.meta.get("window")
    if isinstance(window, (list, tuple)) and len(window) == 2 and all(isinstance(v, int) for v in window):
        return int(window[0]), int(window[1])
    return None


def follow(doc: Document) -> list[RequestSpec]:
    """Two half windows when this window's page was cut short; nothing when it was complete or a minute long."""
    window = _window(doc)
    if window is None:
        return []  # not one of our window requests (a url fetched as given): nothing to split
    data = _page(doc)
    hits = data["hits"]
    nb_hits, nb_pages, page = data.get("nbHits"), data.get("nbPages"), data.get("page", 0)
    truncated = (isinstance(nb_hits, int) and nb_hits > len(hits)) or (
        isinstance(nb_pages, int) and isinstance(page, int) and nb_pages > page + 1
    )
    start, end = window
    if not truncated or end - start < 2 * MIN_WINDOW_SECONDS:
        return []
    middle = start + (end - start) // 2
    search_url = str(doc.meta.get("search_url") or doc.url)
    return [_request(search_url, start, middle), _request(search_url, middle, end)]


def _page(doc: Document) -> dict[str, Any]:
    data = load_json(doc)
    if not isinstance(data, dict):
        raise ParseError(f"{doc.url}: expected an Algolia search result object, got {type(data).__name__}")
    if "hits" not in data:
        message = data.get("message") or data.get("error")
        if message:
            status = data.get("status") or doc.meta.get("http_status")
            raise ParseError(f"{doc.url}: Algolia answered with an error (status {status}): {str(message)[:300]}")
        raise ParseError(f"{doc.url}: not an Algolia search result (no 'hits'; keys: {', '.join(sorted(data)[:8])})")
    if not isinstance(data["hits"], list):
        raise ParseError(f"{doc.url}: 'hits' is not a list")
    return data


def _text(hit: dict[str, Any]) -> str:
    title = hit.get("title") or hit.get("story_title") or ""
    body = hit.get("comment_text") or hit.get("story_text") or ""
    parts = [" ".join(str(title).split()), html_to_text(str(body))]
    return "\n".join(part for part in parts if part)


def _post(hit: Any, where: str) -> Post:
    if not isinstance(hit, dict) or not hit.get("objectID"):
        raise ParseError(f"{where}: a hit without an objectID")
    native_id = str(hit["objectID"])
    where = f"{where} hit {native_id}"
    if hit.get("created_at"):
        posted_at = parse_iso_utc(hit["created_at"], what=f"{where} created_at")
    elif hit.get("created_at_i") is not None:
        posted_at = from_epoch(hit["created_at_i"], what=f"{where} created_at_i")
    else:
        raise ParseError(f"{where}: no created_at or created_at_i")
    return Post(
        native_id=native_id,
        uri=f"hn:{native_id}",
        url=ITEM_URL.format(native_id),
        posted_at=posted_at,
        author=str(hit.get("author") or ""),
        text=_text(hit),
        lang=None,
    )


def parse(doc: Document) -> Parsed:
    data = _page(doc)
    return Parsed(posts=[_post(hit, doc.url) for hit in data["hits"]])


def detect(body: bytes) -> bool:
    """An Algolia search page: an object with a ``hits`` list, ``nbHits`` and ``hitsPerPage``."""
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return False
    try:
        data = json.loads(decode_text(body))
    except (ParseError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("hits"), list) and {"nbHits", "hitsPerPage"} <= set(data)


KIND = register(
    Kind(
        name="hackernews",
        description="Hacker News stories and comments from the Algolia search API, read in time windows",
        start_urls=start_urls,
        parse=parse,
        needs_service=False,
        complaints=True,
        detect=detect,
        start_requests=start_requests,
        follow=follow,
    )
)
