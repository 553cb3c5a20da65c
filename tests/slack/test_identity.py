"""Slack identities are kept in the database: replicas share them, and they go stale in a day."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.identity import SlackDirectory
from tests.slack.conftest import DSL, PEOPLE, STAFF
from tests.slack.world import TEAM, FakeSlackApi


@pytest.fixture
async def slack() -> AsyncIterator[tuple[FakeSlackApi, AsyncWebClient]]:
    api = FakeSlackApi(users={**PEOPLE, "UNOMAIL": ("", "No Mail")})
    server = TestServer(api.app(), host="127.0.0.1")
    await server.start_server()
    client = AsyncWebClient(token="xoxb-test", base_url=str(server.make_url("/api/")))
    try:
        yield api, client
    finally:
        await server.close()


async def test_two_replicas_share_one_lookup_a_day(make_bot, clock, slack):
    api, client = slack
    bot = await make_bot()
    first = SlackDirectory(client, bot.router.sessions, clock)
    second = SlackDirectory(client, bot.router.sessions, clock)  # another replica

    user = await first.user(TEAM, STAFF)
    assert (user.email, user.display_name) == PEOPLE[STAFF]
    assert await second.user(TEAM, STAFF) == user
    assert len(api.called("users.info")) == 1  # the second replica read the database

    clock.advance(hours=23)
    await second.user(TEAM, STAFF)
    assert len(api.called("users.info")) == 1
    clock.advance(hours=2)  # a day on: Slack is asked again (a changed e-mail is noticed)
    api.users[STAFF] = ("tom.brannigan@example.org", "Tom Brannigan")
    assert (await first.user(TEAM, STAFF)).email == "tom.brannigan@example.org"
    assert len(api.called("users.info")) == 2


async def test_an_alert_recipient_is_looked_up_by_email_once_for_every_replica(
    make_bot, clock, slack
):
    api, client = slack
    bot = await make_bot()
    email = PEOPLE[DSL][0]
    replicas = [SlackDirectory(client, bot.router.sessions, clock) for _ in range(3)]
    assert {await r.user_id_for(email.upper()) for r in replicas} == {DSL}
    assert len(api.called("users.lookupByEmail")) == 1
    # Someone who spoke to the bot is known both ways without asking.
    await replicas[0].user(TEAM, STAFF)
    assert await replicas[1].user_id_for(PEOPLE[STAFF][0]) == STAFF
    assert len(api.called("users.lookupByEmail")) == 1
    clock.advance(days=1, seconds=1)
    assert await replicas[2].user_id_for(email) == DSL
    assert len(api.called("users.lookupByEmail")) == 2


async def test_nobody_with_that_email_and_users_without_one(make_bot, clock, slack):
    api, client = slack
    bot = await make_bot()
    directory = SlackDirectory(client, bot.router.sessions, clock)
    assert await directory.user_id_for("nobody@example.org") is None
    assert await directory.user_id_for("nobody@example.org") is None
    assert len(api.called("users.lookupByEmail")) == 2  # a "no" is not remembered

    guest = await directory.user(TEAM, "UNOMAIL")
    assert guest.email == f"slack:{TEAM}:UNOMAIL"  # can report, can never be a DSL
    await directory.user(TEAM, "UNOMAIL")
    assert len(api.called("users.info")) == 2  # nothing stored to share for them
