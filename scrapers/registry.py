"""The one registry of source kinds.

A kind is one module of :mod:`scrapers.kinds` that defines ``KIND = Kind(...)``; the registry finds them by listing the
package (``pkgutil``), as Scrapy finds spiders, so adding a kind is adding its file. Everything the rest of the code
asks about a kind is a field of :class:`Kind`; no module outside a kind names one.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

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


Category = Literal["status", "complaints"]


@dataclass(frozen=True, slots=True)
class Kind:
    """A source format: which URLs a catalog entry starts with, and how a fetched body becomes records."""

    name: str
    description: str
    start_urls: Callable[[str], list[str]]
    parse: Callable[[Document], Parsed]
    needs_service: bool  # whether a catalog entry of this kind must name the service it reports on
    # "status": a provider's own account (incidents, components); "complaints": what its users say (posts, counts).
    category: Category
    # Catalog URLs of this kind, one for each route it reads (the fuzz tests start from these).
    example_urls: tuple[str, ...]
    # Whether a saved payload looks like this kind (for `outages parse FILE` without --kind); None: never guessed.
    detect: Callable[[bytes], bool] | None = None
    # Complaint sources page and authenticate. start_requests replaces start_urls when given (it may raise
    # SkipSource); follow returns the next requests a fetched document calls for (next page, the search after a
    # login). Both are pure: they see only the context or document they are given (a token a later page needs
    # again travels in RequestSpec.carry and comes back as Document.carried, never in meta; until the crawl hands
    # it back, scrapers/formats/login.py also keeps a copy in memory).
    start_requests: Callable[[SourceContext], list[RequestSpec]] | None = None
    follow: Callable[[Document], list[RequestSpec]] | None = None
    # Whether its records depend on when a body was fetched, not only on its bytes (a phase read against the fetch
    # time, a series anchored at it): an unchanged body of such a kind is parsed again, never resighted.
    clock_dependent: bool = False
    # The file-name prefix of its fixtures in tests/fixtures and tests/fixtures/complaints (None: its name and "_"),
    # the seeds the fuzz tests mutate.
    fixtures: str | None = None

    @property
    def fixture_prefix(self) -> str:
        return self.fixtures if self.fixtures is not None else f"{self.name}_"

    # Its set-based reader, "module:NAME" of a scrapers.bulk_common.BulkReader: the parse stage defers its bodies to
    # DuckDB (scrapers/bulk_parse.py), importing the module only then. None: the Python parser reads every body.
    bulk_reader: str | None = None

    # Whether a catalog entry may name a local file (a path, relative to the catalog's folder, or a file:// URL):
    # an export read once. Only the entry's own URL is read from disk; a follow-up URL is always http(s).
    reads_files: bool = False


KINDS_PACKAGE = "scrapers.kinds"
_KINDS: dict[str, Kind] = {}
_BUILTINS_LOADED = False


def register(kind: Kind) -> Kind:
    """Add a kind; a second kind with the same name is a programming error."""
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"source kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def discover(package: str) -> list[str]:
    """Import every module of ``package`` and register the ``KIND`` each defines; return their names.

    A module there that defines no kind is an error: helpers several kinds share live outside the package
    (:mod:`scrapers.formats`), so that no kind imports another.
    """
    found = []
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__, f"{package}."):
        kind = getattr(importlib.import_module(info.name), "KIND", None)
        if not isinstance(kind, Kind):
            raise TypeError(f"{info.name} defines no KIND: every module of {package} is one source kind")
        found.append(register(kind).name)
    return found


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        discover(KINDS_PACKAGE)


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
