"""How read-outs write times, intervals and scraped text: one place for the terminal, Markdown, HTML and artifacts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
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


NO_STATUS_SOURCE = "no status page tracked"


def fmt_acknowledgment(outage: dict[str, Any]) -> str:
    """The time to acknowledge of an outage row, or why there is none: a service whose status page nobody reads
    cannot be said never to have acknowledged anything."""
    if outage.get("acknowledgment") == "no_status_source":
        return NO_STATUS_SOURCE
    return fmt_interval(outage.get("time_to_acknowledge"))


_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")


def md_text(text: str) -> str:
    """Scraped text for Markdown that still reads as plain text: whitespace collapsed, and only what a Markdown
    renderer would turn into markup escaped (``<`` opening a tag, which would be raw HTML, becomes ``&lt;``)."""
    return _HTML_START.sub("&lt;", " ".join(text.split()))


def md_cell(text: str) -> str:
    """:func:`md_text` for a table cell, where a ``|`` would end the cell."""
    return md_text(text).replace("|", "\\|")
