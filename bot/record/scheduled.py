"""The record's scheduled jobs: write the counts of repeated refusals whose window has closed,
and seal the day's heads of every school's event log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.record.refusals import flush_due
from bot.record.trust_seal import seal_today

log = logging.getLogger(__name__)


class RecordJobContext(Protocol):
    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


class SealJobContext(Protocol):
    @property
    def trust_sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


async def flush_refusals(context: RecordJobContext) -> int:
    """Write the count of repeated refusals whose window has closed, one entry per tally."""
    async with context.sessions() as session, session.begin():
        written = await flush_due(session, now=context.clock())
    if written:
        log.info("recorded %d count(s) of repeated refusals", written)
    return written


async def seal_the_day(context: SealJobContext) -> bool:
    """Seal today's head of every school's log, once a day (a second run, or a second
    scheduler, adds nothing); True when this run sealed it."""
    async with context.trust_sessions() as session, session.begin():
        seal = await seal_today(session, now=context.clock())
    if seal is not None:
        log.info("sealed the day's event-log heads of %d school(s)", len(seal.heads))
    return seal is not None
