"""An allegation typed in Teams names the adult with an @mention: the text carries
`<at>Name</at>` and the activity a `mention` entity (learn.microsoft.com/en-us/microsoftteams/
platform/bots/how-to/conversations/channel-and-group-conversations, "Retrieve mentions")."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Outbox, Report
from tests.support.steps import current_step
from tests.support.walk import CONCERN_TAIL, Answer, walk
from tests.teams.connector import text_of
from tests.teams.filing import TeamsChat
from tests.teams.world import DSL, HEAD, PEOPLE, STAFF, TeamsWorld, settle

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

ANSWERS = {
    "immediate_danger": "no",
    "category": "commerce",
    "commerce_kind": "scam",
    **CONCERN_TAIL,
    "about_adult": "yes",
    "adult_concern_kind": "harm",
    "adult_is_head": "no",
    # As Entra often spells a display name, and Teams puts it in the mention.
    "adult_who": "<at>Fenwick, Martin</at>",
}


async def step_asked(world: TeamsWorld) -> str | None:
    """The step the staff member's draft is at, from the stored dialog state."""
    return await current_step(world.bot, "teams", PEOPLE[STAFF][0])


async def say_with_mention(world: TeamsWorld, text: str, mentioned: str) -> None:
    name = text.removeprefix("<at>").removesuffix("</at>")
    entity = {
        "type": "mention",
        "text": f"<at>{name}</at>",
        "mentioned": {"id": mentioned, "name": name},
    }
    activity = world.activity(STAFF, type="message", text=text, textFormat="plain")
    activity["entities"] = [*activity["entities"], entity]
    response = await world.post(activity)
    assert response.status in (200, 201, 202), await response.text()


class MentioningChat(TeamsChat):
    """Answers as the walker's Teams chat does, but names the adult with a mention of the
    headteacher, as Teams sends one typed with @."""

    async def answer(self, value: Answer) -> None:
        if value == ANSWERS["adult_who"]:
            await say_with_mention(self.world, str(value), HEAD)
        else:
            await super().answer(value)


async def test_a_mentioned_head_is_left_out(world):
    for user in (DSL, HEAD):
        await world.install(user)
    await world.say(STAFF, "report")
    chat = MentioningChat(world, STAFF)
    asked = await walk(chat, ANSWERS, stored=lambda: step_asked(world), in_order=False)
    assert "adult_who" in asked
    await world.click(STAFF, "__submit")
    await settle(world)
    async with world.bot.router.sessions() as session:
        (report,) = await session.scalars(select(Report))
        rows = list(await session.scalars(select(Outbox)))
    assert report.allegation
    assert not [r for r in rows if r.recipient_email == "m.fenwick@example.org"]
    assert {r.recipient_email for r in rows if r.kind == "alert"} == {"j.whitcombe@example.org"}
    assert not [s for s in world.sent_to(HEAD) if (report.reference or "?") in text_of(s.body)]
