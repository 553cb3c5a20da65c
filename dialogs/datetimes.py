"""Reading the dates and times staff type: "now", "today 10:15", "yesterday", ISO or UK dates."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_TIME = r"(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<ampm>am|pm)?"
_RELATIVE = re.compile(rf"^(?P<day>today|yesterday|tomorrow)(?:\s*(?:at\s*)?{_TIME})?$")
_TIME_ONLY = re.compile(rf"^(?:at\s*)?{_TIME}$")
_ISO_DATE = re.compile(rf"^(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})(?:[t\s]+{_TIME})?$")
# A year is two digits or four, and a space or comma comes before the time: "24/11/202" is a
# typo, not the year 202, nor 24/11/20 at 2am.
_UK_DATE = re.compile(
    rf"^(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})/(?P<y>\d{{4}}|\d{{2}})(?:(?:,|\s)\s*{_TIME})?$"
)
_DAY_OFFSETS = {"today": 0, "yesterday": -1, "tomorrow": 1}


class DateTimeError(ValueError):
    """Text that is not a date or time we understand."""


def parse_moment(text: str, *, now: datetime, tz: ZoneInfo) -> datetime | date:
    """Turn typed text into an aware datetime in the school's timezone, or a date.

    A day typed without a time ("yesterday", "24/11/2026") stays a date: inventing a time of day
    would put a false fact into a safeguarding record.
    """
    cleaned = " ".join(text.strip().lower().split())
    local_now = now.astimezone(tz)
    if cleaned in {"now", "just now", "right now"}:
        return local_now.replace(second=0, microsecond=0)
    if match := _RELATIVE.match(cleaned):
        day = local_now.date() + timedelta(days=_DAY_OFFSETS[match["day"]])
        return _combine(day, _time_of(match), tz)
    if match := _TIME_ONLY.match(cleaned):
        return _combine(local_now.date(), _time_of(match), tz)
    if match := _ISO_DATE.match(cleaned):
        day = _date(int(match["y"]), int(match["m"]), int(match["d"]))
        return _combine(day, _time_of(match), tz)
    if match := _UK_DATE.match(cleaned):
        year = int(match["y"])
        year = year + 2000 if year < 100 else year
        day = _date(year, int(match["m"]), int(match["d"]))
        return _combine(day, _time_of(match), tz)
    try:
        # Other ISO 8601 forms ("20261124", "2026-W48-2"): a day without a time stays a date.
        return date.fromisoformat(text.strip())
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DateTimeError(text) from None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed.astimezone(tz)


def format_moment(moment: datetime | date, tz: ZoneInfo) -> str:
    """How a stored moment is shown back: 'Tue 24 Nov 2026, 14:30' or 'Tue 24 Nov 2026'."""
    if not isinstance(moment, datetime):
        return f"{moment:%a} {moment.day} {moment:%b %Y}"
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def load_moment(stored: str) -> datetime | date:
    """Read back what `store_moment` wrote."""
    return datetime.fromisoformat(stored) if "T" in stored else date.fromisoformat(stored)


def store_moment(moment: datetime | date) -> str:
    return moment.isoformat()


def _time_of(match: re.Match[str]) -> time | None:
    if match["hour"] is None:
        return None
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if match["ampm"] is not None and not 1 <= hour <= 12:
        raise DateTimeError(f"{hour}{match['ampm']}")  # "13pm", "0am": which time was meant?
    if match["ampm"] == "pm" and hour < 12:
        hour += 12
    elif match["ampm"] == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise DateTimeError(f"{hour}:{minute:02d}")
    return time(hour, minute)


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateTimeError(f"{day}/{month}/{year}") from None


def _combine(day: date, at: time | None, tz: ZoneInfo) -> datetime | date:
    return day if at is None else datetime.combine(day, at, tzinfo=tz)
