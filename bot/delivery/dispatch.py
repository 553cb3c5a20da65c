"""Delivering the outbox: woken right after a commit, swept on a schedule, retried with back-off."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.messages import Outbound
from bot.delivery.notifier import Delivery, Notifier, NotNeeded, RetryLater
from bot.delivery.outbox import CLAIM_FOR, IN_FLIGHT, Claim, backoff, claim_due, first_refs
from storage.db import table_of
from storage.models import Outbox, Report
from storage.scope import SCHOOL_PARAM, bound

log = logging.getLogger(__name__)
BATCH = 100
MAX_BATCHES = 20


class Composer(Protocol):
    """What words an outbox row: the messages it delivers, made when it is sent (the app gives
    the chat's OutboxWords: the cases' cards, and the messages about drafts). `report` is None
    for a row about a draft (`row.conversation_id`). Raises NotNeeded for a row that is to go
    no more (it is recorded as cancelled)."""

    async def prepare(
        self, session: AsyncSession, rows: Sequence[Outbox], reports: Mapping[int, Report]
    ) -> Composer:
        """This composer for one batch: what its messages read from the database, read once
        for the batch in the claim's transaction; the one returned makes them after it."""
        ...

    async def messages_for(
        self, row: Outbox, report: Report | None, *, linked: Report | None = None
    ) -> list[Outbound]: ...


@dataclass
class _Job:
    claim: Claim  # the row, and its lease: this dispatcher's to send and record until then
    delivery: Delivery | None  # None: the message could not even be built
    error: str | None = None
    retry_after: float | None = None
    platform_ref: str | None = None
    cancelled: str | None = None  # why the row is to go no more (NotNeeded)


