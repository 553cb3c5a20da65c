"""One deployment serving a trust's two schools (TRUST_CONFIG) on one Slack workspace: one app,
one address book for the workspace, each school's reports, alerts and cases its own.

Oakfield and Riverside are the example school twice (tests/web/test_trust_deployment.py):
Riverside has its own DSL, deputies, head and one member of staff; Tom Brannigan (staff) and
the chair of governors are in both files. Every button a school sends says its school
(`@<key>|<value>`), so the walker here presses a button by its value as the school sent it,
and checks that the button is that school's."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Bot
from bot.delivery.school_tags import tag_value
from bot.record.trust_seal import seal_today
from bot.record.verify_command import verify_logs
from bot.server import RELOADER
from bot.trust_desk import CHOOSE
from storage.models import ChannelAddress, Conversation, Outbox, Report, School
from storage.scope import TRUST_CHANNELS_KEY, trust_sessions
from tests.slack.conftest import running_world
from tests.slack.filing import question_in
from tests.slack.world import SlackWorld, blocks_of, text_of
from tests.support.clock import FakeClock
from tests.support.trust import school_values
from tests.support.walk import (
    CONCERN_TAIL,
    IMAGE_TICKED,
    Answer,
    cyberbullying_concern,
    step_of_token,
    walk,
)
from tests.web.test_trust_deployment import OAKFIELD_ALONE, RIVERSIDE_DSL, write_trust

pytestmark = pytest.mark.one_database  # the channel and the desk, not the storage beneath

BOTH, OAK_DSL, OAK_HEAD = "USTAFF", "UOAKDSL", "UOAKHEAD"
RIV_STAFF, RIV_DSL, RIV_HEAD = "URIVSTAFF", "URIVDSL", "URIVHEAD"
PEOPLE = {
    BOTH: ("t.brannigan@example.org", "Tom Brannigan"),
    OAK_DSL: ("a.hartley@example.org", "Alice Hartley"),
    OAK_HEAD: ("m.fenwick@example.org", "Martin Fenwick"),
    "UOAKDEP1": ("d.osei@example.org", "Daniel Osei"),
    "UOAKDEP2": ("p.lindqvist@example.org", "Petra Lindqvist"),
    RIV_STAFF: ("r.staff@example.org", "Rosa Staff"),
    RIV_DSL: (RIVERSIDE_DSL, "Ruth Okon"),
    RIV_HEAD: ("r.doyle@example.org", "Rory Doyle"),
    "URIVDEP1": ("r.bello@example.org", "Rami Bello"),
    "URIVDEP2": ("r.chen@example.org", "Rui Chen"),
    "UCHAIR": ("j.whitcombe@example.org", "Jo Whitcombe"),
}
OAKFIELD_PEOPLE = {OAK_DSL, OAK_HEAD, "UOAKDEP1", "UOAKDEP2"}
ALLEGATION = {
    "immediate_danger": "no",
    "category": "commerce",
    "commerce_kind": "scam",
    **CONCERN_TAIL,
    "about_adult": "yes",
    "adult_concern_kind": "harm",
    "adult_is_head": "no",
    "adult_who": f"<@{RIV_HEAD}>",  # as Slack sends a mention of Riverside's head
}


@pytest.fixture
async def world(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[SlackWorld]:
    folder = tmp_path / "config"
    folder.mkdir()
    trust = write_trust(folder)
    async with running_world(
        database_url, tmp_path, clock, people=PEOPLE, trust_config=trust
    ) as running:
        yield running


class SchoolDm:
    """The walker's view of a person's DM with school `school` (tests/support/walk.py): the
    step asked is read from the newest question's block_id, and an answer presses that
    question's button whose value, untagged, is the answer, and which must be the school's."""

    def __init__(self, world: SlackWorld, user: str, school: str) -> None:
        self.world, self.user, self.school = world, user, school

    async def asked(self) -> str | None:
        found = question_in(self.world.api.posts_to(self.user))
        return None if found is None else step_of_token(found[1])

    async def answer(self, value: Answer) -> None:
        found = question_in(self.world.api.posts_to(self.user))
        assert found is not None, f"no question in the DM of {self.user}"
        message = found[0]
        before = len(self.world.api.posts_to(self.user))
        if isinstance(value, tuple):  # the boxes as the school sent them: tagged
            response = await self.world.tick(self.user, *(tag_value(self.school, v) for v in value))
        elif value in values_of(message, self.school):
            response = await self.world.click(
                self.user, tag_value(self.school, value), message=message
            )
        else:
            response = await self.world.dm(self.user, value)
        assert response.status == 200
        await self.world.until(
            f"the reply to {value!r}", lambda: len(self.world.api.posts_to(self.user)) > before
        )
        await self.world.settle()


def values_of(message: dict[str, Any], school: str) -> set[str]:
    """The values of the message's buttons and boxes, as `school` sent them (and must have)."""
    values: list[str | None] = []
    for block in blocks_of(message):
        for element in [*block.get("elements", []), *filter(None, [block.get("accessory")])]:
            values += [element.get("value"), *(o["value"] for o in element.get("options", []))]
    return school_values(values, school)


