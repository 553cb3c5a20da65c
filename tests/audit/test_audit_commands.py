"""The self-audit's commands, schedule and refusals, through the real router and database."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from bot.audit.scheduled import audit_housekeeping, start_audit
from storage.models import AuditCampaign, AuditMessage
from tests.support.harness import Chat
from tests.support.reports import count

STAFF, DSL = "t.brannigan@example.org", "a.hartley@example.org"


def shown(chat: Chat) -> str:
    return " ".join(
        str(getattr(m, "text", "") or "") + " " + str(getattr(m, "title", "") or "")
        for m in chat.replies
    )


async def test_only_the_dsl_can_start_and_read_it(make_bot):
    bot = await make_bot()
    staff, dsl = Chat(bot, STAFF), Chat(bot, DSL)
    await staff.send("audit start")
    assert "Only the DSL and deputies can start the self-audit" in shown(staff)
    await staff.send("audit results")
    assert "Only the DSL" in shown(staff)
    assert await count(bot, AuditCampaign) == 0
    await staff.send("audit")  # staff asking for their own: nothing open yet
    assert "no self-audit open" in shown(staff)
    await dsl.send("audit start")
    assert "has started" in shown(dsl)
    await staff.send("audit")  # now it opens their own self-audit
    assert staff.step == "knows_lead", shown(staff)
    await dsl.send("audit status")
    assert shown(dsl).strip()


async def test_the_cron_fires_once_a_year_and_twice_asks_nobody_twice(make_bot, clock):
    bot = await make_bot()
    trigger = CronTrigger.from_crontab(bot.school.audit.start_cron, timezone=bot.school.timezone)
    first = trigger.get_next_fire_time(None, datetime(2026, 11, 24, tzinfo=UTC))
    assert first is not None and (first.year, first.month, first.day, first.hour) == (2027, 9, 1, 9)
    second = trigger.get_next_fire_time(first, first)
    assert second is not None and second.year == 2028  # once a year
    assert bot.audit is not None
    await start_audit(bot.audit)
    await start_audit(bot.audit)  # a double fire, or a second scheduler
    assert await count(bot, AuditCampaign) == 1
    invites = await count(bot, AuditMessage, AuditMessage.kind == "invite")
    assert invites == len(bot.school.people)


async def test_a_closed_campaign_refuses_answers_clearly(make_bot, clock):
    bot = await make_bot()
    assert bot.audit is not None
    await start_audit(bot.audit)
    async with bot.router.sessions() as session:
        (campaign,) = list(await session.scalars(select(AuditCampaign)))
    clock.advance(days=bot.school.audit.open_days + 1)
    await audit_housekeeping(bot.audit)
    staff = Chat(bot, STAFF)
    await staff.click(f"audit:start:{campaign.id}")
    assert "closed" in shown(staff) and staff.step is None  # told, and back at the menu
    async with bot.router.sessions() as session:
        closed = await session.get(AuditCampaign, campaign.id)
    assert closed is not None and closed.closed_at is not None


async def test_reminders_go_only_to_those_not_finished(make_bot, clock):
    bot = await make_bot()
    assert bot.audit is not None
    await start_audit(bot.audit)
    async with bot.router.sessions() as session, session.begin():
        from storage.models import AuditParticipant

        people = list(await session.scalars(select(AuditParticipant)))
        for person in people:  # as if every invitation had been delivered now
            person.invited_at = clock()
        people[0].status = "finished"
        done = people[0].email
    clock.advance(days=6)
    await audit_housekeeping(bot.audit)
    assert await count(bot, AuditMessage, AuditMessage.kind == "reminder") == 0
    clock.advance(days=1, minutes=1)
    await audit_housekeeping(bot.audit)
    await audit_housekeeping(bot.audit)  # twice: still one reminder each
    reminded = await count(bot, AuditMessage, AuditMessage.kind == "reminder")
    assert reminded == len(people) - 1
    assert await count(bot, AuditMessage, AuditMessage.recipient_email == done) == 1
