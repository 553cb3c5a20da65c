"""The termly drill (the school file's `drills:`, default once a term at 10:30): sent on a
school day in school hours from the term's second week, once a term even with two schedulers
on one database, never when a drill was sent in chat that term already, and never when off."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.cases.drill_schedule import wanted_by
from bot.cases.drills import start_drill
from bot.cases.scheduled import send_termly_drill
from bot.school.config import SchoolConfigError, load_school_config
from storage.models import Drill, Outbox
from tests.support.alerts import DSL, TEAM
from tests.support.harness import Chat


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)  # London is on UTC in winter


async def drills(bot) -> list[Drill]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(Drill).order_by(Drill.id)))


async def test_the_terms_drill_goes_once_from_the_set_time_of_a_school_day(
    make_bot, channel, clock
):
    bot = await make_bot(notifiers={"test": channel})
    clock.now = at(2026, 11, 24, 10, 29)  # a Tuesday in the term of 2 November
    assert await send_termly_drill(bot.jobs) is False
    clock.now = at(2026, 11, 24, 10, 30)
    assert await send_termly_drill(bot.jobs) is True
    assert {d.recipient_email for d in channel.deliveries} == TEAM
    assert "DRILL: no child involved" in channel.cards(DSL)[0].title
    assert "The termly schedule" in str(channel.cards(DSL)[0].fields)
    clock.now = at(2026, 11, 24, 14, 0)
    assert await send_termly_drill(bot.jobs) is False
    clock.now = at(2026, 12, 18, 10, 45)  # the term's last day
    assert await send_termly_drill(bot.jobs) is False
    assert [(d.term, d.started_by) for d in await drills(bot)] == [("2026-11-02#1", "scheduler")]

    clock.now = at(2027, 1, 7, 11, 0)  # the next term's first week: not yet
    assert await send_termly_drill(bot.jobs) is False
    clock.now = at(2027, 1, 11, 11, 0)  # its second week
    assert await send_termly_drill(bot.jobs) is True
    assert [d.term for d in await drills(bot)] == ["2026-11-02#1", "2027-01-04#1"]


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(at(2026, 11, 28, 10, 30), id="a Saturday"),
        pytest.param(at(2026, 11, 24, 16, 45), id="after school hours"),
        pytest.param(at(2026, 10, 28, 10, 30), id="half term"),
        pytest.param(at(2026, 11, 5, 10, 30), id="the term's first week"),
        pytest.param(at(2026, 12, 25, 10, 30), id="Christmas Day"),
    ],
)
async def test_no_drill_outside_a_school_day_or_in_the_first_week(make_bot, channel, clock, moment):
    bot = await make_bot(notifiers={"test": channel})
    clock.now = moment
    assert await send_termly_drill(bot.jobs) is False
    assert await drills(bot) == []


async def test_a_drill_sent_in_chat_that_term_counts(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    clock.now = at(2026, 11, 23, 9, 0)  # the Monday before, before the set time
    await Chat(bot, DSL).send("drill")
    clock.now = at(2026, 11, 24, 10, 30)
    assert await send_termly_drill(bot.jobs) is False
    assert len(await drills(bot)) == 1


async def test_drills_off_sends_none(make_bot, channel, clock, school_with):
    bot = await make_bot(notifiers={"test": channel}, school_config=school_with(drills=False))
    clock.now = at(2026, 11, 24, 10, 30)
    assert await send_termly_drill(bot.jobs) is False
    assert await drills(bot) == []


async def test_two_schedulers_at_once_send_one_drill(make_bot, channel, clock):
    one = await make_bot(notifiers={"test": channel})
    other = await make_bot(notifiers={"test": channel})
    clock.now = at(2026, 11, 24, 10, 30)
    sent = await asyncio.gather(send_termly_drill(one.jobs), send_termly_drill(other.jobs))
    assert sorted(sent) == [False, True]
    assert len(await drills(one)) == 1
    async with one.router.sessions() as session:
        alerts = list(await session.scalars(select(Outbox).where(Outbox.kind == "alert")))
    assert len({row.report_id for row in alerts}) == 1


async def test_the_same_terms_drill_cannot_be_stored_twice(make_bot, clock):
    """What makes two schedulers safe on PostgreSQL, where both may count none before either
    commits: the term's key is unique, so the second insert fails before anything is queued."""
    bot = await make_bot()
    desk = bot.router.cases.desk
    async with bot.router.sessions() as session, session.begin():
        await start_drill(
            session, desk, started_by="scheduler", channel="scheduler", now=clock.now, term="k#1"
        )
    with pytest.raises(IntegrityError):
        async with bot.router.sessions() as session, session.begin():
            await start_drill(
                session,
                desk,
                started_by="scheduler",
                channel="scheduler",
                now=clock.now,
                term="k#1",
            )
    assert len(await drills(bot)) == 1
    async with bot.router.sessions() as session:
        assert len(set(await session.scalars(select(Outbox.report_id)))) == 1


def test_more_than_one_a_term_are_spread_over_it():
    first, last = datetime(2026, 9, 1).date(), datetime(2026, 12, 18).date()
    days = [datetime(2026, m, d).date() for m, d in ((9, 7), (9, 8), (10, 28), (10, 29), (12, 18))]
    assert [wanted_by(first, last, day, 2) for day in days] == [0, 1, 1, 2, 2]
    assert [wanted_by(first, last, day, 0) for day in days] == [0, 0, 0, 0, 0]


def test_the_drills_setting_is_checked(school_with):
    assert load_school_config(school_with(drills="off")).drills.per_term == 0
    school = load_school_config(school_with(drills={"per_term": 2, "at": "13:15"}))
    assert (school.drills.per_term, school.drills.at.isoformat()) == (2, "13:15:00")
    with pytest.raises(SchoolConfigError, match="drills"):
        load_school_config(school_with(drills={"per_term": 1, "at": "25:00"}))
    with pytest.raises(SchoolConfigError, match="drills"):
        load_school_config(school_with(drills={"per_term": 9}))
