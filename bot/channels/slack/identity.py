"""Who a Slack user is here: their profile e-mail (the key to the school configuration)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import User

_TTL_SECONDS = 3600.0


@dataclass(frozen=True)
class _Known:
    user: User
    at: float


class SlackDirectory:
    """Slack user id <-> e-mail, looked up once an hour at most (users.info, users.lookupByEmail).

    A user whose profile has no e-mail (a guest, a bot) is known by their Slack id: they can
    report, but no DSL action can ever match them to a person in the school configuration.
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._by_id: dict[str, _Known] = {}
        self._ids_by_email: dict[str, tuple[str, float]] = {}

    async def user(self, team_id: str, user_id: str) -> User:
        known = self._by_id.get(user_id)
        if known is not None and time.monotonic() - known.at < _TTL_SECONDS:
            return known.user
        response = await self.client.users_info(user=user_id)
        profile = (response.get("user") or {}).get("profile") or {}
        email = str(profile.get("email") or "").strip().lower()
        name = str(profile.get("real_name") or profile.get("display_name") or "").strip()
        user = User(
            platform_id=user_id,
            email=email or f"slack:{team_id}:{user_id}",
            display_name=name or "there",
        )
        self._by_id[user_id] = _Known(user, time.monotonic())
        return user

    async def user_id_for(self, email: str) -> str | None:
        """The Slack user with this e-mail, or None when the workspace has nobody with it."""
        cached = self._ids_by_email.get(email)
        if cached is not None and time.monotonic() - cached[1] < _TTL_SECONDS:
            return cached[0]
        try:
            response = await self.client.users_lookupByEmail(email=email)
        except SlackApiError as error:
            if error.response.get("error") in {"users_not_found", "user_not_found"}:
                return None
            raise
        user_id = str((response.get("user") or {}).get("id") or "") or None
        if user_id is not None:
            self._ids_by_email[email] = (user_id, time.monotonic())
        return user_id


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
