"""Reading typed dates and times in the school's timezone, and showing them back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dialogs.datetimes import (
    DateTimeError,
    format_moment,
    load_moment,
    parse_moment,
    store_moment,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 24, 10, 30, 42, 123456, tzinfo=UTC)  # a Tuesday, GMT (UTC+0)
JULY = datetime(2026, 7, 15, 9, 20, tzinfo=UTC)  # a Wednesday, BST (UTC+1): 10:20 in London


def parse(text: str, now: datetime = NOW) -> datetime | date:
    return parse_moment(text, now=now, tz=LONDON)


def at(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


@pytest.mark.parametrize("text", ["now", "Now", "  NOW ", "just now", "right now", "Just  Now"])
def test_now_is_the_clock_in_the_school_timezone_to_the_minute(text: str) -> None:
    moment = parse(text)
    assert moment == at(2026, 11, 24, 10, 30)
    assert isinstance(moment, datetime)
    assert moment.tzinfo == LONDON
    assert (moment.second, moment.microsecond) == (0, 0)


def test_now_in_summer_is_british_summer_time() -> None:
    moment = parse("now", JULY)
    assert isinstance(moment, datetime)
    assert (moment.hour, moment.minute) == (10, 20)
    assert moment.utcoffset() == timedelta(hours=1)
    assert moment.isoformat() == "2026-07-15T10:20:00+01:00"
    assert moment == datetime(2026, 7, 15, 9, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today 10:15", at(2026, 11, 24, 10, 15)),
        ("Today 9:05", at(2026, 11, 24, 9, 5)),
        ("today 9.05", at(2026, 11, 24, 9, 5)),
        ("today at 3pm", at(2026, 11, 24, 15, 0)),
        ("today at 3 PM", at(2026, 11, 24, 15, 0)),
        ("today at 10:15am", at(2026, 11, 24, 10, 15)),
        ("today10:15", at(2026, 11, 24, 10, 15)),
        ("yesterday 14:00", at(2026, 11, 23, 14, 0)),
        ("yesterday at 2:30pm", at(2026, 11, 23, 14, 30)),
        ("tomorrow 9:00", at(2026, 11, 25, 9, 0)),
        ("10:15", at(2026, 11, 24, 10, 15)),
        ("at 10:15", at(2026, 11, 24, 10, 15)),
        ("3pm", at(2026, 11, 24, 15, 0)),
        ("00:00", at(2026, 11, 24, 0, 0)),
        ("23:59", at(2026, 11, 24, 23, 59)),
        # 12am is midnight, 12pm is noon
        ("12am", at(2026, 11, 24, 0, 0)),
        ("12:30am", at(2026, 11, 24, 0, 30)),
        ("12pm", at(2026, 11, 24, 12, 0)),
        ("12:45pm", at(2026, 11, 24, 12, 45)),
        ("1am", at(2026, 11, 24, 1, 0)),
        ("11pm", at(2026, 11, 24, 23, 0)),
        # ISO
        ("2026-11-20 14:30", at(2026, 11, 20, 14, 30)),
        ("2026-11-20T14:30", at(2026, 11, 20, 14, 30)),
        ("2026-11-20 2pm", at(2026, 11, 20, 14, 0)),
        ("2026-11-24T10:15:30", at(2026, 11, 24, 10, 15, 30)),
        # UK order: day first
        ("24/11/2026 14:30", at(2026, 11, 24, 14, 30)),
        ("24/11/2026, 14:30", at(2026, 11, 24, 14, 30)),
        ("24/11/2026 2:30pm", at(2026, 11, 24, 14, 30)),
        ("1/2/2026 09:00", at(2026, 2, 1, 9, 0)),
        ("24/11/26 14:30", at(2026, 11, 24, 14, 30)),
    ],
)
def test_times_are_aware_datetimes_in_the_school_timezone(text: str, expected: datetime) -> None:
    moment = parse(text)
    assert isinstance(moment, datetime)
    assert moment.tzinfo is not None
    assert moment == expected
    assert moment.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yesterday", date(2026, 11, 23)),
        ("today", date(2026, 11, 24)),
        ("Tomorrow", date(2026, 11, 25)),
        ("2026-11-20", date(2026, 11, 20)),
        ("2026-1-5", date(2026, 1, 5)),
        ("24/11/2026", date(2026, 11, 24)),
        ("24/11/26", date(2026, 11, 24)),
        ("1/2/2026", date(2026, 2, 1)),  # 1 February, not 2 January
        ("29/02/2028", date(2028, 2, 29)),
        # other ISO 8601 forms of a day: no time is invented for them
        ("20261124", date(2026, 11, 24)),
        ("2026-W48-2", date(2026, 11, 24)),
    ],
)
def test_a_day_without_a_time_stays_a_date(text: str, expected: date) -> None:
    moment = parse(text)
    assert type(moment) is date  # not a datetime at midnight: that would invent a fact
    assert moment == expected


@pytest.mark.parametrize(
    "text",
    ["2026-11-24T10:15:00+00:00", "2026-11-24T10:15:00Z", "2026-11-24T11:15:00+01:00"],
)
def test_iso_with_an_offset_is_the_same_instant_shown_in_the_school_timezone(text: str) -> None:
    moment = parse(text)
    assert isinstance(moment, datetime)
    assert moment == datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
    assert moment.tzinfo == LONDON
    assert (moment.hour, moment.minute) == (10, 15)


def test_iso_with_an_offset_in_summer_is_converted_to_bst() -> None:
    moment = parse("2026-07-01T10:15:00+00:00")
    assert isinstance(moment, datetime)
    assert (moment.hour, moment.minute) == (11, 15)
    assert moment.utcoffset() == timedelta(hours=1)


def test_summer_times_are_bst_and_winter_times_gmt() -> None:
    summer = parse("today 10:15", JULY)
    winter = parse("today 10:15", NOW)
    assert isinstance(summer, datetime)
    assert isinstance(winter, datetime)
    assert summer.utcoffset() == timedelta(hours=1)
    assert summer == datetime(2026, 7, 15, 9, 15, tzinfo=UTC)
    assert winter.utcoffset() == timedelta(0)
    assert winter == datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


def test_across_the_autumn_clock_change_each_day_keeps_its_own_offset() -> None:
    # Clocks went back at 02:00 BST on Sunday 25 October 2026.
    sunday_noon = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)
    before = parse("yesterday 14:00", sunday_noon)
    after = parse("today 14:00", sunday_noon)
    assert isinstance(before, datetime)
    assert isinstance(after, datetime)
    assert before.utcoffset() == timedelta(hours=1)
    assert before == datetime(2026, 10, 24, 13, 0, tzinfo=UTC)
    assert after.utcoffset() == timedelta(0)
    assert after == datetime(2026, 10, 25, 14, 0, tzinfo=UTC)
    assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(hours=25)


def test_across_the_spring_clock_change() -> None:
    # Clocks went forward at 01:00 GMT on Sunday 29 March 2026.
    sunday_morning = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 00:30 GMT
    assert parse("now", sunday_morning) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    later = parse("today 14:00", sunday_morning)
    assert isinstance(later, datetime)
    assert later.utcoffset() == timedelta(hours=1)


def test_today_and_yesterday_follow_the_school_calendar_not_utc() -> None:
    # 23:30 UTC on 30 June is already 00:30 on 1 July in London.
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert parse("today", late) == date(2026, 7, 1)
    assert parse("yesterday", late) == date(2026, 6, 30)
    assert parse("10:15", late) == at(2026, 7, 1, 10, 15)
    now = parse("now", late)
    assert isinstance(now, datetime)
    assert (now.date(), now.hour, now.minute) == (date(2026, 7, 1), 0, 30)


def test_a_clock_in_another_timezone_gives_the_same_answers() -> None:
    new_york = NOW.astimezone(ZoneInfo("America/New_York"))
    assert parse("today 10:15", new_york) == parse("today 10:15", NOW)
    assert parse("now", new_york) == parse("now", NOW)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "soon",
        "last week",
        "31/02/2026",
        "29/02/2026",
        "32/01/2026",
        "24/13/2026",
        "2026-13-01",
        "2026-02-30",
        "25:00",
        "24:00",
        "10:60",
        "today 25:00",
        "yesterday 10:99",
        "24/11/2026 25:00",
        "today at",
        "13pm",
        "0am",
        "0pm",
        "24/11/202",  # a typo, not the year 202
        "24/11/02026",
        "24/11/2026014:30",
        "24/11/262",
        "24-11-2026",
        "10:5",
        "noon",
    ],
)
def test_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(DateTimeError):
        parse(text)


def test_a_date_time_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the subclass relation is the point
        parse("soon")


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (date(2026, 11, 24), "Tue 24 Nov 2026"),
        (date(2026, 11, 3), "Tue 3 Nov 2026"),  # no leading zero
        (at(2026, 11, 24, 14, 30), "Tue 24 Nov 2026, 14:30"),
        (at(2026, 11, 24, 9, 5), "Tue 24 Nov 2026, 09:05"),
        (datetime(2026, 11, 24, 14, 30, tzinfo=UTC), "Tue 24 Nov 2026, 14:30"),
        (datetime(2026, 7, 1, 13, 30, tzinfo=UTC), "Wed 1 Jul 2026, 14:30"),  # BST
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "Wed 1 Jul 2026, 00:30"),  # next day
    ],
)
def test_format_moment(moment: datetime | date, shown: str) -> None:
    assert format_moment(moment, LONDON) == shown


@pytest.mark.parametrize(
    "text", ["yesterday", "today 10:15", "now", "24/11/2026", "2026-07-01T10:15:00+00:00"]
)
def test_store_and_load_round_trip(text: str) -> None:
    moment = parse(text)
    stored = store_moment(moment)
    assert isinstance(stored, str)
    loaded = load_moment(stored)
    assert loaded == moment
    assert type(loaded) is type(moment)
    assert format_moment(loaded, LONDON) == format_moment(moment, LONDON)


def test_stored_forms() -> None:
    assert store_moment(parse("yesterday")) == "2026-11-23"
    assert store_moment(parse("today 10:15")) == "2026-11-24T10:15:00+00:00"
    assert store_moment(parse("today 10:15", JULY)) == "2026-07-15T10:15:00+01:00"
