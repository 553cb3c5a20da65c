"""Slack's Notifier: alerts as DMs (conversations.open, chat.postMessage), updates in place."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.identity import SlackDirectory
from bot.channels.slack.render import CardTooLarge, render_card_update, render_turn
from bot.messages import Card
from bot.services.notifier import Delivery, RetryLater

CHANNEL = "slack"
NOT_IN_SLACK_RETRY = 3600.0


class SlackNotifier:
    channel = CHANNEL

    def __init__(self, client: AsyncWebClient, directory: SlackDirectory) -> None:
        self.client = client
        self.directory = directory

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send; the returned reference is "<dm channel>:<ts>" of the card, for chat.update."""
        try:
            return await self._deliver(delivery)
        except SlackApiError as error:
            status = getattr(error.response, "status_code", None)
            if status == 429:  # slack-sdk's retry handler already waited once; honour the rest
                after = float(error.response.headers.get("Retry-After", "30"))
                raise RetryLater("rate limited by Slack", after_seconds=after) from None
            raise RetryLater(f"Slack said {error.response.get('error')}") from None

    async def _deliver(self, delivery: Delivery) -> str | None:
        cards = [m for m in delivery.messages if isinstance(m, Card)]
        if delivery.kind == "update" and delivery.platform_ref and cards:
            channel, _, ts = delivery.platform_ref.partition(":")
            try:
                update = render_card_update(cards[0])
            except CardTooLarge:  # too long for one message: post it whole rather than cut it
                for payload in render_turn(cards):
                    await self.client.chat_postMessage(channel=channel, **payload)
                return delivery.platform_ref
            await self.client.chat_update(channel=channel, ts=ts, **update)
            return delivery.platform_ref
        if delivery.kind == "update" and not delivery.platform_ref:
            return None  # they never got the first alert here: there is nothing to update
        user_id = await self.directory.user_id_for(delivery.recipient_email)
        if user_id is None:
            raise RetryLater("no Slack user has this e-mail", after_seconds=NOT_IN_SLACK_RETRY)
        opened = await self.client.conversations_open(users=user_id)
        channel = str(opened["channel"]["id"])
        ref = None
        for payload in render_turn(delivery.messages):
            posted = await self.client.chat_postMessage(channel=channel, **payload)
            ref = ref or f"{channel}:{posted['ts']}"
        return ref
