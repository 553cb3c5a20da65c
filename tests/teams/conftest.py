"""A bot with Teams switched on, talking to a fake Bot Connector on loopback.

Every test here fails if anything tries to reach beyond loopback (the SDK would otherwise fetch
signing keys or tokens from Microsoft): `no_internet` refuses and records such attempts.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import EXAMPLE_CONFIG
from tests.support.clock import FakeClock
from tests.support.fast import fast_now, fast_sleep
from tests.teams.connector import FakeBotConnector, Member
from tests.teams.world import PEOPLE, TeamsWorld


def _loopback(host: object) -> bool:
    if host in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    with refusing_internet(monkeypatch) as attempts:
        yield attempts


@contextlib.contextmanager
def refusing_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse, and record, every connection and name lookup beyond loopback."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(address: Any) -> None:
        if isinstance(address, tuple) and not _loopback(address[0]):
            attempts.append(str(address[0]))
            raise OSError(f"test refused a connection to {address[0]} (not loopback)")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(host):
            attempts.append(str(host))
            raise socket.gaierror(f"test refused to resolve {host} (not loopback)")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert attempts == [], f"tried to reach beyond loopback: {attempts}"


@pytest.fixture
async def connector() -> AsyncIterator[tuple[FakeBotConnector, str]]:
    async with fake_connector() as running:
        yield running


@contextlib.asynccontextmanager
async def fake_connector() -> AsyncIterator[tuple[FakeBotConnector, str]]:
    """A fake Bot Connector on loopback that knows the school's people; its service URL."""
    fake = FakeBotConnector(
        members={
            user_id: Member(user_id, name, email, aad)
            for user_id, (email, name, aad) in PEOPLE.items()
        }
    )
    server = TestServer(fake.app())
    await server.start_server()
    try:
        yield fake, str(server.make_url("/"))
    finally:
        await server.close()


async def start_world(
    *,
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    connector: tuple[FakeBotConnector, str],
    **settings: Any,
) -> TeamsWorld:
    # Imported here, so that the checks of the manifest and renderer need no bot at all.
    from bot.app import build_bot, prepare_storage
    from bot.server import create_app
    from bot.settings import Settings

    fake, service_url = connector
    options: dict[str, Any] = {"teams_allow_anonymous": True, **settings}
    bot = build_bot(
        Settings(
            data_dir=tmp_path / "data",
            database_url=database_url,
            school_config=EXAMPLE_CONFIG,
            **options,
        ),
        clock=clock,
    )
    await prepare_storage(bot)
    quicken(bot)
    client = TestClient(TestServer(create_app(bot, run_scheduler=False)))
    await client.start_server()
    return TeamsWorld(connector=fake, service_url=service_url, client=client, bot=bot)


def quicken(bot: Any) -> None:
    """The bot's Teams sender, with Teams' own limits and retries, on a fast clock
    (tests/support/fast.py): a test's chat is paced and retried as in production, in a fraction
    of the time."""
    from bot.channels.teams.sending import Sender

    teams = bot.teams
    assert teams is not None
    fast = Sender(sleep=fast_sleep, now=fast_now, jitter=teams.sender.jitter)
    for holder in (teams, teams.directory, teams.notifier):
        assert holder.sender is teams.sender  # one sender, shared: replaced everywhere at once
    teams.directory.sender = teams.notifier.sender = teams.sender = fast


@contextlib.asynccontextmanager
async def running_world(**options: Any) -> AsyncIterator[TeamsWorld]:
    """`start_world(**options)`, closed on the way out."""
    world = await start_world(**options)
    try:
        yield world
    finally:
        await world.close()


@pytest.fixture
async def world(
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    connector: tuple[FakeBotConnector, str],
) -> AsyncIterator[TeamsWorld]:
    world = await start_world(
        database_url=database_url, tmp_path=tmp_path, clock=clock, connector=connector
    )
    try:
        yield world
    finally:
        await world.close()


@pytest.fixture
async def files_world(
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    connector: tuple[FakeBotConnector, str],
) -> AsyncIterator[TeamsWorld]:
    """The Teams world with files on (TEAMS_FILES=true, supportsFiles in the package)."""
    world = await start_world(
        database_url=database_url,
        tmp_path=tmp_path,
        clock=clock,
        connector=connector,
        teams_files=True,
    )
    try:
        yield world
    finally:
        await world.close()
