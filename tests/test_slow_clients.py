"""Slow clients (slowloris): a connection that starts a request and never finishes its headers
is closed after HTTP_HEADER_TIMEOUT_SECONDS, however it trickles, while other clients are
served meanwhile. Over loopback with raw sockets, against the server the bot really builds.

The setting is shortened to one second here; the only clock in these tests is a generous
guard (GUARD) that keeps a server that never closes from hanging the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.server import create_app
from bot.settings import Settings
from tests.conftest import BotFactory
from tests.web.chat import open_chat, serve, sign_in, step_of

pytestmark = pytest.mark.one_database  # the HTTP server, not the storage

GUARD = 20.0  # seconds: far longer than the one-second setting, far shorter than aiohttp's own
SLOW_CLIENTS = 20
HALF_SENT = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@contextlib.asynccontextmanager
async def serving(make_bot: BotFactory, **overrides: float) -> AsyncIterator[tuple[str, int]]:
    """The bot's own application on a free loopback port, as `make run` serves it."""
    bot = await make_bot(**overrides)
    runner = web.AppRunner(create_app(bot, run_scheduler=False))
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield host, port
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def connection(
    host: str, port: int
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A raw TCP connection to the server, closed on our side at the end whatever happened."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sent until it closed the connection (EOF, or a reset)."""
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := await reader.read(4096):
            received += chunk
    return received


async def healthz(host: str, port: int) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://{host}:{port}/healthz") as response,
    ):
        return response.status


async def test_requests_whose_headers_never_finish_are_closed(make_bot: BotFactory) -> None:
    async with (
        serving(make_bot, http_header_timeout_seconds=1) as (host, port),
        contextlib.AsyncExitStack() as stack,
    ):
        closing = []
        for _ in range(SLOW_CLIENTS):
            reader, writer = await stack.enter_async_context(connection(host, port))
            writer.write(HALF_SENT)
            await writer.drain()
            closing.append(asyncio.create_task(closed_by_server(reader)))

        # Meanwhile another client is served as usual.
        assert await healthz(host, port) == 200

        received = await asyncio.wait_for(asyncio.gather(*closing), GUARD)
        # Closed without an answer: there was no request to answer.
        assert received == [b""] * SLOW_CLIENTS


async def test_trickling_bytes_does_not_keep_the_connection_open(make_bot: BotFactory) -> None:
    """The timeout counts from the start of the request, not from its last byte."""
    async with (
        serving(make_bot, http_header_timeout_seconds=1) as (host, port),
        connection(host, port) as (reader, writer),
    ):
        closing = asyncio.create_task(closed_by_server(reader))

        async def trickle() -> None:
            with contextlib.suppress(ConnectionError):
                for byte in HALF_SENT + b"a" * 10_000:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.1)  # the slow client's pace, not a wait for a result

        trickling = asyncio.create_task(trickle())
        try:
            assert await asyncio.wait_for(closing, GUARD) == b""
        finally:
            trickling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await trickling


async def test_a_connection_that_sends_nothing_is_closed(make_bot: BotFactory) -> None:
    async with (
        serving(make_bot, http_header_timeout_seconds=1) as (host, port),
        connection(host, port) as (reader, _writer),
    ):
        assert await asyncio.wait_for(closed_by_server(reader), GUARD) == b""


async def test_whole_requests_on_a_kept_alive_connection_are_answered(
    make_bot: BotFactory,
) -> None:
    """The timeout ends half-sent requests only: whole ones are answered as before, one after
    another on the same connection."""
    async with (
        serving(make_bot, http_header_timeout_seconds=1) as (host, port),
        connection(host, port) as (reader, writer),
    ):
        for _ in range(2):
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), GUARD)
            assert head.startswith(b"HTTP/1.1 200")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            assert b'"ok"' in await reader.readexactly(length)


async def test_an_open_web_chat_tab_outlives_the_timeout(make_bot: BotFactory) -> None:
    """A websocket is a request being answered: the timer never closes it. A half-sent request
    opened after the tab, and closed, shows the tab's own timer has run out too."""
    bot = await make_bot(http_header_timeout_seconds=1)
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (chat, _hello, _menu):
            async with connection(client.host, client.port) as (reader, writer):
                writer.write(HALF_SENT)
                await writer.drain()
                assert await asyncio.wait_for(closed_by_server(reader), GUARD) == b""
            answer = await chat.action("start:concern")
            assert step_of(answer) == "immediate_danger"


def test_the_default_header_timeout_is_fifteen_seconds() -> None:
    assert Settings.model_fields["http_header_timeout_seconds"].default == 15
