"""A trust's deployment reaches every school's staff through one Slack workspace or Teams
registration: the platform allows one rate for them all, so the schools' campaigns (the
self-audit, briefings) share it, however many schools start at once (issue 22: "paced as one
campaign")."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import Bot
from bot.delivery.notifier import Delivery
from bot.delivery.pacing import Limit
from tests.support.clock import FakeClock
from tests.support.invitations import SimulatedTime, sender_for, start_campaign
from tests.support.notifiers import RecordingChannel
from tests.web.test_trust_deployment import write_trust

LIMIT = Limit(3, 60.0)  # three invitations in any minute, for the whole trust


@dataclass
class TimedChannel(RecordingChannel):
    """A channel that notes, at each delivery, the pacers' (simulated) time."""

    time: SimulatedTime = field(default_factory=SimulatedTime)
    at: list[float] = field(default_factory=list)

    async def deliver(self, delivery: Delivery) -> str | None:
        self.at.append(self.time.now)
        return await super().deliver(delivery)


async def test_every_school_s_campaign_keeps_to_one_rate_between_them(
    make_bot: Any, tmp_path: Path, clock: FakeClock
) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    bot: Bot = await make_bot(trust_config=write_trust(folder))
    time = SimulatedTime()
    channel = TimedChannel(time=time)
    senders = []
    for key, part in bot.parts.items():
        people = [f"staff{n}@{key}.example.org" for n in range(4)]
        await start_campaign(bot, clock, people, sessions=part.sessions)
        senders.append(
            sender_for(
                bot,
                clock,
                channel,
                limits=(LIMIT,),
                time=time,
                sessions=part.sessions,
                pacers=part.audit.sender.pacers,  # as the deployment shares them
            )
        )
    sent = await asyncio.gather(*(sender.run_until_idle() for sender in senders))
    assert sent == [4, 4]  # every invitation of both schools, once
    for first in channel.at:  # never more than the platform's rate in any minute, together
        within = [t for t in channel.at if first <= t < first + LIMIT.seconds]
        assert len(within) <= LIMIT.count, channel.at


@dataclass
class HangsForOne(RecordingChannel):
    """Delivers at once, except to `slow`, whose delivery waits until `let_go` is set."""

    slow: str = ""
    let_go: asyncio.Event = field(default_factory=asyncio.Event)
    hanging: asyncio.Event = field(default_factory=asyncio.Event)

    async def deliver(self, delivery: Delivery) -> str | None:
        if delivery.recipient_email == self.slow:
            self.hanging.set()
            await self.let_go.wait()
        return await super().deliver(delivery)


async def test_a_school_waits_for_the_platform_s_rate_not_for_another_school(
    make_bot: Any, tmp_path: Path, clock: FakeClock
) -> None:
    """A school's tick ends by its time budget even while another school's send is slow: it
    never queues behind another school's sends (fifty schools queued so held their ticks past
    the scheduler's next one, which it then skipped, in the September morning)."""
    folder = tmp_path / "config"
    folder.mkdir()
    bot: Bot = await make_bot(trust_config=write_trust(folder))
    (first, first_part), (second, second_part) = bot.parts.items()
    channel = HangsForOne(slow=f"staff0@{first}.example.org")
    time = SimulatedTime()
    senders = {}
    for key, part in ((first, first_part), (second, second_part)):
        await start_campaign(bot, clock, [f"staff0@{key}.example.org"], sessions=part.sessions)
        senders[key] = sender_for(
            bot,
            clock,
            channel,
            limits=(Limit(1, 60.0),),  # one at a time: the slow send holds the only slot
            time=time,
            sessions=part.sessions,
            pacers=part.audit.sender.pacers,
            max_seconds=0.5,
        )
    slow = asyncio.create_task(senders[first].run_until_idle())
    await asyncio.wait_for(channel.hanging.wait(), 30)

    # The other school's tick: no slot while the slow send holds it, so nothing sent, and
    # back within its budget rather than when the slow send returns.
    assert await asyncio.wait_for(senders[second].deliver_due(), 20) == 0

    channel.let_go.set()
    assert await slow == 1
    assert [d.recipient_email for d in channel.deliveries] == [f"staff0@{first}.example.org"]
