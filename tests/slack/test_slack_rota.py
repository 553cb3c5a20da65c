"""The rota in Slack: the alert a DSL is posted names who is on duty, and `on call` in the DM
answers the safeguarding team and refuses staff."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import example_config_with
from tests.slack.conftest import DSL, HEAD, STAFF, running_world
from tests.slack.filing import walk_dm
from tests.slack.world import SlackWorld, text_of
from tests.support.clock import FakeClock
from tests.support.rota import DANIEL_ON_TUESDAY
from tests.support.walk import CONCERN_TAIL

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

ANSWERS = {
    "immediate_danger": "no",
    "category": "commerce",
    "commerce_kind": "scam",
    **CONCERN_TAIL,
}


@pytest.fixture
async def rota_world(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[SlackWorld]:
    config = example_config_with(tmp_path, rota=DANIEL_ON_TUESDAY)
    async with running_world(database_url, tmp_path, clock, school_config=config) as running:
        yield running


async def test_the_alert_names_who_is_on_duty(rota_world):
    world = rota_world
    await world.dm(STAFF, "report")
    await world.settle()
    await walk_dm(world, STAFF, ANSWERS, in_order=False)
    await world.click(STAFF, "__submit")
    await world.settle()
    (alert,) = [m for m in world.api.posts_to(DSL) if "Online-safety concern" in text_of(m)]
    assert "On duty" in text_of(alert)
    assert "Daniel Osei" in text_of(alert)


async def test_on_call_in_the_dm_answers_the_head_and_refuses_staff(rota_world):
    world = rota_world
    await world.dm(HEAD, "on call")
    await world.settle()
    answered = " ".join(text_of(m) for m in world.api.posts_to(HEAD))
    assert "On call at Example Primary School" in answered
    assert "Daniel Osei (school hours)" in answered
    await world.dm(STAFF, "on call")
    await world.settle()
    refused = " ".join(text_of(m) for m in world.api.posts_to(STAFF))
    assert "Only the DSL" in refused
    assert "Daniel Osei" not in refused


async def test_the_slash_command_on_call_answers_in_the_dm(rota_world):
    world = rota_world
    response = await world.command(HEAD, "on call")
    assert response.status == 200
    await world.settle()
    answered = " ".join(text_of(m) for m in world.api.posts_to(HEAD))
    assert "On call at Example Primary School" in answered


async def test_the_slash_command_stats_answers_in_the_dm(rota_world):
    world = rota_world
    response = await world.command(HEAD, "stats")
    assert response.status == 200
    await world.settle()
    answered = " ".join(text_of(m) for m in world.api.posts_to(HEAD))
    assert "No cases yet: the response times start with the first report." in answered
