"""Timestamps that cannot be true: one rule for every kind, applied after parsing (not in each parser).

Parsers read times in many ways (ISO 8601, epoch seconds, RSS dates, AWS's own phrases), so the check lives here,
where every parsed record passes on its way to the landing files:

- **before 2000-01-01** (e.g. 1970-01-01, epoch zero): a missing value some system filled with 0, never an event a
  status page or a complaint source could report;
- **more than one day in the future**: after both the fetch and the wall clock (a replay stamps fetches with a
  simulated past time, so the fetch time alone is no bound), by more than a day; a provider's clock or a field read
  wrongly. Planned work is exempt: an incident whose status is ``scheduled`` or whose impact is ``maintenance`` may
  lie in the future.

A record with such a time is not loaded (an incident takes its updates and component changes with it) and the source
gets an error row naming the first such record; the rest of the document loads normally. Timestamps without a zone
are refused earlier, by the parsers (:func:`scrapers.timeparse.parse_iso_utc`): that is a ParseError for the document.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapers.records import (
    ComplaintCount,
    ComponentChange,
    Incident,
    IncidentUpdate,
    Parsed,
    Post,
    field_names,
    field_values,
)

EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


def implausible_time(record: Any, fetched_at: datetime, now: datetime | None = None) -> str | None:
    """Why one of the record's timestamps cannot be true, or None when they all can."""
    return _implausible(record, fetched_at, max(fetched_at, now or datetime.now(UTC)) + FUTURE_SLACK)


def _implausible(record: Any, fetched_at: datetime, latest: datetime) -> str | None:
    for value in field_values(record):  # the common case, every time plausible, in one pass over the values
        if value is None or type(value) is str or not isinstance(value, datetime):
            continue
        if not EARLIEST_PLAUSIBLE <= value <= latest:
            return _why_implausible(record, fetched_at, latest)
    return None


def _why_implausible(record: Any, fetched_at: datetime, latest: datetime) -> str | None:
    planned = isinstance(record, Incident) and (record.status == "scheduled" or record.impact == "maintenance")
    for name in field_names(type(record)):
        value = getattr(record, name)
        if value is None or type(value) is str or not isinstance(value, datetime):
            continue
        if value < EARLIEST_PLAUSIBLE:
            return f"{name} {value.isoformat()} is before 2000 (a missing value stored as epoch zero?)"
        if value > latest and not planned:
            return f"{name} {value.isoformat()} is more than a day in the future (fetched {fetched_at.isoformat()})"
    return None


def drop_implausible(parsed: Parsed, fetched_at: datetime) -> list[str]:
    """Remove the records with impossible timestamps from ``parsed``; return one reason per removed record. The wall
    clock bounding "the future" is read once for the document."""
    reasons: list[str] = []
    dropped_incidents: set[str] = set()
    latest = max(fetched_at, datetime.now(UTC)) + FUTURE_SLACK

    def keep(record: Any, label: Callable[[Any], str]) -> bool:
        why = _implausible(record, fetched_at, latest)
        if why is not None:
            reasons.append(f"{label(record)}: {why}")  # the label only for a record dropped
        return why is None

    kept_incidents = []
    for incident in parsed.incidents:
        if keep(incident, _incident_label):
            kept_incidents.append(incident)
        else:
            dropped_incidents.add(incident.native_id)
    parsed.incidents = kept_incidents
    parsed.updates = [
        u for u in parsed.updates if u.incident_native_id not in dropped_incidents and keep(u, _update_label)
    ]
    parsed.component_changes = [
        c for c in parsed.component_changes if c.incident_native_id not in dropped_incidents and keep(c, _change_label)
    ]
    parsed.counts = [c for c in parsed.counts if keep(c, _count_label)]
    parsed.posts = [p for p in parsed.posts if keep(p, _post_label)]
    return reasons


def _incident_label(record: Incident) -> str:
    return f"incident {record.native_id}"


def _update_label(record: IncidentUpdate) -> str:
    return f"update {record.native_id}"


def _change_label(record: ComponentChange) -> str:
    return f"component change {record.component_native_id}"


def _count_label(record: ComplaintCount) -> str:
    return f"count {record.service} {record.bucket_start.isoformat()}"


def _post_label(record: Post) -> str:
    return f"post {record.native_id}"


def describe_dropped(reasons: list[str]) -> str:
    """The error row for a document that lost records to :func:`drop_implausible`."""
    more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
    return f"{len(reasons)} record(s) with an impossible timestamp not loaded: {reasons[0]}{more}"
