"""URL and time helpers shared by the kinds that build their own requests (paging, search windows)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def with_query(url: str, updates: dict[str, str], drop: tuple[str, ...] = ()) -> str:
    """The url with ``updates`` set (replacing earlier values) and ``drop`` removed; other parameters kept in order."""
    parts = urlsplit(url)
    removed = set(updates) | set(drop)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in removed]
    query.extend(updates.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def iso_z(value: datetime) -> str:
    """An aware time as ISO 8601 with ``Z`` for UTC."""
    return value.isoformat().replace("+00:00", "Z")


def iso_z_seconds(value: datetime) -> str:
    """An aware time in UTC to the whole second, as ISO 8601 with ``Z`` (for APIs that refuse fractions or offsets)."""
    return iso_z(value.astimezone(UTC).replace(microsecond=0))
