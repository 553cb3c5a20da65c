"""Retries of Bot Connector calls: which statuses, how long, and when to give up to the outbox."""

from __future__ import annotations

import pytest
from aiohttp import ClientConnectionError, ClientResponseError, RequestInfo
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bot.channels.teams.sending import (
    CONVERSATION_LIMITS,
    RETRY_STATUSES,
    TENANT_LIMITS,
    Sender,
    TeamsBusy,
)


def refusal(status: int, retry_after: str | None = None) -> ClientResponseError:
    headers = CIMultiDict({"Retry-After": retry_after} if retry_after else {})
    info = RequestInfo(URL("http://127.0.0.1/v3"), "POST", CIMultiDictProxy(CIMultiDict()))
    return ClientResponseError(info, (), status=status, headers=CIMultiDictProxy(headers))


class Script:
    """An operation that fails as told, then succeeds."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "sent"


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def sender(slept: list[float]) -> Sender:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return Sender(sleep=sleep, jitter=lambda: 0.5)


@pytest.mark.parametrize("status", sorted(RETRY_STATUSES))
async def test_transient_statuses_are_retried(sender, slept, status):
    operation = Script(refusal(status))
    assert await sender.call(operation, conversation_id="a:1", tenant_id="t") == "sent"
    assert operation.calls == 2 and slept == [0.375]  # half-jittered first back-off


async def test_retry_after_is_honoured(sender, slept):
    operation = Script(refusal(429, "7"), ClientConnectionError())
    assert await sender.call(operation, conversation_id="a:1", tenant_id=None) == "sent"
    assert slept[0] == 7.0 and operation.calls == 3


async def test_other_errors_are_not_retried(sender):
    operation = Script(refusal(403))
    with pytest.raises(ClientResponseError):
        await sender.call(operation, conversation_id="a:1", tenant_id="t")
    assert operation.calls == 1


async def test_running_out_of_attempts_says_when_to_come_back(sender):
    operation = Script(refusal(429, "30"), refusal(429, "30"))
    with pytest.raises(TeamsBusy) as raised:
        await sender.call(operation, conversation_id="a:1", tenant_id="t", attempts=2)
    assert raised.value.after_seconds == 30.0 and "429" in raised.value.reason


def test_backoff_grows_and_is_capped(sender):
    delays = [sender.backoff(n) for n in range(1, 10)]
    assert delays == sorted(delays) and max(delays) <= 8.0


async def test_a_burst_to_one_chat_keeps_within_teams_limits_on_the_senders_clock():
    """Every call waits on the sender's own clock (the one the test worlds run fast): a burst of
    twenty to one chat stays within 7 in 1 s, 8 in 2 s, and takes as long as those limits say."""
    now = [1000.0]
    stamps: list[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    async def operation() -> str:
        stamps.append(now[0])
        return "sent"

    sender = Sender(sleep=sleep, now=lambda: now[0], jitter=lambda: 0.5)
    assert sender.conversations.limits == CONVERSATION_LIMITS
    assert sender.tenants.limits == TENANT_LIMITS
    for _ in range(20):
        await sender.call(operation, conversation_id="a:1", tenant_id="t")

    def most_within(seconds: float) -> int:
        return max(sum(1 for t in stamps if start <= t < start + seconds) for start in stamps)

    assert most_within(1.0) <= 7 and most_within(2.0) <= 8
    assert stamps[-1] - stamps[0] >= 4.0  # twenty at 8 per 2 s: at least two full windows
