"""The port an SMS provider implements: send one text to one number, or say why not."""

from __future__ import annotations

from typing import Protocol


class SmsProvider(Protocol):
    """A text message service. `send` returns the provider's id for the message once it has
    accepted it, and raises RetryLater (bot.delivery.notifier) when it has not: every refusal
    is retried by the outbox, none counts as sent."""

    async def send(self, *, phone: str, text: str, reference: str) -> str: ...
