"""What each Teams activity costs beneath the turn: the person's stored address is read, and
written only when something in it changed; the replies reuse the connections to the Bot
Connector. These touch the storage beneath the channel, so they run on both databases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from storage.models import ChannelAddress
from tests.support.clock import FakeClock
from tests.teams.conftest import running_world
from tests.teams.connector import FakeBotConnector, Member
from tests.teams.world import PEOPLE, STAFF, TeamsWorld


async def address_of(world: TeamsWorld, user: str) -> ChannelAddress:
    async with world.bot.router.sessions() as session:
        row = await session.scalar(
            select(ChannelAddress).where(ChannelAddress.platform_user_id == user)
        )
    assert row is not None
    return row


async def say(world: TeamsWorld, user: str, text: str, **fields: Any) -> None:
    activity = world.activity(user, type="message", text=text, textFormat="plain", **fields)
    assert (await world.post(activity)).status in (200, 201, 202)


async def test_an_unchanged_address_is_not_written_again_but_a_change_is_at_once(
    world: TeamsWorld, clock: FakeClock
) -> None:
    await say(world, STAFF, "hello")
    first = await address_of(world, STAFF)
    assert first.email == "t.brannigan@example.org" and first.reachable
    # The id the SDK gives each request is not part of where the person is reached.
    assert "requestId" not in first.address and "activityId" not in first.address

    clock.advance(minutes=1)
    await say(world, STAFF, "report")
    assert (await address_of(world, STAFF)).updated_at == first.updated_at

    clock.advance(minutes=1)
    await say(world, STAFF, "cancel", locale="cy-GB")
    changed = await address_of(world, STAFF)
    assert changed.address["locale"] == "cy-GB"
    assert changed.updated_at == clock()

    clock.advance(minutes=11)  # unchanged, but written long enough ago to date it again
    await say(world, STAFF, "hello", locale="cy-GB")
    assert (await address_of(world, STAFF)).updated_at == clock()


async def test_someone_teams_refused_is_reachable_again_when_they_write(
    world: TeamsWorld, clock: FakeClock
) -> None:
    await say(world, STAFF, "hello")
    async with world.bot.router.sessions() as session, session.begin():
        row = await session.scalar(
            select(ChannelAddress).where(ChannelAddress.platform_user_id == STAFF)
        )
        assert row is not None
        row.reachable, row.unreachable_reason = False, "Teams answered 403"
    clock.advance(minutes=1)
    await say(world, STAFF, "hello")
    again = await address_of(world, STAFF)
    assert again.reachable and again.unreachable_reason is None


def peers_of(fake: FakeBotConnector) -> tuple[list[tuple[str, int]], Callable[..., Any]]:
    """The client end (host, port) of every request the fake Bot Connector answers."""
    peers: list[tuple[str, int]] = []
    post = fake.post

    async def noted(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername")[:2])
        return await post(request)

    return peers, noted


async def test_replies_of_successive_turns_reuse_the_connection_to_the_bot_connector(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    fake = FakeBotConnector(
        members={u: Member(u, name, email, aad) for u, (email, name, aad) in PEOPLE.items()}
    )
    peers, fake.post = peers_of(fake)  # type: ignore[method-assign]  # before fake.app()
    server = TestServer(fake.app())
    await server.start_server()
    try:
        connector = (fake, str(server.make_url("/")))
        async with running_world(
            database_url=database_url, tmp_path=tmp_path, clock=clock, connector=connector
        ) as world:
            for text in ("hello", "report", "cancel", "hello"):
                await say(world, STAFF, text)
    finally:
        await server.close()
    assert len(peers) >= 4
    assert len(set(peers)) == 1, f"{len(set(peers))} connections for {len(peers)} replies"
