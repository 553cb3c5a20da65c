"""Building the AsyncIOScheduler with the bot's jobs."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from scheduler.audit_jobs import (
    HOUSEKEEPING_EVERY_MINUTES,
    SEND_EVERY_SECONDS,
    START_GRACE,
    AuditJobs,
    audit_housekeeping,
    send_invitations,
    start_audit,
)
from scheduler.jobs import JobContext, purge_drafts, review_retention, sweep_alerts

PURGE_EVERY_MINUTES = 15
SWEEP_EVERY_SECONDS = 20


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
    ) -> None:
        self.context = context
        self.timezone = timezone
        self.audit = audit
        self.sweep_seconds = sweep_seconds
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
            self.context, timezone=self.timezone, audit=self.audit, sweep_seconds=self.sweep_seconds
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
) -> AsyncIOScheduler:
    """The scheduler with every job; jobs are rebuilt from configuration at each start."""
    scheduler = AsyncIOScheduler(timezone=timezone)
    scheduler.add_job(
        purge_drafts,
        "interval",
        minutes=PURGE_EVERY_MINUTES,
        args=[context],
        id="purge_drafts",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    scheduler.add_job(
        review_retention,
        "cron",
        hour=7,
        minute=0,
        args=[context],
        id="review_retention",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    scheduler.add_job(
        sweep_alerts,
        "interval",
        seconds=sweep_seconds,
        args=[context],
        id="sweep_alerts",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
        next_run_time=datetime.now(UTC),  # at start: deliver what a crash or restart left
    )
    if audit is not None:
        add_audit_jobs(scheduler, audit, timezone=timezone)
    return scheduler


def add_audit_jobs(scheduler: AsyncIOScheduler, audit: AuditJobs, *, timezone: str) -> None:
    # The year's start, at the school's time (default 09:00 on 1 September). A misfire (the bot
    # was down at that moment) still runs within a day; coalesce makes a backlog one run.
    scheduler.add_job(
        start_audit,
        CronTrigger.from_crontab(audit.settings.start_cron, timezone=timezone),
        args=[audit],
        id="start_audit",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(START_GRACE.total_seconds()),
        replace_existing=True,
    )
    scheduler.add_job(
        audit_housekeeping,
        "interval",
        minutes=HOUSEKEEPING_EVERY_MINUTES,
        args=[audit],
        id="audit_housekeeping",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
        next_run_time=datetime.now(UTC),  # at start: a start, reminder or close it missed
    )
    scheduler.add_job(
        send_invitations,
        "interval",
        seconds=SEND_EVERY_SECONDS,
        args=[audit],
        id="send_invitations",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
        next_run_time=datetime.now(UTC),  # at start: resume a campaign a restart interrupted
    )
