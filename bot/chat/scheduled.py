"""The chat layer's scheduled jobs: remind whoever left a report unfinished, tell the DSL before
a draft is purged, purge the drafts nobody came back to, forget old message ids."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cases.alerts import AlertDesk
from bot.chat.conversations import forget_inbound_ids
from bot.chat.draft_notices import DraftSettings
from bot.chat.drafts import purge_abandoned_drafts
from bot.chat.reminders import remind_idle_drafts
from bot.delivery.dispatch import Dispatcher
from storage.crypto import Cipher

log = logging.getLogger(__name__)
INBOUND_ID_MEMORY = timedelta(days=2)


class DraftJobContext(Protocol):
    """What the draft jobs need from the scheduler's context."""

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def cipher(self) -> Cipher: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def drafts(self) -> DraftSettings: ...
    @property
    def desk(self) -> AlertDesk: ...
    @property
    def dispatcher(self) -> Dispatcher: ...


async def remind_drafts(context: DraftJobContext) -> int:
    """Queue the reminders due to whoever left a report unfinished, and deliver them."""
    now = context.clock()
    async with context.sessions() as session, session.begin():
        queued = await remind_idle_drafts(
            session,
            cipher=context.cipher,
            school=context.desk.school,
            drafts=context.drafts,
            now=now,
        )
    if queued:
        await context.dispatcher.deliver_due()
    return queued


async def purge_drafts(context: DraftJobContext) -> int:
    """Tell the DSL of the drafts about to go; purge those whose time is up; forget old ids."""
    now = context.clock()
    async with context.sessions() as session, session.begin():
        purged = await purge_abandoned_drafts(
            session,
            cipher=context.cipher,
            school=context.desk.school,
            drafts=context.drafts,
            channels=context.desk.channels,
            now=now,
        )
        await forget_inbound_ids(session, before=now - INBOUND_ID_MEMORY)
    await context.dispatcher.deliver_due()  # the DSL's notices, if any were queued
    if purged:
        log.info("purged %d abandoned draft(s)", purged)
    return purged
