"""The self-audit in Teams: everyone who has the app installed is asked once, proactively, in
their chat with the bot; they answer with card buttons and typed comments."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from bot.audit.questions import open_answers
from bot.channels.teams.cards import json_size
from storage.models import AuditCampaign, AuditParticipant
from tests.teams.concerns import HANDLERS, answer, install_for_handlers
from tests.teams.connector import text_of
from tests.teams.world import DSL, PEOPLE, STAFF, TeamsWorld, settle

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

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
DATA_URI = "data:image/png;base64,"
# Teams' documented limits, written out here so that a change to the bot's own cannot pass:
# pictures at most 1024 x 1024 pixels and 1 MB (learn.microsoft.com/microsoftteams/platform/
# bots/how-to/conversations/conversation-messages); a message at most 100 KB as UTF-16
# (.../format-your-bot-messages: base64 images are not counted, but we count them).
PICTURE_SIDE_MAX = 1024
PICTURE_BYTES_MAX = 1_000_000
MESSAGE_LIMIT = 100_000


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
    assert "your self-audit answers are saved" in " ".join(world.reads(STAFF)[-2:])

    async with world.bot.router.sessions() as session:
        person = await session.scalar(
            select(AuditParticipant).where(AuditParticipant.email == PEOPLE[STAFF][0])
        )
    assert person is not None and person.status == "finished"
    answers = open_answers(world.bot.cipher, person)
    assert answers["password_change"] == "no"
    assert answers["password_change_comment"] == "Never been asked to."

    # The DSL's results: the cards, then the chart itself, inline, small enough for Teams.
    before = len(world.sent_to(DSL))
    await world.say(DSL, "audit results")
    replies = world.sent_to(DSL)[before:]
    shown = [text_of(s.body) for s in replies]
    assert any("Never been asked to." in text for text in shown)
    (picture,) = [png_of(s.body) for s in replies if png_of(s.body)]
    image = Image.open(io.BytesIO(picture))
    assert image.format == "PNG" and image.width <= PICTURE_SIDE_MAX >= image.height
    assert image.width >= 640  # scaled down, not to a thumbnail
    assert len(picture) <= PICTURE_BYTES_MAX
    (sent,) = [s for s in replies if png_of(s.body)]
    assert json_size(sent.body) <= MESSAGE_LIMIT  # as received, with everything the SDK added
    at = replies.index(sent)
    assert "results so far" in shown[at - 1] and "Training needs" in shown[at + 1]
    # The CSV goes only where the app may send files (TEAMS_FILES, tests/teams/test_files.py);
    # by default the results card says why it is not here, instead of a path Teams cannot open.
    assert "not set up to send files in Teams" in shown[at - 1]
    assert "file.consent" not in str([s.body for s in replies])
    assert f"/api/audit/{campaign_id}/results.csv" not in " ".join(shown)
    assert f"/api/audit/{campaign_id}/chart.png" not in " ".join(shown)  # shown, not linked

    # The governors' summary: the chart too, and nothing of the CSV.
    before = len(world.sent_to(DSL))
    await world.say(DSL, "audit summary")
    replies = world.sent_to(DSL)[before:]
    assert [png_of(s.body) for s in replies if png_of(s.body)] == [picture]
    assert "results.csv" not in " ".join(text_of(s.body) for s in replies)
    assert "file.consent" not in " ".join(text_of(s.body) for s in replies)

    # Staff are refused, and get no chart.
    before = len(world.sent_to(STAFF))
    await world.say(STAFF, "audit results")
    replies = world.sent_to(STAFF)[before:]
    assert "Only the DSL and deputies" in " ".join(text_of(s.body) for s in replies)
    assert not any(png_of(s.body) for s in replies)


def png_of(activity: dict[str, Any]) -> bytes | None:
    """The PNG of an inline image attachment (a base64 data URI), if the activity has one."""
    for attachment in activity.get("attachments") or []:
        url = attachment.get("contentUrl") or ""
        if attachment.get("contentType") == "image/png" and url.startswith(DATA_URI):
            return base64.b64decode(url.removeprefix(DATA_URI), validate=True)
    return None