class Dispatcher:
    """Sends due outbox rows through the channel notifiers; one slow or failing recipient never
    holds up the others, and a row stays pending until its channel has taken it.

    A batch costs two short transactions whatever its size: one to claim the rows and read what
    their messages need, one to record what happened, each a few statements; the messages are
    made after the claim commits, and sent concurrently.

    Once per row, as far as each platform allows: a send starts only if it can end (by its
    timeout) within the row's lease, so no other process takes a row while it may be on its
    way; a result is recorded only by the lease's holder; and a row whose earlier attempt may
    have arrived (a timeout, a failure half-way, a process killed before it recorded) goes out
    with `look_since`, so a channel that can read back what it sent looks before sending again.
    """

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        notifiers: Mapping[str, Notifier],
        cards: Composer,
        clock: Callable[[], datetime],
        send_timeout: float = 10.0,
        lease: timedelta = CLAIM_FOR,
        delivered: Callable[[Outbox], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.notifiers = notifiers
        self.cards = cards
        self.clock = clock
        self.lease = lease
        # Room in every lease for the claim, the send and the record, on a loaded machine too.
        self.send_timeout = min(send_timeout, lease.total_seconds() / 3)
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._stopping = False
        # Called with every row marked sent: the metrics (benchmarks may set their own).
        self.delivered: Callable[[Outbox], None] = delivered or (lambda row: None)

    def wake(self) -> None:
        """Deliver now (called after a commit that queued something)."""
        self._wake.set()

    @property
    def busy(self) -> bool:
        """Woken and not yet done, or delivering: what a clean stop (or a test) waits out."""
        return self._wake.is_set() or self._lock.locked()

    async def run(self) -> None:
        """The in-process loop: deliver whenever woken, until `stop`. The sweep covers retries."""
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            if self._stopping:
                break
            try:
                await self.deliver_due()
            except Exception:  # a broken database must not end the loop for good
                log.exception("outbox delivery failed; the sweep will try again")

    async def stop(self, runner: asyncio.Task[None]) -> None:
        """End the loop between batches: cancelling a transaction half-way is avoided, because
        SQLite would keep its write lock until the abandoned connection is collected."""
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(runner), timeout=self.send_timeout + 5)
        except TimeoutError:
            runner.cancel()
        # A batch begun outside the loop (a web tab's delivery as it opens) ends too before the
        # caller closes the database: one cut off half-way loses its connection unclosed.
        try:
            await asyncio.wait_for(self._lock.acquire(), timeout=self.send_timeout + 5)
        except TimeoutError:
            return
        self._lock.release()

    async def deliver_due(self, *, recipient: str | None = None) -> int:
        """Deliver every row that is due (for one recipient, if given); returns how many went."""
        sent = 0
        async with self._lock:
            for _ in range(MAX_BATCHES):
                jobs = await self._claim(recipient)
                if not jobs:
                    break
                await asyncio.gather(*(self._send(job) for job in jobs))
                sent += await self._record(jobs)
                if len(jobs) < BATCH:
                    break
        return sent

    async def _claim(self, recipient: str | None) -> list[_Job]:
        now = self.clock()
        async with self.sessions() as session:
            async with session.begin():
                if recipient is not None:
                    await _make_due_now(session, recipient=recipient, now=now)
                claims = await claim_due(
                    session, now=now, recipient=recipient, limit=BATCH, lease=self.lease
                )
                if not claims:
                    return []
                rows = [claim.row for claim in claims]
                reports = await _reports_of(session, rows)
                updated = {
                    r.report_id for r in rows if r.kind == "update" and r.report_id is not None
                }
                refs = await first_refs(session, report_ids=updated) if updated else {}
                words = await self.cards.prepare(session, rows, reports)
            # Committed: the rows are this dispatcher's until their lease ends. Their messages
            # are made now, holding no transaction (a read one still needs begins its own).
            return [self._job(claim, refs, await _made(words, claim, reports)) for claim in claims]

    def _job(
        self,
        claim: Claim,
        refs: Mapping[tuple[int, str, str], str | None],
        made: list[Outbound] | Exception,
    ) -> _Job:
        row = claim.row
        if isinstance(made, NotNeeded):
            return _Job(claim, None, cancelled=made.reason)
        if isinstance(made, Exception):
            return _Job(claim, None, error=type(made).__name__)
        ref = None
        if row.kind == "update" and row.report_id is not None:
            ref = refs.get((row.report_id, row.recipient_email, row.channel))
        look_since = row.created_at if claim.attempted else None  # no attempt precedes the row
        delivery = Delivery(
            row.kind, row.recipient_email, made, ref, row_id=row.id, look_since=look_since
        )
        return _Job(claim, delivery)

    async def _send(self, job: _Job) -> None:
        if job.delivery is None:
            return
        channel = job.claim.row.channel
        notifier = self.notifiers.get(channel)
        try:
            if self.clock() + timedelta(seconds=self.send_timeout) > job.claim.until:
                # Claimed too long ago (a stalled process): another may take the row any moment.
                raise RetryLater("its lease ran out before it was sent")
            if notifier is None:
                raise RetryLater(f"channel {channel} is not configured")
            job.platform_ref = await asyncio.wait_for(
                notifier.deliver(job.delivery), self.send_timeout
            )
        except RetryLater as later:
            job.error, job.retry_after = later.reason, later.after_seconds
        except TimeoutError:
            job.error = "timed out"
        except Exception as failure:  # any channel failure is retried; never dropped
            job.error = type(failure).__name__

    async def _record(self, jobs: list[_Job]) -> int:
        now = self.clock()
        sent: list[Outbox] = []
        cancelled: list[dict[str, Any]] = []
        delivered: list[dict[str, Any]] = []
        retried: list[dict[str, Any]] = []
        async with self.sessions() as session, session.begin():
            ours = await _still_held(session, jobs)
            for job in jobs:
                row = job.claim.row
                if row.id not in ours:
                    # The lease ran out and another dispatcher holds the row now: its result
                    # (which looks for this attempt's message first) is the one recorded.
                    log.warning("outbox row %s was taken over before it was recorded", row.id)
                    continue
                held = {"row_id": row.id, "until": job.claim.until}
                if job.cancelled is not None:  # never sent, and never to be
                    cancelled.append(held | {"why": job.cancelled[:200]})
                    continue
                if job.error is None:
                    delivered.append(held | {"ref": job.platform_ref})
                    row.status, row.sent_at, row.platform_ref = "sent", now, job.platform_ref
                    row.attempts, row.last_error = row.attempts + 1, None
                    sent.append(row)
                    continue
                wait = timedelta(seconds=job.retry_after) if job.retry_after else None
                wait = wait or backoff(row.attempts + 1)
                retried.append(held | {"at": now + wait, "why": job.error[:200]})
                log.info(
                    "outbox row %s (%s) not delivered: %s; retry in %.0f s",
                    row.id,
                    row.channel,
                    job.error,
                    wait.total_seconds(),
                )
            # One statement per outcome, each row's only while this dispatcher holds it.
            for statement, params in (
                (_CANCEL, cancelled),
                (_SENT, [p | {"at": now} for p in delivered]),
                (_RETRY, retried),
            ):
                if params:
                    await session.execute(statement, params)
        for row in sent:
            self.delivered(row)
        return len(sent)


