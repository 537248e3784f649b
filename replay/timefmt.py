"""Small time helpers for rendering replay payloads."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
