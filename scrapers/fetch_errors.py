"""Why a fetch failed, in words a reader can act on: the HTTP status or transport error, and what the error body
itself says when the source's kind can read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapers import registry
from scrapers.bodystore import body_path
from scrapers.records import Document, ParseError
from scrapers.timeparse import parse_iso_utc


def failure_reason(store: Path, kind: str, fetch: dict[str, Any]) -> str:
    """The reason recorded for a failed fetch record (``store``: the body store its error body went to)."""
    return _fetch_reason(fetch) + _error_body_reason(store, kind, fetch)


def _error_body_reason(store: Path, kind: str, fetch: dict[str, Any]) -> str:
    """What the error body itself says, when the kind can read it (Mastodon: "hashtag timelines are disabled")."""
    if not fetch.get("sha256"):
        return ""
    path = body_path(store, fetch["sha256"])
    if not path.exists():
        return ""
    doc = Document(
        source_id=fetch["source_id"],
        url=fetch["url"],
        body=path.read_bytes(),
        content_type=fetch.get("content_type"),
        fetched_at=parse_iso_utc(fetch["fetched_at"], what="fetched_at"),
        meta=json.loads(fetch.get("meta") or "{}"),
    )
    try:
        registry.get(kind).parse(doc)
    except ParseError as exc:
        return f": {exc}"
    return ""


def _fetch_reason(fetch: dict[str, Any]) -> str:
    status = fetch.get("http_status")
    error = str(fetch.get("error") or "")
    if status is not None:
        # "HTTP 503" → "HTTP 503 from the server"; a longer error (a refused redirect, why no retry) is kept whole
        detail = error.removeprefix(f"HTTP {status}").lstrip(":; ")
        return f"HTTP {status} from the server" + (f"; {detail}" if detail else "")
    return error
