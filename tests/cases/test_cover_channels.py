"""Cover through real channel adapters over loopback: Slack's signed HTTP (its fake Web API),
Teams' activities (its fake Bot Connector) and the web chat's websocket. The Accept button
arrives on each colleague's channel; the first click takes the cover, and any later one, from
anyone, changes nothing and says who took it."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.cases.cover import BUTTON
from storage.models import CoverRequest, Event
from tests.conftest import example_config_with
from tests.slack.conftest import DEPUTY_1, DEPUTY_2, DSL, STAFF, running_world
from tests.slack.world import SlackWorld, text_of
from tests.support.clock import FakeClock
from tests.support.harness import Chat
from tests.support.rota import DANIEL, DANIEL_ON_TUESDAY, PETRA
from tests.support.warm import run_bot
from tests.web.chat import items, notices, open_chat, serve, sign_in

pytestmark = pytest.mark.one_database  # the channels, not the storage beneath them
ACCEPT = f"{BUTTON}1"


@pytest.fixture
async def rota_world(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[SlackWorld]:
    config = example_config_with(tmp_path, rota=DANIEL_ON_TUESDAY)
    async with running_world(database_url, tmp_path, clock, school_config=config) as running:
        yield running


def _posted(world: SlackWorld, user: str) -> str:
    return " ".join(text_of(m) for m in world.api.posts_to(user))


async def _accepted(bot) -> list[Event]:
    async with bot.router.sessions() as session:
        return list(
            await session.scalars(
                select(Event).where(Event.kind == "cover_accepted").order_by(Event.id)
            )
        )


async def test_cover_in_slack_first_click_takes_it_and_later_ones_say_who(rota_world):
    world = rota_world
    await world.dm(DEPUTY_1, "cover me today 13:00-16:00")
    await world.settle()
    assert "Asked 2 colleague(s) to cover Tue 24 Nov 13:00 to 16:00" in _posted(world, DEPUTY_1)
    for colleague in (DEPUTY_2, DSL):
        assert "Cover asked by Daniel Osei" in _posted(world, colleague)
    ask_to_alice = world.newest_with(DSL, ACCEPT)

    await world.click(DEPUTY_2, ACCEPT)
    await world.settle()
    assert "you are first contact Tue 24 Nov 13:00 to 16:00" in _posted(world, DEPUTY_2)
    assert "Petra Lindqvist accepted your cover request" in _posted(world, DEPUTY_1)
    await world.click(DEPUTY_2, ACCEPT)  # a double click on the same button: counted once
    await world.click(DSL, ACCEPT, message=ask_to_alice)  # the old button of a second acceptor
    await world.settle()
    assert "Petra Lindqvist has already accepted this cover" in _posted(world, DSL)
    assert len(await _accepted(world.bot)) == 1
    async with world.bot.router.sessions() as session:
        (row,) = await session.scalars(select(CoverRequest))
    assert row.accepted_by == PETRA

    await world.dm(STAFF, "cover me tomorrow")
    await world.settle()
    assert "Only the DSL and the deputy DSLs" in _posted(world, STAFF)


async def test_cover_through_the_slash_command_keeps_its_range(rota_world):
    world = rota_world
    response = await world.command(DEPUTY_1, "cover me today 13:00-16:00")
    assert response.status == 200
    await world.settle()
    assert "Asked 2 colleague(s) to cover Tue 24 Nov 13:00 to 16:00" in _posted(world, DEPUTY_1)
    assert ACCEPT in str(world.newest_with(DSL, ACCEPT))


async def test_cover_in_the_web_chat(make_bot, school_with):
    config = school_with(rota=DANIEL_ON_TUESDAY)
    bot = await make_bot(school_config=config)
    async with serve(bot) as daniel, serve(bot) as petra, serve(bot) as staff:
        await sign_in(petra, PETRA)
        await sign_in(daniel, DANIEL)
        await sign_in(staff, "t.brannigan@example.org")
        async with open_chat(petra) as (petra_tab, _, _), open_chat(daniel) as (daniel_tab, _, _):
            asked = await daniel_tab.text("cover me tomorrow")
            assert "Asked 2 colleague(s) to cover Wed 25 Nov (all day)" in json.dumps(
                notices(asked)
            )
            card: dict[str, object] = {}
            while not card:  # the ask comes to Petra's open tab through the outbox
                frame = await petra_tab.push()
                card = next((i for i in items(frame) if ACCEPT in json.dumps(i)), {})
            assert "Cover asked by Daniel Osei" in json.dumps(card)
            took = await petra_tab.action(ACCEPT, token=None)
            assert "you are first contact Wed 25 Nov (all day)" in json.dumps(notices(took))
            again = await petra_tab.action(ACCEPT, token=None)  # a second click
            assert "You have accepted this cover already" in json.dumps(notices(again))
            told = ""
            while "accepted your cover request" not in told:
                told = json.dumps(items(await daniel_tab.push()))
            assert "Petra Lindqvist accepted your cover request" in told
        async with open_chat(staff) as (staff_tab, _, _):
            refused = await staff_tab.action(ACCEPT, token=None)
            assert "Only the DSL and the deputy DSLs" in json.dumps(notices(refused))
    assert len(await _accepted(bot)) == 1


async def test_python_m_bot_oncall_names_the_accepted_cover(
    make_bot, database_url, school_with, tmp_path
):
    config = school_with(rota=DANIEL_ON_TUESDAY)
    bot = await make_bot(school_config=config)
    await Chat(bot, DANIEL).send("cover me today 13:00-16:00")
    await Chat(bot, PETRA).click(ACCEPT, token=None)
    env = {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": database_url}
    result = await asyncio.to_thread(
        run_bot,
        "oncall",
        "--at",
        "2026-11-24T13:30",
        env={**os.environ, **env, "SCHOOL_CONFIG": str(config)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == "Now: Petra Lindqvist (school hours)"
    assert lines[2].endswith("; cover: Petra Lindqvist Tue 24 Nov 13:00 to 16:00")


async def test_cover_in_teams(database_url, tmp_path, clock, school_with, monkeypatch):
    from bot.app import build_bot, prepare_storage
    from bot.server import create_app
    from bot.settings import Settings
    from tests.teams.conftest import fake_connector, quicken, refusing_internet
    from tests.teams.world import DEPUTY_1 as T_DANIEL
    from tests.teams.world import DEPUTY_2 as T_PETRA
    from tests.teams.world import DSL as T_ALICE
    from tests.teams.world import TeamsWorld, settle

    config = school_with(rota=DANIEL_ON_TUESDAY)
    with refusing_internet(monkeypatch):
        async with fake_connector() as (fake, service_url):
            settings = Settings(
                data_dir=tmp_path / "data",
                database_url=database_url,
                school_config=config,
                teams_allow_anonymous=True,
            )
            bot = build_bot(settings, clock=clock)
            await prepare_storage(bot)
            quicken(bot)
            client = TestClient(TestServer(create_app(bot, run_scheduler=False)))
            await client.start_server()
            world = TeamsWorld(connector=fake, service_url=service_url, client=client, bot=bot)
            try:
                for user in (T_DANIEL, T_PETRA, T_ALICE):
                    await world.install(user)
                await world.say(T_DANIEL, "cover me today 13:00-16:00")
                await settle(world)
                assert any("Asked 2 colleague(s)" in t for t in world.texts_to(T_DANIEL))
                ask_to_alice = world.newest_with(T_ALICE, ACCEPT)
                await world.click(T_PETRA, ACCEPT)
                await settle(world)
                texts = " ".join(world.texts_to(T_PETRA))
                assert "you are first contact Tue 24 Nov 13:00 to 16:00" in texts
                assert any("Petra Lindqvist accepted" in t for t in world.texts_to(T_DANIEL))
                await world.click(T_ALICE, ACCEPT, sent=ask_to_alice)
                await settle(world)
                texts = " ".join(world.texts_to(T_ALICE))
                assert "Petra Lindqvist has already accepted this cover" in texts
            finally:
                await world.close()
    assert len(await _accepted(bot)) == 1