_outbox = table_of(Outbox)
# Each keeps to the school by its parameter (storage.scope fills it).
_HELD = (
    (_outbox.c.id == bindparam("row_id"))
    & (_outbox.c.status == "pending")
    & (_outbox.c.next_attempt_at == bindparam("until"))
    & (_outbox.c.school_id == bindparam(SCHOOL_PARAM))
)
_CANCEL = bound(
    update(_outbox).where(_HELD).values(status="cancelled", last_error=bindparam("why"))
)
_SENT = bound(
    update(_outbox)
    .where(_HELD)
    .values(
        status="sent",
        sent_at=bindparam("at"),
        platform_ref=bindparam("ref"),
        attempts=_outbox.c.attempts + 1,
        last_error=None,
    )
)
_RETRY = bound(
    update(_outbox)
    .where(_HELD)
    .values(
        attempts=_outbox.c.attempts + 1,
        next_attempt_at=bindparam("at"),
        last_error=bindparam("why"),
    )
)
_HOLDERS_ANY_LOCK = select(_outbox.c.id, _outbox.c.next_attempt_at).where(
    _outbox.c.id.in_(bindparam("row_ids", expanding=True)),
    _outbox.c.status == "pending",
    _outbox.c.school_id == bindparam(SCHOOL_PARAM),
)
_HOLDERS = bound(_HOLDERS_ANY_LOCK)
_HOLDERS_LOCKED = bound(_HOLDERS_ANY_LOCK.with_for_update())
_REPORTS = select(Report).where(Report.id.in_(bindparam("report_ids", expanding=True)))


async def _still_held(session: AsyncSession, jobs: list[_Job]) -> set[int]:
    """The rows of `jobs` this dispatcher still holds (pending, with the lease it took), locked
    until the record commits on PostgreSQL (SQLite's write lock is the transaction's)."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    query = _HOLDERS_LOCKED if postgresql else _HOLDERS
    until = {job.claim.row.id: job.claim.until for job in jobs}
    result = await session.execute(query, {"row_ids": list(until)})
    return {row_id for row_id, at in result if at == until[row_id]}


async def _reports_of(session: AsyncSession, rows: Sequence[Outbox]) -> dict[int, Report]:
    """The reports the rows are about, and those a receipt's report is linked to, each once."""
    wanted = {row.report_id for row in rows if row.report_id is not None}
    found = {r.id: r for r in await session.scalars(_REPORTS, {"report_ids": list(wanted)})}
    linked = {
        report.linked_report_id
        for row in rows
        if row.kind == "receipt"
        and (report := found.get(row.report_id or 0)) is not None
        and report.linked_report_id is not None
        and report.linked_report_id not in found
    }
    if linked:
        found |= {r.id: r for r in await session.scalars(_REPORTS, {"report_ids": list(linked)})}
    return found


async def _made(
    words: Composer, claim: Claim, reports: Mapping[int, Report]
) -> list[Outbound] | Exception:
    """A row's messages, or why there are none (NotNeeded, or the failure that stopped them)."""
    row = claim.row
    try:
        report = None
        if row.report_id is not None:
            report = reports.get(row.report_id)
            if report is None:
                raise LookupError(f"outbox row {row.id}: its report is not there")
        linked = None
        if report is not None and row.kind == "receipt" and report.linked_report_id:
            linked = reports.get(report.linked_report_id)
        return await words.messages_for(row, report, linked=linked)
    except NotNeeded as why:
        return why
    except Exception as failure:  # one unreadable row must not stop the others
        log.exception("outbox row %s could not be prepared", row.id)
        return failure


async def _make_due_now(session: AsyncSession, *, recipient: str, now: datetime) -> None:
    # Someone just opened a channel: what waited for them goes now, not at its back-off time.
    # A row on its way (claimed, not recorded) keeps its lease: making it due would let a second
    # dispatcher take it while the first may still deliver it. A row queued for later and never
    # tried (a follow-up e-mail after its delay) keeps its time: it is not a retry.
    await session.execute(
        update(Outbox)
        .where(
            Outbox.recipient_email == recipient,
            Outbox.status == "pending",
            Outbox.last_error.is_distinct_from(IN_FLIGHT),
            ~((Outbox.attempts == 0) & (Outbox.next_attempt_at > now)),
        )
        .values(next_attempt_at=now)
    )
