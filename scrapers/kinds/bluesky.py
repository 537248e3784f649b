"""Bluesky posts from ``app.bsky.feed.searchPosts``, read with an app-password session.

Credentials: ``BLUESKY_HANDLE`` and ``BLUESKY_APP_PASSWORD`` (an app password from Settings → Privacy and security →
App passwords, never the account password). Without both, :func:`start_requests` raises SkipSource and the source is
skipped with a message naming the variables (never their values). Search has needed a session since 2025:
``public.api.bsky.app`` answers 403 without one (bluesky-social/atproto#3423).

Catalog url: the search as a person would paste it, e.g. ``https://api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=outage``
(other parameters such as ``lang`` are kept; ``public.api.bsky.app`` is read as ``api.bsky.app``, which serves
authenticated search).

Requests (the login and paging are :mod:`scrapers.kinds._login`'s, shared with Reddit).
1. ``POST https://bsky.social/xrpc/com.atproto.server.createSession`` with ``{"identifier", "password"}`` as JSON,
   ``keep_body=False`` (its answer holds the tokens, so the crawl neither stores nor parses it) and
   ``meta = {"step": "session", "search_url", "since", "until"}``.
2. :func:`follow` on that session document reads ``accessJwt`` and asks for the search with ``since``/``until`` of the
   read window (ISO 8601, UTC), ``limit=100``, ``sort=latest`` and ``Authorization: Bearer <accessJwt>``.
3. :func:`follow` on a search page asks for the next page with its ``cursor``, until a page has no cursor, no posts,
   or reaches back past ``since``.
The bearer token lives only in request headers, which the crawl sends and never records, and in the requests'
``carry``, which comes back with the response for the next page and is never recorded either; never in ``meta``
(``meta["session"]`` only names the login). A page that comes without the token ends the paging.

Normalization. Each postView is a :class:`Post`: ``native_id`` and ``uri`` = the post's ``at://`` uri; ``url`` =
``https://bsky.app/profile/<handle>/post/<rkey>`` (the DID when the handle is ``handle.invalid``); ``posted_at`` =
the earlier of ``record.createdAt`` and ``indexedAt``, as Bluesky sorts and filters (``sortAt``): a client may
backdate or future-date ``createdAt``, never ``indexedAt``; ``author`` = ``author.did`` (permanent; handles change),
else ``author.handle``; ``text`` = ``record.text``; ``lang`` = the first of ``record.langs``. A session document
(``meta["step"] == "session"``) parses to nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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
from scrapers.timeparse import parse_optional_iso_utc
from scrapers.urls import with_query

SESSION_URL = "https://bsky.social/xrpc/com.atproto.server.createSession"
HANDLE_VAR = "BLUESKY_HANDLE"
PASSWORD_VAR = "BLUESKY_APP_PASSWORD"
LIMIT = 100
PUBLIC_HOST = "public.api.bsky.app"
SEARCH_HOST = "api.bsky.app"


def start_urls(url: str) -> list[str]:
    return [url]


def start_requests(context: SourceContext) -> list[RequestSpec]:
    needs = f"bluesky search needs a session: set {HANDLE_VAR} and {PASSWORD_VAR} (an app password)"
    handle, password = credentials(context, HANDLE_VAR, PASSWORD_VAR, needs)
    return [
        RequestSpec(
            url=SESSION_URL,
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            body=json.dumps({"identifier": handle, "password": password}).encode("utf-8"),
            keep_body=False,  # the answer carries access and refresh tokens
            meta={"step": "session", **read_window(context)},
        )
    ]


def search_url(pasted: str, since: str | None, until: str | None, cursor: str | None = None) -> str:
    """The pasted search on the authenticated host, for the read window, newest first, 100 a page."""
    parts = urlsplit(pasted)
    if parts.netloc == PUBLIC_HOST:
        pasted = urlunsplit(parts._replace(netloc=SEARCH_HOST))
    updates = {"limit": str(LIMIT), "sort": "latest"}
    if since:
        updates["since"] = since
    if until:
        updates["until"] = until
    if cursor:
        updates["cursor"] = cursor
    return with_query(pasted, updates, drop=("cursor",))


def _search_url(pasted: str, window: Mapping[str, Any], cursor: str | None) -> str:
    return search_url(pasted, window.get("since"), window.get("until"), cursor)


LOGIN = TokenLogin(
    kind="bluesky",
    step="session",
    token_key="accessJwt",
    scheme="Bearer",
    credentials=f"{HANDLE_VAR} and {PASSWORD_VAR}",
    search_url=_search_url,
)


def _page(doc: Document) -> dict[str, Any]:
    data = load_json(doc)
    if not isinstance(data, dict):
        raise ParseError(f"{doc.url}: expected a searchPosts object, got {type(data).__name__}")
    if "posts" not in data:
        if data.get("error") or data.get("message"):
            status = doc.meta.get("http_status")
            raise ParseError(
                f"{doc.url}: Bluesky answered with an error"
                + (f" (HTTP {status})" if status else "")
                + f": {str(data.get('error') or '')[:80]} {str(data.get('message') or '')[:200]}".rstrip()
            )
        raise ParseError(f"{doc.url}: not a searchPosts result (no 'posts'; keys: {', '.join(sorted(data)[:8])})")
    if not isinstance(data["posts"], list):
        raise ParseError(f"{doc.url}: 'posts' is not a list")
    return data


def follow(doc: Document) -> list[RequestSpec]:
    if LOGIN.is_login(doc):
        return follow_login(doc, LOGIN)
    data = _page(doc)
    posts = data["posts"]
    cursor = next_cursor(
        doc, "cursor", data.get("cursor"), bool(posts), lambda: min(_post(p, doc.url).posted_at for p in posts)
    )
    return [] if cursor is None else follow_page(doc, LOGIN, cursor)


def _post(raw: Any, where: str) -> Post:
    if not isinstance(raw, dict) or not isinstance(raw.get("uri"), str) or not raw["uri"].startswith("at://"):
        raise ParseError(f"{where}: a post without an at:// uri")
    uri = raw["uri"]
    where = f"{where} post {uri}"
    author = raw.get("author")
    record = raw.get("record")
    if not isinstance(author, dict) or not isinstance(record, dict):
        raise ParseError(f"{where}: post without author or record")
    handle = str(author.get("handle") or "")
    did = str(author.get("did") or "")
    if not did and not handle:
        raise ParseError(f"{where}: author without did or handle")
    indexed = parse_optional_iso_utc(raw.get("indexedAt"), what=f"{where} indexedAt")
    try:
        created = parse_optional_iso_utc(record.get("createdAt"), what=f"{where} record.createdAt")
    except ParseError:
        if indexed is None:
            raise
        created = None  # a client wrote a createdAt we cannot read; the AppView's indexedAt still dates the post
    times = [t for t in (created, indexed) if t is not None]
    if not times:
        raise ParseError(f"{where}: no record.createdAt or indexedAt")
    profile = handle if handle and handle != "handle.invalid" else did
    rkey = uri.rstrip("/").rsplit("/", 1)[-1]
    langs = record.get("langs")
    return Post(
        native_id=uri,
        uri=uri,
        url=f"https://bsky.app/profile/{profile}/post/{rkey}",
        posted_at=min(times),
        author=did or handle,
        text=str(record.get("text") or ""),
        lang=str(langs[0]) if isinstance(langs, list) and langs and langs[0] else None,
    )


def parse(doc: Document) -> Parsed:
    if LOGIN.is_login(doc):
        return Parsed()  # never kept, but say so if one is handed over
    return Parsed(posts=[_post(raw, doc.url) for raw in _page(doc)["posts"]])


def detect(body: bytes) -> bool:
    """A searchPosts answer: an object with a ``posts`` list of postViews (``at://`` uri, author, record)."""
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return False
    try:
        data = json.loads(decode_text(body))
    except (ParseError, ValueError):
        return False
    if not isinstance(data, dict) or not isinstance(data.get("posts"), list):
        return False
    posts = data["posts"]
    if not posts:
        return "hitsTotal" in data and set(data) <= {"posts", "cursor", "hitsTotal"}
    return all(
        isinstance(p, dict) and str(p.get("uri", "")).startswith("at://") and {"author", "record"} <= set(p)
        for p in posts
    )


KIND = register(
    Kind(
        name="bluesky",
        description="Bluesky post search (app.bsky.feed.searchPosts) with an app-password session, paged by cursor",
        start_urls=start_urls,
        parse=parse,
        needs_service=False,
        complaints=True,
        detect=detect,
        start_requests=start_requests,
        follow=follow,
    )
)
