"""The impact window a provider admits after the fact, read from its own words.

AWS closes an event with a sentence such as "Between 7:32 AM and 3:10 PM PST we experienced…", "Between 7:25 AM PST
and 4:47 PM PST…", "Between 7:32 AM to 4:56 PM PST…" or "Between 7:31 AM PST on December 7 and 2:20 AM PST on
December 8…". Times are Pacific; a window whose end is earlier than its start ends on the next day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

ZONES = {"PST": timezone(timedelta(hours=-8)), "PDT": timezone(timedelta(hours=-7))}
MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_TIME = r"(\d{1,2}):(\d{2})\s*([AP]M)"
_DAY = r"(?:\s+on\s+([A-Z][a-z]+)\s+(\d{1,2}))?"
WINDOW = re.compile(
    rf"\bBetween\s+{_TIME}(?:\s+(PST|PDT))?{_DAY}\s+(?:and|to)\s+{_TIME}(?:\s+(PST|PDT))?{_DAY}",
    re.IGNORECASE,
)


def _at(day: date, hour: str, minute: str, ampm: str, zone: str) -> datetime:
    clock = int(hour) % 12 + (12 if ampm.upper() == "PM" else 0)
    local = datetime(day.year, day.month, day.day, clock, int(minute), tzinfo=ZONES[zone.upper()])
    return local.astimezone(UTC)


def _day(first_day: date, month: str | None, day: str | None) -> date:
    if not month or not day or month.lower() not in MONTHS:
        return first_day
    number = MONTHS[month.lower()]
    year = first_day.year + (1 if number < first_day.month else 0)
    return date(year, number, int(day))


def declared_window(text: str, first_day: date) -> tuple[datetime, datetime] | None:
    """(start, end) in UTC of the first "Between … and …" window in ``text``, or None.

    ``first_day`` is the provider's local date of the event's first post (the date a bare time refers to).
    """
    match = WINDOW.search(text)
    if not match:
        return None
    h1, m1, ap1, zone1, month1, day1, h2, m2, ap2, zone2, month2, day2 = match.groups()
    zone = zone2 or zone1
    if zone is None:
        return None  # no zone named: not a guess we make
    start_day, end_day = _day(first_day, month1, day1), _day(first_day, month2, day2)
    start = _at(start_day, h1, m1, ap1, zone1 or zone)
    end = _at(end_day, h2, m2, ap2, zone)
    if end < start and not (month2 and day2):
        end += timedelta(days=1)
    return start, end
