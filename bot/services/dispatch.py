"""Delivering the outbox: woken right after a commit, swept on a schedule, retried with back-off."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.alert_cards import CardMaker
from bot.services.notifier import Delivery, Notifier, RetryLater
from bot.services.outbox import backoff, claim_due, first_ref
from storage.models import Outbox, Report

log = logging.getLogger(__name__)


class Dispatcher:
    """Sends due outbox rows through the channel notifiers; one slow or failing recipient never
    holds up the others, and a row stays pending until its channel has taken it."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        notifiers: Mapping[str, Notifier],
        cards: CardMaker,
        clock: Callable[[], datetime],
        send_timeout: float = 10.0,
    ) -> None:
        self.sessions = sessions
        self.notifiers = notifiers
        self.cards = cards
        self.clock = clock
        self.send_timeout = send_timeout
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self.delivered: Callable[[Outbox], None] = lambda row: None  # for metrics and benchmarks

    def wake(self) -> None:
        """Deliver now (called after a commit that queued something)."""
        self._wake.set()

    async def run(self) -> None:
        """The in-process loop: deliver whenever woken. The scheduled sweep covers retries."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:  # a broken database must not end the loop for good
                log.exception("outbox delivery failed; the sweep will try again")

    async def deliver_due(self, *, recipient: str | None = None) -> int:
        """Deliver every row that is due (for one recipient, if given); returns how many went."""
        async with self._lock:
            now = self.clock()
            async with self.sessions() as session, session.begin():
                if recipient is not None:
                    await _make_due_now(session, recipient=recipient, now=now)
                rows = await claim_due(session, now=now, recipient=recipient)
                claimed = [row.id for row in rows]
            if not claimed:
                return 0
            results = await asyncio.gather(*(self._deliver(row_id) for row_id in claimed))
            return sum(results)

    async def _deliver(self, row_id: int) -> int:
        async with self.sessions() as session:
            row = await session.get(Outbox, row_id)
            report = await session.get(Report, row.report_id) if row else None
            if row is None or report is None or row.status != "pending":
                return 0
            notifier = self.notifiers.get(row.channel)
            ref = None
            if row.kind == "update":
                ref = await first_ref(
                    session, report_id=row.report_id, email=row.recipient_email, channel=row.channel
                )
            messages = await self.cards.messages_for(row, report)
        delivery = Delivery(row.kind, row.recipient_email, messages, ref)
        error: str | None = None
        retry_after: float | None = None
        platform_ref = None
        try:
            if notifier is None:
                raise RetryLater(f"channel {row.channel} is not configured")
            platform_ref = await asyncio.wait_for(notifier.deliver(delivery), self.send_timeout)
        except RetryLater as later:
            error, retry_after = later.reason, later.after_seconds
        except TimeoutError:
            error = "timed out"
        except Exception as failure:  # any channel failure is retried; never dropped
            error = type(failure).__name__
        return await self._record(row_id, error, retry_after, platform_ref)

    async def _record(
        self, row_id: int, error: str | None, retry_after: float | None, platform_ref: str | None
    ) -> int:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            row = await session.get(Outbox, row_id)
            if row is None:
                return 0
            row.attempts += 1
            if error is None:
                row.status, row.sent_at, row.platform_ref = "sent", now, platform_ref
                row.last_error = None
            else:
                wait = timedelta(seconds=retry_after) if retry_after else backoff(row.attempts)
                row.next_attempt_at, row.last_error = now + wait, error[:200]
                log.info(
                    "outbox row %s to %s not delivered (%s); retry in %.0f s",
                    row.id,
                    row.channel,
                    error,
                    wait.total_seconds(),
                )
        if error is None:
            self.delivered(row)
        return 1 if error is None else 0


async def _make_due_now(session: AsyncSession, *, recipient: str, now: datetime) -> None:
    # Someone just opened a channel: what waited for them goes now, not at its back-off time.
    await session.execute(
        update(Outbox)
        .where(Outbox.recipient_email == recipient, Outbox.status == "pending")
        .values(next_attempt_at=now)
    )
