"""One deployment serving a trust's two schools (TRUST_CONFIG) on one Teams registration: one
bot, one address book (who each Teams id is, and how to message them first), each school's
reports and alerts its own. The schools are those of tests/web/test_trust_deployment.py; every
button a school sends says its school, and the walker here presses it as sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.delivery.school_tags import tag_value
from bot.trust_desk import CHOOSE
from storage.models import Conversation, Outbox, Report
from tests.support.clock import FakeClock
from tests.support.trust import school_values
from tests.support.walk import Answer, cyberbullying_concern, step_of_token, walk
from tests.teams import world as teams_world
from tests.teams.conftest import start_world
from tests.teams.connector import FakeBotConnector, Member
from tests.teams.filing import newest_question
from tests.teams.world import STAFF, TeamsWorld, offered, settle
from tests.web.test_trust_deployment import RIVERSIDE_DSL, write_trust

pytestmark = pytest.mark.one_database  # the channel and the desk, not the storage beneath

BOTH, OAK_DSL = STAFF, "29:1dsl"  # Tom Brannigan is on the staff of both schools
RIV_STAFF, RIV_DSL = "29:1rivstaff", "29:1rivdsl"
RIVERSIDE_PEOPLE = {
    RIV_STAFF: ("r.staff@example.org", "Rosa Staff", "aad-rivstaff"),
    RIV_DSL: (RIVERSIDE_DSL, "Ruth Okon", "aad-rivdsl"),
}
CONCERN = cyberbullying_concern("Name-calling in the class group chat.", "today 09:00")


@pytest.fixture
async def world(
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    connector: tuple[FakeBotConnector, str],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[TeamsWorld]:
    fake, _ = connector
    for user_id, (email, name, aad) in RIVERSIDE_PEOPLE.items():  # Riverside's, in the tenant
        monkeypatch.setitem(teams_world.PEOPLE, user_id, (email, name, aad))
        fake.members[user_id] = Member(user_id, name, email, aad)
    folder = tmp_path / "config"
    folder.mkdir()
    world = await start_world(
        database_url=database_url,
        tmp_path=tmp_path,
        clock=clock,
        connector=connector,
        trust_config=write_trust(folder),
    )
    try:
        yield world
    finally:
        await world.close()


class SchoolChat:
    """The walker's view of a person's chat with school `school` (tests/support/walk.py): the
    step asked is read from the newest question card's click token; an answer presses the
    card's button whose value, untagged, is the answer (it must be the school's), ticks its
    boxes as the school sent them, or is typed."""

    def __init__(self, world: TeamsWorld, user: str, school: str) -> None:
        self.world, self.user, self.school = world, user, school

    async def asked(self) -> str | None:
        found = newest_question(self.world, self.user)
        return None if found is None else step_of_token(found[1])

    async def answer(self, value: Answer) -> None:
        found = newest_question(self.world, self.user)
        assert found is not None, f"no question in the chat of {self.user}"
        sent = found[0]
        if isinstance(value, tuple):
            response = await self.world.tick(self.user, *(tag_value(self.school, v) for v in value))
        elif value in school_values(offered(sent.body), self.school):
            response = await self.world.click(self.user, tag_value(self.school, value), sent=sent)
        else:
            response = await self.world.say(self.user, value)
        assert response.status in (200, 201, 202), await response.text()


async def step_in(world: TeamsWorld, key: str, user: str) -> str | None:
    email = teams_world.PEOPLE[user][0]
    async with world.bot.parts[key].sessions() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.channel == "teams", Conversation.user_email == email
            )
        )
    assert row is not None and row.state_enc is not None, f"no conversation in {key}"
    dialog = world.bot.cipher.open(row, "state_enc")["dialog"]
    return None if not dialog else dialog["step"] or "summary"


async def reports_in(world: TeamsWorld, key: str) -> list[Report]:
    async with world.bot.parts[key].sessions() as session:
        return list(await session.scalars(select(Report)))


async def alerts_in(world: TeamsWorld, key: str) -> list[tuple[str, str, str]]:
    async with world.bot.parts[key].sessions() as session:
        rows = await session.scalars(select(Outbox).where(Outbox.kind == "alert"))
        return [(r.recipient_email, r.channel, r.status) for r in rows]


def read_by(world: TeamsWorld, user: str, reference: str) -> list[str]:
    return [text for text in world.reads(user) if reference in text]


async def file_in(world: TeamsWorld, user: str, key: str) -> Report:
    chat = SchoolChat(world, user, key)
    await walk(chat, CONCERN, stored=lambda: step_in(world, key, user))
    await world.click(user, tag_value(key, "__submit"))
    await settle(world)
    (report,) = await reports_in(world, key)
    return report


async def test_a_school_s_report_is_alerted_in_teams_to_its_dsl_alone(world):
    for user in (RIV_DSL, OAK_DSL):  # both DSLs have the app: Teams can message them first
        await world.install(user)
    await settle(world)
    await world.say(RIV_STAFF, "report")
    report = await file_in(world, RIV_STAFF, "riverside")
    assert report.channel == "teams" and await reports_in(world, "oakfield") == []
    reference = report.reference or "?"
    assert (RIVERSIDE_DSL, "teams", "sent") in await alerts_in(world, "riverside")
    assert await alerts_in(world, "oakfield") == []
    assert read_by(world, RIV_DSL, reference) and not read_by(world, OAK_DSL, reference)


async def test_someone_of_both_schools_chooses_and_a_resent_activity_asks_once(world):
    activity = world.activity(BOTH, type="message", text="report", textFormat="plain")
    await world.post(activity)
    await world.post(activity)  # the Bot Connector sends an activity again it had no answer to
    await settle(world)
    asked = [t for t in world.reads(BOTH) if "Which school is this for?" in t]
    assert len(asked) == 1
    await world.click(BOTH, f"{CHOOSE}riverside")
    await settle(world)
    # "report", typed before the question, was answered by Riverside: its first question.
    assert await step_in(world, "riverside", BOTH) == "immediate_danger"
    report = await file_in(world, BOTH, "riverside")
    assert report.reporter_email == "t.brannigan@example.org"
    assert await reports_in(world, "oakfield") == []
