"""Drills through the real router, outbox, escalation sweep and Acknowledge button, on the test
channel with a clock the tests move: the DSL types `drill`, the chain is alerted and escalates
as for a real report, every card says DRILL, and the result names each person's times."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.cases.drills import drill_results
from bot.cases.scheduled import sweep_alerts
from bot.delivery.messages import Card
from storage.models import Drill, Event, Report
from tests.support.alerts import DEPUTIES, DSL, HEAD, outbox
from tests.support.harness import Chat
from tests.support.notifiers import FlakyChannel, RecordingChannel
from tests.support.reports import all_reports, count, event_kinds
from tests.support.walk import STAFF

MARK = "DRILL: no child involved"
DEPUTY = sorted(DEPUTIES)[0]


def drill_cards(channel: RecordingChannel, email: str) -> list[Card]:
    return [c for c in channel.cards(email) if c.card_id.startswith("case-")]


async def the_drill(bot) -> Report:
    (report,) = [r for r in await all_reports(bot) if r.drill]
    return report


async def test_a_drill_escalates_like_an_alert_and_records_each_persons_times(
    make_bot, channel, clock
):
    bot = await make_bot(notifiers={"test": channel})
    sent_at = clock.now
    dsl = Chat(bot, DSL)
    await dsl.send("drill")
    dsl.assert_reply("on its way through the alert chain")
    drill = await the_drill(bot)
    assert drill.reference is not None and drill.reference.startswith("DRILL-2026-")
    await bot.dispatcher.deliver_due()
    assert channel.recipients() == {DSL, *DEPUTIES}
    for email in (DSL, *DEPUTIES):
        (card,) = drill_cards(channel, email)
        assert MARK in card.title and card.text is not None and MARK in card.text
        assert [a.value for a in card.actions] == [f"case:ack:{drill.id}"]  # nothing else
    assert HEAD not in channel.recipients()

    clock.advance(minutes=10)  # the school's normal plan: the head after 10 minutes
    await sweep_alerts(bot.jobs)
    assert HEAD in channel.recipients()
    (head_card,) = drill_cards(channel, HEAD)
    assert MARK in head_card.title and "reminder 1" in (head_card.text or "")
    assert "escalated" in await event_kinds(bot)

    clock.advance(minutes=2, seconds=5)
    head = Chat(bot, HEAD)
    await head.click(f"case:ack:{drill.id}")
    head.assert_reply(f"Drill {drill.reference} acknowledged")
    acknowledged_at = clock.now

    # Old buttons and a double click: nothing changes, and it says who acknowledged first.
    await Chat(bot, DEPUTY).click(f"case:ack:{drill.id}")
    await head.click(f"case:ack:{drill.id}")
    head.assert_reply("already acknowledged by Martin Fenwick")
    await Chat(bot, DSL).click(f"case:view:{drill.id}")
    drill = await the_drill(bot)
    assert (drill.acknowledged_by, drill.acknowledged_at) == (HEAD, acknowledged_at)
    assert (await event_kinds(bot)).count("acknowledged") == 1
    assert "viewed" not in await event_kinds(bot)
    assert not [r for r in await outbox(bot) if r.kind == "seen"]  # nobody reported it

    # Everyone's card is updated: marked still, and no button left.
    await sweep_alerts(bot.jobs)
    for email in (DSL, *DEPUTIES, HEAD):
        latest = drill_cards(channel, email)[-1]
        assert MARK in latest.title and latest.actions == ()
        assert "Acknowledged by Martin Fenwick" in str(latest.fields)

    clock.advance(hours=1)  # acknowledged: the chain stops
    await sweep_alerts(bot.jobs)
    assert {r.level for r in await outbox(bot) if r.kind == "alert"} == {0, 1}

    async with bot.router.sessions() as session:
        (result,) = await drill_results(
            session, first=sent_at.date(), last=sent_at.date() + timedelta(days=1)
        )
    assert result.reference == drill.reference and result.started_by == DSL
    assert result.acknowledged_by == HEAD
    assert result.took == timedelta(minutes=12, seconds=5)
    assert result.highest_level == 1
    people = {p.email: p for p in result.people}
    assert set(people) == {DSL, *DEPUTIES, HEAD}
    assert [people[e].level for e in (DSL, DEPUTY, HEAD)] == [0, 0, 1]
    assert people[DSL].delivered == (("test", sent_at),)
    assert people[HEAD].delivered_at == sent_at + timedelta(minutes=10)
    assert people[HEAD].acknowledged_at == acknowledged_at
    assert people[HEAD].took == timedelta(minutes=2, seconds=5)
    assert people[DSL].acknowledged_at is None and people[DSL].took is None
    assert all("test" not in dict(p.unreachable) for p in people.values()), people

    await dsl.send("drill results")
    shown = " ".join(str(c) for c in dsl.replies if isinstance(c, Card))
    assert f"Drill {drill.reference}, Tue 24 Nov 2026, 10:30" in shown
    assert "Acknowledged by Martin Fenwick 12 min 5 s after it was sent" in shown
    assert "value='Level 2. Test: delivered 10:40:00. Web chat: NOT reached (not signed in" in shown
    assert "acknowledged 10:42:05, 2 min 5 s after delivery." in shown


async def test_who_was_unreachable_is_in_the_result_with_the_platforms_error(make_bot, clock):
    channel = FlakyChannel(failures={DEPUTY: ("raise", 99)})
    bot = await make_bot(notifiers={"test": channel})
    dsl = Chat(bot, DSL)
    await dsl.send("drill")
    await bot.dispatcher.deliver_due()
    async with bot.router.sessions() as session:
        (result,) = await drill_results(session, first=clock.now.date(), last=clock.now.date())
    deputy = next(p for p in result.people if p.email == DEPUTY)
    assert deputy.delivered == () and deputy.delivered_at is None
    unreachable = dict(deputy.unreachable)
    assert "ConnectionError" in unreachable["test"], unreachable
    await dsl.send("drills")
    shown = " ".join(str(c) for c in dsl.replies if isinstance(c, Card))
    assert "Test: NOT reached (ConnectionError" in shown


async def test_staff_may_not_send_a_drill_nor_read_results_and_are_recorded(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    staff = Chat(bot, STAFF)
    for words in ("drill", "drill results"):
        await staff.send(words)
        staff.assert_reply("Only the DSL, the deputy DSLs and the headteacher")
    assert await count(bot, Report) == 0 and await count(bot, Drill) == 0
    async with bot.router.sessions() as session:
        refused = list(await session.scalars(select(Event).where(Event.kind == "refused")))
    assert [(e.actor_email, e.detail["action"]) for e in refused] == [(STAFF, "drill")]


async def test_a_deputy_and_the_head_may_send_one(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    for email in (DEPUTY, HEAD):
        chat = Chat(bot, email)
        await chat.send("drill")
        chat.assert_reply("on its way")
    assert await count(bot, Drill) == 2


async def test_two_people_pressing_acknowledge_at_once_record_one(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    await Chat(bot, DSL).send("drill")
    drill = await the_drill(bot)
    await asyncio.gather(
        Chat(bot, DSL).click(f"case:ack:{drill.id}"),
        Chat(bot, DEPUTY).click(f"case:ack:{drill.id}"),
    )
    assert (await event_kinds(bot)).count("acknowledged") == 1
    drill = await the_drill(bot)
    acknowledged = [e for e in await _events(bot, "acknowledged")]
    assert [e.actor_email for e in acknowledged] == [drill.acknowledged_by]


async def _events(bot, kind: str) -> list[Event]:
    async with bot.router.sessions() as session:
        return list(
            await session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id))
        )
