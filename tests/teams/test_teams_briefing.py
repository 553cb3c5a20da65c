"""A staff briefing in Teams: the DSL writes it with "brief", everyone who has the app
installed is asked once, proactively; a member of staff reads, answers and confirms with card
buttons; someone who installs the app later is given the open briefing; a reminder goes only to
those who have not confirmed; and "briefings" names who has not."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.audit.questions import open_answers
from bot.audit.scheduled import audit_housekeeping
from storage.models import AuditMessage, AuditParticipant
from tests.support.briefings import TITLE, brief_answers, staff_answers
from tests.teams.concerns import answer
from tests.teams.connector import text_of
from tests.teams.filing import walk_chat
from tests.teams.onedrive import FakeOneDrive, consent_in, onedrive
from tests.teams.onedrive import answer as file_answer
from tests.teams.world import DEPUTY_1, DSL, HEAD, PEOPLE, STAFF, TeamsWorld, settle

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

__all__ = ["onedrive"]  # the fake OneDrive fixture (tests/teams/onedrive.py)


def said(world: TeamsWorld, user: str, last: int = 2) -> str:
    return " ".join(world.texts_to(user)[-last:])


async def participants(world: TeamsWorld) -> dict[str, AuditParticipant]:
    async with world.bot.router.sessions() as session:
        return {p.email: p for p in await session.scalars(select(AuditParticipant))}


async def test_a_whole_briefing_in_teams(world: TeamsWorld, clock):
    assert world.bot.audit is not None
    for user in (DSL, DEPUTY_1, STAFF):
        assert (await world.install(user)).status in (200, 202)
    await settle(world)
    await world.say(STAFF, "brief")  # staff may not
    assert "Only the DSL" in said(world, STAFF)

    await world.say(DSL, "brief")
    await walk_chat(world, DSL, brief_answers())
    await answer(world, DSL, "__submit")
    assert "on its way to 3 members of staff" in said(world, DSL)
    asked = {email: p.channel for email, p in (await participants(world)).items()}
    assert asked == {PEOPLE[user][0]: "teams" for user in (DSL, DEPUTY_1, STAFF)}

    await world.bot.audit.sender.run_until_idle()
    await world.bot.audit.sender.run_until_idle()  # again: nobody gets a second invitation
    await settle(world)
    invitations = [s for s in world.sent_to(STAFF) if "audit:start:" in text_of(s.body)]
    assert len(invitations) == 1 and invitations[0].reply_to is None  # proactive, once
    assert TITLE in text_of(invitations[0].body)
    async with world.bot.router.sessions() as session:
        (campaign_id,) = set(await session.scalars(select(AuditParticipant.campaign_id)))
    button = f"audit:start:{campaign_id}"
    await world.click(STAFF, button, sent=invitations[0])
    assert "calculator" in said(world, STAFF, 3)  # the briefing's text, before its button
    await walk_chat(world, STAFF, staff_answers("The DSL", "No"))
    await answer(world, STAFF, "__submit")
    assert "you have confirmed this briefing" in " ".join(world.reads(STAFF)[-2:])
    me = (await participants(world))[PEOPLE[STAFF][0]]
    assert me.status == "finished" and open_answers(world.bot.cipher, me)["q2"] is not None

    # Three days on, the headteacher installs the app: the next housekeeping asks them too.
    clock.advance(days=3)
    assert (await world.install(HEAD)).status in (200, 202)
    await settle(world)
    await audit_housekeeping(world.bot.audit)
    await settle(world)
    news = [s for s in world.sent_to(HEAD) if "audit:start:" in text_of(s.body)]
    assert len(news) == 1 and TITLE in text_of(news[0].body)

    # A week after the briefing: reminded, those asked then who have not confirmed.
    clock.advance(days=world.bot.school.audit.reminder_days[0] - 3, minutes=1)
    await audit_housekeeping(world.bot.audit)
    await audit_housekeeping(world.bot.audit)
    await settle(world)
    async with world.bot.router.sessions() as session:
        reminded = sorted(
            await session.scalars(
                select(AuditMessage.recipient_email).where(AuditMessage.kind == "reminder")
            )
        )
    assert reminded == sorted(PEOPLE[user][0] for user in (DSL, DEPUTY_1))

    await world.say(DSL, "briefings")
    report = said(world, DSL, 3)
    assert TITLE in report and "1 of 4 confirmed" in report
    assert "Daniel Osei" in report and "Martin Fenwick" in report  # not confirmed
    assert "No wrong answers." in report  # Tom answered both right


async def test_the_briefings_csv_is_offered_and_saved_to_the_dsls_onedrive(
    files_world: TeamsWorld, onedrive: tuple[FakeOneDrive, str]
):
    # The self-audit's file consent serves a briefing's CSV too (the same campaigns).
    world = files_world
    fake, upload_url = onedrive
    for user in (DSL, STAFF):
        assert (await world.install(user)).status in (200, 202)
    await settle(world)
    await world.say(DSL, "brief")
    await walk_chat(world, DSL, brief_answers())
    await answer(world, DSL, "__submit")
    before = len(world.sent_to(DSL))
    await world.say(DSL, "briefings")
    (offer,) = [s for s in world.sent_to(DSL)[before:] if consent_in(s.body)]
    card = consent_in(offer.body)
    assert card is not None and card["name"].startswith("staff-briefing-2026-27-")
    assert "Tom Brannigan" not in str(offer.body)  # the card says what the file is, no more
    assert fake.puts == []
    assert (await file_answer(world, DSL, offer, "accept", upload_url)).status == 200
    (put,) = fake.puts
    text = put.body.decode("utf-8-sig")
    assert text.startswith("Name,Email,Confirmed on") and "Tom Brannigan" in text
    # Staff may not have it.
    assert (await file_answer(world, STAFF, offer, "accept", upload_url)).status == 200
    assert len(fake.puts) == 1
