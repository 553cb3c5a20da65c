"""The filtering checks' scheduled job: ask the ICT lead when a period's check is due, and
remind once a week later (bot/monitoring/checks_schedule.py), then wake the dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cases.alerts import AlertDesk
from bot.delivery.dispatch import Dispatcher
from bot.monitoring.checks_schedule import ask_due
from bot.record.event_chain import lock_head

EVERY_MINUTES = 15


class CheckJobContext(Protocol):
    """What the job needs from the scheduler's context."""

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def desk(self) -> AlertDesk: ...
    @property
    def dispatcher(self) -> Dispatcher: ...


async def ask_filtering_checks(context: CheckJobContext) -> int:
    """Queue the asks and reminders that are due; returns how many outbox rows were queued."""
    async with context.sessions() as session, session.begin():
        # The event log's head first, as every transaction that records takes it: two
        # schedulers running this at once queue and record one after the other.
        await lock_head(session)
        queued = await ask_due(
            session,
            school=context.desk.school,
            channels=context.desk.channels,
            now=context.clock(),
        )
    if queued:
        context.dispatcher.wake()
    return queued
