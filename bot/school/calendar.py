"""The school year, as English schools count it, and the next day the school is open."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.school.config import SchoolConfig
    from bot.school.terms import Closure

# Longer than any school holiday: past it the calendar must be wrong (a closure typed as a
# year), and the next weekday the school opens on is the better guess than never.
_LONGEST_HOLIDAY = timedelta(days=120)
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def academic_year(day: date) -> str:
    """English schools' academic year, September to August: 1 Sept 2026 is in "2026-27"."""
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def next_school_day(day: date, *, school: SchoolConfig, closures: Collection[Closure] = ()) -> date:
    """The first day after `day` the school is open: one of its weekdays, in term, not a bank
    holiday and not closed (see `SchoolConfig.is_school_day`)."""
    following = day + timedelta(days=1)
    while not school.is_school_day(following, closures=closures):
        if following - day > _LONGEST_HOLIDAY:
            return _next_open_weekday(day, school=school)
        following += timedelta(days=1)
    return following


def _next_open_weekday(day: date, *, school: SchoolConfig) -> date:
    following = day + timedelta(days=1)
    while _DAY_NAMES[following.weekday()] not in school.school_hours.days:
        following += timedelta(days=1)
    return following
