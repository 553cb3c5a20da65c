"""Channels for alert tests: one that records what it is given, and one that fails on purpose.

They stand in for a chat platform (the far side of the Notifier port), not for our own code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.delivery.messages import Card, Notice
from bot.delivery.notifier import Delivery, RetryLater


@dataclass
class RecordingChannel:
    channel: str = "test"
    deliveries: list[Delivery] = field(default_factory=list)

    _changed: asyncio.Condition | None = field(default=None, repr=False, compare=False)

    async def deliver(self, delivery: Delivery) -> str | None:
        self.deliveries.append(delivery)
        await self.changed()
        return f"msg-{len(self.deliveries)}"

    async def changed(self) -> None:
        """Wake whoever waits in `until`: something was delivered, or tried."""
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    async def until(self, what: str, check: Callable[[], bool], within: float = 30.0) -> None:
        """Until `check()` holds, tested again each time the channel is called (not polled);
        a clear error naming `what` after `within` seconds."""
        self._changed = self._changed or asyncio.Condition()
        async with self._changed:
            try:
                async with asyncio.timeout(within):
                    await self._changed.wait_for(check)
            except TimeoutError:
                raise AssertionError(f"{what}: not after {within} s") from None

    async def delivered(self, count: int, within: float = 30.0) -> None:
        """Until `count` deliveries have been made."""
        await self.until(
            f"{count} deliveries (now {len(self.deliveries)})",
            lambda: len(self.deliveries) >= count,
            within,
        )

    def to(self, email: str, kind: str | None = None) -> list[Delivery]:
        return [
            d
            for d in self.deliveries
            if d.recipient_email == email and (kind is None or d.kind == kind)
        ]

    def recipients(self, kind: str = "alert") -> set[str]:
        return {d.recipient_email for d in self.deliveries if d.kind == kind}

    def cards(self, email: str) -> list[Card]:
        return [m for d in self.to(email) for m in d.messages if isinstance(m, Card)]

    def notices(self, email: str) -> list[Notice]:
        return [m for d in self.to(email) for m in d.messages if isinstance(m, Notice)]

    def clear(self) -> None:
        self.deliveries.clear()


@dataclass
class FlakyChannel(RecordingChannel):
    """Fails for some people in a chosen way, a number of times, then delivers."""

    failures: dict[str, tuple[str, int]] = field(default_factory=dict)  # email -> (how, times)
    attempts: dict[str, int] = field(default_factory=dict)

    async def deliver(self, delivery: Delivery) -> str | None:
        email = delivery.recipient_email
        self.attempts[email] = self.attempts.get(email, 0) + 1
        how, times = self.failures.get(email, ("", 0))
        if self.attempts[email] <= times:
            if how == "raise":
                raise ConnectionError("platform unreachable")
            if how == "slow":
                await asyncio.sleep(30)
            if how == "429":
                raise RetryLater("rate limited", after_seconds=42)
        return await super().deliver(delivery)
