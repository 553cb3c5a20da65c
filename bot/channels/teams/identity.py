"""Who wrote: Teams gives an id (29:...) and an Entra object id, never the e-mail; the Bot
Connector's member lookup gives the e-mail (or the UPN), which is the key to the school's config.

The answer is kept with the person's conversation reference in the database (one lookup a day,
shared by every replica). Someone the config does not name can still report, as staff; only
the config makes anyone a DSL.

Every activity reads that row; it is written only when something in it changes (the reference,
the name, reachable again, the daily lookup) or it was last written more than STILL_CURRENT
ago. Rewriting an unchanged row on every message cost each one a second transaction, and on
SQLite's single connection every other person's turn waited for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from microsoft_agents.hosting.core import ConnectorClientBase, TurnContext
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient
from sqlalchemy import Row, bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams.parse import CHANNEL, TeamsInput, event_key
from bot.channels.teams.sending import Sender
from bot.delivery import addresses
from bot.delivery.messages import User
from storage.db import table_of
from storage.models import ChannelAddress, InboundMessage
from storage.scope import SCHOOL_PARAM, bound

log = logging.getLogger(__name__)
# How stale `updated_at` may grow on a row that has not changed: it orders one person's
# addresses, newest first, for alerts (addresses.reachable_by_email).
STILL_CURRENT = timedelta(minutes=10)
# The row every activity reads, built once: a Core statement with the person as a parameter,
# read as a plain row (nothing for the ORM to track in a session that only reads).
_addresses = table_of(ChannelAddress)
# The school's own (storage.scope fills its parameter): a school's deployment may be a bot
# registration of its own, whose conversation with a person is not another's.
_ROW_OF = bound(
    select(_addresses).where(
        _addresses.c.channel == CHANNEL,
        _addresses.c.platform_user_id == bindparam("user_id"),
        _addresses.c.school_id == bindparam(SCHOOL_PARAM),
    )
)


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
        now = self.clock()
        async with self.sessions() as session:
            found = await session.execute(_ROW_OF, {"user_id": item.user_id})
            row = found.first()
            if row is not None and _current(row, item, reference, now):
                assert row.email is not None  # _current checks it
                name = item.user_name or row.display_name
                user = User(
                    platform_id=item.user_id, email=row.email, display_name=name or row.email
                )
                return user, False
        known = await self._known(item.user_id)
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

    async def _known(self, user_id: str) -> addresses.Address | None:
        async with self.sessions() as session:
            return await addresses.find(session, CHANNEL, user_id)

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


def _current(row: Row[Any], item: TeamsInput, reference: dict[str, Any], now: datetime) -> bool:
    """Whether writing what this activity says would change nothing that matters in `row`: the
    identity fresh, reachable, the same reference and name, and written lately."""
    return (
        row.email is not None
        and row.looked_up_at is not None
        and now - row.looked_up_at < addresses.IDENTITY_FRESH_FOR
        and row.reachable is True
        and row.address == reference
        and (not item.user_name or item.user_name[:200] == row.display_name)
        and now - row.updated_at < STILL_CURRENT
    )
