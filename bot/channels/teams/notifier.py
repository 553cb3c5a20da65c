"""Teams' Notifier: alerts as proactive messages in the person's chat with the bot, through the
conversation reference stored when they installed the app or last wrote; updates in place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from aiohttp import ClientResponseError
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams.parse import CHANNEL
from bot.channels.teams.render import CardTooLarge, render_card_update, render_turn
from bot.channels.teams.sdk import continue_conversation
from bot.channels.teams.sending import Sender, TeamsBusy
from bot.messages import Card
from bot.services import addresses
from bot.services.notifier import Delivery, RetryLater

# Someone who has not installed the app may do so at any moment (or their admin may push it);
# look again every so often. Escalation meanwhile goes on on every channel.
NOT_INSTALLED_RETRY = 900.0
PROACTIVE_ATTEMPTS = 2  # then the outbox's own back-off takes over


class TeamsNotifier:
    channel = CHANNEL

    def __init__(
        self,
        *,
        adapter: CloudAdapter,
        app_id: str | None,
        sessions: async_sessionmaker[AsyncSession],
        sender: Sender,
    ) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.sessions = sessions
        self.sender = sender

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send; the returned reference is the id of the card's activity, for update_activity."""
        async with self.sessions() as session:
            found = await addresses.reachable_by_email(session, CHANNEL, delivery.recipient_email)
        if not found:
            raise RetryLater("not installed in Teams", after_seconds=NOT_INSTALLED_RETRY)
        reference = found[0].address
        try:
            return await self._deliver(delivery, reference)
        except TeamsBusy as busy:
            raise RetryLater(busy.reason, after_seconds=busy.after_seconds) from None
        except ClientResponseError as error:
            raise RetryLater(f"Teams answered {error.status}") from None

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
            activity.id = delivery.platform_ref
            await paced(lambda: context.update_activity(activity))

        async def send(context: TurnContext) -> None:
            for payload in render_turn(delivery.messages):
                activity = Activity.model_validate(payload)
                response = await paced(partial(context.send_activity, activity))
                if payload.get("attachments") and not any(sent):
                    sent.append(response.id if response else None)

        if delivery.kind == "update":
            if not delivery.platform_ref or not cards:
                return None  # they never got the first alert here: there is nothing to update
            await continue_conversation(self.adapter, self.app_id, reference, update)
            return delivery.platform_ref
        await continue_conversation(self.adapter, self.app_id, reference, send)
        return next((ref for ref in sent if ref), None)
