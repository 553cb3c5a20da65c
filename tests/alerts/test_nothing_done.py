"""Acknowledged but nothing done, through the real router, outbox and dispatcher with a clock the
tests move: the person who acknowledged is reminded at the set time (the next school day at
12:00; 2 hours for urgent), then the DSL, then the head, once each; the first note, action or
close stops it; nobody an allegation may be about is ever reminded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.cases.nothing_done import KIND, REMINDED
from bot.cases.scheduled import sweep_alerts
from bot.cases.service import record_action
from bot.delivery.notifier import Delivery
from bot.school.config import SchoolConfigError, load_school_config
from storage.models import Report
from tests.support.alerts import DSL, HEAD, file_concern, outbox
from tests.support.harness import Chat
from tests.support.notifiers import RecordingChannel
from tests.support.reports import event_kinds, only_report

DEPUTY = "d.osei@example.org"
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # London is on UTC in November


async def acknowledged(bot, clock, *, by: str = DEPUTY, **concern) -> Report:
    """A concern filed and acknowledged now; its alerts delivered."""
    await file_concern(bot, **concern)
    report = await only_report(bot)
    await Chat(bot, by).click(f"case:ack:{report.id}")
    await sweep_alerts(bot.jobs)
    return await only_report(bot)


async def reminded(bot) -> list[tuple[int, str]]:
    """Every nothing-done reminder queued, as (step, recipient), in order (one row per channel:
    counted once)."""
    return sorted({(r.level, r.recipient_email) for r in await outbox(bot) if r.kind == KIND})


async def sweep_at(bot, clock, moment: datetime) -> None:
    clock.now = moment
    await sweep_alerts(bot.jobs)


def at(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def test_reminds_who_acknowledged_the_next_school_day_at_noon_then_dsl_then_head(
    make_bot, channel, clock
):
    clock.now = TUESDAY_10
    bot = await make_bot(notifiers={"test": channel})
    await acknowledged(bot, clock)

    await sweep_at(bot, clock, at(25, 11, 59))  # Wednesday, a minute early
    assert await reminded(bot) == []
    await sweep_at(bot, clock, at(25, 12))
    assert await reminded(bot) == [(1, DEPUTY)]
    (notice,) = [m for d in channel.to(DEPUTY, KIND) for m in d.messages]
    assert "You acknowledged case" in notice.text and "reminder 1 of 3" in notice.text

    await sweep_at(bot, clock, at(25, 12, 59))
    assert await reminded(bot) == [(1, DEPUTY)]
    await sweep_at(bot, clock, at(25, 13))  # one interval later: the DSL
    assert await reminded(bot) == [(1, DEPUTY), (2, DSL)]
    assert "acknowledged by Daniel Osei" in channel.to(DSL, KIND)[0].messages[0].text
    await sweep_at(bot, clock, at(25, 14))  # one more: the head
    assert await reminded(bot) == [(1, DEPUTY), (2, DSL), (3, HEAD)]

    await sweep_at(bot, clock, at(28, 9))  # days later: nobody is reminded again
    await sweep_alerts(bot.jobs)
    assert await reminded(bot) == [(1, DEPUTY), (2, DSL), (3, HEAD)]
    assert [len(channel.to(e, KIND)) for e in (DEPUTY, DSL, HEAD)] == [1, 1, 1]
    assert (await event_kinds(bot)).count(REMINDED) == 3


async def test_sweeping_twice_queues_one_reminder(make_bot, channel, clock):
    clock.now = TUESDAY_10
    bot = await make_bot(notifiers={"test": channel})
    await acknowledged(bot, clock)
    await sweep_at(bot, clock, at(25, 12))
    await sweep_alerts(bot.jobs)
    assert await reminded(bot) == [(1, DEPUTY)]
    assert len(channel.to(DEPUTY, KIND)) == 1
    assert (await event_kinds(bot)).count(REMINDED) == 1


async def test_a_friday_acknowledgement_reminds_on_monday(make_bot, channel, clock):
    clock.now = at(27, 15)  # Friday
    bot = await make_bot(notifiers={"test": channel})
    await acknowledged(bot, clock)
    await sweep_at(bot, clock, at(28, 12))  # Saturday
    await sweep_at(bot, clock, at(30, 11, 59))
    assert await reminded(bot) == []
    await sweep_at(bot, clock, at(30, 12))  # Monday
    assert await reminded(bot) == [(1, DEPUTY)]


async def test_a_closure_is_skipped(make_bot, channel, clock, school_with):
    config = school_with(calendar__closures=[{"date": "2026-11-25", "reason": "Polling day"}])
    clock.now = TUESDAY_10
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await acknowledged(bot, clock)
    await sweep_at(bot, clock, at(25, 12))  # the school is shut on Wednesday
    await sweep_at(bot, clock, at(26, 11, 59))
    assert await reminded(bot) == []
    await sweep_at(bot, clock, at(26, 12))  # Thursday
    assert await reminded(bot) == [(1, DEPUTY)]


async def test_a_bank_holiday_is_skipped(make_bot, channel, clock):
    clock.now = at(30, 10, month=4, year=2027)  # Friday; Monday 3 May is a bank holiday
    bot = await make_bot(notifiers={"test": channel})
    await acknowledged(bot, clock)
    await sweep_at(bot, clock, datetime(2027, 5, 3, 11, 0, tzinfo=UTC))  # 12:00 London (BST)
    await sweep_at(bot, clock, datetime(2027, 5, 4, 10, 59, tzinfo=UTC))
    assert await reminded(bot) == []
    await sweep_at(bot, clock, datetime(2027, 5, 4, 11, 0, tzinfo=UTC))  # Tuesday 12:00 BST
    assert await reminded(bot) == [(1, DEPUTY)]


async def test_urgent_reminds_two_hours_after_the_acknowledgement(make_bot, channel, clock):
    clock.now = TUESDAY_10
    bot = await make_bot(notifiers={"test": channel})
    await acknowledged(bot, clock, danger="yes")  # acknowledged at 10:00
    await sweep_at(bot, clock, at(24, 11, 59))
    assert await reminded(bot) == []
    await sweep_at(bot, clock, at(24, 12))
    assert await reminded(bot) == [(1, DEPUTY)]
    await sweep_at(bot, clock, at(24, 13))
    await sweep_at(bot, clock, at(24, 14))
    assert await reminded(bot) == [(1, DEPUTY), (2, DSL), (3, HEAD)]


async def test_the_configured_times_are_kept(make_bot, channel, clock, school_with):
    config = school_with(
        alerts__nothing_done={
            "normal_by": "09:15",
            "urgent_after_minutes": 30,
            "then_every_minutes": 20,
        }
    )
    clock.now = TUESDAY_10
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await acknowledged(bot, clock)
    await sweep_at(bot, clock, at(25, 9, 14))
    assert await reminded(bot) == []
    await sweep_at(bot, clock, at(25, 9, 15))
    await sweep_at(bot, clock, at(25, 9, 34))
    assert await reminded(bot) == [(1, DEPUTY)]
    await sweep_at(bot, clock, at(25, 9, 35))
    await sweep_at(bot, clock, at(25, 9, 55))
    assert await reminded(bot) == [(1, DEPUTY), (2, DSL), (3, HEAD)]


async def test_a_note_before_the_time_means_no_reminder_ever(make_bot, channel, clock):
    clock.now = TUESDAY_10
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    await file_concern(bot)  # the same, left without a note: it is reminded
    async with bot.router.sessions() as session:
        noted, left = [r.id for r in await session.scalars(select(Report).order_by(Report.id))]
    deputy = Chat(bot, DEPUTY)
    for case in (noted, left):
        await deputy.click(f"case:ack:{case}")
    clock.now = at(24, 15)
    await deputy.click(f"case:note:{noted}")
    await deputy.send("Spoke to the class teacher.")
    await deputy.click("__submit")
    assert "note" in await event_kinds(bot)
    for moment in (at(25, 12), at(25, 13), at(25, 14), at(30, 12)):
        await sweep_at(bot, clock, moment)
    cases = {(r.report_id, r.level) for r in await outbox(bot) if r.kind == KIND}
    assert cases == {(left, 1), (left, 2), (left, 3)}  # none about the case with a note


async def test_an_action_after_the_first_reminder_stops_the_rest(make_bot, channel, clock):
    clock.now = TUESDAY_10
    bot = await make_bot(notifiers={"test": channel})
    report = await acknowledged(bot, clock)
    await sweep_at(bot, clock, at(25, 12))
    assert await reminded(bot) == [(1, DEPUTY)]
    clock.now = at(25, 12, 30)
    async with bot.router.sessions() as session, session.begin():
        case = await session.get(Report, report.id)
        await record_action(
            session,
            bot.jobs.desk,
            report=case,
            email=DEPUTY,
            action="referral",
            details="Referred to children's social care.",
            done_at="today",
            now=clock.now,
        )
    for moment in (at(25, 13), at(25, 14), at(26, 12)):
        await sweep_at(bot, clock, moment)
    assert await reminded(bot) == [(1, DEPUTY)]


async def test_an_allegation_s_subject_is_never_reminded(make_bot, channel, clock):
    clock.now = TUESDAY_10
    bot = await make_bot(notifiers={"test": channel})
    await acknowledged(
        bot, clock, by=HEAD, about_adult="yes", adult_is_head="no", adult_who="Alice Hartley"
    )
    for moment in (at(25, 12), at(25, 13), at(25, 14), at(26, 12)):
        await sweep_at(bot, clock, moment)
    assert await reminded(bot) == [(1, HEAD), (3, HEAD)]  # the DSL's step: not to the DSL
    assert channel.to(DSL, KIND) == []
    assert {r.recipient_email for r in await outbox(bot) if r.kind == KIND} == {HEAD}


def test_a_bad_time_stops_the_bot_naming_the_field(school_with):
    with pytest.raises(
        SchoolConfigError, match=r"alerts\.nothing_done\.normal_by: .25:00. is not a time"
    ):
        load_school_config(school_with(alerts__nothing_done={"normal_by": "25:00"}))


@dataclass
class RefusingReminders(RecordingChannel):
    """A platform that refuses the nothing-done reminders (and only them) until told not to."""

    refusing: bool = True

    async def deliver(self, delivery: Delivery) -> str | None:
        if delivery.kind == KIND and self.refusing:
            raise ConnectionError("the platform refused the message")
        return await super().deliver(delivery)


async def test_a_refused_reminder_stays_pending_then_goes_once(make_bot, clock):
    channel = RefusingReminders()
    clock.now = TUESDAY_10
    bot = await make_bot(notifiers={"test": channel})
    await acknowledged(bot, clock)

    await sweep_at(bot, clock, at(25, 12))
    (row,) = [r for r in await outbox(bot) if r.kind == KIND and r.channel == "test"]
    assert (row.status, row.sent_at, row.recipient_email) == ("pending", None, DEPUTY)
    assert row.last_error == "ConnectionError"
    assert channel.to(DEPUTY, KIND) == []  # refused: not taken as told

    channel.refusing = False
    await sweep_at(bot, clock, at(25, 12, 30))  # its back-off passed; the step is not queued again
    await sweep_at(bot, clock, at(25, 12, 45))
    assert len(channel.to(DEPUTY, KIND)) == 1
    (row,) = [r for r in await outbox(bot) if r.kind == KIND and r.channel == "test"]
    assert row.status == "sent"
    assert (await event_kinds(bot)).count(REMINDED) == 1
