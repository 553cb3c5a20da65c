"""Sending to the Bot Connector under Teams' rate limits, retrying what Teams says to retry.

Limits (learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit): per bot per
conversation ("thread") at most 7 operations in 1 s, 8 in 2 s, 60 in 30 s and 1,800 in an hour;
per app per tenant 50 requests a second. The same page says to back off exponentially with
random jitter on 429, and to retry 412, 502 and 504 as well.

A reply within a turn gets a few quick retries (the person is waiting, and Teams expects the
request answered within 15 s); after that the error goes up. A proactive message is handed back
to the outbox as RetryLater, which keeps trying with its own back-off: nothing is dropped.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import ClientConnectionError, ClientResponseError

from bot.delivery.pacing import Limit, Pacer

T = TypeVar("T")

RETRY_STATUSES = frozenset({412, 429, 502, 503, 504})
CONVERSATION_LIMITS = (Limit(7, 1.0), Limit(8, 2.0), Limit(60, 30.0), Limit(1800, 3600.0))
TENANT_LIMITS = (Limit(50, 1.0),)
IN_TURN_ATTEMPTS = 4
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 8.0


class TeamsBusy(Exception):
    """Teams said "not now" (or could not be reached) and the retries here ran out."""

    def __init__(self, reason: str, after_seconds: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after_seconds = after_seconds


def retry_after(error: BaseException) -> float | None:
    """Seconds Teams asked us to wait, from a Retry-After header in seconds, if any."""
    headers = getattr(error, "headers", None)
    value = headers.get("Retry-After") if headers else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def is_transient(error: BaseException) -> bool:
    if isinstance(error, ClientResponseError):
        return error.status in RETRY_STATUSES
    return isinstance(error, ClientConnectionError | asyncio.TimeoutError)


class Sender:
    """Paces every Bot Connector call and retries the transient failures.

    `now` and `sleep` are the clock the limits, back-offs and Retry-After waits are measured on
    (tests run them on a faster clock; the limits themselves do not change)."""

    def __init__(
        self,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sleep = sleep
        self.jitter = jitter
        self.conversations = Pacer(CONVERSATION_LIMITS, now=now, sleep=sleep)
        self.tenants = Pacer(TENANT_LIMITS, now=now, sleep=sleep)

    async def call(
        self,
        operation: Callable[[], Awaitable[T]],
        *,
        conversation_id: str,
        tenant_id: str | None,
        attempts: int = IN_TURN_ATTEMPTS,
    ) -> T:
        for attempt in range(1, attempts + 1):
            await self.conversations.wait(conversation_id)
            await self.tenants.wait(tenant_id or "")
            try:
                return await operation()
            except Exception as error:
                if not is_transient(error):
                    raise
                asked = retry_after(error)
                if attempt == attempts:
                    status = getattr(error, "status", None)
                    reason = f"Teams answered {status}" if status else "Teams unreachable"
                    raise TeamsBusy(reason, asked) from None
                await self.sleep(asked if asked is not None else self.backoff(attempt))
        raise AssertionError("unreachable")  # the loop returns or raises

    def backoff(self, attempt: int) -> float:
        """Exponential, with "full jitter" so retries from many turns do not line up."""
        ceiling = min(MAX_BACKOFF, FIRST_BACKOFF * float(2 ** (attempt - 1)))
        return ceiling / 2 + self.jitter() * ceiling / 2
