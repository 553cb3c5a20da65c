"""The DSL marks a monitoring alert a false positive, with a reason, in chat: recorded once in
the event log (the reason sealed), refused for anyone outside the safeguarding team (and the
refusal recorded), and a double send records one mark."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.record.events import open_event
from storage.models import Event
from tests.monitoring.webhook import alert, post, served
from tests.support.alerts import DSL
from tests.support.harness import Chat
from tests.support.reports import count, only_report
from tests.support.walk import STAFF

REASON = "a history lesson on the Second World War"


async def _filed(make_bot, channel, monitored_school, clock):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    async with served(bot) as client:
        assert (await post(client, alert("A-1", at=clock.now), now=clock.now)).status == 201
    return bot, await only_report(bot)


async def _marks(bot) -> list[Event]:
    async with bot.router.sessions() as session:
        query = select(Event).where(Event.kind == "monitoring_false_positive")
        return list(await session.scalars(query))


async def test_the_dsl_marks_an_alert_a_false_positive_with_the_reason_recorded(
    make_bot, channel, monitored_school, clock
):
    bot, report = await _filed(make_bot, channel, monitored_school, clock)
    dsl = Chat(bot, DSL)
    await dsl.send(f"false positive {report.reference.lower()} {REASON}")
    dsl.assert_reply(f"{report.reference} is marked a false positive")
    (mark,) = await _marks(bot)
    assert (mark.report_id, mark.actor_email) == (report.id, DSL)
    assert REASON not in str(mark.detail)  # the reason is sealed, not in the plain detail
    assert open_event(bot.cipher, mark) == {"reason": REASON}
    await dsl.send(f"false positive {report.reference} again, by mistake")
    dsl.assert_reply("already marked a false positive (by Alice Hartley)")
    assert len(await _marks(bot)) == 1


async def test_staff_outside_the_team_are_refused_and_the_refusal_recorded(
    make_bot, channel, monitored_school, clock
):
    bot, report = await _filed(make_bot, channel, monitored_school, clock)
    staff = Chat(bot, STAFF)
    await staff.send(f"false positive {report.reference} {REASON}")
    staff.assert_reply("Only the DSL, a deputy or the headteacher")
    assert await _marks(bot) == []
    assert await count(bot, Event, Event.kind == "refused", Event.actor_email == STAFF) == 1


async def test_a_reference_that_is_no_monitoring_alert_or_no_reason_marks_nothing(
    make_bot, channel, monitored_school, clock
):
    bot, report = await _filed(make_bot, channel, monitored_school, clock)
    dsl = Chat(bot, DSL)
    await dsl.send(f"false positive OS-2026-{report.id:05d} {REASON}")  # a concern's form
    dsl.assert_reply(f"No monitoring alert has the reference OS-2026-{report.id:05d}")
    await dsl.send(f"false positive {report.reference}")
    dsl.assert_reply('type "false positive", its reference and the reason')
    assert await _marks(bot) == []


async def test_two_marks_sent_at_once_record_one(make_bot, channel, monitored_school, clock):
    bot, report = await _filed(make_bot, channel, monitored_school, clock)
    first, second = Chat(bot, DSL), Chat(bot, "d.osei@example.org")
    await asyncio.gather(
        first.send(f"false positive {report.reference} {REASON}"),
        second.send(f"false positive {report.reference} {REASON}"),
    )
    assert len(await _marks(bot)) == 1
