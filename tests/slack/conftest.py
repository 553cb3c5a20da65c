"""A bot with Slack switched on, talking to a fake Slack Web API on loopback."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_bot, prepare_storage
from bot.server import create_app
from bot.settings import Settings
from tests.conftest import EXAMPLE_CONFIG
from tests.slack.world import SIGNING_SECRET, FakeSlackApi, SlackWorld
from tests.support.clock import FakeClock

STAFF, DSL, DEPUTY_1, DEPUTY_2, HEAD = "USTAFF", "UDSL", "UDEP1", "UDEP2", "UHEAD"
PEOPLE = {
    STAFF: ("t.brannigan@example.org", "Tom Brannigan"),
    DSL: ("a.hartley@example.org", "Alice Hartley"),
    DEPUTY_1: ("d.osei@example.org", "Daniel Osei"),
    DEPUTY_2: ("p.lindqvist@example.org", "Petra Lindqvist"),
    HEAD: ("m.fenwick@example.org", "Martin Fenwick"),
    "UGUEST": ("visitor@elsewhere.example", "A Visitor"),
}


@pytest.fixture
async def world(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[SlackWorld]:
    async with running_world(database_url, tmp_path, clock) as running:
        yield running


@contextlib.asynccontextmanager
async def running_world(
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    school_config: Path = EXAMPLE_CONFIG,
    *,
    people: dict[str, tuple[str, str]] = PEOPLE,
    **settings: Any,
) -> AsyncIterator[SlackWorld]:
    """A bot with Slack on over HTTP (signed requests), and a fake Web API on loopback that
    knows `people` (Slack id -> e-mail and name); `settings`: the bot's others."""
    # Slack's clock agrees with the bot's, as the real ones do, so a look back in a DM's
    # history "since the alert was queued" finds what was posted then.
    api = FakeSlackApi(users=dict(people), clock=lambda: clock().timestamp())
    api_server = TestServer(api.app())
    await api_server.start_server()
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        school_config=school_config,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=str(api_server.make_url("/api/")),
        **settings,
    )
    bot = build_bot(settings, clock=clock)
    await prepare_storage(bot)
    client = TestClient(TestServer(create_app(bot, run_scheduler=False)))
    await client.start_server()
    try:
        yield SlackWorld(api=api, client=client, bot=bot)
    finally:
        await client.close()
        await api_server.close()
        await bot.engine.dispose()
