"""The school calendar: terms, closures and each UK region's bank holidays decide school days."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.school.calendar import next_school_day
from bot.school.config import SchoolConfig, load_school_config
from bot.school.terms import Closure, Region, bank_holidays
from tests.test_school_config import EXAMPLE, example_data, load_error, write

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def config() -> SchoolConfig:
    return load_school_config(EXAMPLE)


def in_region(tmp_path: Path, region: str, *, terms: bool = False) -> SchoolConfig:
    data = example_data()
    data["calendar"]["region"] = region
    if not terms:
        del data["calendar"]["terms"]
        del data["calendar"]["closures"]
    return load_school_config(write(tmp_path, data))


@pytest.mark.parametrize(
    ("day", "following", "skipped"),
    [
        (date(2026, 10, 23), date(2026, 11, 2), "the October half term"),
        (date(2027, 1, 1), date(2027, 1, 5), "a weekend and the INSET day of 4 January"),
        (date(2027, 4, 30), date(2027, 5, 4), "a weekend and the early May bank holiday"),
        (date(2026, 11, 24), date(2026, 11, 25), "nothing"),
    ],
)
def test_next_school_day_skips_closures_bank_holidays_and_half_terms(
    config: SchoolConfig, day: date, following: date, skipped: str
) -> None:
    assert next_school_day(day, school=config) == following, skipped


def test_a_closure_recorded_in_chat_counts_too(config: SchoolConfig) -> None:
    snow = Closure(date=date(2026, 11, 25), reason="Snow")
    assert not config.is_school_day(date(2026, 11, 25), closures=[snow])
    assert next_school_day(date(2026, 11, 24), school=config, closures=[snow]) == date(2026, 11, 26)
    in_hours = datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)
    assert config.is_school_hours(in_hours) and not config.is_school_hours(
        in_hours, closures=[snow]
    )


@pytest.mark.parametrize(
    ("region", "day", "holiday"),
    [
        ("scotland", date(2026, 11, 30), "St Andrew’s Day"),
        ("england_and_wales", date(2026, 11, 30), None),
        ("northern_ireland", date(2026, 11, 30), None),
        ("northern_ireland", date(2027, 3, 17), "St Patrick’s Day"),
        ("england_and_wales", date(2027, 3, 17), None),
        ("scotland", date(2027, 3, 17), None),
        ("england_and_wales", date(2027, 3, 29), "Easter Monday"),
        ("northern_ireland", date(2027, 3, 29), "Easter Monday"),
        ("scotland", date(2027, 3, 29), None),
        ("scotland", date(2027, 1, 4), "2nd January"),  # 2 January 2027 is a Saturday
        ("england_and_wales", date(2027, 1, 4), None),
        ("scotland", date(2027, 8, 2), "Summer bank holiday"),  # first Monday of August
        ("england_and_wales", date(2027, 8, 30), "Summer bank holiday"),  # the last
        ("scotland", date(2027, 8, 30), None),
        ("northern_ireland", date(2027, 7, 12), "Battle of the Boyne (Orangemen’s Day)"),
        ("england_and_wales", date(2027, 7, 12), None),
        ("england_and_wales", date(2027, 12, 28), "Boxing Day"),  # a Sunday's substitute
        ("england_and_wales", date(2028, 1, 3), "New Year’s Day"),
        ("scotland", date(2028, 1, 4), "2nd January"),
    ],
)
def test_each_region_has_its_own_bank_holidays(
    tmp_path: Path, region: str, day: date, holiday: str | None
) -> None:
    config = in_region(tmp_path, region)
    assert config.calendar.closed_because(day) == holiday
    assert config.is_school_day(day) is (holiday is None)


def test_the_shipped_dates_cover_this_academic_year_and_the_next() -> None:
    for region in Region:
        shipped = bank_holidays(region)
        assert shipped.covers(date(2026, 9, 1)) and shipped.covers(date(2028, 8, 31))
        # Every UK region has Christmas and Good Friday each year shipped.
        for good_friday in (date(2026, 4, 3), date(2027, 3, 26), date(2028, 4, 14)):
            christmas = [d for d, name in shipped.days.items() if name == "Christmas Day"]
            assert [d for d in christmas if d.year == good_friday.year]  # 27 Dec in 2027
            assert shipped.name(good_friday) == "Good Friday"


def test_without_terms_weekdays_are_school_days_but_bank_holidays_are_not(tmp_path: Path) -> None:
    config = in_region(tmp_path, "england_and_wales")
    assert config.calendar.terms == ()
    assert config.is_school_day(date(2026, 10, 28))  # half term, but the file lists no terms
    assert not config.is_school_day(date(2027, 5, 3))  # the early May bank holiday
    assert not config.is_school_hours(datetime(2027, 5, 3, 10, 0, tzinfo=LONDON))


def test_with_no_calendar_section_england_and_wales_applies(tmp_path: Path) -> None:
    data = example_data()
    del data["calendar"]
    config = load_school_config(write(tmp_path, data))
    assert config.calendar.region == Region.ENGLAND_AND_WALES
    assert not config.is_school_day(date(2027, 3, 29))  # Easter Monday
    assert config.is_school_day(date(2026, 10, 28))


def test_in_a_school_year_without_terms_weekdays_count_as_school_days(config: SchoolConfig) -> None:
    assert not config.is_school_day(date(2027, 8, 10))  # the summer holiday after 2026-27
    assert config.is_school_day(date(2027, 9, 8))  # no terms for 2027-28 in the example
    assert config.is_school_day(date(2026, 6, 10))  # nor for 2025-26
    assert not config.is_school_day(date(2027, 8, 30))  # bank holidays still close it


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (
            lambda c: c["terms"][1].update(end="2026-11-01"),
            "calendar.terms[1].end",
            "2026-11-01 is before the term's start (2026-11-02)",
        ),
        (lambda c: c.update(region="wales"), "calendar.region", "'wales' is not"),
        (
            lambda c: c["terms"][2].update(start="2026-12-18"),
            "calendar.terms[2].start",
            "not after the end of the term before it",
        ),
        (
            lambda c: c["closures"][0].update(end="2026-08-31"),
            "calendar.closures[0].end",
            "before the closure's start",
        ),
        (
            lambda c: c["closures"][1].pop("date"),
            "calendar.closures[1].start",
            "give date, or both start and end",
        ),
        (lambda c: c["terms"][0].update(end="the 23rd"), "calendar.terms[0].end", "valid date"),
    ],
)
def test_a_bad_calendar_is_refused_naming_the_field(
    tmp_path: Path, change, field: str, problem: str
) -> None:
    data = example_data()
    change(data["calendar"])
    message = load_error(write(tmp_path, data))
    assert f": {field}: " in message
    assert problem in message


def test_an_unknown_region_lists_the_regions(tmp_path: Path) -> None:
    data = example_data()
    data["calendar"]["region"] = "wales"
    message = load_error(write(tmp_path, data))
    for region in ("england_and_wales", "scotland", "northern_ireland"):
        assert region in message


def test_start_up_warns_loudly_when_the_dates_run_out(
    config: SchoolConfig, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.school.terms"):
        assert config.calendar.warn_if_out_of_date(date(2026, 12, 5)) == []
        assert not caplog.records
        assert config.calendar.warn_if_out_of_date(date(2027, 8, 31)) == []
        assert not caplog.records
        problems = config.calendar.warn_if_out_of_date(date(2029, 1, 2))
    assert len(problems) == 2
    text = caplog.text
    assert "SCHOOL CALENDAR OUT OF DATE" in text
    assert "bank holiday dates run from 2026-01-01 to 2028-12-31" in text
    assert "calendar.terms: the terms listed end with the school year to 2027-08-31" in text
