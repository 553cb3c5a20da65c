"""Pacing calls under a platform's documented rate limits, before the platform has to say 429.

A limit is "at most `count` calls in any `seconds`-long window", per key (a conversation, a
tenant, an API method). `Pacer.wait(key)` returns when one more call fits every limit of that
key, and counts it. This keeps a burst (an alert to every DSL, an audit's invitations) within the
limits, so retries after 429 stay the exception; a 429 that still comes is handled by the caller,
which honours Retry-After.

The windows live in this process. With several replicas each paces its own calls: the platform's
429 and the caller's back-off cover what they do together.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass

_FORGET_AFTER_KEYS = 5000


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: float


class Pacer:
    def __init__(
        self,
        limits: Sequence[Limit],
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not limits:
            raise ValueError("a pacer needs at least one limit")
        self.limits = tuple(limits)
        self._longest = max(limit.seconds for limit in self.limits)
        self._now = now
        self._sleep = sleep
        self._calls: dict[Hashable, deque[float]] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}

    def delay(self, key: Hashable) -> float:
        """Seconds until one more call under `key` fits every limit (0 when it fits now)."""
        now = self._now()
        calls = self._calls.get(key)
        if not calls:
            return 0.0
        while calls and calls[0] <= now - self._longest:
            calls.popleft()
        wait = 0.0
        for limit in self.limits:
            # The call `count` back from the newest must have left this limit's window.
            if len(calls) >= limit.count:
                oldest_in_way = calls[len(calls) - limit.count]
                wait = max(wait, oldest_in_way + limit.seconds - now)
        return wait

    async def wait(self, key: Hashable) -> None:
        """Wait until a call fits, then count it. Callers under one key go one at a time, in the
        order they came, so a queue of calls drains at the allowed rate and no faster."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            while (wait := self.delay(key)) > 0:
                await self._sleep(wait)
            self._calls.setdefault(key, deque()).append(self._now())
        if len(self._calls) > _FORGET_AFTER_KEYS:
            self.forget_idle()

    def forget_idle(self) -> None:
        """Drop keys with no call inside the longest window (keeps memory flat over a year)."""
        cutoff = self._now() - self._longest
        for key in [k for k, calls in self._calls.items() if not calls or calls[-1] <= cutoff]:
            if not self._locks.get(key, asyncio.Lock()).locked():
                self._calls.pop(key, None)
                self._locks.pop(key, None)
