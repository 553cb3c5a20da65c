"""An unfinished report is never silently lost (issue 15, point 11): whoever started it is
reminded once after 30 minutes idle and once the next school day's morning, on the channel they
started on, through the outbox, once per idle period however often and wherever the job runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.chat.scheduled import remind_drafts
from bot.delivery.messages import Notice
from storage.models import Outbox
from tests.conftest import example_config_with
from tests.support.harness import Chat
from tests.support.notifiers import RecordingChannel
from tests.support.reports import event_kinds
from tests.support.walk import STAFF, ChatAsking, start, walk

SO_FAR = {
    "immediate_danger": "no",
    "category": "commerce",
    "commerce_kind": "scam",
    "about_adult": "no",
    "pupils": "AB (Year 5) was sent a fake prize link",
}
STARTED = "Tue 24 Nov 2026, 10:30"  # the fake clock's start, in the example school's time
REMINDER = (
    f"You have an unfinished online-safety concern report started at {STARTED}. "
    "Reply to carry on, or type cancel."
)


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def school_with(tmp_path):  # type: ignore[no-untyped-def]
    return lambda **changes: example_config_with(tmp_path, **changes)


async def left_at_what_happened(bot) -> Chat:  # type: ignore[no-untyped-def]
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk(ChatAsking(chat), SO_FAR, until="what_happened")
    return chat


async def reminder_rows(bot) -> list[Outbox]:  # type: ignore[no-untyped-def]
    async with bot.router.sessions() as session:
        query = select(Outbox).where(Outbox.kind.like("draft_%")).order_by(Outbox.id)
        return list(await session.scalars(query))


def texts(channel: RecordingChannel, kind: str) -> list[str]:
    return [m.text for d in channel.to(STAFF, kind) for m in d.messages if isinstance(m, Notice)]


async def test_a_draft_idle_for_30_minutes_reminds_its_reporter_once(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    chat = await left_at_what_happened(bot)

    clock.advance(minutes=29)
    assert await remind_drafts(bot.jobs) == 0
    assert channel.deliveries == []
    clock.advance(minutes=2)
    assert await remind_drafts(bot.jobs) == 1
    for _ in range(3):  # the job runs again and again in the same idle period
        clock.advance(minutes=5)
        assert await remind_drafts(bot.jobs) == 0

    assert texts(channel, "draft_idle") == [REMINDER]
    (row,) = await reminder_rows(bot)
    assert (row.recipient_email, row.channel, row.status) == (STAFF, "test", "sent")
    assert SO_FAR["pupils"] not in repr(row.about) and SO_FAR["pupils"] not in REMINDER
    assert (await event_kinds(bot)).count("draft_reminded") == 1

    # A reply carries on where they were: shown the question again, then answered.
    await chat.send("A pop-up on the class laptop promised a prize.")
    chat.assert_reply("Welcome back")
    chat.assert_asked("what_happened")
    await chat.send("A pop-up on the class laptop promised a prize.")
    chat.assert_asked("your_concerns")  # the next question


async def test_coming_back_starts_a_new_idle_period_with_its_own_reminder(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    chat = await left_at_what_happened(bot)
    clock.advance(minutes=31)
    assert await remind_drafts(bot.jobs) == 1

    await chat.send("A pop-up on the class laptop promised a prize.")
    clock.advance(minutes=20)
    assert await remind_drafts(bot.jobs) == 0  # not idle long enough since the reply
    clock.advance(minutes=11)
    assert await remind_drafts(bot.jobs) == 1

    assert len(channel.to(STAFF, "draft_idle")) == 2
    assert (await event_kinds(bot)).count("draft_reminded") == 2


async def test_the_second_reminder_comes_the_next_school_day_morning(make_bot, channel, clock):
    clock.now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # a Friday afternoon (GMT)
    bot = await make_bot(notifiers={"test": channel})
    await left_at_what_happened(bot)
    clock.advance(minutes=31)
    assert await remind_drafts(bot.jobs) == 1  # the first

    clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # Saturday: not a school day
    assert await remind_drafts(bot.jobs) == 0
    clock.now = datetime(2026, 11, 30, 8, 29, tzinfo=UTC)  # Monday, before 08:30
    assert await remind_drafts(bot.jobs) == 0
    clock.now = datetime(2026, 11, 30, 8, 31, tzinfo=UTC)
    assert await remind_drafts(bot.jobs) == 1
    clock.advance(hours=3)
    assert await remind_drafts(bot.jobs) == 0  # once

    (second,) = texts(channel, "draft_next_day")
    assert second.startswith("Good morning. You have an unfinished online-safety concern report")
    assert "Fri 27 Nov 2026, 15:00" in second and "type cancel" in second
    assert len(channel.to(STAFF, "draft_idle")) == 1


async def test_the_next_school_day_follows_the_school_days_and_its_time(
    make_bot, channel, clock, school_with
):
    """Schools open on Saturday mornings have it on Saturday; the morning is a setting, in
    the school's timezone (British Summer Time here)."""
    config = school_with(school_hours__days=["mon", "tue", "wed", "thu", "fri", "sat"])
    clock.now = datetime(2026, 6, 5, 14, 0, tzinfo=UTC)  # a Friday in summer: 15:00 BST
    bot = await make_bot(
        notifiers={"test": channel}, school_config=config, draft_reminder_morning="07:45"
    )
    await left_at_what_happened(bot)
    clock.advance(minutes=31)
    assert await remind_drafts(bot.jobs) == 1

    clock.now = datetime(2026, 6, 6, 6, 44, tzinfo=UTC)  # Saturday 07:44 BST
    assert await remind_drafts(bot.jobs) == 0
    clock.now = datetime(2026, 6, 6, 6, 46, tzinfo=UTC)
    assert await remind_drafts(bot.jobs) == 1
    assert len(channel.to(STAFF, "draft_next_day")) == 1


async def test_nothing_is_said_of_a_dialog_that_is_not_a_report(make_bot, channel, clock):
    """The DSL's own half-written case note is not a report anyone needs reminding of."""
    bot = await make_bot(notifiers={"test": channel})
    dsl = Chat(bot, "a.hartley@example.org")
    await dsl.open()  # the menu only: no draft at all
    clock.advance(hours=2)
    assert await remind_drafts(bot.jobs) == 0
    assert await reminder_rows(bot) == []


async def test_two_processes_running_the_job_at_once_remind_once(make_bot, clock):
    """Two replicas, each with its own engine and dispatcher, on one database."""
    channel = RecordingChannel()
    first = await make_bot(notifiers={"test": channel})
    second = await make_bot(notifiers={"test": channel})
    await left_at_what_happened(first)
    clock.advance(minutes=31)

    queued = await asyncio.gather(
        remind_drafts(first.jobs), remind_drafts(second.jobs), remind_drafts(first.jobs)
    )
    await second.dispatcher.deliver_due()

    assert sorted(queued) == [0, 0, 1]
    assert len(channel.to(STAFF, "draft_idle")) == 1
    assert len(await reminder_rows(first)) == 1
    assert (await event_kinds(first)).count("draft_reminded") == 1
