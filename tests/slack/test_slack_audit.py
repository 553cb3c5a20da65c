"""The self-audit in Slack: the workspace's staff (never bots, leavers or guests) are asked once
each, by DM; a member of staff answers with buttons and typed comments; the DSL reads results."""

from __future__ import annotations

from sqlalchemy import select

from bot.channels.slack.identity import workspace_staff
from bot.services.audit.questions import open_answers
from storage.models import AuditParticipant
from tests.slack.conftest import DSL, PEOPLE, STAFF
from tests.slack.test_manifest import bot_scopes, load_manifest, scopes_needed_for
from tests.slack.test_slack_flows import answer
from tests.slack.world import SlackWorld, text_of

QUESTIONS = (
    "knows_lead",
    "pupil_concern",
    "staff_aup",
    "filtering_familiar",
    "filtering_role",
    "pupil_aup",
    "password_change",
    "cyberbullying_approach",
)


def said(world: SlackWorld, user: str, last: int = 2) -> str:
    return " ".join(text_of(m) for m in world.api.posts_to(user)[-last:])


async def participants(world: SlackWorld) -> list[AuditParticipant]:
    async with world.bot.router.sessions() as session:
        return list(await session.scalars(select(AuditParticipant)))


async def test_a_whole_audit_in_slack(world: SlackWorld):
    await world.dm(DSL, "audit start")
    await world.settle()
    assert "self-audit has started" in said(world, DSL)
    asked = {p.email: p.channel for p in await participants(world)}
    assert asked == {email: "slack" for email, _ in PEOPLE.values()}  # no bot, leaver or guest

    assert world.bot.audit is not None
    await world.bot.audit.sender.run_until_idle()
    await world.bot.audit.sender.run_until_idle()  # again: nobody gets a second invitation
    await world.settle()
    invitations = [m for m in world.api.posts_to(STAFF) if "audit:start:" in text_of(m)]
    assert len(invitations) == 1 and "Online safety self-audit 2026-27" in text_of(invitations[0])
    button = next(
        e["value"]
        for b in invitations[0]["blocks"]
        for e in b.get("elements", [])
        if str(e.get("value", "")).startswith("audit:start:")
    )

    await world.click(STAFF, button, message=invitations[0])
    await world.settle()
    assert "lead responsibility for online safety" in text_of(world.api.posts_to(STAFF)[-1])
    await world.dm(STAFF, "maybe")  # not a yes or a no: asked again, nothing lost
    await world.settle()
    assert "lead responsibility for online safety" in text_of(world.api.posts_to(STAFF)[-1])
    for step in QUESTIONS:
        await answer(world, STAFF, "no" if step == "filtering_role" else "yes")
        await answer(
            world, STAFF, "Not sure what my part is." if step == "filtering_role" else "__skip"
        )
    await world.dm(STAFF, "Spotting grooming in online games.")
    await world.settle()
    await answer(world, STAFF, "__submit")
    assert "your self-audit answers are saved" in said(world, STAFF)

    (person,) = [p for p in await participants(world) if p.email == PEOPLE[STAFF][0]]
    answers = open_answers(world.bot.cipher, person.answers_enc)
    assert person.status == "finished" and answers["filtering_role"] == "no"
    assert answers["training_needs"] == "Spotting grooming in online games."

    await world.dm(DSL, "audit results")
    await world.settle()
    results = said(world, DSL, 4)
    assert "Not sure what my part is." in results and "Tom Brannigan" in results
    methods = {c.method for c in world.api.calls}  # users.list included: the manifest has it
    assert "users.list" in methods
    assert scopes_needed_for(methods) <= bot_scopes(load_manifest())


async def test_a_user_group_limits_who_is_asked(world: SlackWorld):
    world.api.groups["S0STAFF"] = [STAFF, DSL]
    assert world.bot.slack is not None
    members = await workspace_staff(world.bot.slack.client, user_group="S0STAFF")
    assert sorted(u.email for u in members) == sorted([PEOPLE[STAFF][0], PEOPLE[DSL][0]])
    everyone = await workspace_staff(world.bot.slack.client)
    assert {u.email for u in everyone} == {email for email, _ in PEOPLE.values()}
    assert len(world.api.called("users.list")) >= 2
