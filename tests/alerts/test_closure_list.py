"""`closure list` and `closure remove`: the safeguarding team sees the closures recorded in chat
and the school calendar's breaks, INSET days and bank holidays for the weeks ahead, and takes
away one recorded in chat (never the school file's); staff are refused, and it is recorded."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.delivery.messages import Card
from storage.models import Event, SchoolClosure
from tests.support.alerts import DSL, HEAD, file_concern
from tests.support.harness import Chat
from tests.support.reports import count
from tests.support.walk import STAFF


async def _events(bot, kind: str) -> list[Event]:
    async with bot.router.sessions() as session:
        return list(
            await session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id))
        )


async def test_the_list_shows_chat_closures_ahead_and_the_calendar_for_eight_weeks(make_bot):
    bot = await make_bot()
    dsl = Chat(bot, DSL)
    await dsl.send("closure 2026-12-02 snow")
    await dsl.send("closure 2026-11-20 boiler")  # before today (Tuesday 24 November): not shown
    chat = Chat(bot, HEAD)
    await chat.send("closure list")
    (card,) = [r for r in chat.replies if isinstance(r, Card)]
    assert card.title == "School closures from Tuesday 24 November 2026"
    fields = {f.label: f.value for f in card.fields}
    assert fields["Recorded in chat"] == "Wednesday 2 December 2026: snow"
    calendar = fields[
        "School calendar to Monday 18 January 2027 (the school file and bank holidays)"
    ]
    assert calendar.splitlines() == [
        "Saturday 19 December 2026 to Sunday 3 January 2027: holiday (between terms)",
        "Monday 4 January 2027: INSET day",
    ]
    assert await count(bot, SchoolClosure) == 2  # "list" was never taken for a reason


async def test_staff_are_refused_the_list_and_the_removal_and_both_recorded(make_bot):
    bot = await make_bot()
    await Chat(bot, DSL).send("closure 2026-12-02 snow")
    staff = Chat(bot, STAFF)
    await staff.send("closure list")
    staff.assert_reply("Only the DSL, a deputy or the headteacher can see the school closures")
    assert "snow" not in " ".join(staff.texts)
    await staff.send("closure remove 2026-12-02")
    staff.assert_reply("Only the DSL, a deputy or the headteacher can remove a school closure")
    assert await count(bot, SchoolClosure) == 1
    refused = await _events(bot, "refused")
    assert [e.detail for e in refused if e.actor_email == STAFF] == [
        {"action": "closure list"},
        {"action": "closure remove"},
    ]


async def test_the_dsl_removes_a_chat_closure_and_alerts_that_day_follow_school_hours(
    make_bot, channel, clock
):
    bot = await make_bot(notifiers={"test": channel})
    dsl = Chat(bot, DSL)
    await dsl.send("closure today snow")
    await dsl.send("closure remove today")
    dsl.assert_reply("Removed: Tuesday 24 November 2026 is no longer recorded as a closure")
    assert await count(bot, SchoolClosure) == 0
    (event,) = await _events(bot, "closure_removed")
    assert event.actor_email == DSL and event.detail == {"day": "2026-11-24"}
    assert "snow" not in repr(event.detail)  # the typed reason is sealed, as when it was added

    await file_concern(bot)  # 10:30 on a school day that is open again
    await bot.dispatcher.deliver_due()
    assert "outside school hours" not in (channel.cards(DSL)[0].text or "")

    await dsl.send("closure remove today")  # again: nothing left to remove
    dsl.assert_reply("No closure is recorded in chat for Tuesday 24 November 2026")


async def test_the_school_files_closures_are_changed_in_the_file(make_bot):
    bot = await make_bot()
    dsl = Chat(bot, DSL)
    await dsl.send("closure remove 2027-01-04")
    dsl.assert_reply("Monday 4 January 2027 is closed by the school calendar (INSET day)")
    dsl.assert_reply("changed in the school file")
    assert await _events(bot, "closure_removed") == []


@pytest.mark.parametrize(
    "typed", ["closure remove", "closure remove 2026-02-30", "closure remove soon"]
)
async def test_without_a_real_date_the_dsl_is_told_how(make_bot, typed):
    bot = await make_bot()
    dsl = Chat(bot, DSL)
    await dsl.send(typed)
    dsl.assert_reply('type "closure remove", then its date')
    assert await count(bot, SchoolClosure) == 0


def test_a_day_in_the_list_is_worded_like_the_recording():
    from bot.cases.closures import day_words

    assert day_words(date(2026, 12, 7)) == "Monday 7 December 2026"
