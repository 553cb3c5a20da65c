"""The self-audit in Teams: everyone who has the app installed is asked once, proactively, in
their chat with the bot; they answer with card buttons and typed comments."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.audit.questions import open_answers
from storage.models import AuditCampaign, AuditParticipant
from tests.teams.connector import text_of
from tests.teams.test_teams_flows import HANDLERS, answer, install_for_handlers
from tests.teams.world import DSL, PEOPLE, STAFF, TeamsWorld, settle

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


async def test_a_whole_audit_in_teams(world: TeamsWorld):
    await install_for_handlers(world)
    await world.install(STAFF)
    await world.say(DSL, "audit start")
    assert "self-audit has started" in " ".join(world.texts_to(DSL)[-2:])
    async with world.bot.router.sessions() as session:
        asked = {p.email: p.channel for p in await session.scalars(select(AuditParticipant))}
    installed = {PEOPLE[user][0] for user in (*HANDLERS, STAFF)}
    assert asked == {email: "teams" for email in installed}  # everyone with the app, once

    assert world.bot.audit is not None
    await world.bot.audit.sender.run_until_idle()
    await world.bot.audit.sender.run_until_idle()
    await settle(world)
    invitations = [s for s in world.sent_to(STAFF) if "audit:start:" in text_of(s.body)]
    assert len(invitations) == 1 and invitations[0].reply_to is None  # proactive, once
    async with world.bot.router.sessions() as session:
        (campaign_id,) = list(await session.scalars(select(AuditCampaign.id)))
    button = f"audit:start:{campaign_id}"
    assert world.offers(STAFF, button)
    await world.click(STAFF, button, sent=invitations[0])
    assert "lead responsibility for online safety" in world.texts_to(STAFF)[-1]
    for step in QUESTIONS:
        await answer(world, STAFF, "no" if step == "password_change" else "yes")
        await answer(
            world, STAFF, "Never been asked to." if step == "password_change" else "__skip"
        )
    await world.say(STAFF, "None at the moment, thanks.")
    await answer(world, STAFF, "__submit")
    assert "your self-audit answers are saved" in " ".join(world.texts_to(STAFF)[-2:])

    async with world.bot.router.sessions() as session:
        person = await session.scalar(
            select(AuditParticipant).where(AuditParticipant.email == PEOPLE[STAFF][0])
        )
    assert person is not None and person.status == "finished"
    answers = open_answers(world.bot.cipher, person.answers_enc)
    assert answers["password_change"] == "no"
    assert answers["password_change_comment"] == "Never been asked to."
