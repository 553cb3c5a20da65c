"""Two dispatchers on one database (two processes, or a sign-in's delivery beside the running
one) never both send a row: a row being sent keeps its lease until its result is recorded."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.delivery.dispatch import Dispatcher
from bot.delivery.notifier import Delivery, RetryLater
from storage.models import Outbox
from tests.support.alerts import DSL, file_concern
from tests.support.notifiers import RecordingChannel


@dataclass
class GatedChannel(RecordingChannel):
    """Holds the DSL's first delivery until the test opens the gate, as a slow platform would."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: asyncio.Event = field(default_factory=asyncio.Event)
    attempts: list[Delivery] = field(default_factory=list)

    async def deliver(self, delivery: Delivery) -> str | None:
        self.attempts.append(delivery)
        if delivery.recipient_email == DSL and not self.waiting.is_set():
            self.waiting.set()  # only the first attempt is held
            await self.gate.wait()
        return await super().deliver(delivery)


async def test_a_sign_in_does_not_hand_a_row_being_sent_to_a_second_dispatcher(make_bot, clock):
    channel = GatedChannel()
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    first = asyncio.create_task(bot.dispatcher.deliver_due())
    await asyncio.wait_for(channel.waiting.wait(), 10)  # the DSL's alert is on its way
    other = Dispatcher(  # another process: the DSL opens the chat there meanwhile
        sessions=bot.router.sessions,
        notifiers={"test": channel},
        cards=bot.dispatcher.cards,
        clock=clock,
    )

    await other.deliver_due(recipient=DSL)
    channel.gate.set()
    await asyncio.wait_for(first, 10)

    assert len(channel.to(DSL, "alert")) == 1
    async with bot.router.sessions() as session:
        (row,) = await session.scalars(
            select(Outbox).where(
                Outbox.recipient_email == DSL, Outbox.channel == "test", Outbox.kind == "alert"
            )
        )
    assert (row.status, row.attempts) == ("sent", 1)


async def test_only_a_row_that_may_have_arrived_is_looked_for(make_bot, clock):
    channel = GatedChannel()
    bot = await make_bot(notifiers={"test": channel})
    bot.dispatcher.send_timeout = 0.2
    await file_concern(bot)  # the DSL's first attempt will hang, and time out

    await bot.dispatcher.deliver_due()
    clock.advance(minutes=1)
    channel.gate.set()
    await bot.dispatcher.deliver_due()

    first, second = [d for d in channel.attempts if d.recipient_email == DSL and d.kind == "alert"]
    assert first.look_since is None  # a first attempt: nothing to look for
    assert second.look_since is not None and second.row_id == first.row_id
    assert all(d.look_since is None for d in channel.attempts if d.recipient_email != DSL)


@dataclass
class LaterThenHeld(RecordingChannel):
    """The DSL's first alert is refused for now (retried later); the next is held at a gate."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    holding: asyncio.Event = field(default_factory=asyncio.Event)
    refused: bool = False

    async def deliver(self, delivery: Delivery) -> str | None:
        if delivery.recipient_email == DSL and delivery.kind == "alert":
            if not self.refused:
                self.refused = True
                await self.changed()
                raise RetryLater("busy", after_seconds=42)
            self.holding.set()
            await self.gate.wait()
        return await super().deliver(delivery)


async def test_stopping_waits_for_a_batch_begun_outside_the_loop(make_bot):
    """A web tab's delivery as it opens (`deliver_due(recipient=...)`) runs beside the
    dispatcher's loop. Stopping waited for the loop only, so the database could be closed under
    that batch: its connection was lost unclosed (a ResourceWarning later), its row unrecorded."""
    channel = LaterThenHeld()
    bot = await make_bot(notifiers={"test": channel})
    runner = asyncio.create_task(bot.dispatcher.run())
    await file_concern(bot)
    await channel.until("the DSL's alert refused for now", lambda: channel.refused)
    await channel.delivered(2)  # the deputies had theirs: the loop has nothing left due
    beside = asyncio.create_task(bot.dispatcher.deliver_due(recipient=DSL))  # she opens the chat
    await asyncio.wait_for(channel.holding.wait(), 10)
    stopping = asyncio.create_task(bot.dispatcher.stop(runner))
    await asyncio.wait_for(runner, 10)  # the loop has ended
    for _ in range(20):  # let the stop run on as far as it would (loop turns, not time)
        await asyncio.sleep(0)
    assert not stopping.done(), "stopped while a batch was still sending"
    channel.gate.set()
    await asyncio.wait_for(stopping, 10)
    assert beside.done() and await beside == 1
    assert bot.engine.sync_engine.pool.checkedout() == 0
    async with bot.router.sessions() as session:
        (row,) = await session.scalars(
            select(Outbox).where(
                Outbox.recipient_email == DSL, Outbox.channel == "test", Outbox.kind == "alert"
            )
        )
    assert row.status == "sent"
