"""What the scheduled jobs run with. The jobs themselves live with what they do (each domain
package's `scheduled` module); `scheduler.setup` says when they run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cases.alerts import AlertDesk
from bot.chat.draft_notices import DraftSettings
from bot.delivery.dispatch import Dispatcher
from storage.crypto import Cipher


@dataclass(frozen=True)
class JobContext:
    """Everything the jobs share; each job's own protocol says which part of it it uses."""

    sessions: async_sessionmaker[AsyncSession]
    cipher: Cipher
    clock: Callable[[], datetime]
    drafts: DraftSettings
    desk: AlertDesk
    dispatcher: Dispatcher
    # Every school's records: the trust's own jobs (the day's seal of every school's log).
    trust_sessions: async_sessionmaker[AsyncSession]
