"""Mastodon public hashtag timelines: ``GET https://<instance>/api/v1/timelines/tag/<tag>``. No credentials.

Catalog url: the timeline as a person would paste it, e.g. ``https://mastodon.social/api/v1/timelines/tag/outage``,
maybe with a query (``any[]=down``, ``local=true``...). Each instance sees only the posts federated to it, so several
instances are several sources; the same post read on two of them has one ``uri``, which is its identity.

Requests. :func:`start_requests` asks for the newest page with ``limit=40`` (Mastodon's maximum; a pasted ``max_id``
or ``min_id`` is dropped: ``min_id`` would page forward from the oldest) and puts the read window in
``meta["since"]``/``meta["until"]`` (ISO 8601, UTC). :func:`follow` asks for the next, older page with ``max_id`` =
the smallest status id on this page (ids are numbers in strings; compared as numbers), as the ``Link: rel="next"``
header would, and stops when a page is empty, when its oldest post is older than ``since``, or when the ids stop
going down. The instance allows 300 requests per 5 minutes per IP (``X-RateLimit-*`` headers).

Refusals. Since Mastodon 3.0 an instance may require a login for hashtag timelines (4.5 calls it
``timelines_access.hashtag_feeds``: ``public``, ``authenticated`` or ``disabled``); it then answers 401 or 422 with
``{"error": "..."}``. :func:`parse` turns that body into a ParseError saying the instance does not allow public
hashtag timelines, using ``meta["http_status"]`` when the crawl recorded it and the error text when it did not.

Normalization. Each status is a :class:`Post`: ``native_id`` = the instance's status ``id``; ``uri`` = the status
``uri`` (global); ``url``; ``posted_at`` = ``created_at`` in UTC; ``author`` = ``acct`` as ``user@domain``, the same on
every instance (a local account's ``acct`` has no domain: it gets the host of the account's profile ``url``; the
account ``uri``, global too, exists only since Mastodon 4.2 and is not used, so that every version agrees);
``text`` = the content warning (``spoiler_text``) and the ``content`` HTML as plain text; ``lang`` = ``language``.
A boost (``reblog``) is read as the post it boosts.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scrapers.jsonbody import decode_text, load_json
from scrapers.kinds.feed import html_to_text
from scrapers.records import Document, Parsed, ParseError, Post
from scrapers.registry import Kind, RequestSpec, SourceContext, register
from scrapers.timeparse import parse_iso_utc, parse_optional_iso_utc
from scrapers.urls import iso_z as _iso
from scrapers.urls import with_query

LIMIT = 40
REFUSING_STATUSES = (401, 403, 422)
# Words of the error a Mastodon instance sends when a timeline needs a login (401 "The access token is invalid",
# 422 "This method requires an authenticated user"), for bodies recorded without their HTTP status.
_LOGIN_WORDS = ("authenticated", "access token", "authorized", "authorised", "log in", "login", "sign in")


def start_urls(url: str) -> list[str]:
    return [url]


def start_requests(context: SourceContext) -> list[RequestSpec]:
    return [
        RequestSpec(
            url=with_query(context.url, {"limit": str(LIMIT)}, drop=("max_id", "min_id")),
            headers={"Accept": "application/json"},
            meta={"since": _iso(context.since), "until": _iso(context.until)},
        )
    ]


def _instance(doc: Document) -> str:
    return urlsplit(doc.url).netloc or doc.url


def _refusal(doc: Document, data: dict[str, Any]) -> ParseError:
    error = " ".join(str(data.get("error") or "").split())[:300]
    detail = str(data.get("error_description") or "")[:300]
    status = doc.meta.get("http_status")
    said = f"{error} ({detail})" if detail else error
    refused = status in REFUSING_STATUSES if isinstance(status, int) else any(w in said.lower() for w in _LOGIN_WORDS)
    answered = f"HTTP {status}: " if isinstance(status, int) else ""
    if refused:
        return ParseError(
            f"instance {_instance(doc)} does not allow public hashtag timelines ({answered}{said!r}); it requires a "
            "logged-in account for them. Read this tag on another instance, or drop this source"
        )
    return ParseError(f"instance {_instance(doc)} answered {doc.url} with an error ({answered}{said!r})")


def _statuses(doc: Document) -> list[dict[str, Any]]:
    data = load_json(doc)
    if isinstance(data, dict) and "error" in data:
        raise _refusal(doc, data)
    if not isinstance(data, list):
        raise ParseError(f"{doc.url}: expected a JSON array of statuses, got {type(data).__name__}")
    for position, status in enumerate(data):
        if not isinstance(status, dict) or not status.get("id") or not status.get("uri"):
            raise ParseError(f"{doc.url}: item {position} is not a status (no id or uri)")
    return data


def _id_number(status: dict[str, Any], where: str) -> int:
    try:
        return int(str(status["id"]))
    except ValueError:
        raise ParseError(f"{where}: status id {status['id']!r} is not a number") from None


def follow(doc: Document) -> list[RequestSpec]:
    """The next older page, or nothing at an empty page, at a page reaching back past ``since``, or without progress."""
    statuses = _statuses(doc)
    if not statuses:
        return []
    oldest_id = min(_id_number(status, doc.url) for status in statuses)
    since = parse_optional_iso_utc(doc.meta.get("since"), what="meta since")
    oldest_at = min(parse_iso_utc(s.get("created_at"), what=f"{doc.url} status {s['id']} created_at") for s in statuses)
    if since is not None and oldest_at < since:
        return []
    current = dict(parse_qsl(urlsplit(doc.url).query)).get("max_id")
    if current is not None and current.isdigit() and oldest_id >= int(current):
        return []  # the instance ignored max_id: stop rather than read the same page again
    return [
        RequestSpec(
            url=with_query(doc.url, {"max_id": str(oldest_id)}),
            headers={"Accept": "application/json"},
            meta={key: doc.meta[key] for key in ("since", "until") if key in doc.meta},
        )
    ]


def _author(account: Any, doc: Document, where: str) -> str:
    """``user@domain`` on every instance: a remote account's ``acct`` already is; a local one gets the host of its
    profile ``url`` (else of the instance asked)."""
    if not isinstance(account, dict):
        raise ParseError(f"{where}: status without an account")
    acct = str(account.get("acct") or account.get("username") or "").lstrip("@")
    if not acct:
        raise ParseError(f"{where}: account without acct")
    if "@" in acct:
        return acct
    home = urlsplit(str(account.get("url") or "")).netloc or _instance(doc)
    return f"{acct}@{home}"


def _post(status: dict[str, Any], doc: Document) -> Post:
    where = f"{doc.url} status {status['id']}"
    shown = status["reblog"] if isinstance(status.get("reblog"), dict) else status
    parts = [" ".join(str(shown.get("spoiler_text") or "").split()), html_to_text(str(shown.get("content") or ""))]
    language = shown.get("language")
    return Post(
        native_id=str(shown.get("id") or status["id"]),
        uri=str(shown.get("uri") or status["uri"]),
        url=str(shown["url"]) if shown.get("url") else None,
        posted_at=parse_iso_utc(shown.get("created_at"), what=f"{where} created_at"),
        author=_author(shown.get("account"), doc, where),
        text="\n".join(part for part in parts if part),
        lang=str(language) if language else None,
    )


def parse(doc: Document) -> Parsed:
    return Parsed(posts=[_post(status, doc) for status in _statuses(doc)])


def detect(body: bytes) -> bool:
    """A JSON array of Mastodon statuses (each with id, uri, created_at, content and an account)."""
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"[":
        return False
    try:
        data = json.loads(decode_text(body))
    except (ParseError, ValueError):
        return False
    keys = {"id", "uri", "created_at", "content", "account"}
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(s, dict) and keys <= set(s) and isinstance(s["account"], dict) for s in data)
    )


KIND = register(
    Kind(
        name="mastodon",
        description="Mastodon public hashtag timeline (/api/v1/timelines/tag/<tag>), paged by max_id",
        start_urls=start_urls,
        parse=parse,
        needs_service=False,
        complaints=True,
        detect=detect,
        start_requests=start_requests,
        follow=follow,
    )
)
