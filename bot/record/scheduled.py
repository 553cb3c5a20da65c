"""The record's scheduled job: write the counts of repeated refusals whose window has closed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.record.refusals import flush_due

log = logging.getLogger(__name__)


class RecordJobContext(Protocol):
    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


async def flush_refusals(context: RecordJobContext) -> int:
    """Write the count of repeated refusals whose window has closed, one entry per tally."""
    async with context.sessions() as session, session.begin():
        written = await flush_due(session, now=context.clock())
    if written:
        log.info("recorded %d count(s) of repeated refusals", written)
    return written
