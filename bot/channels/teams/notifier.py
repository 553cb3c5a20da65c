"""Teams' Notifier: alerts as proactive messages in the person's chat with the bot, through the
conversation reference stored when they installed the app or last wrote; updates in place.

A delivery counts only when the Bot Connector answered it with success: every refusal, timeout
or connection error is raised to the dispatcher, which keeps the row pending and retries it.
403 and 404 mean the app was removed or blocked, or the chat is gone: the address is marked
unreachable, and nothing more is tried there until the person writes again or reinstalls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import ClientResponseError
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams.parse import CHANNEL
from bot.channels.teams.render import CardTooLarge, render_card_update, render_turn
from bot.channels.teams.sdk import continue_conversation, post_new, replace
from bot.channels.teams.sending import Sender, TeamsBusy, retry_after
from bot.delivery import addresses
from bot.delivery.messages import Card
from bot.delivery.notifier import Delivery, RetryLater

# Someone who has not installed the app may do so at any moment (or their admin may push it);
# look again every so often. Escalation meanwhile goes on on every channel.
NOT_INSTALLED_RETRY = 900.0
PROACTIVE_ATTEMPTS = 2  # then the outbox's own back-off takes over
# Teams' answers that mean "not this person, not until something changes": the app was
# uninstalled or blocked (403), or the conversation no longer exists (404).
GONE_STATUSES = frozenset({403, 404})


class TeamsNotifier:
    channel = CHANNEL

    def __init__(
        self,
        *,
        adapter: CloudAdapter,
        app_id: str | None,
        sessions: async_sessionmaker[AsyncSession],
        sender: Sender,
        clock: Callable[[], datetime],
    ) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.sessions = sessions
        self.sender = sender
        self.clock = clock

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send; the returned reference is the id of the card's activity, for update_activity."""
        async with self.sessions() as session:
            found = await addresses.reachable_by_email(session, CHANNEL, delivery.recipient_email)
        if not found:
            raise RetryLater("not reachable in Teams", after_seconds=NOT_INSTALLED_RETRY)
        try:
            return await self._deliver(delivery, found[0].address)
        except TeamsBusy as busy:
            raise RetryLater(busy.reason, after_seconds=busy.after_seconds) from None
        except ClientResponseError as error:
            reason = f"Teams answered {error.status}"
            if error.status in GONE_STATUSES:
                await self._gone(found[0].platform_user_id, reason)
                raise RetryLater(reason, after_seconds=NOT_INSTALLED_RETRY) from None
            raise RetryLater(reason, after_seconds=retry_after(error)) from None

    async def _gone(self, platform_user_id: str, reason: str) -> None:
        async with self.sessions() as session, session.begin():
            await addresses.mark_unreachable(
                session,
                channel=CHANNEL,
                platform_user_id=platform_user_id,
                reason=reason,
                now=self.clock(),
            )

    async def _deliver(self, delivery: Delivery, reference: Mapping[str, Any]) -> str | None:
        conversation = reference.get("conversation") or {}
        conversation_id = str(conversation.get("id", ""))
        tenant_id = conversation.get("tenantId")

        async def paced(operation: Callable[[], Awaitable[Any]]) -> Any:
            return await self.sender.call(
                operation,
                conversation_id=conversation_id,
                tenant_id=tenant_id,
                attempts=PROACTIVE_ATTEMPTS,
            )

        cards = [m for m in delivery.messages if isinstance(m, Card)]
        sent: list[str | None] = []

        async def update(context: TurnContext) -> None:
            try:
                activity = Activity.model_validate(render_card_update(cards[0]))
            except CardTooLarge:  # too long for one message: post it whole rather than cut it
                await send(context)
                return
            activity_id = delivery.platform_ref
            assert activity_id is not None
            await paced(partial(replace, context, activity_id, activity))

        async def send(context: TurnContext) -> None:
            for payload in render_turn(delivery.messages):
                activity = Activity.model_validate(payload)
                activity_id = await paced(partial(post_new, context, activity))
                if payload.get("attachments") and not any(sent):
                    sent.append(activity_id)

        if delivery.kind == "update":
            if not delivery.platform_ref or not cards:
                return None  # they never got the first alert here: there is nothing to update
            await continue_conversation(self.adapter, self.app_id, reference, update)
            return delivery.platform_ref
        await continue_conversation(self.adapter, self.app_id, reference, send)
        return next((ref for ref in sent if ref), None)