async def step_in(bot: Bot, key: str, email: str) -> str | None:
    """The step of this person's Slack conversation in school `key`'s records."""
    async with bot.parts[key].sessions() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.channel == "slack", Conversation.user_email == email
            )
        )
    assert row is not None and row.state_enc is not None, f"no conversation in {key}"
    dialog = bot.cipher.open(row, "state_enc")["dialog"]
    assert dialog is not None, f"no report under way in {key}"
    return dialog["step"] or "summary"


async def file_in(
    world: SlackWorld,
    user: str,
    key: str,
    answers: dict[str, Answer],
    *,
    start: bool = True,
    in_order: bool = True,
) -> Report:
    """Walk `answers` in `user`'s DM with school `key` (after "report" when `start`), send it,
    and return the report filed in `key`'s records."""
    if start:
        await world.dm(user, "report")
        await world.settle()
    email = PEOPLE[user][0]
    dm = SchoolDm(world, user, key)
    await walk(dm, answers, stored=lambda: step_in(world.bot, key, email), in_order=in_order)
    await world.click(user, tag_value(key, "__submit"))
    await world.settle()
    (report,) = await reports_in(world.bot, key)
    return report


async def reports_in(bot: Bot, key: str) -> list[Report]:
    async with bot.parts[key].sessions() as session:
        return list(await session.scalars(select(Report)))


async def outbox_in(bot: Bot, key: str) -> list[Outbox]:
    async with bot.parts[key].sessions() as session:
        return list(await session.scalars(select(Outbox)))


def posted_with(world: SlackWorld, user: str, reference: str) -> list[dict[str, Any]]:
    return [m for m in world.api.posts_to(user) if reference in text_of(m)]


CONCERN = cyberbullying_concern("Name-calling in the class group chat.", "today 09:00")


async def test_a_school_s_report_alerts_its_dsl_alone_and_its_cases_are_its_own(world):
    report = await file_in(world, RIV_STAFF, "riverside", CONCERN)
    assert report.reporter_email == "r.staff@example.org" and report.channel == "slack"
    assert await reports_in(world.bot, "oakfield") == []
    reference = report.reference or "?"
    await world.until("Riverside's DSL alerted", lambda: posted_with(world, RIV_DSL, reference))
    for oakfield in OAKFIELD_PEOPLE:  # no message of Oakfield's people names it
        assert posted_with(world, oakfield, reference) == []
    assert {r.recipient_email for r in await outbox_in(world.bot, "oakfield")} == set()
    # The alert's buttons are Riverside's; Acknowledge pressed in Slack acknowledges there.
    (alert, *_) = posted_with(world, RIV_DSL, reference)
    ack = next(v for v in values_of(alert, "riverside") if v.startswith("case:ack:"))
    await world.click(RIV_DSL, tag_value("riverside", ack), message=alert)
    await world.settle()
    (acknowledged,) = await reports_in(world.bot, "riverside")
    assert acknowledged.acknowledged_by == RIVERSIDE_DSL
    # Oakfield's DSL asks for the open cases: none (Riverside's is not theirs to see or count).
    before = len(world.api.posts_to(OAK_DSL))
    await world.dm(OAK_DSL, "cases")
    await world.until("the answer", lambda: len(world.api.posts_to(OAK_DSL)) > before)
    await world.settle()
    answer = " ".join(text_of(m) for m in world.api.posts_to(OAK_DSL)[before:])
    assert reference not in answer and "There are no open cases." in answer


async def test_someone_of_both_schools_is_asked_which_and_what_they_typed_waits(world):
    await world.dm(BOTH, "report")
    await world.settle()
    question = world.api.posts_to(BOTH)[-2:]
    said = " ".join(text_of(m) for m in question)
    assert "Which school is this for?" in said and "I have kept what you wrote" in said
    await world.click(BOTH, f"{CHOOSE}riverside")
    await world.settle()
    # "report", typed before the question, was answered by Riverside: its first question.
    assert await step_in(world.bot, "riverside", PEOPLE[BOTH][0]) == "immediate_danger"
    report = await file_in(world, BOTH, "riverside", CONCERN, start=False)
    assert report.reporter_email == PEOPLE[BOTH][0]
    assert await reports_in(world.bot, "oakfield") == []
    reference = report.reference or "?"
    await world.until("Riverside's DSL alerted", lambda: posted_with(world, RIV_DSL, reference))
    assert not any(posted_with(world, u, reference) for u in OAKFIELD_PEOPLE)


