"""The cases' scheduled jobs: escalate unacknowledged alerts, remind about acknowledged cases
with nothing done (bot/cases/nothing_done.py), flag closed cases for their
retention review. When they run is `scheduler.setup`'s business; what they do is here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cases import cover, nothing_done
from bot.cases.alerts import AlertDesk
from bot.cases.retention import flag_due_for_review
from bot.delivery.dispatch import Dispatcher

log = logging.getLogger(__name__)


class CaseJobContext(Protocol):
    """What the cases' jobs need from the scheduler's context."""

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def desk(self) -> AlertDesk: ...
    @property
    def dispatcher(self) -> Dispatcher: ...


async def sweep_alerts(context: CaseJobContext) -> int:
    """Queue the escalations, the nothing-done reminders and the news of cover nobody
    accepted that are due, then deliver
    everything due (retries included)."""
    async with context.sessions() as session, session.begin():
        now = context.clock()
        queued = await context.desk.escalate_due(session, now=now)
        # Acknowledged, and nothing recorded since: the same sweep, the same transaction.
        queued += await nothing_done.remind_due(session, context.desk, now=now)
        # Cover nobody accepted in time: the head is told, once.
        desk = context.desk
        queued += await cover.expire_due(
            session, school=desk.school, channels=desk.channels, now=now
        )
    if queued:
        log.info("queued %d escalation message(s)", queued)
    return await context.dispatcher.deliver_due()


async def review_retention(context: CaseJobContext) -> int:
    """Flag closed cases whose retention review is due (never deletes), then deliver the notes."""
    async with context.sessions() as session, session.begin():
        flagged = await flag_due_for_review(session, context.desk, now=context.clock())
    if flagged:
        log.info("flagged %d case(s) for retention review", flagged)
        await context.dispatcher.deliver_due()
    return flagged
