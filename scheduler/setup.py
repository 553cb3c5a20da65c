"""Building the AsyncIOScheduler with the bot's jobs."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.jobs import JobContext, purge_drafts

PURGE_EVERY_MINUTES = 15


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
    return scheduler
