"""The pacer keeps calls within every window of a limit, per key, on a simulated clock."""

from __future__ import annotations

import asyncio

import pytest

from bot.delivery.pacing import Limit, Pacer


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def times_of(limits: list[Limit], calls: int, key: str = "c") -> list[float]:
    clock = SimulatedTime()
    pacer = Pacer(limits, now=clock.monotonic, sleep=clock.sleep)
    stamps = []

    async def run() -> None:
        for _ in range(calls):
            await pacer.wait(key)
            stamps.append(clock.now)

    asyncio.run(run())
    return [t - 1000.0 for t in stamps]


def worst_window(stamps: list[float], seconds: float) -> int:
    return max(sum(1 for t in stamps if start <= t < start + seconds) for start in stamps)


def test_teams_conversation_limits_hold_in_every_window() -> None:
    limits = [Limit(7, 1.0), Limit(8, 2.0), Limit(60, 30.0)]
    stamps = times_of(limits, 200)
    assert worst_window(stamps, 1.0) <= 7
    assert worst_window(stamps, 2.0) <= 8
    assert worst_window(stamps, 30.0) <= 60
    # and no slower than needed: 200 calls at 60 per 30 s take a little under 100 s
    assert 90.0 <= stamps[-1] <= 100.0


def test_a_burst_within_the_limit_is_not_delayed() -> None:
    assert times_of([Limit(7, 1.0)], 7) == [0.0] * 7


def test_keys_are_paced_separately() -> None:
    clock = SimulatedTime()
    pacer = Pacer([Limit(1, 10.0)], now=clock.monotonic, sleep=clock.sleep)

    async def run() -> None:
        await pacer.wait("a")
        await pacer.wait("b")  # another conversation: not held back by "a"
        assert clock.now == 1000.0
        await pacer.wait("a")
        assert clock.now == 1010.0

    asyncio.run(run())


def test_idle_keys_are_forgotten() -> None:
    clock = SimulatedTime()
    pacer = Pacer([Limit(1, 10.0)], now=clock.monotonic, sleep=clock.sleep)
    asyncio.run(pacer.wait("a"))
    clock.now += 11
    pacer.forget_idle()
    assert pacer.delay("a") == 0.0 and "a" not in pacer._calls


def test_a_pacer_needs_a_limit() -> None:
    with pytest.raises(ValueError, match="at least one limit"):
        Pacer([])
