"""Building the AsyncIOScheduler with the bot's jobs."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.jobs import JobContext, purge_drafts, review_retention, sweep_alerts

PURGE_EVERY_MINUTES = 15
SWEEP_EVERY_SECONDS = 20


def build_scheduler(context: JobContext, *, timezone: str) -> AsyncIOScheduler:
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
        seconds=SWEEP_EVERY_SECONDS,
        args=[context],
        id="sweep_alerts",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
        next_run_time=datetime.now(UTC),  # at start: deliver what a crash or restart left
    )
    return scheduler
