"""The normalized records every parser returns, and the one error type parsers raise.

Parsers are pure functions from a fetched :class:`Document` to :class:`Parsed` records. They never do I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from scrapers.vocabulary import (
    COMPONENT_STATES,
    IMPACTS,
    UPDATE_STATUSES,
    ComponentState,
    Impact,
    UpdateStatus,
)

__all__ = [
    "COMPONENT_STATES",
    "IMPACTS",
    "RECORD_TABLES",
    "UPDATE_STATUSES",
    "ComplaintCount",
    "Component",
    "ComponentChange",
    "ComponentState",
    "Document",
    "Impact",
    "Incident",
    "IncidentUpdate",
    "ParseError",
    "Parsed",
    "Post",
    "UpdateStatus",
    "field_names",
    "field_values",
    "record_to_json",
]


class ParseError(ValueError):
    """A payload could not be read as the format its kind expects.

    The only exception a parser raises on bad input; the message says what was wrong in words a person can act on.
    """


@dataclass(frozen=True, slots=True)
class Document:
    """One fetched body, as the crawl kept it."""

    source_id: str
    url: str
    body: bytes
    content_type: str | None
    fetched_at: datetime
    # What the request that fetched it carried for its kind (page cursors, the read window, an auth step...).
    meta: dict[str, Any] = field(default_factory=dict)
    # What that request handed on and must never be kept (RequestSpec.carry: a bearer token). Only the crawl sets it,
    # for the kind's follow; a document read back from the store has none. Out of repr, so no log line shows it.
    carried: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class Post:
    """A public post by a user (Mastodon status, Hacker News item, Bluesky post, Reddit submission or comment)."""

    native_id: str
    uri: str  # the post's global identity: the same post seen on two Mastodon instances has one uri
    url: str | None  # where a person can read it
    posted_at: datetime
    author: str  # the author's handle or id; the warehouse stores only a salted hash of it
    text: str  # plain text, HTML removed
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident as one document describes it (an observation; the warehouse accumulates them)."""

    native_id: str
    title: str
    impact: Impact | None  # None: this document states no impact (e.g. AWS status 0 once resolved)
    impact_native: str | None
    status: UpdateStatus
    status_native: str | None
    started_at: datetime | None
    resolved_at: datetime | None
    url: str | None
    service_key: str | None = None  # the provider's own sub-service key, e.g. "ec2-us-east-1"
    region: str | None = None  # the first of ``regions``
    regions: tuple[str, ...] = ()  # every region or location the provider names as affected
    component_ids: tuple[str, ...] = ()  # native ids of the components the incident affects
    # The impact window the provider admits after the fact ("Between 7:32 AM and 3:10 PM PST…"; GCP begin/end).
    declared_start: datetime | None = None
    declared_end: datetime | None = None


@dataclass(frozen=True, slots=True)
class IncidentUpdate:
    """One official post on an incident."""

    incident_native_id: str
    native_id: str
    posted_at: datetime  # when the provider shows it as posted (Statuspage `display_at`)
    created_at: datetime | None
    status: UpdateStatus
    status_native: str | None
    body: str


@dataclass(frozen=True, slots=True)
class Component:
    """A component (product, feature, region) of a status page, in the state this document shows."""

    native_id: str
    name: str
    group_name: str | None
    state: ComponentState
    state_native: str | None


@dataclass(frozen=True, slots=True)
class ComponentChange:
    """A component state change the provider itself recorded (Statuspage ``affected_components``)."""

    component_native_id: str
    changed_at: datetime
    state: ComponentState
    state_native: str | None
    old_state: ComponentState | None = None
    incident_native_id: str | None = None


@dataclass(frozen=True, slots=True)
class ComplaintCount:
    """A count of user reports for one service in one time bucket."""

    service: str  # a catalog service id or alias; the flow resolves it
    bucket_start: datetime
    reports: int
    baseline: float | None = None


@dataclass(slots=True)
class Parsed:
    """What a parser returns: one list per record type. This is the one list of record types: each field's name is
    its landing table (``scrapers/landing.py``), whose load step is ``warehouse/load_sql/NN_<name>.sql``; its
    ``record`` metadata is what one record is called where they are printed together (``outages parse``)."""

    incidents: list[Incident] = field(default_factory=list, metadata={"record": "incident"})
    updates: list[IncidentUpdate] = field(default_factory=list, metadata={"record": "update"})
    counts: list[ComplaintCount] = field(default_factory=list, metadata={"record": "count"})
    components: list[Component] = field(default_factory=list, metadata={"record": "component"})
    component_changes: list[ComponentChange] = field(default_factory=list, metadata={"record": "component_change"})
    posts: list[Post] = field(default_factory=list, metadata={"record": "post"})

    def extend(self, other: Parsed) -> None:
        for name in RECORD_TABLES:
            getattr(self, name).extend(getattr(other, name))

    def __len__(self) -> int:
        return sum(len(getattr(self, name)) for name in RECORD_TABLES)

    def by_type(self) -> Iterator[tuple[str, list[Any]]]:
        """(what a record of the type is called, its records) for every record type, in field order."""
        for spec in dataclasses.fields(self):
            yield spec.metadata["record"], getattr(self, spec.name)


# The record types' lists, by field name: the landing tables of parsed records.
RECORD_TABLES: tuple[str, ...] = tuple(spec.name for spec in dataclasses.fields(Parsed))


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(record_type: type) -> tuple[str, ...]:
    """The field names of a record class. dataclasses.fields() rebuilds its answer on every call, and a big run asks
    hundreds of thousands of times."""
    names = _FIELD_NAMES.get(record_type)
    if names is None:
        names = _FIELD_NAMES[record_type] = tuple(f.name for f in dataclasses.fields(record_type))
    return names


_FIELD_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def field_values(record: Any) -> tuple[Any, ...]:
    """The values of a record's fields, in :func:`field_names` order (one C call for them all)."""
    getter = _FIELD_GETTERS.get(type(record))
    if getter is None:
        names = field_names(type(record))
        getter = _FIELD_GETTERS[type(record)] = (
            attrgetter(*names) if len(names) > 1 else lambda r: (getattr(r, names[0]),)
        )
    return getter(record)


# The ISO 8601 text of the UTC datetimes records hold, by value: a document repeats its times (an update's display
# time is its creation time and the time of the component changes it records), and the parsers' timestamp cache hands
# out equal values. Only exact ``datetime`` in ``UTC`` is kept: equal values then have the same text (an equal instant
# in another zone would not). Cleared when full.
_ISO_TEXT: dict[datetime, str] = {}
_ISO_TEXT_MAX = 65536


def _json_value(value: Any) -> Any:
    """A record's field value that is neither None nor a string, made JSON-ready."""
    if type(value) is datetime and value.tzinfo is UTC:
        text = _ISO_TEXT.get(value)
        if text is None:
            if len(_ISO_TEXT) >= _ISO_TEXT_MAX:
                _ISO_TEXT.clear()
            text = _ISO_TEXT[value] = value.isoformat()
        return text
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def record_to_json(record: Any) -> dict[str, Any]:
    """A record as a JSON-ready dict: datetimes as ISO 8601 strings in UTC."""
    out: dict[str, Any] = {}
    for name in field_names(type(record)):
        value = getattr(record, name)
        # most values are strings or None: one type test settles them (a str subclass is neither datetime nor tuple)
        out[name] = value if value is None or type(value) is str else _json_value(value)
    return out
