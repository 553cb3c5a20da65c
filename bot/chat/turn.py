"""What one turn of the router works with, shared by the router and the report filing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.conversations import LoadedConversation
from bot.delivery.messages import Inbound


@dataclass
class TurnContext:
    """What one turn works with: its transaction, the conversation, the message and the time."""

    session: AsyncSession
    loaded: LoadedConversation
    inbound: Inbound
    now: datetime
    queued: bool = False  # something for the outbox: wake the dispatcher after the commit
