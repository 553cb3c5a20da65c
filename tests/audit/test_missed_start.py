"""A self-audit start that no scheduler was running for (a restart at 09:00 on 1 September, a
leader killed just then) is made up by the next housekeeping within a day, and only then."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.audit.scheduled import audit_housekeeping
from scheduler.setup import ScheduledJobs
from storage.models import AuditCampaign, AuditMessage

START = datetime(2027, 9, 1, 9, 0, tzinfo=ZoneInfo("Europe/London"))  # the default cron


async def campaigns(bot) -> list[AuditCampaign]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(AuditCampaign)))


@pytest.mark.parametrize(
    ("after", "started"),
    [
        (timedelta(minutes=-1), False),  # not yet due
        (timedelta(minutes=30), True),  # the bot came back half an hour late
        (timedelta(hours=23, minutes=59), True),
        (timedelta(hours=24, minutes=1), False),  # too late to be the cron's: the DSL decides
    ],
)
async def test_housekeeping_starts_a_missed_audit_within_a_day(make_bot, clock, after, started):
    bot = await make_bot()
    assert bot.audit is not None and bot.school.timezone == "Europe/London"
    clock.now = START + after
    await audit_housekeeping(bot.audit)
    await audit_housekeeping(bot.audit)  # the next run, or another scheduler's: still one
    found = await campaigns(bot)
    assert len(found) == (1 if started else 0)
    if started:
        assert found[0].academic_year == "2027-28" and found[0].started_by == "scheduler"
        async with bot.router.sessions() as session:
            invites = await session.scalar(select(func.count()).select_from(AuditMessage))
        assert invites == len([p for p in bot.school.people if not p.governor_only])


async def test_a_campaign_the_dsl_already_started_is_left_alone(make_bot, clock):
    from tests.support.harness import Chat

    bot = await make_bot()
    assert bot.audit is not None
    clock.now = START - timedelta(hours=1)  # the DSL started this year's audit early
    await Chat(bot, "a.hartley@example.org").send("audit start")
    clock.now = START + timedelta(hours=1)
    await audit_housekeeping(bot.audit)
    (campaign,) = await campaigns(bot)
    assert campaign.started_by == "a.hartley@example.org"


async def test_the_jobs_can_stop_and_lead_again(make_bot):
    bot = await make_bot()
    jobs = ScheduledJobs(bot.jobs, timezone=bot.school.timezone, audit=bot.audit)
    await jobs.start()
    assert jobs.running
    await jobs.stop()
    assert not jobs.running
    await jobs.start()  # leadership regained: a fresh scheduler, and the sender sends again
    assert jobs.running
    assert bot.audit is not None and not bot.audit.sender._stopping
    await jobs.stop()
