"""The self-audit's jobs (and the briefings', on the same campaigns): start the year's
campaign on its date, give open briefings to newcomers, remind, close, and send the queued
invitations (after any alert: the sender itself checks for due alerts first)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.audit import campaigns
from bot.audit.invitations import InvitationSender
from bot.audit.start import AuditStarter
from bot.briefings.start import BriefingStarter
from bot.school.audit_settings import AuditSettings

log = logging.getLogger(__name__)
SEND_EVERY_SECONDS = 10
HOUSEKEEPING_EVERY_MINUTES = 30
START_GRACE = timedelta(hours=24)  # as the cron job's misfire grace time
STARTED_BY = "scheduler"  # recorded as the campaign's starter (no e-mail: no actor)


@dataclass(frozen=True)
class AuditJobs:
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    settings: AuditSettings
    starter: AuditStarter  # the year's campaign, on its date (the domain's start)
    sender: InvitationSender
    policy_review_reminder: Callable[[], Awaitable[int]] | None = None
    # The annual filtering and monitoring review's opening (bot/monitoring/review_scheduled.py).
    filtering_review: Callable[[], Awaitable[object]] | None = None
    # The open staff briefings, given to newcomers on the staff (bot/briefings/start.py).
    briefings: BriefingStarter | None = None
    # The scheduled briefings' drafts, for the DSL to approve (bot/briefings/drafts.py).
    briefing_drafts: Callable[[], Awaitable[object]] | None = None
    timezone: str = "Europe/London"  # the school's: the start cron is in its local time


async def start_audit(jobs: AuditJobs) -> None:
    """The cron's start: a second firing, or another scheduler's, finds the campaign there."""
    async with jobs.sessions() as session, session.begin():
        await jobs.starter.start(session, started_by=STARTED_BY, now=jobs.clock())
    await jobs.sender.deliver_due()


def start_missed(settings: AuditSettings, timezone: str, now: datetime) -> bool:
    """Whether the start cron fired within the last START_GRACE: a scheduler that was down
    (a restart, a leader killed and replaced) at that moment still starts the year's audit."""
    trigger = CronTrigger.from_crontab(settings.start_cron, timezone=timezone)
    fire = trigger.get_next_fire_time(None, now - START_GRACE)
    return fire is not None and fire <= now


async def audit_housekeeping(jobs: AuditJobs) -> int:
    """Start the year's campaign if its start was missed; close what is past its date, queue
    the reminders that are due, give the open briefings to newcomers, then send."""
    now = jobs.clock()
    async with jobs.sessions() as session, session.begin():
        if start_missed(jobs.settings, jobs.timezone, now):
            tz = ZoneInfo(jobs.timezone)
            if await campaigns.current_campaign(session, now=now, tz=tz) is None:
                log.info("audit: the start was missed while no scheduler ran; starting now")
                await jobs.starter.start(session, started_by=STARTED_BY, now=now)
        closed = await campaigns.close_due(session, now=now)
        queued = await campaigns.due_reminders(
            session,
            reminder_days=jobs.settings.reminder_days,
            max_reminders=jobs.settings.max_reminders,
            now=now,
        )
    if jobs.briefings is not None:
        await add_newcomers(jobs, now)
    if jobs.policy_review_reminder is not None:  # outside the transaction: it sends
        await jobs.policy_review_reminder()
    if jobs.filtering_review is not None:
        await jobs.filtering_review()
    if jobs.briefing_drafts is not None:
        await jobs.briefing_drafts()
    if closed or queued:
        log.info("audit: closed %d campaign(s), queued %d reminder(s)", len(closed), queued)
    return queued + await jobs.sender.deliver_due()


async def add_newcomers(jobs: AuditJobs, now: datetime) -> None:
    """Give the open briefings to whoever joined the staff, in a transaction of its own: the
    platforms are asked who the staff are, and one that fails then (the next run asks again)
    must not undo the reminders and closings just recorded."""
    assert jobs.briefings is not None
    try:
        async with jobs.sessions() as session, session.begin():
            await jobs.briefings.add_newcomers(session, now=now)
    except Exception as failure:  # the text may hold names or addresses: the kind only
        log.warning("briefings: newcomers not looked for this time (%s)", type(failure).__name__)


async def send_invitations(jobs: AuditJobs) -> int:
    return await jobs.sender.deliver_due()


def reminder_horizon(settings: AuditSettings) -> timedelta:
    return timedelta(days=max(settings.reminder_days, default=0))
