"""The self-audit's invitations and reminders: each delivered once, paced, retried when the
platform says when, never ahead of a due alert, and resumed safely after a restart.

Every test runs on SQLite and on PostgreSQL (the `database_url` fixture behind `make_bot`). The
pacers run on simulated time, so pacing is checked without slowing the tests down; the database
clock is the FakeClock, moved by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update

from bot.app import Bot
from bot.audit.invitations import CLAIM_FOR
from bot.audit.queue import enqueue_message
from bot.delivery.notifier import Delivery
from bot.delivery.pacing import Limit
from storage.models import AuditMessage, AuditParticipant, Outbox, Report
from tests.support.harness import Chat
from tests.support.invitations import (
    PEOPLE,
    SimulatedTime,
    sender_for,
    start_campaign,
)
from tests.support.notifiers import FlakyChannel, RecordingChannel
from tests.support.walk import CONCERN_TAIL, STAFF, start, walk_to_summary

DSL = "a.hartley@example.org"


async def messages(bot: Bot) -> list[AuditMessage]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(AuditMessage).order_by(AuditMessage.id)))


async def message_to(bot: Bot, email: str) -> AuditMessage:
    (row,) = [m for m in await messages(bot) if m.recipient_email == email]
    return row


async def participants(bot: Bot) -> dict[str, AuditParticipant]:
    async with bot.router.sessions() as session:
        return {p.email: p for p in await session.scalars(select(AuditParticipant))}


def audit_deliveries(channel: RecordingChannel) -> list[Delivery]:
    return [d for d in channel.deliveries if d.kind.startswith("audit_")]


def delivered_once(channel: RecordingChannel, emails: list[str]) -> None:
    got = [d.recipient_email for d in audit_deliveries(channel)]
    assert sorted(got) == sorted(emails), f"expected each of {emails} once, got {got}"


# --------------------------------------------------------------------------- delivering


async def test_each_invitation_is_delivered_once_and_marks_the_participant(make_bot, clock):
    bot = await make_bot()
    channel = RecordingChannel()
    await start_campaign(bot, clock, PEOPLE)
    sender = sender_for(bot, clock, channel)

    assert await sender.run_until_idle() == len(PEOPLE)
    assert await sender.run_until_idle() == 0  # nothing is sent twice
    assert await sender.deliver_due() == 0

    delivered_once(channel, PEOPLE)
    assert {d.kind for d in channel.deliveries} == {"audit_invite"}
    assert all(d.messages for d in channel.deliveries)
    rows = await messages(bot)
    assert {(r.status, r.attempts, r.sent_at) for r in rows} == {("sent", 1, clock.now)}
    assert {r.platform_ref for r in rows} == {f"msg-{n}" for n in range(1, len(PEOPLE) + 1)}
    assert {p.invited_at for p in (await participants(bot)).values()} == {clock.now}


async def test_a_reminder_counts_on_the_participant(make_bot, clock):
    bot = await make_bot()
    channel = RecordingChannel()
    (pid,) = await start_campaign(bot, clock, PEOPLE[:1])
    sender = sender_for(bot, clock, channel)
    await sender.run_until_idle()
    invited_at = clock.now

    clock.advance(days=7)
    async with bot.router.sessions() as session, session.begin():
        participant = await session.get(AuditParticipant, pid)
        assert participant is not None
        assert await enqueue_message(
            session, participant=participant, kind="reminder", n=1, now=clock.now
        )
    assert await sender.run_until_idle() == 1

    assert [d.kind for d in channel.deliveries] == ["audit_invite", "audit_reminder"]
    person = (await participants(bot))[PEOPLE[0]]
    assert person.reminders_sent == 1
    assert person.invited_at == invited_at  # the invitation's time stays the first one


async def test_queueing_the_same_message_twice_keeps_one_row(make_bot, clock):
    bot = await make_bot()
    (pid,) = await start_campaign(bot, clock, PEOPLE[:1])  # its invitation is queued already
    async with bot.router.sessions() as session, session.begin():
        participant = await session.get(AuditParticipant, pid)
        assert participant is not None
        again = await enqueue_message(
            session, participant=participant, kind="invite", n=0, now=clock.now
        )
        first = await enqueue_message(
            session, participant=participant, kind="reminder", n=1, now=clock.now
        )
        second = await enqueue_message(
            session, participant=participant, kind="reminder", n=1, now=clock.now
        )
    assert (again, first, second) == (False, True, False)
    assert [(m.kind, m.n) for m in await messages(bot)] == [("invite", 0), ("reminder", 1)]


# --------------------------------------------------------------------------- retries


async def test_retry_after_is_honoured_exactly(make_bot, clock):
    bot = await make_bot()
    channel = FlakyChannel(failures={PEOPLE[0]: ("429", 1)})  # RetryLater(after_seconds=42)
    await start_campaign(bot, clock, PEOPLE)
    sender = sender_for(bot, clock, channel)

    assert await sender.run_until_idle() == len(PEOPLE) - 1
    row = await message_to(bot, PEOPLE[0])
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "rate limited")
    assert row.next_attempt_at == clock.now + timedelta(seconds=42)

    clock.advance(seconds=41)
    assert await sender.run_until_idle() == 0  # not a moment early
    clock.advance(seconds=1)
    assert await sender.run_until_idle() == 1

    delivered_once(channel, PEOPLE)
    assert (await message_to(bot, PEOPLE[0])).status == "sent"


async def test_failures_back_off_and_are_given_up_only_after_many_attempts(make_bot, clock):
    bot = await make_bot()
    channel = FlakyChannel(failures={PEOPLE[0]: ("raise", 99)})  # ConnectionError every time
    await start_campaign(bot, clock, PEOPLE[:2])
    sender = sender_for(bot, clock, channel, max_attempts=3)

    assert await sender.run_until_idle() == 1
    row = await message_to(bot, PEOPLE[0])
    assert (row.status, row.last_error) == ("pending", "ConnectionError")
    wait = row.next_attempt_at - clock.now
    assert timedelta(seconds=4) <= wait <= timedelta(seconds=6)  # 5 s, with jitter

    for _ in range(2):
        clock.advance(minutes=10)
        await sender.run_until_idle()
    row = await message_to(bot, PEOPLE[0])
    assert (row.status, row.attempts) == ("dead", 3)
    assert channel.attempts[PEOPLE[0]] == 3
    clock.advance(hours=1)
    await sender.run_until_idle()
    assert channel.attempts[PEOPLE[0]] == 3  # given up: no more tries


# --------------------------------------------------------------------------- alerts first


async def file_concern(bot: Bot) -> None:
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {"immediate_danger": "no", "category": "commerce", "commerce_kind": "scam"}
    await walk_to_summary(chat, {**answers, **CONCERN_TAIL})
    await chat.click("__submit")


async def test_a_due_alert_is_sent_before_any_invitation(make_bot, clock):
    channel = RecordingChannel()  # alerts and invitations both go through this one channel
    bot = await make_bot(notifiers={"test": channel})
    await start_campaign(bot, clock, PEOPLE)
    await file_concern(bot)  # its alerts are queued, due now, and not yet sent
    sender = sender_for(bot, clock, channel)

    assert await sender.deliver_due() == 0
    assert await sender.run_until_idle() == 0
    assert channel.deliveries == []
    assert {(m.status, m.attempts) for m in await messages(bot)} == {("pending", 0)}

    await bot.dispatcher.deliver_due()  # the alert goes (the web chat's rows wait for a tab)
    assert await sender.deliver_due() == len(PEOPLE)

    kinds = [d.kind for d in channel.deliveries]  # the alerts and the reporter's confirmation
    assert kinds == ["alert"] * 3 + ["receipt"] + ["audit_invite"] * len(PEOPLE)


async def test_an_alert_that_comes_due_mid_campaign_holds_the_next_batch(make_bot, clock):
    bot = await make_bot()
    async with bot.router.sessions() as session, session.begin():
        report = Report(
            kind="concern",
            status="submitted",
            reporter_email=STAFF,
            channel="test",
            flow_id="concern",
            flow_version=1,
            created_at=clock.now,
            updated_at=clock.now,
        )
        session.add(report)
        await session.flush()
        report_id = report.id

    @dataclass
    class RaisesAnAlert(RecordingChannel):
        raised: bool = False
        # Sends do not wait for each other (bot/delivery/pacing.py SlotPacer): the first ones
        # return once the alert is in, so that it is due before any slot comes free again.
        alert_in: asyncio.Event = field(default_factory=asyncio.Event)

        async def deliver(self, delivery: Delivery) -> str | None:
            if self.raised:
                await self.alert_in.wait()
            else:  # a report is submitted while the first sends are out
                self.raised = True
                async with bot.router.sessions() as session, session.begin():
                    alert = Outbox(
                        report_id=report_id,
                        recipient_email=DSL,
                        channel="test",
                        kind="alert",
                        level=0,
                        status="pending",
                        attempts=0,
                        next_attempt_at=clock.now,
                        created_at=clock.now,
                    )
                    session.add(alert)
                self.alert_in.set()
            return await super().deliver(delivery)

    channel = RaisesAnAlert()
    await start_campaign(bot, clock, PEOPLE[:5])
    sender = sender_for(bot, clock, channel, limits=(Limit(2, 10.0),))

    assert await sender.run_until_idle() == 2  # the first batch, then the alert's turn
    assert len(channel.deliveries) == 2

    async with bot.router.sessions() as session, session.begin():
        await session.execute(update(Outbox).values(status="sent", sent_at=clock.now))
    assert await sender.run_until_idle() == 3
    delivered_once(channel, PEOPLE[:5])


# --------------------------------------------------------------------------- giving up


async def test_a_closed_campaigns_messages_go_dead_unsent(make_bot, clock):
    bot = await make_bot()
    channel = RecordingChannel()
    await start_campaign(bot, clock, PEOPLE[:3], closed=True)
    await start_campaign(bot, clock, PEOPLE[3:], year="2027-28")
    sender = sender_for(bot, clock, channel)

    assert await sender.run_until_idle() == 3
    delivered_once(channel, PEOPLE[3:])
    rows = {m.recipient_email: m for m in await messages(bot)}
    for email in PEOPLE[:3]:
        assert (rows[email].status, rows[email].last_error) == ("dead", "campaign closed")
        assert rows[email].attempts == 0


async def test_nobody_who_has_finished_is_reminded(make_bot, clock):
    bot = await make_bot()
    channel = RecordingChannel()
    ids = await start_campaign(bot, clock, PEOPLE[:2])
    sender = sender_for(bot, clock, channel)
    await sender.run_until_idle()
    clock.advance(days=7)
    async with bot.router.sessions() as session, session.begin():
        for pid in ids:
            participant = await session.get(AuditParticipant, pid)
            assert participant is not None
            await enqueue_message(
                session, participant=participant, kind="reminder", n=1, now=clock.now
            )
        finished = await session.get(AuditParticipant, ids[0])
        assert finished is not None
        finished.status = "finished"

    assert await sender.run_until_idle() == 1
    assert [d.recipient_email for d in channel.to(PEOPLE[0], "audit_reminder")] == []
    assert len(channel.to(PEOPLE[1], "audit_reminder")) == 1
    reminder = [m for m in await messages(bot) if m.kind == "reminder"]
    assert {(m.recipient_email, m.status, m.last_error) for m in reminder} == {
        (PEOPLE[0], "dead", "already finished"),
        (PEOPLE[1], "sent", None),
    }


# --------------------------------------------------------------------------- restarts


@dataclass
class HangsAfter(RecordingChannel):
    """Delivers the first `limit` messages; every later call hangs (the process "dies")."""

    limit: int = 0
    hanging: int = 0

    async def deliver(self, delivery: Delivery) -> str | None:
        if len(self.deliveries) >= self.limit:
            self.hanging += 1
            await self.changed()
            await asyncio.Event().wait()
        return await super().deliver(delivery)


async def test_a_restart_sends_the_rest_after_the_lease_and_nothing_twice(make_bot, clock):
    bot = await make_bot()
    await start_campaign(bot, clock, PEOPLE)
    first = HangsAfter(limit=3)
    before = sender_for(bot, clock, first, limits=(Limit(3, 1.0),))
    running = asyncio.create_task(before.run_until_idle())
    await first.until("its second batch out, every call hanging", lambda: first.hanging == 3)
    running.cancel()  # killed while its second batch was out: claimed, never recorded
    await asyncio.gather(running, return_exceptions=True)
    assert first.hanging == 3

    restarted = await make_bot()  # a new process on the same database
    second = RecordingChannel()
    after = sender_for(restarted, clock, second)
    assert await after.run_until_idle() == 0  # three sent, three still leased to the dead one

    clock.advance(seconds=CLAIM_FOR.total_seconds())
    assert await after.run_until_idle() == 3

    got = [d.recipient_email for d in first.deliveries + second.deliveries]
    assert sorted(got) == sorted(PEOPLE)
    assert not set(d.recipient_email for d in first.deliveries) & set(
        d.recipient_email for d in second.deliveries
    )
    assert {(m.status, m.attempts) for m in await messages(restarted)} == {("sent", 1)}


# --------------------------------------------------------------------------- pacing


@dataclass
class Timed(RecordingChannel):
    time: SimulatedTime = field(default_factory=SimulatedTime)
    at: list[float] = field(default_factory=list)

    async def deliver(self, delivery: Delivery) -> str | None:
        self.at.append(self.time.now - 1000.0)
        return await super().deliver(delivery)


async def test_sends_keep_to_the_channels_limit(make_bot, clock):
    bot = await make_bot()
    channel = Timed()
    await start_campaign(bot, clock, PEOPLE[:5])
    sender = sender_for(bot, clock, channel, limits=(Limit(2, 10.0),), time=channel.time)

    assert await sender.run_until_idle() == 5
    assert channel.at == [0.0, 0.0, 10.0, 10.0, 20.0]
    delivered_once(channel, PEOPLE[:5])


@dataclass
class Slow(Timed):
    """Each delivery takes 3 s (the platform gets its requests during that time)."""

    async def deliver(self, delivery: Delivery) -> str | None:
        started = self.time.now
        self.at.append(started - 1000.0)
        await asyncio.sleep(0)  # the rest of the batch starts meanwhile
        self.time.now = max(self.time.now, started + 3.0)
        return await RecordingChannel.deliver(self, delivery)


async def test_a_send_counts_against_the_limit_from_when_it_returned(make_bot, clock):
    bot = await make_bot()
    channel = Slow()
    await start_campaign(bot, clock, PEOPLE[:5])
    sender = sender_for(bot, clock, channel, limits=(Limit(2, 10.0),), time=channel.time)

    assert await sender.run_until_idle() == 5
    # Not at 10 s: the first two were still talking to the platform until 3 s.
    assert channel.at == [0.0, 0.0, 13.0, 13.0, 26.0]


@dataclass
class OneSlow(Timed):
    """The first delivery takes 3 s of the pacers' time, the others none: it returns once the
    sender's own waits have moved the time on that far (or, when the sender waits for it
    instead, after 2 s of real time, moving the time on itself)."""

    async def deliver(self, delivery: Delivery) -> str | None:
        first = not self.at
        started = self.time.now
        self.at.append(started - 1000.0)
        if first:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self.time.reached(started + 3.0)
            self.time.now = max(self.time.now, started + 3.0)
        return await RecordingChannel.deliver(self, delivery)


async def test_a_slow_send_holds_its_own_slot_and_not_the_others(make_bot, clock):
    bot = await make_bot()
    channel = OneSlow()
    await start_campaign(bot, clock, PEOPLE)
    sender = sender_for(bot, clock, channel, limits=(Limit(3, 1.0),), time=channel.time)

    assert await sender.run_until_idle() == len(PEOPLE) == 6
    # The two quick ones' slots come free at 1 s and again at 2 s; the slow one's at 4 s.
    # (Sent in batches, each waiting for its slowest send, they went at 0, 3, 3 and 4 s.)
    assert channel.at == [0.0, 0.0, 0.0, 1.0, 1.0, 2.0]
    delivered_once(channel, PEOPLE)


async def test_a_scheduler_tick_does_not_wait_out_a_long_window(make_bot, clock):
    bot = await make_bot()
    channel = Timed()
    await start_campaign(bot, clock, PEOPLE[:5])
    sender = sender_for(
        bot, clock, channel, limits=(Limit(2, 60.0),), time=channel.time, max_seconds=8.0
    )

    assert await sender.deliver_due() == 2  # Slack-like: a burst, then the window is full
    assert channel.time.slept == []
    channel.time.now += 55.0
    assert await sender.deliver_due() == 2  # slept the last 5 s: within this tick's budget
    assert channel.time.slept == [5.0]
    assert await sender.deliver_due() == 0
    channel.time.now += 60.0
    assert await sender.deliver_due() == 1
    delivered_once(channel, PEOPLE[:5])
