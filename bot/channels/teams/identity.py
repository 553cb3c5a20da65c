"""Who wrote: Teams gives an id (29:...) and an Entra object id, never the e-mail; the Bot
Connector's member lookup gives the e-mail (or the UPN), which is the key to the school's config.

The answer is kept with the person's conversation reference in the database (one lookup a day,
shared by every replica). Someone the config does not name can still report, as staff; only
the config makes anyone a DSL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from microsoft_agents.hosting.core import ConnectorClientBase, TurnContext
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams.parse import CHANNEL, TeamsInput, event_key
from bot.channels.teams.sending import Sender
from bot.delivery import addresses
from bot.delivery.messages import User
from storage.models import InboundMessage

log = logging.getLogger(__name__)


class UnknownTeamsUser(Exception):
    """Teams would not say who this is, and we have never been told."""


class TeamsDirectory:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        sender: Sender,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.sender = sender

    async def user(
        self, context: TurnContext, item: TeamsInput, reference: dict[str, Any]
    ) -> tuple[User, bool]:
        """The person behind `item`, with their reference stored for proactive messages; and
        whether this made them reachable again (Teams had refused to deliver to them)."""
        async with self.sessions() as session:
            known = await addresses.find(session, CHANNEL, item.user_id)
        email = known.email if known else None
        name = item.user_name or (known.display_name if known else "")
        told = None  # what Teams just said; a stale answer is used but not re-dated
        if known is None or not known.identity_fresh(self.clock()):
            looked_up = await self._look_up(context, item)
            if looked_up is not None:
                told, name = looked_up[0], looked_up[1] or name
                email = told
        came_back = await self._remember(item, reference, name=name, email=told)
        if email is None:
            raise UnknownTeamsUser
        return User(platform_id=item.user_id, email=email, display_name=name or email), came_back

    async def forget(self, item: TeamsInput, reference: dict[str, Any], *, day: str) -> None:
        """They uninstalled the app: we can no longer message them first. And the day's
        install is forgotten (its delivery key: parse.event_key), so that installing the app
        again the same day greets them again, with their unfinished report if they have one,
        rather than counting as that day's install already answered."""
        await self._remember(
            item, reference, name=item.user_name, email=None, reachable=False, why="uninstalled"
        )
        installed = event_key("install", item.conversation_id, day)
        async with self.sessions() as session, session.begin():
            await session.execute(
                delete(InboundMessage).where(
                    InboundMessage.channel == CHANNEL, InboundMessage.message_id == installed
                )
            )

    async def _look_up(self, context: TurnContext, item: TeamsInput) -> tuple[str, str] | None:
        client = context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
        if not isinstance(client, TeamsConnectorClient):
            return None
        try:
            member = await self.sender.call(
                lambda: client.get_conversation_member(item.conversation_id, item.user_id),
                conversation_id=item.conversation_id,
                tenant_id=item.tenant_id,
            )
        except Exception as error:  # a stale answer from yesterday is better than none
            log.warning("Teams member lookup failed: %s", type(error).__name__)
            return None
        email = member.email or member.user_principal_name
        if not email or "@" not in email:
            return None
        return email.strip().lower(), member.name or ""

    async def _remember(
        self,
        item: TeamsInput,
        reference: dict[str, Any],
        *,
        name: str,
        email: str | None,
        reachable: bool = True,
        why: str | None = None,
    ) -> bool:
        for attempt in (1, 2):  # a second replica may insert the same person at the same moment
            try:
                async with self.sessions() as session, session.begin():
                    return await addresses.remember(
                        session,
                        channel=CHANNEL,
                        platform_user_id=item.user_id,
                        address=reference,
                        display_name=name,
                        email=email,
                        reachable=reachable,
                        unreachable_reason=why,
                        now=self.clock(),
                    )
            except IntegrityError:
                if attempt == 2:
                    raise
        return False
