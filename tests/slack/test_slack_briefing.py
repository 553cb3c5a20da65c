"""A staff briefing in Slack: the DSL writes it in a DM with "brief", the workspace's staff
(never bots or guests) are asked once each, a member of staff reads, answers and confirms with
buttons, a reminder goes only to those who have not confirmed, someone who joins the workspace
is given the open briefing, and "briefings" names who has not confirmed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.audit.questions import open_answers
from bot.audit.scheduled import audit_housekeeping
from storage.models import AuditMessage, AuditParticipant
from tests.slack.conftest import DEPUTY_1, DSL, PEOPLE, STAFF
from tests.slack.filing import answer, say, walk_dm
from tests.slack.world import SlackWorld, text_of
from tests.support.briefings import TITLE, brief_answers, staff_answers

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

NEWCOMER = ("UNEW", ("s.nakamura@example.org", "Sophie Nakamura"))


def said(world: SlackWorld, user: str, last: int = 2) -> str:
    return " ".join(text_of(m) for m in world.api.posts_to(user)[-last:])


async def participants(world: SlackWorld) -> dict[str, AuditParticipant]:
    async with world.bot.router.sessions() as session:
        return {p.email: p for p in await session.scalars(select(AuditParticipant))}


async def reminded(world: SlackWorld) -> list[str]:
    async with world.bot.router.sessions() as session:
        found = await session.scalars(
            select(AuditMessage.recipient_email).where(AuditMessage.kind == "reminder")
        )
        return sorted(found)


async def test_a_whole_briefing_in_slack(world: SlackWorld, clock):
    assert world.bot.audit is not None
    await say(world, STAFF, "brief")  # staff may not
    assert "Only the DSL" in said(world, STAFF)

    await say(world, DSL, "brief")
    await walk_dm(world, DSL, brief_answers())
    await answer(world, DSL, "__submit")
    assert "on its way to 6 members of staff" in said(world, DSL)
    asked = {email: p.channel for email, p in (await participants(world)).items()}
    assert asked == {email: "slack" for email, _ in PEOPLE.values()}  # no bot, leaver or guest

    await world.bot.audit.sender.run_until_idle()
    await world.bot.audit.sender.run_until_idle()  # again: nobody gets a second invitation
    await world.settle()
    for user in PEOPLE:
        invitations = [m for m in world.api.posts_to(user) if "audit:start:" in text_of(m)]
        assert len(invitations) == 1, user
    (invitation,) = [m for m in world.api.posts_to(STAFF) if "audit:start:" in text_of(m)]
    assert TITLE in text_of(invitation)
    button = next(
        e["value"]
        for b in invitation["blocks"]
        for e in b.get("elements", [])
        if str(e.get("value", "")).startswith("audit:start:")
    )
    await world.click(STAFF, button, message=invitation)
    await world.settle()
    assert "calculator" in said(world, STAFF, 3)  # the briefing's text, before its button
    await walk_dm(world, STAFF, staff_answers("The DSL", "Yes", comment="Only if it is mine?"))
    assert "The right answer is: No." in said(world, STAFF, 4)
    await answer(world, STAFF, "__submit")
    assert "you have confirmed this briefing" in said(world, STAFF)
    me = (await participants(world))[PEOPLE[STAFF][0]]
    assert me.status == "finished" and open_answers(world.bot.cipher, me)["read"] == "read"

    # Three days on, someone joins the workspace: the next housekeeping gives them the briefing.
    clock.advance(days=3)
    world.api.users[NEWCOMER[0]] = NEWCOMER[1]
    await audit_housekeeping(world.bot.audit)
    await world.settle()
    news = [m for m in world.api.posts_to(NEWCOMER[0]) if "audit:start:" in text_of(m)]
    assert len(news) == 1 and TITLE in text_of(news[0])

    # A week after the briefing: reminded, those asked then who have not confirmed; nobody
    # twice, not Tom, and not the newcomer (asked four days ago).
    clock.advance(days=world.bot.school.audit.reminder_days[0] - 3, minutes=1)
    await audit_housekeeping(world.bot.audit)
    await audit_housekeeping(world.bot.audit)
    await world.settle()
    waiting = [email for email, _ in PEOPLE.values() if email != PEOPLE[STAFF][0]]
    assert await reminded(world) == sorted(waiting)
    assert not any("A reminder" in text_of(m) for m in world.api.posts_to(STAFF))
    assert sum("A reminder" in text_of(m) for m in world.api.posts_to(DEPUTY_1)) == 1

    await say(world, DSL, "briefings")
    await world.settle()  # the files are uploaded after the card
    report = said(world, DSL, 3)
    assert TITLE in report and "1 of 7 confirmed" in report
    assert "Daniel Osei" in report and "Sophie Nakamura" in report  # not confirmed
    assert "Tom Brannigan" in report and "answered Yes" in report  # a training need
    assert "Only if it is mine?" in report  # with their comment
    # The chart and everyone's answers, as files in the DM.
    chart, sheet = world.api.files_in("D" + DSL)
    assert chart.filename.endswith(".png")
    assert sheet.filename.startswith("staff-briefing-2026-27-") and sheet.filename.endswith(".csv")
    assert "Only if it is mine?" in (sheet.data or b"").decode("utf-8-sig")


async def test_slack_down_while_looking_for_newcomers_stops_nothing_else(world: SlackWorld, clock):
    # Newcomers are looked for at every housekeeping run while a briefing is open: Slack's
    # users.list failing then must not stop the reminders (or the closing) of that run.
    assert world.bot.audit is not None
    await say(world, DSL, "brief")
    await walk_dm(world, DSL, brief_answers())
    await answer(world, DSL, "__submit")
    await world.bot.audit.sender.run_until_idle()
    await world.settle()
    clock.advance(days=world.bot.school.audit.reminder_days[0], minutes=1)
    world.api.users[NEWCOMER[0]] = NEWCOMER[1]
    world.api.refuse_next["users.list"] = "internal_error"
    await audit_housekeeping(world.bot.audit)
    assert await reminded(world) == sorted(email for email, _ in PEOPLE.values())
    assert NEWCOMER[1][0] not in await participants(world)
    await audit_housekeeping(world.bot.audit)  # Slack answers again: the newcomer is asked
    assert NEWCOMER[1][0] in await participants(world)


@pytest.mark.parametrize(("status", "error"), [(200, "fatal_error"), (500, "internal_error")])
async def test_an_invitation_slack_refuses_stays_pending_then_goes_once(
    world: SlackWorld, clock, status, error
):
    """Rules of trust: a briefing's invitation Slack refuses is not taken as sent; it goes
    later, once, and nobody gets two."""
    assert world.bot.audit is not None
    world.api.refuse_in["D" + STAFF] = (status, error)
    await say(world, DSL, "brief")
    await walk_dm(world, DSL, brief_answers())
    await answer(world, DSL, "__submit")
    await world.bot.audit.sender.run_until_idle()
    await world.settle()

    def invitations(user: str) -> int:
        return sum("audit:start:" in text_of(m) for m in world.api.posts_to(user))

    async with world.bot.router.sessions() as session:
        row = await session.scalar(
            select(AuditMessage).where(AuditMessage.recipient_email == PEOPLE[STAFF][0])
        )
    assert row is not None and row.status == "pending" and row.attempts >= 1 and row.last_error
    assert invitations(STAFF) == 0 and world.api.refused
    assert all(invitations(user) == 1 for user in PEOPLE if user != STAFF)

    del world.api.refuse_in["D" + STAFF]
    clock.advance(hours=1)
    await world.bot.audit.sender.run_until_idle()
    await world.settle()
    clock.advance(hours=1)
    await world.bot.audit.sender.run_until_idle()  # again: nothing twice
    await world.settle()
    assert {user: invitations(user) for user in PEOPLE} == {user: 1 for user in PEOPLE}
