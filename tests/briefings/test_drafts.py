"""The scheduled briefings, as drafts the DSL approves: as the academic year starts, the policy
briefing; as each term of the school calendar starts, a termly update. The scheduler sends
nothing to staff: it tells the DSL, deputies and head, whose "Review and send" opens the brief
flow filled in from the template, and whose "Not this time" ends it. Once per year and term,
however many times the job runs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.app import Bot
from bot.audit.scheduled import audit_housekeeping
from bot.briefings import drafts
from bot.school.config import Role
from storage.models import AuditCampaign, BriefingDraft, Outbox
from tests.support.harness import Chat
from tests.support.reports import count

DSL, DEPUTY, HEAD = "a.hartley@example.org", "r.osei@example.org", "m.fenwick@example.org"
STAFF = "t.brannigan@example.org"
AUTUMN = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)  # the first term began on 1 September
SPRING = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)  # a term that begins on 4 January


def shown(chat: Chat) -> str:
    return " ".join(
        str(getattr(m, "text", "") or "") + " " + str(getattr(m, "title", "") or "")
        for m in chat.replies
    )


async def prepared(bot: Bot) -> list[BriefingDraft]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(BriefingDraft).order_by(BriefingDraft.key)))


async def told(bot: Bot) -> list[str]:
    async with bot.router.sessions() as session:
        rows = await session.scalars(select(Outbox).where(Outbox.kind == drafts.KIND))
        return sorted({row.recipient_email for row in rows})


async def run_twice(bot: Bot) -> None:
    assert bot.audit is not None
    await audit_housekeeping(bot.audit)
    await audit_housekeeping(bot.audit)  # a second run (or scheduler): still once


async def test_the_year_starts_with_a_policy_draft_and_a_termly_update_draft(make_bot, clock):
    clock.now = AUTUMN
    bot = await make_bot()
    await run_twice(bot)
    found = await prepared(bot)
    assert [(d.key, d.template, d.status) for d in found] == [
        ("policy:2026", "policy", "waiting"),
        ("update:2026-09-01", "update", "waiting"),
    ]
    people = {p.email for p in bot.school.people_with(Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER)}
    assert await told(bot) == sorted(people)
    async with bot.router.sessions() as session:
        rows = list(await session.scalars(select(Outbox).where(Outbox.kind == drafts.KIND)))
    channels = len(bot.jobs.desk.channels)
    assert len(rows) == 2 * len(people) * channels  # one notice per draft, person and channel
    (card,) = drafts.messages(rows[0])
    assert [o.label for o in card.actions] == ["Review and send", "Not this time"]
    # Nothing reached staff: no briefing was sent.
    assert await count(bot, AuditCampaign) == 0


async def test_a_new_term_has_one_update_draft(make_bot, clock):
    clock.now = SPRING
    bot = await make_bot()
    await run_twice(bot)
    assert [d.key for d in await prepared(bot)] == ["update:2027-01-04"]
    clock.now = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)  # later in the term: nothing new
    await run_twice(bot)
    assert len(await prepared(bot)) == 1


async def test_review_and_send_opens_the_brief_flow_and_only_send_sends_it(make_bot, clock):
    clock.now = SPRING
    bot = await make_bot()
    await run_twice(bot)
    (draft,) = await prepared(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"{drafts.REVIEW}{draft.id}", token=None)
    assert dsl.step == "text", shown(dsl)  # the update's title is filled in
    await dsl.send("A new app hides messages behind a calculator.")
    await dsl.click("__skip")
    await dsl.click("no")
    assert dsl.step == "summary"
    assert await count(bot, AuditCampaign) == 0  # nothing sent before Send
    await dsl.click("__submit")
    (campaign,) = await campaigns_of(bot)
    assert "update" in campaign.title.casefold()


async def campaigns_of(bot: Bot) -> list[AuditCampaign]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(AuditCampaign)))


async def test_not_this_time_ends_the_draft(make_bot, clock):
    clock.now = SPRING
    bot = await make_bot()
    await run_twice(bot)
    (draft,) = await prepared(bot)
    head = Chat(bot, HEAD)
    await head.click(f"{drafts.DECLINE}{draft.id}", token=None)
    ((key, status),) = [(d.key, d.status) for d in await prepared(bot)]
    assert status == "declined"
    dsl = Chat(bot, DSL)
    await dsl.click(f"{drafts.REVIEW}{draft.id}", token=None)
    assert "Not this time" in shown(dsl) or "not be sent" in shown(dsl)
    assert dsl.replies and all(getattr(r, "step_id", None) != "text" for r in dsl.replies)
    await run_twice(bot)  # not prepared again this term
    assert [d.key for d in await prepared(bot)] == [key]
    assert await count(bot, AuditCampaign) == 0


async def test_staff_cannot_press_the_drafts_buttons(make_bot, clock):
    clock.now = SPRING
    bot = await make_bot()
    await run_twice(bot)
    (draft,) = await prepared(bot)
    staff = Chat(bot, STAFF)
    await staff.click(f"{drafts.DECLINE}{draft.id}", token=None)
    assert "Only the DSL" in shown(staff)
    await staff.click(f"{drafts.REVIEW}{draft.id}", token=None)
    assert "Only the DSL" in shown(staff)
    assert [d.status for d in await prepared(bot)] == ["waiting"]
