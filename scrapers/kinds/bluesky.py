"""Bluesky posts from ``app.bsky.feed.searchPosts``, read with an app-password session.

Credentials: ``BLUESKY_HANDLE`` and ``BLUESKY_APP_PASSWORD`` (an app password from Settings → Privacy and security →
App passwords, never the account password). Without both, :func:`start_requests` raises SkipSource and the source is
skipped with a message naming the variables (never their values). Search has needed a session since 2025:
``public.api.bsky.app`` answers 403 without one (bluesky-social/atproto#3423).

Catalog url: the search as a person would paste it, e.g. ``https://api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=outage``
(other parameters such as ``lang`` are kept; ``public.api.bsky.app`` is read as ``api.bsky.app``, which serves
authenticated search).

Requests.
1. ``POST https://bsky.social/xrpc/com.atproto.server.createSession`` with ``{"identifier", "password"}`` as JSON,
   ``keep_body=False`` (its answer holds the tokens, so the crawl neither stores nor parses it) and
   ``meta = {"step": "session", "search_url", "since", "until"}``.
2. :func:`follow` on that session document reads ``accessJwt`` and asks for the search with ``since``/``until`` of the
   read window (ISO 8601, UTC), ``limit=100``, ``sort=latest`` and ``Authorization: Bearer <accessJwt>``.
3. :func:`follow` on a search page asks for the next page with its ``cursor``, until a page has no cursor, no posts,
   or reaches back past ``since``.
The bearer token lives only in request headers, which the crawl sends and never records. A later page needs the token
again but sees only the previous page, so the token is also kept in this process's memory (:data:`_TOKENS`) under a
random reference; only the reference goes into ``meta`` (``meta["session"]``), and it means nothing outside the
process that made it. If the reference is unknown (another process), paging stops.

Normalization. Each postView is a :class:`Post`: ``native_id`` and ``uri`` = the post's ``at://`` uri; ``url`` =
``https://bsky.app/profile/<handle>/post/<rkey>`` (the DID when the handle is ``handle.invalid``); ``posted_at`` =
the earlier of ``record.createdAt`` and ``indexedAt``, as Bluesky sorts and filters (``sortAt``): a client may
backdate or future-date ``createdAt``, never ``indexedAt``; ``author`` = ``author.did`` (permanent; handles change),
else ``author.handle``; ``text`` = ``record.text``; ``lang`` = the first of ``record.langs``. A session document
(``meta["step"] == "session"``) parses to nothing.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from scrapers.jsonbody import decode_text, load_json
from scrapers.records import Document, Parsed, ParseError, Post
from scrapers.registry import Kind, RequestSpec, SkipSource, SourceContext, register
from scrapers.timeparse import parse_optional_iso_utc
from scrapers.urls import iso_z as _iso
from scrapers.urls import with_query

SESSION_URL = "https://bsky.social/xrpc/com.atproto.server.createSession"
HANDLE_VAR = "BLUESKY_HANDLE"
PASSWORD_VAR = "BLUESKY_APP_PASSWORD"
LIMIT = 100
PUBLIC_HOST = "public.api.bsky.app"
SEARCH_HOST = "api.bsky.app"

# Access tokens by the random reference their session's requests carry in meta. Process memory only: never logged,
# stored or put in meta; it is how a later page gets the bearer header its previous page could not hand on.
_TOKENS: dict[str, str] = {}


def start_urls(url: str) -> list[str]:
    return [url]


def start_requests(context: SourceContext) -> list[RequestSpec]:
    handle = (context.env.get(HANDLE_VAR) or "").strip()
    password = context.env.get(PASSWORD_VAR) or ""
    if not handle or not password:
        missing = [name for name, value in ((HANDLE_VAR, handle), (PASSWORD_VAR, password)) if not value]
        raise SkipSource(
            f"bluesky search needs a session: set {HANDLE_VAR} and {PASSWORD_VAR} (an app password) in the "
            f"environment ({' and '.join(missing)} not set)"
        )
    return [
        RequestSpec(
            url=SESSION_URL,
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            body=json.dumps({"identifier": handle, "password": password}).encode("utf-8"),
            keep_body=False,  # the answer carries access and refresh tokens
            meta={
                "step": "session",
                "search_url": context.url,
                "since": _iso(context.since),
                "until": _iso(context.until),
            },
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


def _search_request(url: str, token: str, session: str, meta: dict[str, Any]) -> RequestSpec:
    return RequestSpec(
        url=url,
        # Headers are sent, never stored or logged by the crawl: the bearer token lives only here (and in _TOKENS).
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        meta={**meta, "step": "search", "session": session},
    )


def _window_meta(doc: Document) -> dict[str, Any]:
    return {key: doc.meta[key] for key in ("search_url", "since", "until") if doc.meta.get(key) is not None}


def _follow_session(doc: Document) -> list[RequestSpec]:
    data = load_json(doc)
    token = data.get("accessJwt") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        error = data.get("error") if isinstance(data, dict) else None
        raise ParseError(
            f"bluesky session request to {doc.url} returned no accessJwt"
            + (f" (error {str(error)[:80]!r})" if error else "")
            + f"; check {HANDLE_VAR} and {PASSWORD_VAR}"
        )
    pasted = doc.meta.get("search_url")
    if not isinstance(pasted, str) or not pasted:
        raise ParseError(f"bluesky session document from {doc.url} lacks meta search_url")
    session = secrets.token_hex(8)
    _TOKENS[session] = token
    meta = _window_meta(doc)
    return [_search_request(search_url(pasted, meta.get("since"), meta.get("until")), token, session, meta)]


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


def _follow_search(doc: Document) -> list[RequestSpec]:
    data = _page(doc)
    cursor = data.get("cursor")
    if not data["posts"] or not isinstance(cursor, str) or not cursor:
        return []
    if cursor == dict(parse_qsl(urlsplit(doc.url).query)).get("cursor"):
        return []  # the same cursor again: stop rather than loop
    since = parse_optional_iso_utc(doc.meta.get("since"), what="meta since")
    if since is not None and min(_post(p, doc.url).posted_at for p in data["posts"]) < since:
        return []
    session = str(doc.meta.get("session") or "")
    token = _TOKENS.get(session)
    if token is None:
        return []  # the session lives in another process's memory: this run cannot read further pages
    meta = _window_meta(doc)
    url = search_url(str(meta.get("search_url") or doc.url), meta.get("since"), meta.get("until"), cursor)
    return [_search_request(url, token, session, meta)]


def follow(doc: Document) -> list[RequestSpec]:
    if doc.meta.get("step") == "session":
        return _follow_session(doc)
    return _follow_search(doc)


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
    if doc.meta.get("step") == "session":
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
        detect=detect,
        start_requests=start_requests,
        follow=follow,
    )
)
