"""Sending the self-audit's invitations and reminders: queued in `audit_messages`, paced under
each platform's documented rate limits, retried until sent, and always after any due alert.

Alerts first. A DSL alert must never wait behind a campaign of thousands of invitations. Before
every batch the sender looks for an outbox row that is pending and due (`status = "pending"`,
`next_attempt_at <= now`, on any channel); while there is one it sends nothing and leaves the
platform's rate limit, the event loop and the database to the alert dispatcher. Every wait for
a pacer slot is followed by the same check, so a Slack campaign that paused for a minute does
not start its next burst on top of an alert that came in meanwhile. An alert that is backing
off (not due yet), or being sent right now (claimed: its `next_attempt_at` is its lease), does
not hold invitations back.

Pacing. Each channel has a `SlotPacer` (bot/delivery/pacing.py) with the limits in
DEFAULT_LIMITS. A send holds one of its channel's slots from when it starts until each limit's
window has passed since its notifier call *returned*. The platform counts every request when it
arrives, and all of an invitation's requests (Slack: users.lookupByEmail, conversations.open,
chat.postMessage, one after the other, and slack-sdk's own retry of a 429) arrive before the
call returns; so no window the platform measures holds more than the limit, however the latency
varies. (Counting when a send starts, with the same limit, a strict sliding window in
bench/audit_pacing.py answered 115-221 429s to 300 invitations, and each 429 held its batch for
slack-sdk's 1-2 s retry: half the rate.) Rows are claimed a few at a time, as slots come free,
and sent at once: a claimed row's lease covers one send, never a minute of pacing, and a crash
leaves no row held for long. Sends do not wait for each other: an earlier design sent batches
that each waited for its slowest send, and a trust's fifty schools queued for their turn behind
each other's batches, past the scheduler's next tick (bench/README.md, the September morning).
`deliver_due` is built to be called every few seconds by the scheduler: it spends
at most `max_seconds` on new batches. `run_until_idle` sends everything that is due, pacing
included, for tests and the benchmark.

Restart safety. A claimed row's `next_attempt_at` moves on by CLAIM_FOR (its lease): if the
process dies before recording the outcome, the row comes due again when the lease ends and is
sent then (at least once: a crash between the platform taking a message and our commit can
repeat that one message, as for alerts). A row recorded as sent is never selected again, and
the unique key (participant, kind, n) means a message is queued once.

Logs carry row ids, channels and counts only: never a name, an e-mail or message content.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.audit.queue import (
    DEFAULT_LIMITS,
    UNKNOWN_CHANNEL_LIMITS,
    due,
    due_channels,
    mark_participant,
    retire,
)
from bot.briefings.invitation import briefing_invitation
from bot.delivery.messages import Card, Option, Outbound
from bot.delivery.notifier import Delivery, Notifier, RetryLater
from bot.delivery.outbox import backoff
from bot.delivery.pacing import Limit, SlotPacer
from bot.words import strings
from dialogs.datetimes import format_moment
from storage.models import AuditCampaign, AuditMessage, Outbox

log = logging.getLogger(__name__)

BATCH = 100  # rows claimed at most at once per channel (fewer when the pacer has fewer slots)
SEND_TIMEOUT = 30.0  # compose + deliver, per message (slack-sdk may wait out one Retry-After)
CLAIM_FOR = timedelta(seconds=90)  # a claimed row's lease: longer than compose + send + record
MAX_ATTEMPTS = 20  # a failure on or after this attempt gives the message up (see _record)
MIN_RETRY_SECONDS = 1.0  # a platform's "retry after 0" still waits this long (no busy loop)
MAX_SECONDS = 8.0  # deliver_due's budget for starting batches: the scheduler calls it every 10 s

Compose = Callable[[AuditMessage], Awaitable[list[Outbound]]]
START = "audit:start:"  # the invitation's button: bot/audit/chat.py answers it


def invitation(campaign: AuditCampaign, *, reminder: int, tz: ZoneInfo) -> list[Outbound]:
    """The message that asks someone to do the audit or read a briefing (or reminds them),
    with its button: the one thing the sender words differently for each kind of campaign."""
    if campaign.kind == "briefing":
        return briefing_invitation(campaign, reminder=reminder, tz=tz, button=START)
    title = strings.AUDIT_INVITE_TITLE.format(year=campaign.academic_year)
    text = strings.AUDIT_REMINDER if reminder else strings.AUDIT_INVITE
    closes = format_moment(campaign.closes_at, tz)
    # The questions' title as the campaign started with them (its stored flow spec).
    flow_title = str(campaign.flow_spec.get("title") or "")
    return [
        Card(
            card_id=f"audit-{campaign.id}-invite-{reminder}",
            title=title,
            text=text.format(closes=closes, title=flow_title),
            actions=(Option(f"{START}{campaign.id}", strings.AUDIT_START_OPTION, "primary"),),
        )
    ]


# Each channel's pacer, by channel: a sender's own, or shared by a trust's schools.
SharedPacers = dict[str, SlotPacer]


@dataclass
class _Job:
    row: AuditMessage  # as claimed (detached; read only)
    messages: list[Outbound] | None = None
    platform_ref: str | None = None
    sent: bool = False
    error: str | None = None
    retry_after: float | None = None  # the platform's own wait, from RetryLater


@dataclass
class _Pass:
    sent: int = 0
    claimed: int = 0
    held_by_alert: bool = False
    channels: list[str] = field(default_factory=list)


class InvitationSender:
    """Delivers due `audit_messages` rows through the channel Notifiers, paced per channel."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        notifiers: Mapping[str, Notifier],
        clock: Callable[[], datetime],
        tz: ZoneInfo | None = None,
        compose: Compose | None = None,
        limits: Mapping[str, Sequence[Limit]] = DEFAULT_LIMITS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        send_timeout: float = SEND_TIMEOUT,
        max_seconds: float = MAX_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
        batch: int = BATCH,
        pacers: SharedPacers | None = None,
    ) -> None:
        """`pacers`: shared with the other schools of a trust's deployment (their channels
        are the same platform registrations), else this sender's own."""
        self.sessions = sessions
        self.notifiers = notifiers
        self.tz = tz or ZoneInfo("Europe/London")
        # The invitation as the audit words it (tests and benchmarks may give their own).
        self.compose: Compose = compose or self.invitation
        self.clock = clock
        self.limits = limits
        self.sleep = sleep
        self.monotonic = monotonic
        self.send_timeout = send_timeout
        self.max_seconds = max_seconds
        self.max_attempts = max_attempts
        self.batch = batch
        self.pacers: SharedPacers = {} if pacers is None else pacers
        self.delivered: Callable[[AuditMessage], None] = lambda row: None  # metrics, benchmarks
        self._lock = asyncio.Lock()
        self._stopping = False
        self._held = False  # last look found a due alert (logged once per hold, not per call)
        self._campaigns: dict[int, AuditCampaign] = {}  # this pass's, by id

    # ------------------------------------------------------------------ the public calls

    async def invitation(self, row: AuditMessage) -> list[Outbound]:
        """The invitation (or reminder) a queued row sends. Its campaign is read once a pass,
        not once a row: a start's pass sends a whole school's invitations of one campaign."""
        campaign = self._campaigns.get(row.campaign_id)
        if campaign is None:
            async with self.sessions() as session:
                campaign = await session.get(AuditCampaign, row.campaign_id)
            assert campaign is not None
            self._campaigns[row.campaign_id] = campaign
        return invitation(campaign, reminder=row.n, tz=self.tz)

    async def deliver_due(self) -> int:
        """One scheduler tick: send what is due, as fast as the pacers allow, for at most
        `max_seconds` of new batches; nothing at all while an alert is due. Returns how many
        were sent."""
        async with self._lock:
            deadline = self.monotonic() + self.max_seconds
            return (await self._pass(deadline)).sent

    async def run_until_idle(self) -> int:
        """Send everything that is due, waiting for the pacers as long as it takes; stops when
        nothing is due (rows backing off until later are not due) or an alert is due."""
        sent = 0
        async with self._lock:
            while not self._stopping:
                done = await self._pass(None)
                sent += done.sent
                if done.held_by_alert or done.claimed == 0:
                    break
        return sent

    def resume(self) -> None:
        """Allow batches again after `stop` (this process leads the jobs again)."""
        self._stopping = False

    async def stop(self) -> None:
        """Start no new batch, and wait (up to a send's timeout) for the one being sent to be
        recorded: cancelling a transaction half-way would keep SQLite's write lock."""
        self._stopping = True
        try:
            async with asyncio.timeout(self.send_timeout + 5):
                async with self._lock:
                    pass
        except TimeoutError:
            log.warning("audit messages: a batch was still being sent at shutdown")

    def pacer(self, channel: str) -> SlotPacer:
        if channel not in self.pacers:
            limits = self.limits.get(channel) or UNKNOWN_CHANNEL_LIMITS
            self.pacers[channel] = SlotPacer(limits, now=self.monotonic, sleep=self.sleep)
        return self.pacers[channel]

    # ------------------------------------------------------------------ one pass

    async def _pass(self, deadline: float | None) -> _Pass:
        done = _Pass()
        self._campaigns.clear()  # read afresh each pass: a campaign closed meanwhile says so
        if await self._alert_due():
            done.held_by_alert = True
            return done
        async with self.sessions() as session, session.begin():
            await retire(session, now=self.clock())
            done.channels = await due_channels(session, now=self.clock())
        results = await asyncio.gather(*(self._drain(ch, deadline) for ch in done.channels))
        for result in results:
            done.sent += result.sent
            done.claimed += result.claimed
            done.held_by_alert |= result.held_by_alert
        return done

    async def _drain(self, channel: str, deadline: float | None) -> _Pass:
        """Sends on one channel until none is due, the budget is spent or an alert is due.

        A send starts as soon as its slot is free (`SlotPacer`), not when the batch before it has
        returned; what has returned is recorded as the next rows are claimed. Before it ends,
        every send it started has returned and been recorded (unless it is stopped mid-way)."""
        done = _Pass()
        pacer = self.pacer(channel)
        sending: set[asyncio.Task[_Job]] = set()
        try:
            while not self._stopping:
                done.sent += await self._record_returned(sending)
                wanted = await self._count_due(channel)
                if wanted == 0:
                    break
                reserved = await self._reserve(pacer, channel, wanted, deadline, sending, done)
                if not reserved:
                    break
                jobs: list[_Job] = []
                try:
                    held = await self._alert_due()
                    if not held:
                        jobs = await self._claim(channel, reserved)
                finally:  # slots taken for rows not claimed (or on a failure) go back at once
                    pacer.release(channel, reserved - len(jobs))
                if held:
                    done.held_by_alert = True
                    break
                if not jobs:
                    break
                done.claimed += len(jobs)
                sending.update(
                    asyncio.create_task(self._send(job, pacer), name="audit-message")
                    for job in jobs
                )
                if deadline is not None and self.monotonic() >= deadline:
                    break
        except BaseException:
            # Stopped mid-way (cancelled, the database gone): the sends go with it, and a row
            # sent but not recorded is sent again when its lease ends, as after a crash.
            for task in sending:
                task.cancel()
            raise
        if sending:  # every claimed row sent and recorded: its lease covers one send only
            await asyncio.wait(sending)
            done.sent += await self._record_returned(sending)
        return done

    async def _reserve(
        self,
        pacer: SlotPacer,
        channel: str,
        wanted: int,
        deadline: float | None,
        sending: set[asyncio.Task[_Job]],
        done: _Pass,
    ) -> int:
        """Slots for a claim on `channel`, taken as soon as there is room for one worth making
        (0: not within the deadline); each send that returns meanwhile is recorded, so what the
        platform took is recorded before more is claimed and a crash repeats no more than the
        sends in flight.

        A claim waits for a few slots rather than one, so that the database sees a claim and a
        record per handful of sends, not per send; the few cost a handful of a window's slots
        at most."""
        need = min(wanted, self.batch, max(1, min(lim.count for lim in pacer.limits) // 4))
        while True:
            done.sent += await self._record_returned(sending)
            left = None if deadline is None else deadline - self.monotonic()
            if left is not None and left <= 0:
                return 0
            wait = pacer.delay_for(channel, need)
            if wait == 0:  # taken in the same step as seen: no other school takes them too
                return pacer.reserve(channel, min(wanted, self.batch))
            if wait is None:  # the slots are held by sends in flight: until one returns
                if not await pacer.returned(within=left):
                    return 0
                continue
            if left is not None and wait > left:
                return 0  # the next slot is after this tick: the next call takes it
            await self.sleep(wait)

    async def _record_returned(self, sending: set[asyncio.Task[_Job]]) -> int:
        returned = [task for task in sending if task.done()]
        if not returned:
            return 0
        sending.difference_update(returned)
        return await self._record([task.result() for task in returned])

    # ------------------------------------------------------------------ the database

    async def _alert_due(self) -> bool:
        now = self.clock()
        async with self.sessions() as session:
            found = await session.scalar(
                select(Outbox.id)
                .where(Outbox.status == "pending", Outbox.next_attempt_at <= now)
                .limit(1)
            )
        held = found is not None
        if held != self._held:
            self._held = held
            if held:
                log.info(
                    "audit messages: holding back while an alert is due (outbox row %s)", found
                )
            else:
                log.info("audit messages: no alert due; sending again")
        return held

    async def _count_due(self, channel: str) -> int:
        now = self.clock()
        async with self.sessions() as session:
            query = due(now, channel).with_only_columns(AuditMessage.id).limit(self.batch)
            return len(list(await session.scalars(query)))

    async def _claim(self, channel: str, limit: int) -> list[_Job]:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            query = due(now, channel).limit(limit)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=AuditMessage)
            rows = list(await session.scalars(query))
            for row in rows:
                row.next_attempt_at = now + CLAIM_FOR
        return [_Job(row) for row in rows]

    async def _record(self, jobs: list[_Job]) -> int:
        now = self.clock()
        sent: list[AuditMessage] = []
        retried = dead = 0
        async with self.sessions() as session, session.begin():
            for job in jobs:
                row = await session.get(AuditMessage, job.row.id)
                if row is None:
                    continue
                row.attempts += 1
                if job.sent:  # what the platform took is recorded whatever happened meanwhile
                    row.status, row.sent_at, row.platform_ref = "sent", now, job.platform_ref
                    row.last_error = None
                    await mark_participant(session, row, now=now)
                    sent.append(row)
                    continue
                if row.status != "pending":
                    continue  # retired (campaign closed) while it was being tried
                error = (job.error or "unknown")[:200]
                row.last_error = error
                if job.retry_after is not None:
                    # The platform said when (Retry-After, "not installed yet"): exactly then,
                    # until the campaign closes; such waits never count towards giving up.
                    after = max(job.retry_after, MIN_RETRY_SECONDS)
                    row.next_attempt_at = now + timedelta(seconds=after)
                    retried += 1
                    continue
                if row.attempts >= self.max_attempts:
                    row.status = "dead"
                    dead += 1
                    log.warning(
                        "audit message %s (%s) given up after %d attempts: %s",
                        row.id,
                        row.channel,
                        row.attempts,
                        error,
                    )
                    continue
                wait = backoff(row.attempts)
                row.next_attempt_at = now + wait
                retried += 1
                log.info(
                    "audit message %s (%s) not delivered: %s; retry in %.0f s",
                    row.id,
                    row.channel,
                    error,
                    wait.total_seconds(),
                )
        if jobs:
            log.info(
                "audit messages on %s: %d sent, %d to retry, %d given up",
                jobs[0].row.channel,
                len(sent),
                retried,
                dead,
            )
        for row in sent:
            self.delivered(row)
        return len(sent)

    # ------------------------------------------------------------------ sending

    async def _send(self, job: _Job, pacer: SlotPacer) -> _Job:
        row = job.row
        called = False
        try:
            async with asyncio.timeout(self.send_timeout):
                job.messages = await self.compose(row)
                notifier = self.notifiers.get(row.channel)
                if notifier is None:
                    raise RetryLater(f"channel {row.channel} is not configured")
                delivery = Delivery(
                    kind="audit_" + row.kind,
                    recipient_email=row.recipient_email,
                    messages=job.messages,
                )
                called = True
                job.platform_ref = await notifier.deliver(delivery)
                job.sent = True
        except RetryLater as later:
            job.error, job.retry_after = later.reason, later.after_seconds
        except TimeoutError:
            job.error = "timed out"
        except Exception as failure:  # any failure is retried; the text may hold content
            job.error = type(failure).__name__
        finally:
            # Counted now that every request of it has reached the platform (see SlotPacer).
            pacer.finished(row.channel, counted=called)
        return job
