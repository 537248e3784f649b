"""Reddit search through OAuth (application-only, client credentials).

Credentials: ``REDDIT_CLIENT_ID`` and ``REDDIT_CLIENT_SECRET`` of an approved Reddit app (self-service API access
ended in late 2025; existing apps keep working), and optionally ``REDDIT_USER_AGENT`` (Reddit asks for a descriptive
one, ``<platform>:<app id>:<version> (by /u/<name>)``; DEFAULT_USER_AGENT otherwise). Without the id and secret,
:func:`start_requests` raises SkipSource naming the variables (never their values). OAuth clients get 100 queries a
minute (``X-Ratelimit-*`` headers).

Catalog url: the search as a person would paste it, e.g. ``https://www.reddit.com/search.json?q=outage`` or
``https://www.reddit.com/r/sysadmin/search.json?q=outage&restrict_sr=1``.

Requests (the login and paging are :mod:`scrapers.kinds._login`'s, shared with Bluesky).
1. ``POST https://www.reddit.com/api/v1/access_token`` with HTTP basic auth (id:secret) and
   ``grant_type=client_credentials``, ``keep_body=False`` (the answer is a token: never stored or parsed),
   ``meta = {"step": "token", "session", "search_url", "since", "until"}``.
2. :func:`follow` on the token document reads ``access_token`` and asks for the search on ``oauth.reddit.com``
   (same path without ``.json``), with ``sort=new`` (paging back in time needs the newest first), ``limit=100`` and
   ``raw_json=1`` (text without HTML entities), with ``Authorization: bearer <token>``.
3. :func:`follow` on a listing asks for the next page with its ``after``, until ``after`` is null, a page is empty
   or its oldest post was created before ``since``. Reddit lists at most about 1,000 results for one search.
The token lives only in request headers (sent, never recorded by the crawl) and in the requests' ``carry``, which
comes back with the response for the next page and is never recorded either; the User-Agent travels the same way, so
nothing read from the environment goes into ``meta`` (``meta["session"]`` only names the login). A page that comes
without the token ends the paging.

Normalization. A Listing of ``t3`` (submissions) and ``t1`` (comments), or a JSON array of Listings, gives one
:class:`Post` per child: ``native_id`` = the fullname (``name``, e.g. ``t3_abc12``), ``uri`` = ``reddit:<name>``,
``url`` = ``https://www.reddit.com`` + ``permalink`` without its query (search results carry
``?ref=search_posts``), ``posted_at`` = ``created_utc`` (epoch seconds, often a float; ``created`` is not UTC),
``author``, ``text`` = title then ``selftext`` (submissions) or ``body`` (comments). Reddit sends no language.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapers.jsonbody import decode_text, load_json
from scrapers.kinds._login import (
    TokenLogin,
    credentials,
    follow_login,
    follow_page,
    next_cursor,
    read_window,
)
from scrapers.records import Document, Parsed, ParseError, Post
from scrapers.registry import Kind, RequestSpec, SourceContext, register
from scrapers.urls import with_query

TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
OAUTH_HOST = "oauth.reddit.com"
ID_VAR = "REDDIT_CLIENT_ID"
SECRET_VAR = "REDDIT_CLIENT_SECRET"
AGENT_VAR = "REDDIT_USER_AGENT"
DEFAULT_USER_AGENT = "python:outages:0.1.0 (outage complaint counts)"
LIMIT = 100
SITE = "https://www.reddit.com"


def start_urls(url: str) -> list[str]:
    return [url]


def start_requests(context: SourceContext) -> list[RequestSpec]:
    needs = f"reddit search needs OAuth: set {ID_VAR} and {SECRET_VAR} (and optionally {AGENT_VAR})"
    client_id, secret = credentials(context, ID_VAR, SECRET_VAR, needs)
    agent = (context.env.get(AGENT_VAR) or "").strip() or DEFAULT_USER_AGENT
    session = secrets.token_hex(8)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")
    return [
        RequestSpec(
            url=TOKEN_URL,
            method="POST",
            # Headers are sent, never stored or logged by the crawl: the basic credentials live only here.
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": agent,
                "Accept": "application/json",
            },
            body=b"grant_type=client_credentials",
            keep_body=False,  # the answer is a bearer token
            meta={"step": "token", "session": session, **read_window(context)},
            carry={"user_agent": agent},  # the searches send it too; the token joins it
        )
    ]


def search_url(pasted: str, after: str | None = None) -> str:
    """The pasted search on oauth.reddit.com, newest first, 100 a page, raw text, after the given fullname."""
    parts = urlsplit(pasted)
    path = parts.path.removesuffix(".json") or "/search"
    url = urlunsplit(("https", OAUTH_HOST, path, parts.query, ""))
    updates = {"sort": "new", "limit": str(LIMIT), "raw_json": "1"}
    if after:
        updates["after"] = after
    return with_query(url, updates, drop=("after", "before", "count"))


def _search_url(pasted: str, window: Mapping[str, Any], after: str | None) -> str:
    return search_url(pasted, after)  # the read window bounds the paging (since), not the query


LOGIN = TokenLogin(
    kind="reddit",
    step="token",
    token_key="access_token",
    scheme="bearer",
    credentials=f"{ID_VAR} and {SECRET_VAR}",
    search_url=_search_url,
    user_agent=DEFAULT_USER_AGENT,
)


def _listings(doc: Document) -> list[dict[str, Any]]:
    data = load_json(doc)
    listings = data if isinstance(data, list) else [data]
    for listing in listings:
        if not isinstance(listing, dict):
            raise ParseError(f"{doc.url}: expected a Reddit Listing, got {type(listing).__name__}")
        if listing.get("kind") != "Listing":
            if "error" in listing or "message" in listing:
                status = listing.get("error") if isinstance(listing.get("error"), int) else doc.meta.get("http_status")
                raise ParseError(
                    f"{doc.url}: Reddit answered with an error"
                    + (f" (HTTP {status})" if status else "")
                    + f": {str(listing.get('message') or listing.get('error'))[:200]}"
                )
            raise ParseError(f"{doc.url}: not a Reddit Listing (kind {listing.get('kind')!r})")
        if not isinstance(listing.get("data"), dict) or not isinstance(listing["data"].get("children"), list):
            raise ParseError(f"{doc.url}: Listing without data.children")
    return listings


def _created(child: dict[str, Any], where: str) -> datetime:
    value = child.get("created_utc")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ParseError(f"{where}: created_utc {value!r} is not epoch seconds")
    try:
        seconds = float(value)
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise ParseError(f"{where}: created_utc {value!r} is not epoch seconds") from None


def follow(doc: Document) -> list[RequestSpec]:
    if LOGIN.is_login(doc):
        return follow_login(doc, LOGIN)
    listings = _listings(doc)
    if not listings:
        return []  # an empty array: no page, so no next page
    listing = listings[0]["data"]
    children: list[dict[str, Any]] = [
        c["data"] for c in listing["children"] if isinstance(c, dict) and isinstance(c.get("data"), dict)
    ]
    after = next_cursor(
        doc, "after", listing.get("after"), bool(children), lambda: min(_created(c, doc.url) for c in children)
    )
    return [] if after is None else follow_page(doc, LOGIN, after)


def _post(child: Any, where: str) -> Post | None:
    if not isinstance(child, dict):
        raise ParseError(f"{where}: a listing child that is not an object")
    kind, data = child.get("kind"), child.get("data")
    if kind not in ("t1", "t3"):
        return None  # "more" stubs, subreddits or users in a mixed listing: not posts
    if not isinstance(data, dict) or not data.get("id"):
        raise ParseError(f"{where}: a {kind} without data.id")
    name = str(data.get("name") or f"{kind}_{data['id']}")
    where = f"{where} {name}"
    permalink = str(data.get("permalink") or "")
    url = SITE + urlsplit(permalink).path if permalink.startswith("/") else (permalink or None)
    body = data.get("selftext") if kind == "t3" else data.get("body")
    title = data.get("title") if kind == "t3" else data.get("link_title")
    parts = [" ".join(str(title or "").split()), str(body or "").strip()]
    return Post(
        native_id=name,
        uri=f"reddit:{name}",
        url=url,
        posted_at=_created(data, where),
        author=str(data.get("author") or ""),
        text="\n".join(part for part in parts if part),
        lang=None,
    )


def parse(doc: Document) -> Parsed:
    if LOGIN.is_login(doc):
        return Parsed()  # never kept, but say so if one is handed over
    parsed = Parsed()
    for listing in _listings(doc):
        for child in listing["data"]["children"]:
            post = _post(child, doc.url)
            if post is not None:
                parsed.posts.append(post)
    return parsed


def detect(body: bytes) -> bool:
    """A Reddit Listing (or an array of them) whose children are t1/t3 things."""
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"["):
        return False
    try:
        data = json.loads(decode_text(body))
    except (ParseError, ValueError):
        return False
    listings = data if isinstance(data, list) else [data]
    if not listings:
        return False
    for listing in listings:
        if (
            not isinstance(listing, dict)
            or listing.get("kind") != "Listing"
            or not isinstance(listing.get("data"), dict)
        ):
            return False
        children = listing["data"].get("children")
        if not isinstance(children, list) or "after" not in listing["data"]:
            return False
        if not all(isinstance(c, dict) and c.get("kind") in ("t1", "t3", "more") for c in children):
            return False
    return True


KIND = register(
    Kind(
        name="reddit",
        description="Reddit search (Listing of t3/t1) through OAuth client credentials, paged by after",
        start_urls=start_urls,
        parse=parse,
        needs_service=False,
        complaints=True,
        detect=detect,
        start_requests=start_requests,
        follow=follow,
    )
)
