"""Building the AsyncIOScheduler with the bot's jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.audit.scheduled import (
    HOUSEKEEPING_EVERY_MINUTES,
    SEND_EVERY_SECONDS,
    START_GRACE,
    AuditJobs,
    audit_housekeeping,
    send_invitations,
    start_audit,
)
from bot.cases.scheduled import review_retention, send_termly_drill, sweep_alerts
from bot.chat.scheduled import purge_drafts, remind_drafts
from bot.monitoring.checks_jobs import EVERY_MINUTES as CHECKS_EVERY_MINUTES
from bot.monitoring.checks_jobs import ask_filtering_checks
from bot.monitoring.digest import EVERY_MINUTES as DIGEST_EVERY_MINUTES
from bot.monitoring.digest import send_monitoring_digest
from bot.record.scheduled import flush_refusals, seal_the_day
from scheduler.jobs import JobContext

PURGE_EVERY_MINUTES = 15
REMIND_EVERY_MINUTES = 5
REFUSALS_EVERY_MINUTES = 5
# The day's seal is looked for this often: a restart or a missed run seals the day later on.
SEAL_EVERY_MINUTES = 60
SWEEP_EVERY_SECONDS = 20
# The termly drill is looked for this often: a restart or a missed run sends it later that day.
DRILL_EVERY_MINUTES = 15
# A process serving a trust's schools starts each school's self-audit at a moment of its own
# within this many seconds of the school's start time, not every school in the same second:
# fifty campaigns made and sent at once held a reporter's turn up for seconds (bench/README.md,
# "The September morning").
TRUST_START_SPREAD_SECONDS = 120


class ScheduledJobs:
    """The jobs of the process that leads (see `scheduler.leader`): a fresh scheduler each time
    it starts leading, stopped when it stops. Its first alert sweep runs at once, so whatever
    fell due while nobody led (a restart, a killed leader) is sent then."""

    def __init__(
        self,
        context: JobContext,
        *,
        timezone: str,
        audit: AuditJobs | None = None,
        sweep_seconds: float = SWEEP_EVERY_SECONDS,
        start_spread: int | None = None,
        send_beat: float = 0.0,
    ) -> None:
        self.context = context
        self.timezone = timezone
        self.audit = audit
        self.sweep_seconds = sweep_seconds
        self.start_spread = start_spread  # seconds: the self-audit's start, spread (a trust's)
        self.send_beat = send_beat  # seconds into each sending interval (see `send_beat`)
        self._scheduler: AsyncIOScheduler | None = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    async def start(self) -> None:
        if self._scheduler is not None:
            return
        if self.audit is not None:
            self.audit.sender.resume()
        self._scheduler = build_scheduler(
            self.context,
            timezone=self.timezone,
            audit=self.audit,
            sweep_seconds=self.sweep_seconds,
            start_spread=self.start_spread,
            send_beat=self.send_beat,
        )
        self._scheduler.start()

    async def stop(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if self.audit is not None:  # between batches: a half-recorded batch would be resent
            await self.audit.sender.stop()


def build_scheduler(
    context: JobContext,
    *,
    timezone: str,
    audit: AuditJobs | None = None,
    sweep_seconds: float = SWEEP_EVERY_SECONDS,
    start_spread: int | None = None,
    send_beat: float = 0.0,
) -> AsyncIOScheduler:
    """The scheduler with every job; jobs are rebuilt from configuration at each start.
    `start_spread`: the self-audit's start, at a moment within that many seconds of its time.
    `send_beat`: the audit messages are sent that many seconds into each interval."""
    scheduler = AsyncIOScheduler(timezone=timezone)
    _add(scheduler, purge_drafts, context, "interval", minutes=PURGE_EVERY_MINUTES)
    _add(scheduler, remind_drafts, context, "interval", minutes=REMIND_EVERY_MINUTES)
    _add(scheduler, review_retention, context, "cron", hour=7, minute=0)
    _add(scheduler, flush_refusals, context, "interval", minutes=REFUSALS_EVERY_MINUTES)
    every = SEAL_EVERY_MINUTES
    _add(scheduler, seal_the_day, context, "interval", minutes=every, at_start=True)
    _add(scheduler, send_termly_drill, context, "interval", minutes=DRILL_EVERY_MINUTES)
    # At start: an ask (or its reminder) that fell due while nobody led.
    every = CHECKS_EVERY_MINUTES
    _add(scheduler, ask_filtering_checks, context, "interval", minutes=every, at_start=True)
    # At start: a week's digest of low-severity monitoring alerts that fell due while stopped.
    every = DIGEST_EVERY_MINUTES
    _add(scheduler, send_monitoring_digest, context, "interval", minutes=every, at_start=True)
    # At start: deliver what a crash or restart left.
    _add(scheduler, sweep_alerts, context, "interval", seconds=sweep_seconds, at_start=True)
    if audit is not None:
        add_audit_jobs(
            scheduler, audit, timezone=timezone, start_spread=start_spread, send_beat=send_beat
        )
    return scheduler


def _add(
    scheduler: AsyncIOScheduler,
    job: Callable[[Any], Awaitable[object]],
    argument: object,
    trigger: object,
    *,
    at_start: bool = False,
    **options: Any,
) -> None:
    """A job as every one of ours is: one id (a restart replaces it), one run at a time, and a
    backlog after a pause run once (coalesce). `at_start`: its first run is now."""
    if at_start:
        options["next_run_time"] = datetime.now(UTC)
    scheduler.add_job(
        job,
        trigger,
        args=[argument],
        id=job.__name__,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
        **options,
    )


def add_audit_jobs(
    scheduler: AsyncIOScheduler,
    audit: AuditJobs,
    *,
    timezone: str,
    start_spread: int | None = None,
    send_beat: float = 0.0,
) -> None:
    # The year's start, at the school's time (default 09:00 on 1 September). A misfire (the bot
    # was down at that moment) still runs within a day; coalesce makes a backlog one run. With
    # `start_spread` (a trust's schools in one process): a random moment within it, so that
    # the schools' campaigns are not all made and sent in the same second.
    start = CronTrigger.from_crontab(audit.settings.start_cron, timezone=timezone)
    start.jitter = start_spread
    grace = int(START_GRACE.total_seconds())
    _add(scheduler, start_audit, audit, start, misfire_grace_time=grace)
    # At start: a start, reminder or close it missed; and resume a campaign a restart interrupted.
    every = HOUSEKEEPING_EVERY_MINUTES
    _add(scheduler, audit_housekeeping, audit, "interval", minutes=every, at_start=True)
    # At start, or `send_beat` seconds into it (a trust's school: see `send_beat`), and on that
    # beat every interval after (an interval trigger's runs keep to its start_date; a start_date
    # already past when added would first run an interval later, so the first run is given).
    first = datetime.now(UTC) + timedelta(seconds=send_beat)
    every = SEND_EVERY_SECONDS
    _add(
        scheduler,
        send_invitations,
        audit,
        "interval",
        seconds=every,
        start_date=first,
        next_run_time=first,
    )


def send_beat(index: int) -> float:
    """Where in each sending interval the `index`-th school of a trust sends its audit messages.

    A school's sender is called every SEND_EVERY_SECONDS and starts batches for MAX_SECONDS of
    it. Schools sharing a platform's rate (`SharedPacers`) on one beat all paused together, and
    the rate went unused for that part of every interval; on beats spread over the interval one
    school's pause is another's turn. Successive multiples of the golden ratio's fraction spread
    evenly for any number of schools, also one added later by a reload."""
    return (index * 0.6180339887) % 1.0 * SEND_EVERY_SECONDS
