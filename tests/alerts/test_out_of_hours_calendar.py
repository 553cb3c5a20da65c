"""The out-of-hours lines on the DSL's alert follow the school calendar (config/school.example.yaml:
terms of 2026-27, INSET days, England and Wales bank holidays), not just the weekday and time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.support.alerts import DSL, file_concern

LONDON = ZoneInfo("Europe/London")


async def _alert_text(make_bot, channel, clock, when: datetime) -> str:
    clock.now = when
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    await bot.dispatcher.deliver_due()
    (card,) = channel.cards(DSL)
    return card.text or ""


@pytest.mark.parametrize(
    "when",
    [
        pytest.param(datetime(2027, 5, 3, 10, 0, tzinfo=LONDON), id="early-May-bank-holiday"),
        pytest.param(datetime(2026, 11, 24, 16, 31, tzinfo=LONDON), id="16:31-on-a-school-day"),
        pytest.param(datetime(2026, 10, 28, 10, 0, tzinfo=LONDON), id="half-term-Wednesday"),
        pytest.param(datetime(2027, 1, 4, 10, 0, tzinfo=LONDON), id="INSET-day"),
    ],
)
async def test_a_report_when_school_is_shut_shows_the_out_of_hours_lines(
    make_bot, channel, clock, when
):
    text = await _alert_text(make_bot, channel, clock, when)
    assert "outside school hours" in text
    assert "01632 960003" in text  # the council's emergency duty team, from the school file


async def test_a_report_at_ten_on_a_term_day_does_not(make_bot, channel, clock):
    text = await _alert_text(make_bot, channel, clock, datetime(2026, 11, 24, 10, 0, tzinfo=LONDON))
    assert "outside school hours" not in text
    assert "01632 960003" not in text


async def test_the_bot_starts_with_a_loud_warning_once_the_dates_run_out(make_bot, clock, caplog):
    clock.now = datetime(2029, 1, 8, 10, 0, tzinfo=LONDON)  # past the shipped bank holidays
    with caplog.at_level("WARNING", logger="bot.school.terms"):
        bot = await make_bot()
    assert bot.school.is_school_hours(clock.now)  # no crash: an ordinary Monday morning
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.school.terms"]
    assert any("bank_holidays.yaml" in w for w in warnings), warnings
    assert all(w.startswith("SCHOOL CALENDAR OUT OF DATE") for w in warnings)
