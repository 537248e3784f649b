"""Which fetched bodies need no parse: the same bytes as their URL's previous good read, whose records the warehouse
already holds (a resighting row stands for them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scrapers import registry


@dataclass(frozen=True, slots=True)
class Previous:
    """What the warehouse knew of a URL before the run (``plan.json``'s validators): its latest good body, and
    whether that body, read again, needs no parse (``reusable``: see ``raw_documents``)."""

    sha256: str
    reusable: bool


def previous_documents(planned: Iterable[dict[str, Any]]) -> dict[tuple[str, str], Previous]:
    """(source id, url) -> the previous body of that URL, from the plan's validators."""
    found = {}
    for entry in planned:
        for validator in entry.get("validators") or ():
            key = (entry["source_id"], validator["url"])
            found[key] = Previous(sha256=validator["sha256"], reusable=bool(validator.get("reusable")))
    return found


def is_unchanged(previous: dict[tuple[str, str], Previous], source_id: str, kind: str, url: str, sha256: str) -> bool:
    """Whether a body is the one its URL's previous good read had, and the warehouse holds that body's records."""
    known = previous.get((source_id, url))
    if known is None or not known.reusable or known.sha256 != sha256:
        return False
    # A kind whose records depend on the fetch time gives other records from the same bytes later: always parsed.
    return kind not in {name for name in registry.names() if registry.get(name).clock_dependent}
