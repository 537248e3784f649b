"""Timestamp parsing shared by parsers: every result is an aware UTC datetime, or a ParseError."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from scrapers.records import ParseError


@functools.lru_cache(maxsize=16384)
def _zoned(value: str) -> datetime | None:
    """``value`` read as below, when it is a zoned ISO 8601 timestamp; else None (the caller says what is wrong). A
    document repeats its timestamps (an update's display time is its creation time, an incident's creation is its
    first update's): each text is read once."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return None if parsed.tzinfo is None else parsed.astimezone(UTC)


def cached_iso_utc(value: object) -> datetime | None:
    """What :func:`parse_iso_utc` gives for ``value`` when that is a zoned timestamp (read once per text), else None: a
    parser's fast path, which builds its message for ``parse_iso_utc`` only when this answers None."""
    return _zoned(value) if isinstance(value, str) and value else None


def parse_iso_utc(value: object, *, what: str) -> datetime:
    """Parse an ISO 8601 timestamp that carries a zone; a timestamp without one is an error, not a guess."""
    if isinstance(value, str) and value:
        known = _zoned(value)
        if known is not None:
            return known
    if not isinstance(value, str) or not value:
        raise ParseError(f"{what}: expected an ISO 8601 timestamp, got {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ParseError(f"{what}: not an ISO 8601 timestamp: {value!r}") from exc
    if parsed.tzinfo is None:
        raise ParseError(f"{what}: timestamp {value!r} has no time zone")
    return parsed.astimezone(UTC)


def parse_optional_iso_utc(value: object, *, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    return parse_iso_utc(value, what=what)


def from_epoch(value: object, *, what: str) -> datetime:
    """Epoch seconds, given as an int or a numeric string (AWS mixes both)."""
    try:
        seconds = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ParseError(f"{what}: expected epoch seconds, got {value!r}") from exc
    return datetime.fromtimestamp(seconds, tz=UTC)
