"""The scheduler's part of the annual review: open it on its day, then send the invitations.
Run with the self-audit's housekeeping (every 30 minutes and at start); opening is once per year
whichever scheduler runs it (bot/monitoring/review.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.monitoring import review
from bot.school.config import SchoolConfig


@dataclass(frozen=True)
class ReviewOpener:
    school: SchoolConfig
    sessions: async_sessionmaker[AsyncSession]
    channels: Sequence[str]
    clock: Callable[[], datetime]
    deliver: Callable[[], Awaitable[int]]  # the outbox's delivery, after the commit

    async def __call__(self) -> bool:
        """Open this year's review if its day has come; whether this call opened it."""
        async with self.sessions() as session, session.begin():
            opened = await review.open_due(
                session, school=self.school, channels=self.channels, now=self.clock()
            )
        if opened is not None:
            await self.deliver()
        return opened is not None
