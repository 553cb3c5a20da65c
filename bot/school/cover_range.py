"""The time range of a `cover me` request: read forgivingly from what a DSL types, and shown
as people say it (`describe`).

A day (today, tomorrow, a weekday name, 2026-12-08, 8/12/2026 or 8/12) alone is the whole day;
`<day> to <day>` is whole days, both included; times (13:00, 9.30, 9am, 1:30pm, noon) make it
exact: `today 13:00-16:00`, `13:00 to 16:00` (today), `tomorrow 9am to friday 12:00`. Anything
else is unclear (None), and the person is shown an example: nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.words import strings

_TOKEN = re.compile(
    r"(?P<iso>\d{4}-\d{1,2}-\d{1,2})"
    r"|(?P<uk>\d{1,2}/\d{1,2}(?:/\d{2,4})?)"
    r"|(?P<time>\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)|\d{1,2}[:.]\d{2})"
    r"|(?P<sep>-|–|—|\bto\b|\buntil\b|\btill\b|\btil\b|\band\b)"
    r"|(?P<word>[a-z]+)"
    r"|(?P<space>[\s,]+)"
    r"|(?P<other>.)"
)
# Words that say nothing about the range: "cover me from 9am on friday", "for all day".
_FILLER = {"from", "on", "at", "for", "all", "day", "the", "between", "next", "this", "whole"}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {
    *_DAYS,
    *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    *("tues", "weds", "thur", "thurs"),
}
_NOON = {"noon", "midday"}


@dataclass(frozen=True)
class CoverRange:
    """From `start` up to (not including) `end`; `whole_days` when typed as days only."""

    start: datetime
    end: datetime
    whole_days: bool


@dataclass
class _Side:
    day: date | None = None
    at: time | None = None
    weekday: bool = False  # named as "friday": the next one after the start, if need be

    @property
    def empty(self) -> bool:
        return self.day is None and self.at is None


def read_range(text: str, *, now: datetime, tz: ZoneInfo) -> CoverRange | None:
    """The range `text` names, in the school's timezone; None when it is unclear."""
    today = now.astimezone(tz).date()
    sides = [_Side()]
    for match in _TOKEN.finditer(text.casefold().strip()):
        kind, value = match.lastgroup, match.group()
        side = sides[-1]
        if kind == "space" or (kind == "word" and value in _FILLER):
            continue
        if kind == "sep":
            if len(sides) == 2 or side.empty:
                return None
            sides.append(_Side())
            continue
        found_day = _day(kind, value, today)
        found_time = _time(kind, value)
        if found_day is not None and side.day is None and side.at is None:
            side.day, side.weekday = found_day, value in _DAY_NAMES
        elif found_time is not None and side.at is None:
            side.at = found_time
        else:
            return None
    return _range(sides, today, tz)


def _range(sides: list[_Side], today: date, tz: ZoneInfo) -> CoverRange | None:
    left = sides[0]
    if left.empty:
        return None
    start_day = left.day or today
    if len(sides) == 1:  # a day alone: all of it; a time alone has no end
        if left.at is not None:
            return None
        return _whole_days(start_day, start_day, tz)
    right = sides[1]
    if right.empty:
        return None
    end_day = right.day or start_day
    if right.weekday and end_day < start_day:  # "mon to wed" asked on a Tuesday
        end_day += timedelta(days=7)
    if left.at is None and right.at is None:
        return _whole_days(start_day, end_day, tz)
    start = datetime.combine(start_day, left.at or time(0), tz)
    if right.at is None:  # "9am to friday": to the end of that day
        end = datetime.combine(end_day + timedelta(days=1), time(0), tz)
    else:
        end = datetime.combine(end_day, right.at, tz)
    return CoverRange(start, end, whole_days=False) if end > start else None


def _whole_days(first: date, last: date, tz: ZoneInfo) -> CoverRange | None:
    if last < first:
        return None
    start = datetime.combine(first, time(0), tz)
    return CoverRange(start, datetime.combine(last + timedelta(days=1), time(0), tz), True)


def _day(kind: str | None, value: str, today: date) -> date | None:
    try:
        if kind == "iso":
            return date.fromisoformat("-".join(part.zfill(2) for part in value.split("-")))
        if kind == "uk":
            day, month, *year = (int(part) for part in value.split("/"))
            if year:
                return date(year[0] + (2000 if year[0] < 100 else 0), month, day)
            found = date(today.year, month, day)
            return found if found >= today else date(today.year + 1, month, day)
    except ValueError:  # 2026-02-30, 31/6
        return None
    if kind != "word":
        return None
    if value == "today":
        return today
    if value == "tomorrow":
        return today + timedelta(days=1)
    if value in _DAY_NAMES:  # the next such day: today if it is one
        return today + timedelta(days=(_DAYS.index(value[:3]) - today.weekday()) % 7)
    return None


def _time(kind: str | None, value: str) -> time | None:
    if kind == "word" and value in _NOON:
        return time(12)
    if kind != "time":
        return None
    found = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?", value)
    if found is None:
        return None
    hour, minute, half = int(found[1]), int(found[2] or 0), found[3]
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def describe(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """A range as people say it: "Tue 8 Dec 13:00 to 16:00", "Tue 8 Dec to Thu 10 Dec (all
    day)", "Tue 8 Dec 13:00 to Wed 9 Dec 10:00"."""
    start, end = start.astimezone(tz), end.astimezone(tz)
    if start.time() == end.time() == datetime.min.time():
        last = (end - timedelta(days=1)).date()
        days = (
            _shown_day(start)
            if last == start.date()
            else f"{_shown_day(start)} to {_shown_day(last)}"
        )
        return f"{days} ({strings.COVER_ALL_DAY})"
    if start.date() == end.date():
        return f"{_shown_day(start)} {start:%H:%M} to {end:%H:%M}"
    return f"{_shown_day(start)} {start:%H:%M} to {_shown_day(end)} {end:%H:%M}"


def _shown_day(moment: date) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}"
