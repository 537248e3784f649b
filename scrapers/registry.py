"""The one registry of source kinds. Built-in kinds register through the same call a new kind would use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scrapers.records import Document, Parsed


class SkipSource(Exception):
    """A source that cannot run here and now for a reason that is not a failure (e.g. no credentials set)."""


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """One request a kind asks the crawl to make."""

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    # False for responses that carry secrets (an auth token): the body is used, never stored or parsed.
    keep_body: bool = True
    meta: Mapping[str, Any] = field(default_factory=dict)  # handed back to the kind as Document.meta, and recorded
    # What the kind needs again to follow this request's response and must never be kept (the bearer token of a
    # login, for the next page): handed back as Document.carried with the response; never sent, stored or logged.
    carry: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What a kind knows when it plans a source's first requests."""

    source_id: str
    url: str
    since: datetime  # read posts from this time on (ingest --since, or the last successful read, or 24 h)
    until: datetime  # up to this time (the run's clock)
    env: Mapping[str, str]  # where credentials come from; never logged, stored or echoed


@dataclass(frozen=True, slots=True)
class Kind:
    """A source format: which URLs a catalog entry starts with, and how a fetched body becomes records."""

    name: str
    description: str
    start_urls: Callable[[str], list[str]]
    parse: Callable[[Document], Parsed]
    needs_service: bool  # whether a catalog entry of this kind must name the service it reports on
    # Whether a saved payload looks like this kind (for `outages parse FILE` without --kind); None: never guessed.
    detect: Callable[[bytes], bool] | None = None
    # Complaint sources page and authenticate. start_requests replaces start_urls when given (it may raise
    # SkipSource); follow returns the next requests a fetched document calls for (next page, the search after a
    # login). Both are pure: they see only the context or document they are given (a token a later page needs
    # again travels in RequestSpec.carry and comes back as Document.carried, never in meta; until the crawl hands
    # it back, scrapers/kinds/_login.py also keeps a copy in memory).
    start_requests: Callable[[SourceContext], list[RequestSpec]] | None = None
    follow: Callable[[Document], list[RequestSpec]] | None = None
    # Whether the kind reads what users say (complaint counts or posts) rather than what a provider posts: a service
    # whose only sources are such kinds has no status source, so nothing it did not post can be called unacknowledged.
    complaints: bool = False


_KINDS: dict[str, Kind] = {}
_BUILTINS_LOADED = False


def register(kind: Kind) -> Kind:
    """Add a kind; a second kind with the same name is a programming error."""
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"source kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        importlib.import_module("scrapers.kinds")


def get(name: str) -> Kind:
    _load_builtins()
    try:
        return _KINDS[name]
    except KeyError:
        raise KeyError(f"unknown source kind {name!r}; known kinds: {', '.join(names())}") from None


def detect(body: bytes) -> list[str]:
    """The kinds whose detector accepts this payload, in registry order."""
    _load_builtins()
    found = []
    for name in sorted(_KINDS):
        detector = _KINDS[name].detect
        if detector is not None and detector(body):
            found.append(name)
    return found


def names() -> list[str]:
    _load_builtins()
    return sorted(_KINDS)


def first_requests(kind: Kind, context: SourceContext) -> list[RequestSpec]:
    """The requests a catalog entry starts with: the kind's own plan, or one GET per start URL."""
    if kind.start_requests is not None:
        return kind.start_requests(context)
    return [RequestSpec(url=url) for url in kind.start_urls(context.url)]
