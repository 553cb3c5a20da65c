"""The school year, as English schools count it."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta


def academic_year(day: date) -> str:
    """English schools' academic year, September to August: 1 Sept 2026 is in "2026-27"."""
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def next_school_day(day: date, *, open_days: Collection[str]) -> date:
    """The first day after `day` the school is open: the school file names its weekdays (no
    term dates are kept, so a holiday counts as a school day), Monday to Friday by default."""
    days = set(open_days) or set(_DAY_NAMES[:5])
    following = day + timedelta(days=1)
    while _DAY_NAMES[following.weekday()] not in days:
        following += timedelta(days=1)
    return following
