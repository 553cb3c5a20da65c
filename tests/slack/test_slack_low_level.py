"""A low-level concern through Slack (signed requests, the fake Web API): the head is alerted,
the deputy it is about never is, and the head finds it by typing the log's words in a DM, not
among the open cases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.words import strings
from storage.models import Report
from tests.slack.conftest import DEPUTY_1, HEAD, STAFF
from tests.slack.filing import walk_dm
from tests.slack.world import SlackWorld, text_of
from tests.support.walk import CONCERN_TAIL

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

ANSWERS = {
    "immediate_danger": "no",
    "category": "commerce",
    "commerce_kind": "scam",
    **CONCERN_TAIL,
    "about_adult": "yes",
    "adult_concern_kind": "low_level",
    "adult_is_head": "no",
    "adult_who": f"<@{DEPUTY_1}>",
}


async def said_to(world: SlackWorld, user: str, text: str) -> str:
    """Everything posted to `user` after they typed `text` in their DM with the bot."""
    before = len(world.api.posts_to(user))
    await world.dm(user, text)
    await world.settle()
    return " ".join(text_of(m) for m in world.api.posts_to(user)[before:])


async def test_a_low_level_concern_reaches_the_head_and_its_log_not_the_deputy(world):
    await world.dm(STAFF, "report")
    await world.settle()
    asked = await walk_dm(world, STAFF, ANSWERS, in_order=False)
    assert "adult_concern_kind" in asked and "adult_who" in asked
    await world.click(STAFF, "__submit")
    await world.settle()
    async with world.bot.router.sessions() as session:
        (report,) = await session.scalars(select(Report))
    assert report.allegation_kind == "low_level" and report.reference
    reference = report.reference

    assert any(reference in text_of(m) for m in world.api.posts_to(HEAD))
    assert not [m for m in world.api.posts_to(DEPUTY_1) if reference in text_of(m)]
    assert reference in await said_to(world, HEAD, "low-level concerns")
    assert reference not in await said_to(world, HEAD, "cases")
    refused = await said_to(world, DEPUTY_1, "low-level concerns")
    assert reference not in refused
    assert strings.LOW_LEVEL_NOT_ALLOWED[:40] in refused
