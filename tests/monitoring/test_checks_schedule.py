"""The schedule asks the ICT lead (role ict) to run a filtering check once a half term of the
school calendar, at 09:00 on the half term's first school day, once however often (and by how
many schedulers) the job runs; once more a week later if no check was recorded; not in the
holidays; nothing at all without an ICT person (a warning at start instead)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select

from bot.monitoring.checks_jobs import ask_filtering_checks
from bot.monitoring.checks_schedule import START, period_of
from bot.school.config import load_school_config
from storage.models import FilteringCheckRequest, Outbox
from tests.conftest import EXAMPLE_CONFIG
from tests.support.alerts import ICT
from tests.support.harness import Chat

LONDON = ZoneInfo("Europe/London")
ALL_BLOCKED = {
    "device": "Pupil laptop 12",
    "user_group": "pupils",
    "location": "ICT suite, school Wi-Fi",
    "test": "testfiltering",
    "result_csam": "blocked",
    "result_terrorism": "blocked",
    "result_adult": "blocked",
    "result_offensive_language": "blocked",
    "result_self_harm": "not_tested",
    "action": "none",
}


def at(day: str, hour: int, minute: int = 0) -> datetime:
    """A moment of the school's day (London time: BST until 25 October 2026), in UTC."""
    local = datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}").replace(tzinfo=LONDON)
    return local.astimezone(UTC)


async def asks(bot, channel_name: str = "test") -> list[tuple[str, str, int]]:
    """The asks queued to the ICT lead: (kind, the period asked for, level)."""
    async with bot.router.sessions() as session:
        rows = await session.execute(
            select(Outbox.kind, FilteringCheckRequest.period, Outbox.level)
            .join(FilteringCheckRequest, FilteringCheckRequest.id == Outbox.conversation_id)
            .where(Outbox.kind.in_(["check_ask", "check_again"]), Outbox.channel == channel_name)
            .order_by(Outbox.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def run_job(bot, clock, moment: datetime, times: int = 2) -> None:
    """The job at `moment`, `times` at once (two schedulers)."""
    clock.now = moment
    await asyncio.gather(*(ask_filtering_checks(bot.jobs) for _ in range(times)))


async def record_check(bot, clock) -> None:
    ict = Chat(bot, ICT)
    await ict.click(START, token=False)
    for step, value in ALL_BLOCKED.items():
        ict.assert_asked(step)
        if any(o.value == value for o in ict.question.options):
            await ict.click(value)
        else:
            await ict.send(value)
    await ict.click("__submit")
    ict.assert_reply("Recorded")


async def test_asked_once_a_half_term_at_nine_on_its_first_school_day(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    first = "half_term:2026-09-01"
    # 1 and 2 September are INSET days: the first school day is Thursday 3 September.
    await run_job(bot, clock, at("2026-09-01", 10))
    await run_job(bot, clock, at("2026-09-03", 8, 59))
    assert await asks(bot) == []
    await run_job(bot, clock, at("2026-09-03", 9, 0))
    await run_job(bot, clock, at("2026-09-03", 15, 0))
    assert await asks(bot) == [("check_ask", first, 0)]
    # The ask reaches the ICT lead with the button that starts the check.
    await bot.dispatcher.deliver_due()
    (card,) = channel.cards(ICT)
    assert [o.value for o in card.actions] == [START]
    assert channel.recipients("check_ask") == {ICT}

    # A week on, nothing recorded: asked again, once.
    await run_job(bot, clock, at("2026-09-10", 8, 59))
    assert len(await asks(bot)) == 1
    await run_job(bot, clock, at("2026-09-10", 9, 0))
    await run_job(bot, clock, at("2026-09-17", 9, 0))
    assert await asks(bot) == [("check_ask", first, 0), ("check_again", first, 1)]

    # The half-term holiday: nothing. The next half term: asked on its first day.
    await run_job(bot, clock, at("2026-10-28", 9, 0))
    assert len(await asks(bot)) == 2
    await run_job(bot, clock, at("2026-11-02", 9, 0))
    second = "half_term:2026-11-02"
    assert (await asks(bot))[-1] == ("check_ask", second, 0)

    # Checked within the week: no reminder.
    clock.now = at("2026-11-04", 11, 0)
    await record_check(bot, clock)
    await run_job(bot, clock, at("2026-11-09", 9, 0))
    await run_job(bot, clock, at("2026-11-16", 9, 0))
    assert [a for a in await asks(bot) if a[1] == second] == [("check_ask", second, 0)]

    # Spring's first half term starts with an INSET day (4 January): asked on the 5th.
    await run_job(bot, clock, at("2027-01-04", 9, 0))
    assert len(await asks(bot)) == 3
    await run_job(bot, clock, at("2027-01-05", 9, 0))
    assert (await asks(bot))[-1] == ("check_ask", "half_term:2027-01-04", 0)


async def test_a_check_already_recorded_in_the_half_term_is_not_asked_for(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    clock.now = at("2026-11-02", 8, 0)
    await record_check(bot, clock)
    await run_job(bot, clock, at("2026-11-02", 9, 0))
    assert await asks(bot) == []


async def test_nobody_with_the_role_ict_is_asked_nothing_and_warned_at_start(
    make_bot, channel, clock, school_with, caplog
):
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    people = [p for p in data["people"] if "ict" not in p["roles"]]
    with caplog.at_level(logging.WARNING):
        bot = await make_bot(notifiers={"test": channel}, school_config=school_with(people=people))
    assert "nobody in the school file has the role ict" in caplog.text
    await run_job(bot, clock, at("2026-09-03", 9, 0))
    assert await asks(bot) == []


def test_periods_by_setting_and_without_term_dates(school_with):
    school = load_school_config(EXAMPLE_CONFIG)
    assert period_of(school, date(2026, 11, 24)).key == "half_term:2026-11-02"  # type: ignore[union-attr]
    assert period_of(school, date(2026, 10, 28)) is None  # the October half-term holiday

    by_term = load_school_config(school_with(monitoring={"checks": {"every": "term"}}))
    autumn = period_of(by_term, date(2026, 11, 24))
    assert autumn is not None and autumn.key == "term:2026:autumn"
    assert (autumn.first, autumn.last) == (date(2026, 9, 1), date(2026, 12, 18))

    monthly = load_school_config(school_with(monitoring={"checks": {"every": "month"}}))
    assert period_of(monthly, date(2026, 11, 24)).key == "month:2026-11"  # type: ignore[union-attr]

    no_terms = load_school_config(school_with(calendar={"terms": [], "closures": []}))
    first = period_of(no_terms, date(2026, 9, 1))
    later = period_of(no_terms, date(2026, 10, 13))  # six weeks on
    assert first is not None and later is not None
    assert (first.first, first.last) == (date(2026, 9, 1), date(2026, 10, 12))
    assert later.first == date(2026, 10, 13) and later.key != first.key
