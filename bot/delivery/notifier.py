"""The port every channel implements to deliver alerts: one small protocol, chosen at run time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.delivery.messages import Outbound


@dataclass(frozen=True)
class Delivery:
    """What to send to one person: `kind` is alert, update, seen, ict, review or receipt (the
    reporter's confirmation, with the report's reference).

    `platform_ref` is what the channel returned when it delivered the first alert of this case to
    this person (a Slack ts, a Teams activity id), so an update can edit that message.

    `row_id` is the outbox row's id, which a channel puts on the message where the platform lets
    a message carry data of the sender's own (Slack's message metadata). `look_since` is set
    when an earlier attempt at this very row may have reached the person (it timed out, failed
    half-way, or its process died before recording it): a channel that can read back what it
    sent looks for the row's messages posted since then before sending them again.
    """

    kind: str
    recipient_email: str
    messages: list[Outbound]
    platform_ref: str | None = None
    row_id: int | None = None
    look_since: datetime | None = None


class RetryLater(Exception):
    """Not delivered now, but worth trying again; `after_seconds` when the platform said when."""

    def __init__(self, reason: str, after_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after_seconds = after_seconds


class NotNeeded(Exception):
    """Raised while a row's message is made: it is to go no more (an alert acknowledged before
    its follow-up was due). The row is recorded as cancelled, never as sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Notifier(Protocol):
    """A channel's way of reaching a person outside a conversation they started."""

    channel: str

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send; return a reference to the sent message if the channel can update it later.

        Raise RetryLater when the person cannot be reached now; any other exception is retried
        with back-off too.
        """
        ...
