"""What a read-out covers: a :class:`Selection` of timeline rows, made from a window or from an outage id.

The selection SQL is ``readouts/sql/*.sql``: every query binds the window and the services as parameters.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import duckdb

from warehouse.reads import read_outages

# The timeline columns an export carries, in this order (new columns of the view are not exported until added here
# and to sql/timeline_rows.sql, which selects them).
EXPORT_COLUMNS: tuple[str, ...] = (
    "occurred_at",
    "service_id",
    "kind",
    "incident_id",
    "title",
    "reports",
    "source_id",
    "status",
    "detail",
    "source_url",
    "fetched_at",
    "public_url",
    "note",
)
ROW_ORDER = "occurred_at, service_id, kind, incident_id, title, detail, source_url"  # as sql/timeline_rows.sql
LEAD_TIME = timedelta(hours=1)  # an outage's export starts this long before its complaints began


def selection_sql(name: str) -> str:
    """The text of ``warehouse/readouts/sql/<name>.sql``."""
    return resources.files("warehouse.readouts.sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")


class ExportError(ValueError):
    """A selection or format that cannot be exported, said in words a person can act on."""


class UnknownOutageError(ExportError):
    def __init__(self, outage_id: str, close_matches: list[str]) -> None:
        self.outage_id = outage_id
        self.close_matches = close_matches
        hint = f"; did you mean {', '.join(close_matches)}?" if close_matches else ""
        super().__init__(f"no outage {outage_id!r} in the outages view{hint}")


@dataclass(frozen=True, slots=True)
class Selection:
    """Timeline rows with ``start <= occurred_at <= end`` of ``services`` (every service when empty)."""

    start: datetime
    end: datetime
    services: tuple[str, ...] = ()
    outage_id: str | None = None

    @classmethod
    def window(cls, start: datetime, end: datetime, services: Sequence[str] = ()) -> Selection:
        if start.tzinfo is None or end.tzinfo is None:
            raise ExportError("window times need a time zone (e.g. 2021-12-07T15:30Z)")
        if end <= start:
            raise ExportError(f"the window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
        return cls(start.astimezone(UTC), end.astimezone(UTC), tuple(dict.fromkeys(services)))

    def params(self) -> dict[str, Any]:
        """The bound parameters of the selection SQL: ``$start``, ``$end`` and ``$services`` (empty: every one)."""
        return {"start": self.start, "end": self.end, "services": list(self.services)}


def outage_selection(
    con: duckdb.DuckDBPyConnection,
    outage_id: str,
    services: Sequence[str] = (),
    outages: list[dict[str, Any]] | None = None,
) -> Selection:
    """The window and services of one outage (see ``warehouse.readouts``); unknown ids name close matches."""
    outages = read_outages(con) if outages is None else outages
    found = next((o for o in outages if o["outage_id"] == outage_id), None)
    if found is None:
        known = sorted(o["outage_id"] for o in outages)
        prefix = outage_id.split("@", 1)[0]
        same_service = [k for k in known if k.split("@", 1)[0] == prefix]
        alike = difflib.get_close_matches(outage_id, known, n=5, cutoff=0.5)
        close = list(dict.fromkeys([*difflib.get_close_matches(outage_id, same_service, n=5, cutoff=0), *alike]))
        raise UnknownOutageError(outage_id, close[:5])
    ends = [found.get(c) for c in ("ended_at", "resolved_at", "returned_to_baseline_at")]
    start, end = found["started_at"] - LEAD_TIME, max(e for e in ends if e is not None)
    if services:
        return Selection(start, end, tuple(dict.fromkeys([found["service_id"], *services])), outage_id)
    first_at: dict[str, datetime] = {}
    for o in outages:  # spikes overlapping the window
        if o["started_at"] <= end and o["ended_at"] >= start:
            first_at[o["service_id"]] = min(o["started_at"], first_at.get(o["service_id"], o["started_at"]))
    posted = con.execute(selection_sql("services_posting"), {"start": start, "end": end}).fetchall()
    for service_id, at in posted:
        first_at[service_id] = min(at, first_at.get(service_id, at))
    others = sorted(first_at, key=lambda s: (first_at[s], s))
    return Selection(start, end, tuple(dict.fromkeys([found["service_id"], *others])), outage_id)


def continuing_incidents(con: duckdb.DuckDBPyConnection, service_id: str, end: datetime) -> list[dict[str, Any]]:
    """The service's incidents that began by ``end`` and were still open at it (an outage's export then says its
    provider's trouble went on past the window)."""
    cursor = con.execute(selection_sql("continuing_incidents"), {"service_id": service_id, "end": end})
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
