"""The cases' scheduled jobs: escalate unacknowledged alerts, remind about acknowledged cases
with nothing done (bot/cases/nothing_done.py), flag closed cases for their retention review,
send the termly drill. When they run is `scheduler.setup`'s business; what they do is here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cases import closures, cover, drill_schedule, nothing_done
from bot.cases.alerts import AlertDesk
from bot.cases.drill_card import SCHEDULER
from bot.cases.drills import start_drill
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


async def send_termly_drill(context: CaseJobContext) -> bool:
    """Send the term's drill when one is due (bot/cases/drill_schedule.py); whether it did.
    Another scheduler that sent the same one first makes this insert fail: nothing is sent."""
    school = context.desk.school
    try:
        async with context.sessions() as session, session.begin():
            now = context.clock()
            closed = await closures.on_day_of(session, school, now)
            term = await drill_schedule.due(session, school, now, closed)
            if term is None:
                return False
            await start_drill(
                session, context.desk, started_by=SCHEDULER, channel=SCHEDULER, now=now, term=term
            )
    except IntegrityError:
        log.info("the term's drill was sent already (by another scheduler)")
        return False
    log.info("sent the term's drill")
    await context.dispatcher.deliver_due()
    return True
