"""The self-audit's commands, schedule and refusals, through the real router and database."""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from bot.audit.scheduled import audit_housekeeping, start_audit
from bot.words import strings
from storage.models import AuditCampaign, AuditMessage, AuditParticipant
from tests.conftest import EXAMPLE_CONFIG, example_config_with
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
    staff = [p for p in bot.school.people if p.roles != ("governor",)]
    assert invites == len(staff) == len(bot.school.people) - 1  # the governor is not asked


async def test_a_governor_is_not_asked_the_staff_self_audit_unless_also_staff(make_bot, tmp_path):
    # Appendix 1 is "self audit for staff" ("Name of staff member/volunteer"); governors are
    # trained as part of the board's safeguarding training (policy §11), so someone whose only
    # role in the school file is governor is left out. A governor who also works at the school
    # (roles: [governor, staff]) is staff, and is asked.
    school = example_config_with(tmp_path, people=_with_staff_governor())
    bot = await make_bot(school_config=school)
    dsl = Chat(bot, DSL)
    await dsl.send("audit start")
    assert "has started" in shown(dsl)

    invited = await _invited(bot)
    everyone = {p.email for p in bot.school.people}
    assert invited == everyone - {"j.whitcombe@example.org"}
    assert "s.nakamura@example.org" in invited  # governor and staff
    invites = await count(bot, AuditMessage, AuditMessage.kind == "invite")
    assert invites == len(invited)

    governor = Chat(bot, "j.whitcombe@example.org")
    await governor.send("audit")
    assert strings.AUDIT_NOT_INVITED in shown(governor)
    assert governor.step is None


def _with_staff_governor() -> list[dict[str, object]]:
    people = yaml.safe_load(EXAMPLE_CONFIG.read_text())["people"]
    for person in people:
        if person["email"] == "s.nakamura@example.org":
            person["roles"] = ["governor", "staff"]
    return list(people)


async def _invited(bot) -> set[str]:  # type: ignore[no-untyped-def]
    async with bot.router.sessions() as session:
        return set(await session.scalars(select(AuditParticipant.email)))


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