async def test_slack_sending_a_message_again_asks_which_school_once(world):
    """Slack retries an event it heard no answer to (X-Slack-Retry-Num, the same event_id)."""
    await world.dm(BOTH, "report", event_id="EvRetried")
    await world.settle()
    asked = len(world.api.posts_to(BOTH))
    retried = await world.dm(BOTH, "report", event_id="EvRetried", **{"X-Slack-Retry-Num": "1"})
    assert retried.status == 200
    await world.settle()
    assert len(world.api.posts_to(BOTH)) == asked
    # A double click on the school's button counts once: one first question.
    (message,) = [m for m in world.api.posts_to(BOTH) if CHOOSE in json.dumps(blocks_of(m))]
    await world.click(BOTH, f"{CHOOSE}oakfield", message=message)
    await world.click(BOTH, f"{CHOOSE}oakfield", message=message)
    await world.settle()
    firsts = [m for m in world.api.posts_to(BOTH) if "immediate_danger" in json.dumps(blocks_of(m))]
    assert len(firsts) == 1
    told = [m for m in world.api.posts_to(BOTH) if "You are now talking to Oakfield" in text_of(m)]
    assert len(told) == 1
    assert await step_in(world.bot, "oakfield", PEOPLE[BOTH][0]) == "immediate_danger"


async def test_an_allegation_naming_a_school_s_head_by_mention_keeps_the_head_out(world, capsys):
    """The mention is looked up in the trust's one address book, which every school reads."""
    report = await file_in(world, RIV_STAFF, "riverside", ALLEGATION, in_order=False)
    assert report.allegation
    to = {(r.recipient_email, r.kind) for r in await outbox_in(world.bot, "riverside")}
    assert not [kind for email, kind in to if email == "r.doyle@example.org"]
    assert ("j.whitcombe@example.org", "alert") in to  # the chair takes it instead
    assert posted_with(world, RIV_HEAD, report.reference or "?") == []
    # Who Slack said each id is was kept once, for the whole trust, in its own row.
    async with trust_sessions(world.bot.engine)() as session:
        book = await session.scalar(select(School.id).where(School.key == TRUST_CHANNELS_KEY))
        kept = set(
            await session.execute(select(ChannelAddress.school_id, ChannelAddress.platform_user_id))
        )
    assert (book, RIV_HEAD) in kept and (book, RIV_STAFF) in kept
    assert {school for school, _ in kept} == {book}
    # The book is no school: the logs checked and the day sealed are the schools' alone.
    async with trust_sessions(world.bot.engine)() as session, session.begin():
        sealed = await seal_today(session, now=world.bot.router.clock())
    assert sealed is not None
    assert {"oakfield", "riverside"} <= {h[1] for h in sealed.heads}
    assert TRUST_CHANNELS_KEY not in {h[1] for h in sealed.heads}
    capsys.readouterr()
    assert await verify_logs(world.bot.engine, "the test database") == 0
    assert TRUST_CHANNELS_KEY not in capsys.readouterr().out


async def test_boxes_ticked_on_a_school_s_question_reach_that_school_untagged(world):
    """A multiple-choice question's boxes carry their school as its buttons do; ticked, each
    comes back so, and the school reads the answers it offered."""
    await world.dm(RIV_STAFF, "report")
    await world.settle()
    email = PEOPLE[RIV_STAFF][0]
    dm = SchoolDm(world, RIV_STAFF, "riverside")
    await walk(
        dm, IMAGE_TICKED, until="about_adult", stored=lambda: step_in(world.bot, "riverside", email)
    )
    (urgent,) = await reports_in(world.bot, "riverside")  # the boxes ticked made it urgent
    assert urgent.urgent_reasons == ["coercion", "under_13"]
    async with world.bot.parts["riverside"].sessions() as session:
        row = await session.scalar(select(Conversation))
    assert world.bot.cipher.open(row, "state_enc")["dialog"]["answers"]["image_indicators"] == [
        "coercion",
        "under_13",
    ]


async def test_a_school_added_by_a_reload_is_reached_in_slack_at_once(
    database_url, tmp_path, clock
):
    """The one Slack app goes on serving while the trust's files are reloaded: the school
    added is there at its next message, with its own records and its DSL alerted."""
    folder = tmp_path / "config"
    folder.mkdir()
    trust = write_trust(folder)
    both = trust.read_text()
    trust.write_text(OAKFIELD_ALONE)
    async with running_world(
        database_url, tmp_path, clock, people=PEOPLE, trust_config=trust
    ) as world:
        assert list(world.bot.parts) == ["oakfield"]
        trust.write_text(both)
        said = await world.client.server.app[RELOADER].reload()
        assert said == "reloaded: 2 school(s); added riverside"
        report = await file_in(world, RIV_STAFF, "riverside", CONCERN)
        reference = report.reference or "?"
        await world.until("Riverside's DSL alerted", lambda: posted_with(world, RIV_DSL, reference))
        assert await reports_in(world.bot, "oakfield") == []
