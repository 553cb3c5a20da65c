"""A self-audit campaign with its invitations queued, and the sender that sends them on a
simulated clock (so pacing waits take no time): for the invitation and the metrics tests."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Bot
from bot.audit.invitations import InvitationSender
from bot.audit.queue import enqueue_message
from bot.delivery.messages import Notice, Outbound
from bot.delivery.pacing import Limit
from storage.models import AuditCampaign, AuditMessage, AuditParticipant
from tests.support.clock import FakeClock
from tests.support.notifiers import RecordingChannel

PEOPLE = [f"staff{n:02d}@example.org" for n in range(1, 7)]
ROOMY = (Limit(100, 1.0),)  # no pacing wait in tests that are not about pacing


class SimulatedTime:
    """The pacers' clock: sleeping moves it on at once, and every sleep is noted."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._moved: list[asyncio.Event] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        moved, self._moved = self._moved, []
        for event in moved:
            event.set()
        await asyncio.sleep(0)

    async def reached(self, moment: float) -> None:
        """Until a sleep has moved the time on to `moment`."""
        while self.now < moment:
            moved = asyncio.Event()
            self._moved.append(moved)
            await moved.wait()


async def compose(row: AuditMessage) -> list[Outbound]:
    return [Notice(f"The online-safety self-audit is open ({row.kind} {row.n}).")]


def sender_for(
    bot: Bot,
    clock: FakeClock,
    channel: RecordingChannel,
    *,
    limits: tuple[Limit, ...] = ROOMY,
    time: SimulatedTime | None = None,
    sessions: async_sessionmaker[AsyncSession] | None = None,
    **options: object,
) -> InvitationSender:
    """A sender of `bot`'s school (or of the school `sessions` keep to)."""
    time = time or SimulatedTime()
    return InvitationSender(
        sessions=sessions or bot.router.sessions,
        notifiers={channel.channel: channel},
        compose=compose,
        clock=clock,
        limits={channel.channel: limits},
        sleep=time.sleep,
        monotonic=time.monotonic,
        **options,  # type: ignore[arg-type]
    )


async def start_campaign(
    bot: Bot,
    clock: FakeClock,
    emails: list[str],
    *,
    channel: str = "test",
    year: str = "2026-27",
    closed: bool = False,
    sessions: async_sessionmaker[AsyncSession] | None = None,
) -> list[int]:
    """A campaign with these participants, each with their invitation queued; their ids (in
    `bot`'s school, or the school `sessions` keep to)."""
    async with (sessions or bot.router.sessions)() as session, session.begin():
        campaign = AuditCampaign(
            academic_year=year,
            flow_id="staff_audit",
            flow_spec={"steps": []},
            started_at=clock.now,
            started_by="scheduler",
            closes_at=clock.now + timedelta(days=28),
            closed_at=clock.now if closed else None,
        )
        session.add(campaign)
        await session.flush()
        ids = []
        for email in emails:
            participant = AuditParticipant(
                campaign_id=campaign.id,
                email=email,
                display_name="A Member of Staff",
                channel=channel,
                status="invited",
                reminders_sent=0,
                updated_at=clock.now,
            )
            session.add(participant)
            await session.flush()
            assert await enqueue_message(
                session, participant=participant, kind="invite", n=0, now=clock.now
            )
            ids.append(participant.id)
    return ids
