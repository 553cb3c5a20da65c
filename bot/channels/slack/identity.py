"""Who a Slack user is here: their profile e-mail (the key to the school configuration).

The answers (Slack id <-> e-mail) are kept in the database's channel addresses, as Teams' are,
so every replica agrees on who someone is and a busy morning costs one users.info per person a
day rather than one per replica an hour.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import addresses
from bot.delivery.addresses import IDENTITY_FRESH_FOR
from bot.delivery.messages import User
from storage.models import ChannelAddress

CHANNEL = "slack"
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_MAX_MENTIONS = 5
NO_NAME = "there"  # a User's display name when Slack has none ("Hello there")
log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class UnknownSlackUser(LookupError):
    """users.info says the workspace has no such user (`user_not_found`): not a person who can
    write to the bot, so nothing to answer."""


class SlackDirectory:
    """Slack user id <-> e-mail, asked of Slack (users.info, users.lookupByEmail) once a day
    at most, the answers shared through the database.

    A user whose profile has no e-mail (a guest, a bot) is known by their Slack id: they can
    report, but no DSL action can ever match them to a person in the school configuration.
    Nothing is stored for them (there is nothing to share), so they are asked about each time.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.client = client
        self.sessions = sessions
        self.clock = clock

    async def user(self, team_id: str, user_id: str) -> User:
        async with self.sessions() as session:
            known = await addresses.find(session, CHANNEL, user_id)
        if known is not None and known.email and known.identity_fresh(self.clock()):
            return User(user_id, known.email, known.display_name or NO_NAME)
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as error:
            if error.response.get("error") in {"user_not_found", "users_not_found"}:
                raise UnknownSlackUser(user_id) from None
            raise
        profile = (response.get("user") or {}).get("profile") or {}
        email = str(profile.get("email") or "").strip().lower()
        name = str(profile.get("real_name") or profile.get("display_name") or "").strip()
        if email:
            await self._remember(user_id, {"team_id": team_id}, email=email, name=name)
        return User(
            platform_id=user_id,
            email=email or f"slack:{team_id}:{user_id}",
            display_name=name or NO_NAME,
        )

    async def learn_mentions(self, team_id: str, text: str | None) -> dict[str, str]:
        """Look up the people a message mentions (`<@U…>`): their names, so the text is stored
        as the person saw it (bot/channels/slack/markup.py), and their e-mails, kept here, so
        an allegation that names someone by a mention is matched to them
        (bot/reports/subjects.py reads what is stored here). A mention Slack cannot answer for
        is left unnamed and unmatched, and the case says so; the answer is never lost."""
        names: dict[str, str] = {}
        for user_id in list(dict.fromkeys(_MENTION.findall(text or "")))[:_MAX_MENTIONS]:
            try:
                found = await self.user(team_id, user_id)
            except Exception:  # a lookup that fails must not lose the person's answer
                log.warning("could not look up a mentioned Slack user")
                continue
            if found.display_name != NO_NAME:
                names[user_id] = found.display_name
        return names

    async def user_id_for(self, email: str) -> str | None:
        """The Slack user with this e-mail, or None when the workspace has nobody with it."""
        email = email.strip().lower()
        since = self.clock() - IDENTITY_FRESH_FOR
        async with self.sessions() as session:
            known = await session.scalar(
                select(ChannelAddress.platform_user_id)
                .where(
                    ChannelAddress.channel == CHANNEL,
                    ChannelAddress.email == email,
                    ChannelAddress.looked_up_at >= since,
                )
                .order_by(ChannelAddress.looked_up_at.desc())
                .limit(1)
            )
        if known is not None:
            return str(known)
        try:
            response = await self.client.users_lookupByEmail(email=email)
        except SlackApiError as error:
            if error.response.get("error") in {"users_not_found", "user_not_found"}:
                return None
            raise
        user = response.get("user") or {}
        user_id = str(user.get("id") or "") or None
        if user_id is not None:
            name = str((user.get("profile") or {}).get("real_name") or user.get("real_name") or "")
            await self._remember(user_id, {"team_id": user.get("team_id")}, email=email, name=name)
        return user_id

    async def _remember(
        self, user_id: str, address: dict[str, Any], *, email: str, name: str
    ) -> None:
        for attempt in (1, 2):  # another replica may store the same person at the same moment
            try:
                async with self.sessions() as session, session.begin():
                    await addresses.remember(
                        session,
                        channel=CHANNEL,
                        platform_user_id=user_id,
                        address=address,
                        display_name=name,
                        email=email,
                        now=self.clock(),
                    )
                return
            except IntegrityError:
                if attempt == 2:
                    raise


async def workspace_staff(client: AsyncWebClient, *, user_group: str | None = None) -> list[User]:
    """Everyone the self-audit should ask in this workspace: members who are not bots, not
    deactivated and not guests (users.list), or only the members of `user_group`
    (usergroups.users.list), each with a profile e-mail. Paginated as Slack asks (limit 200)."""
    only: set[str] | None = None
    if user_group:
        response = await client.usergroups_users_list(usergroup=user_group)
        only = {str(u) for u in response.get("users") or []}
    staff: list[User] = []
    cursor = None
    while True:
        page = await client.users_list(limit=200, cursor=cursor)
        for member in page.get("members") or []:
            if _not_staff(member) or (only is not None and member.get("id") not in only):
                continue
            profile = member.get("profile") or {}
            email = str(profile.get("email") or "").strip().lower()
            name = str(profile.get("real_name") or profile.get("display_name") or "").strip()
            if email:
                staff.append(User(str(member["id"]), email, name or email))
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return staff


def _not_staff(member: dict[str, object]) -> bool:
    guest = member.get("is_restricted") or member.get("is_ultra_restricted")
    return bool(member.get("is_bot") or member.get("deleted") or guest) or (
        member.get("id") == "USLACKBOT"
    )
