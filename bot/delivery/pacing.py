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
from typing import Any

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


class SlotPacer(Pacer):
    """A Pacer whose calls hold their slot from when they start until each limit's window has
    passed since they returned, so that calls can go on one after another rather than in
    batches that wait for their slowest call (the self-audit's invitations:
    bot/audit/invitations.py).

    A call's requests reach the platform between its start and its return. Any window the
    platform measures, [t - seconds, t], therefore holds only requests of calls that started
    by t and returned after t - seconds: calls that all hold their slot at t. So no window holds
    more calls than the limit, however long each call takes.

    The schools of a trust's deployment share one per channel: one Slack workspace or Teams
    registration, one rate, however many schools' campaigns run. A caller takes the slots it
    saw free in the same step as it looks (`reserve`, no await between), so the room one school
    saw is never also taken by another, and no school waits in a queue behind the others'
    calls (fifty schools queued for a lock held their senders past the scheduler's next
    tick)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_flight: dict[Hashable, int] = {}
        self._returned = asyncio.Event()  # set (and replaced) each time a slot may have freed

    def room(self, key: Hashable) -> int:
        """How many calls may start now (the ones in flight hold theirs)."""
        now = self._now()
        free = min(limit.count - len(self._recent(key, limit, now)) for limit in self.limits)
        return max(0, free - self._in_flight.get(key, 0))

    def delay_for(self, key: Hashable, need: int) -> float | None:
        """Seconds until `need` calls may start, if no call in flight returned meanwhile; None
        when calls in flight must return first (`returned`)."""
        held = self._in_flight.get(key, 0)
        now = self._now()
        wait = 0.0
        for limit in self.limits:
            recent = self._recent(key, limit, now)
            leaving = len(recent) + held + need - limit.count  # calls that must leave first
            if leaving <= 0:
                continue
            if leaving > len(recent):
                return None
            wait = max(wait, recent[leaving - 1] + limit.seconds - now)
        return wait

    def reserve(self, key: Hashable, up_to: int) -> int:
        """Take up to `up_to` of the slots free now, for calls about to start."""
        taken = min(up_to, self.room(key))
        self._in_flight[key] = self._in_flight.get(key, 0) + taken
        return taken

    def release(self, key: Hashable, n: int) -> None:
        """Give back `n` slots taken for calls that will not be made."""
        if n:
            self._in_flight[key] -= n
            self._wake()

    def finished(self, key: Hashable, *, counted: bool) -> None:
        """A call returned: it holds its slot for each window from now (`counted`: it reached
        the platform; a call that failed before reaching it frees its slot at once)."""
        self._in_flight[key] -= 1
        if counted:
            self._calls.setdefault(key, deque()).append(self._now())
        self._wake()

    async def returned(self, within: float | None) -> bool:
        """Until a call in flight returns or slots are given back (False: not `within`)."""
        try:
            async with asyncio.timeout(within):
                await self._returned.wait()
        except TimeoutError:
            return False
        return True

    def _recent(self, key: Hashable, limit: Limit, now: float) -> list[float]:
        """The returns still inside `limit`'s window, oldest first."""
        return [t for t in self._calls.get(key, ()) if t > now - limit.seconds]

    def _wake(self) -> None:
        returned, self._returned = self._returned, asyncio.Event()
        returned.set()
