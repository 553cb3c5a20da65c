"""The chat layer's scheduled job: purge the drafts nobody came back to, forget old message ids."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.chat.conversations import forget_inbound_ids
from bot.chat.drafts import purge_abandoned_drafts
from storage.crypto import Cipher

log = logging.getLogger(__name__)
INBOUND_ID_MEMORY = timedelta(days=2)


class DraftJobContext(Protocol):
    """What the draft purge needs from the scheduler's context."""

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def cipher(self) -> Cipher: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def draft_retention(self) -> timedelta: ...


async def purge_drafts(context: DraftJobContext) -> int:
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
