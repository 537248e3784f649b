"""How read-outs write times, intervals and scraped text: one place for the terminal, Markdown, HTML and artifacts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def fmt_time(value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return "-"
    local = value.astimezone(tz)
    label = "Z" if tz.key in ("UTC", "Etc/UTC") else local.strftime(" %Z")
    return local.strftime("%Y-%m-%d %H:%M") + label


def fmt_interval(value: timedelta | None) -> str:
    if value is None:
        return "never"
    minutes = int(value.total_seconds() // 60)
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}h{rest:02d}m" if hours else f"{sign}{rest} min"


def md_escape(text: str) -> str:
    """Scraped text made inert in Markdown: its markup characters escaped, its whitespace one line."""
    for char in ("\\", "`", "*", "_", "[", "]", "<", ">", "|"):
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())
