"""The rules of trust (../shared/DESIGN.md) with two schools on one database, the same people
in each: the adult an allegation is about is never told it by either school; a school's alert
the platform refuses is recorded as not sent, in that school alone; and a button of the other
school's case does nothing in this school's chat."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.cases.scheduled import sweep_alerts
from bot.words import strings
from storage.models import Outbox, Report
from tests.support.alerts import DSL, HEAD, file_concern
from tests.support.clock import FakeClock
from tests.support.harness import Chat
from tests.support.notifiers import FlakyChannel, RecordingChannel
from tests.support.reports import event_kinds
from tests.test_school_scope import SECOND, add_school


async def test_the_adult_an_allegation_is_about_is_told_by_neither_school(
    make_bot: Any, clock: FakeClock
) -> None:
    first_alerts, second_alerts = RecordingChannel(), RecordingChannel()
    first = await make_bot(notifiers={"test": first_alerts})
    await add_school(first.engine)
    second = await make_bot(notifiers={"test": second_alerts}, school_id=SECOND)
    # The head of both schools (the same file): the allegation is about them, in the second.
    await file_concern(second, about_adult="yes", adult_is_head="yes", adult_who="Martin Fenwick")
    for _ in range(6):  # every level of the escalation and its repeats, in both schools
        for bot in (first, second):
            await sweep_alerts(bot.jobs)
        clock.advance(minutes=30)
    async with second.router.sessions() as session:
        [report] = await session.scalars(select(Report))
    assert report.allegation

    assert second_alerts.recipients(), "the allegation went to nobody"
    assert HEAD not in second_alerts.recipients() and second_alerts.to(HEAD) == []
    assert first_alerts.deliveries == []  # the first school has nothing to send about it
    for bot in (first, second):
        them = Chat(bot, HEAD)
        for verb in ("view", "export", "ack"):
            replies = await them.click(f"case:{verb}:{report.id}")
            assert str(report.reference) not in repr(replies)
            if bot is second:  # refused where the case is; in the first, it is not there
                them.assert_reply(strings.NOT_ALLOWED[:30])
    # Refused in the school whose case it is, and recorded in its own log only.
    assert (await event_kinds(second, report)).count("refused") == 3
    async with first.router.sessions() as session:
        assert list(await session.scalars(select(Report))) == []


async def test_a_schools_alert_the_platform_refuses_is_recorded_unsent_in_that_school(
    make_bot: Any,
) -> None:
    first_alerts = RecordingChannel()
    second_alerts = FlakyChannel(failures={DSL: ("raise", 99)})  # the platform refuses them
    first = await make_bot(notifiers={"test": first_alerts})
    await add_school(first.engine)
    second = await make_bot(notifiers={"test": second_alerts}, school_id=SECOND)
    await file_concern(second)
    await second.dispatcher.deliver_due()
    await first.dispatcher.deliver_due()

    async with second.router.sessions() as session:
        rows = list(await session.scalars(select(Outbox).where(Outbox.kind == "alert")))
    refused = [r for r in rows if r.recipient_email == DSL and r.channel == "test"]
    assert [(r.status, r.attempts) for r in refused] == [("pending", 1)]
    assert refused[0].last_error and refused[0].sent_at is None  # not recorded as sent
    assert second_alerts.to(DSL) == []
    assert {r.status for r in rows if r.recipient_email != DSL and r.channel == "test"} == {"sent"}
    assert first_alerts.deliveries == []  # nothing of it reached the other school's channel
    async with first.router.sessions() as session:
        assert list(await session.scalars(select(Outbox))) == []


async def test_an_old_button_of_the_other_schools_case_changes_nothing(make_bot: Any) -> None:
    first = await make_bot()
    await add_school(first.engine)
    second = await make_bot(school_id=SECOND)
    await file_concern(second)
    async with second.router.sessions() as session:
        [theirs] = await session.scalars(select(Report))
    dsl = Chat(first, DSL)  # the same DSL's address, in the first school's chat
    for verb in ("ack", "note", "action", "close"):
        replies = await dsl.click(f"case:{verb}:{theirs.id}")
        assert str(theirs.reference) not in repr(replies)
    async with second.router.sessions() as session:
        [still] = await session.scalars(select(Report))
    assert (still.case_status, still.acknowledged_by) == ("open", None)
    assert "acknowledged" not in await event_kinds(second, still)
