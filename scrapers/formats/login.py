"""Token login, then search pages: what the Bluesky and Reddit kinds share (not a kind: it registers nothing).

Both read a search behind a login the same way:

1. a login request whose answer holds a bearer token (``keep_body=False``: the crawl neither stores nor parses it),
   with ``meta = {"step": <the login step>, "search_url", "since", "until"}`` (:func:`read_window`);
2. on that answer, :func:`follow_login` asks for the first search page with ``Authorization: <scheme> <token>``;
3. on each page, the kind finds the next page's cursor (:func:`next_cursor` holds the stopping rules both share) and
   :func:`follow_page` asks for it with the same token.

The kind says how its login answer names the token, how it spells the scheme and how its search URLs are built
(:class:`TokenLogin`).

Where the token lives. A later page needs the token again, but ``meta`` is recorded with every fetch, so the token
never goes there: it travels in ``RequestSpec.carry``, which the crawl hands back with the response as
``Document.carried`` and never sends, stores or logs. ``meta["session"]`` is a random name for one login, so that
the fetch records show which pages belong together; it is not a secret and opens nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scrapers.jsonbody import load_json
from scrapers.records import Document, ParseError
from scrapers.registry import RequestSpec, SkipSource, SourceContext
from scrapers.timeparse import parse_optional_iso_utc
from scrapers.urls import iso_z

WINDOW_KEYS = ("search_url", "since", "until")


@dataclass(frozen=True, slots=True)
class TokenLogin:
    """How one kind logs in and searches."""

    kind: str  # the kind's name, for messages
    step: str  # meta["step"] of the login request, and what messages call it: "session", "token"
    token_key: str  # the field of the login answer that holds the bearer token
    scheme: str  # the Authorization scheme as the service spells it: "Bearer", "bearer"
    credentials: str  # the variables to check when no token comes back (names, never values)
    # The search URL: (pasted search, read window from meta, page cursor or None for the first page) -> URL.
    search_url: Callable[[str, Mapping[str, Any], str | None], str]
    user_agent: str | None = None  # sent with every search unless the login carried its own

    def is_login(self, doc: Document) -> bool:
        return doc.meta.get("step") == self.step


def credentials(context: SourceContext, id_var: str, secret_var: str, needs: str) -> tuple[str, str]:
    """An identifier (surrounding spaces dropped) and a secret (as given) from the environment; SkipSource when either
    is unset: ``needs`` says what to set, and the message names only the unset variables, never a value."""
    identifier = (context.env.get(id_var) or "").strip()
    secret = context.env.get(secret_var) or ""
    missing = [name for name, value in ((id_var, identifier), (secret_var, secret)) if not value]
    if missing:
        raise SkipSource(f"{needs} in the environment ({' and '.join(missing)} not set)")
    return identifier, secret


def read_window(context: SourceContext) -> dict[str, str]:
    """The meta a login request takes along for the searches after it: the pasted search and the read window."""
    return {"search_url": context.url, "since": iso_z(context.since), "until": iso_z(context.until)}


def window_meta(doc: Document) -> dict[str, Any]:
    return {key: doc.meta[key] for key in WINDOW_KEYS if doc.meta.get(key) is not None}


def carried(doc: Document) -> Mapping[str, str]:
    """What the request that fetched ``doc`` handed on (the token, a User-Agent read from the environment)."""
    return doc.carried


def _token(doc: Document, login: TokenLogin) -> str:
    data = load_json(doc)
    token = data.get(login.token_key) if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        error = data.get("error") if isinstance(data, dict) else None
        raise ParseError(
            f"{login.kind} {login.step} request to {doc.url} returned no {login.token_key}"
            + (f" (error {str(error)[:80]!r})" if error else "")
            + f"; check {login.credentials}"
        )
    return token


def _search(login: TokenLogin, url: str, session: str, carry: Mapping[str, str], window: dict[str, Any]) -> RequestSpec:
    headers = {"Authorization": f"{login.scheme} {carry['token']}"}
    agent = carry.get("user_agent") or login.user_agent
    if agent:
        headers["User-Agent"] = agent
    headers["Accept"] = "application/json"
    # Headers are sent, never stored or logged by the crawl; carry comes back with the response, never recorded.
    return RequestSpec(url=url, headers=headers, meta={**window, "step": "search", "session": session}, carry=carry)


def follow_login(doc: Document, login: TokenLogin) -> list[RequestSpec]:
    """The first search page, with the token the login answer holds."""
    token = _token(doc, login)
    pasted = doc.meta.get("search_url")
    if not isinstance(pasted, str) or not pasted:
        raise ParseError(f"{login.kind} {login.step} document from {doc.url} lacks meta search_url")
    session = str(doc.meta.get("session") or "") or secrets.token_hex(8)
    carry = {**carried(doc), "token": token}
    window = window_meta(doc)
    return [_search(login, login.search_url(pasted, window, None), session, carry, window)]


def next_cursor(
    doc: Document, param: str, cursor: object, has_items: bool, oldest: Callable[[], datetime]
) -> str | None:
    """The next page's cursor, or None where paging stops: an empty page, no cursor, the cursor this page was read
    with (stop rather than loop), or a page whose ``oldest()`` item reaches back past the read window's start."""
    if not has_items or not isinstance(cursor, str) or not cursor:
        return None
    if cursor == dict(parse_qsl(urlsplit(doc.url).query)).get(param):
        return None
    since = parse_optional_iso_utc(doc.meta.get("since"), what="meta since")
    if since is not None and oldest() < since:
        return None
    return cursor


def follow_page(doc: Document, login: TokenLogin, cursor: str) -> list[RequestSpec]:
    """The page at ``cursor`` after ``doc``, with the token ``doc`` was fetched with; none without a token."""
    carry = carried(doc)
    if not carry.get("token"):
        return []  # nothing handed on (a document read back from the store, or from another process): stop
    window = window_meta(doc)
    url = login.search_url(str(window.get("search_url") or doc.url), window, cursor)
    return [_search(login, url, str(doc.meta.get("session") or ""), carry, window)]
