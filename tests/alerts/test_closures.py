"""The `closure` command: the DSL, a deputy or the head records a day the school is shut;
staff are refused (checked on the server); alerts sent that day show the out-of-hours lines."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.cases.closures import recorded
from bot.chat.draft_notices import DraftSettings
from bot.chat.reminders import next_morning
from storage.models import Event, SchoolClosure
from tests.support.alerts import DEPUTIES, DSL, HEAD, file_concern
from tests.support.harness import Chat
from tests.support.reports import count
from tests.support.walk import STAFF

LONDON = ZoneInfo("Europe/London")
WEDNESDAY = date(2026, 11, 25)  # in term, the day after the FakeClock's Tuesday


async def _events(bot, kind: str) -> list[Event]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(Event).where(Event.kind == kind)))


async def test_staff_cannot_record_a_closure(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    staff = Chat(bot, STAFF)
    await staff.send("closure today snow")
    staff.assert_reply("Only the DSL, a deputy or the headteacher can record a school closure")
    assert await count(bot, SchoolClosure) == 0
    (refused,) = await _events(bot, "refused")
    assert refused.actor_email == STAFF and refused.detail == {"action": "closure"}
    assert await _events(bot, "school_closed") == []


async def test_the_dsl_records_a_closure_and_alerts_that_day_are_out_of_hours(
    make_bot, channel, clock
):
    bot = await make_bot(notifiers={"test": channel})
    dsl = Chat(bot, DSL)
    await dsl.send("Closure 2026-11-25 Heating failure")
    dsl.assert_reply("Recorded: the school is closed on Wednesday 25 November 2026")
    dsl.assert_reply("(Heating failure)")
    async with bot.router.sessions() as session:
        (closure,) = await recorded(session, first=WEDNESDAY, last=WEDNESDAY)
    assert closure.reason == "Heating failure"
    (event,) = await _events(bot, "school_closed")
    assert event.actor_email == DSL and event.detail == {"day": "2026-11-25"}
    assert "Heating" not in repr(event.detail)  # typed words are sealed, not plain

    clock.now = datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)  # 10:00 on a term day, but closed
    await file_concern(bot)
    await bot.dispatcher.deliver_due()
    text = channel.cards(DSL)[0].text or ""
    assert "outside school hours" in text and "01632 960003" in text

    # A draft left on the Tuesday is reminded on the Thursday morning, not the closed Wednesday.
    left = datetime(2026, 11, 24, 15, 0, tzinfo=LONDON)
    morning = next_morning(left, school=bot.school, drafts=DraftSettings(), closed=[closure])
    assert morning.date() == date(2026, 11, 26)


@pytest.mark.parametrize("who", [sorted(DEPUTIES)[0], HEAD])
async def test_a_deputy_or_the_head_may_record_one_today_by_default(make_bot, channel, who):
    bot = await make_bot(notifiers={"test": channel})
    chat = Chat(bot, who)
    await chat.send("school closed snow")
    chat.assert_reply("closed on Tuesday 24 November 2026 (snow)")
    assert await count(bot, SchoolClosure, SchoolClosure.day == date(2026, 11, 24)) == 1


@pytest.mark.parametrize("typed", ["closure", "closure tomorrow", "closure 2026-02-30 snow"])
async def test_without_a_reason_or_a_real_date_the_dsl_is_told_how(make_bot, channel, typed):
    bot = await make_bot(notifiers={"test": channel})
    dsl = Chat(bot, DSL)
    await dsl.send(typed)
    dsl.assert_reply('type "closure", then the day')
    assert await count(bot, SchoolClosure) == 0
