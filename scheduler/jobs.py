"""The jobs: what they do lives in the services; here is only when and with what."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.alerts import AlertDesk
from bot.services.conversations import forget_inbound_ids
from bot.services.dispatch import Dispatcher
from bot.services.drafts import purge_abandoned_drafts
from bot.services.refusals import flush_due
from bot.services.retention import flag_due_for_review
from storage.crypto import Cipher

log = logging.getLogger(__name__)
INBOUND_ID_MEMORY = timedelta(days=2)


@dataclass(frozen=True)
class JobContext:
    sessions: async_sessionmaker[AsyncSession]
    cipher: Cipher
    clock: Callable[[], datetime]
    draft_retention: timedelta
    desk: AlertDesk
    dispatcher: Dispatcher


async def sweep_alerts(context: JobContext) -> int:
    """Queue the escalations that are due, then deliver everything due (retries included)."""
    async with context.sessions() as session, session.begin():
        queued = await context.desk.escalate_due(session, now=context.clock())
    if queued:
        log.info("queued %d escalation message(s)", queued)
    return await context.dispatcher.deliver_due()


async def review_retention(context: JobContext) -> int:
    """Flag closed cases whose retention review is due (never deletes), then deliver the notes."""
    async with context.sessions() as session, session.begin():
        flagged = await flag_due_for_review(session, context.desk, now=context.clock())
    if flagged:
        log.info("flagged %d case(s) for retention review", flagged)
        await context.dispatcher.deliver_due()
    return flagged


async def purge_drafts(context: JobContext) -> int:
    """Purge drafts nobody has touched for the retention period; forget old message ids."""
    now = context.clock()
    async with context.sessions() as session, session.begin():
        purged = await purge_abandoned_drafts(
            session, cipher=context.cipher, retention=context.draft_retention, now=now
        )
        await forget_inbound_ids(session, before=now - INBOUND_ID_MEMORY)
    if purged:
        log.info("purged %d abandoned draft(s)", purged)
    return purged


async def flush_refusals(context: JobContext) -> int:
    """Write the count of repeated refusals whose window has closed, one entry per tally."""
    async with context.sessions() as session, session.begin():
        written = await flush_due(session, now=context.clock())
    if written:
        log.info("recorded %d count(s) of repeated refusals", written)
    return written
