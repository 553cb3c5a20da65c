"""The web chat's Notifier: alerts go to every open tab of the person, live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels.web.parse import CHANNEL
from bot.delivery.notifier import Delivery, RetryLater

if TYPE_CHECKING:
    from bot.channels.web.handler import WebChat


WAIT_FOR_SIGN_IN = 600.0


class WebNotifier:
    """Delivered means on a screen: with no tab open an alert waits (and is sent the moment the
    person opens the chat), while an update of a card they cannot see has nothing to update."""

    channel = CHANNEL

    def __init__(self, web_chat: WebChat) -> None:
        self.web_chat = web_chat

    async def deliver(self, delivery: Delivery) -> str | None:
        tabs = await self.web_chat.push(delivery.recipient_email, delivery.messages)
        if tabs == 0 and delivery.kind != "update":
            # Opening the chat delivers at once (Services.deliver_due); the long wait is only a
            # safety net, so rows for people who are away do not crowd out fresh alerts.
            raise RetryLater("not signed in to the web chat", after_seconds=WAIT_FOR_SIGN_IN)
        return None
