"""Reading a `cover me` range: forgiving about how it is typed, never guessing what is unclear."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.school.cover_range import describe, read_range

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)  # Tuesday 24 November 2026


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("today 13:00-16:00", "Tue 24 Nov 13:00 to 16:00"),
        ("today 13:00 - 16:00", "Tue 24 Nov 13:00 to 16:00"),
        ("13:00 to 16:00", "Tue 24 Nov 13:00 to 16:00"),
        ("from 9am until noon", "Tue 24 Nov 09:00 to 12:00"),
        ("Today 1pm–3.30pm", "Tue 24 Nov 13:00 to 15:30"),
        ("tomorrow", "Wed 25 Nov (all day)"),
        ("friday", "Fri 27 Nov (all day)"),
        ("tuesday", "Tue 24 Nov (all day)"),
        ("mon to wed", "Mon 30 Nov to Wed 2 Dec (all day)"),
        ("2026-12-08", "Tue 8 Dec (all day)"),
        ("2026-12-08 to 2026-12-10", "Tue 8 Dec to Thu 10 Dec (all day)"),
        ("8/12/2026 to 10/12/2026", "Tue 8 Dec to Thu 10 Dec (all day)"),
        ("8/12 13:00-15:00", "Tue 8 Dec 13:00 to 15:00"),
        ("tomorrow 9am to friday 12:00", "Wed 25 Nov 09:00 to Fri 27 Nov 12:00"),
        ("tomorrow 14:00 to friday", "Wed 25 Nov 14:00 to Sat 28 Nov 00:00"),
    ],
)
def test_forgiving_ranges(typed, shown):
    found = read_range(typed, now=NOW, tz=LONDON)
    assert found is not None, typed
    assert describe(found.start, found.end, LONDON) == shown


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "soon",
        "today 13:00",  # no end
        "16:00-13:00",  # ends before it starts
        "2026-02-30",  # no such day
        "31/6",
        "25:00-26:00",
        "13pm-14pm",
        "today to",
        "to friday",
        "today 13:00-14:00-15:00",
        "2026-12-10 to 2026-12-08",
        "today tomorrow",
        "9-12",
    ],
)
def test_unclear_ranges_are_none(typed):
    assert read_range(typed, now=NOW, tz=LONDON) is None
