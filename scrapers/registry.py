"""The one registry of source kinds. Built-in kinds register through the same call a new kind would use."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from scrapers.records import Document, Parsed


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
