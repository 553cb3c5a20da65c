"""Issue 13, point 3: sign-out only forgot the cookie in the browser. The old cookie kept
working for hours, and a second open tab kept receiving alerts with their full text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType
from sqlalchemy import select

from bot.channels.web import auth
from bot.delivery.messages import Notice
from storage.models import Outbox, WebSession
from tests.security.web_client import (
    DSL,
    STAFF,
    Client,
    cookie_of,
    open_chat,
    redated,
    serve,
    sign_in,
    web_bot,
)
from tests.support.alerts import file_concern
from tests.support.clock import FakeClock
from tests.support.reports import only_report

ALERT_TEXT = "A new concern: the full text of an alert."
ALERT: list[Any] = [Notice(ALERT_TEXT, "info")]


async def refused_everywhere(client: Client, cookie: str) -> None:
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({auth.COOKIE: cookie})
    assert (await client.get("/api/web/me")).status == 401
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/api/web/ws")
    assert refused.value.status == 401


async def ended(ws: aiohttp.ClientWebSocketResponse) -> None:
    """The socket says the session ended, then closes; no alert comes first."""
    message = await ws.receive(timeout=10)
    while message.type == WSMsgType.TEXT:
        frame = json.loads(message.data)
        assert frame["type"] == "ended", f"expected the end of the session, got {frame}"
        message = await ws.receive(timeout=10)
    assert message.type in {WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING}


async def test_a_signed_out_cookie_no_longer_works(make_bot: Any) -> None:
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        stolen = cookie_of(client)
        assert (await client.post("/api/web/logout")).status == 200
        await refused_everywhere(client, stolen)


async def test_sign_out_closes_the_other_tabs_and_stops_their_alerts(make_bot: Any) -> None:
    bot = await web_bot(make_bot)
    assert bot.web_chat is not None
    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (one, _, _), open_chat(client) as (two, _, _):
            assert (await client.post("/api/web/logout")).status == 200
            await ended(one.ws)
            await ended(two.ws)
            assert await bot.web_chat.push(DSL, ALERT) == 0


async def test_signing_in_again_ends_the_session_the_browser_had(make_bot: Any) -> None:
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        first = cookie_of(client)
        await sign_in(client, STAFF)
        assert cookie_of(client) != first
        await refused_everywhere(client, first)


async def test_a_revocation_in_one_process_stops_pushes_in_another(make_bot: Any) -> None:
    """Two web processes on one database: the tab is open on the second, the sign-out
    happens on the first (another tab, load-balanced elsewhere)."""
    first = await web_bot(make_bot)
    second = await web_bot(make_bot)
    assert second.web_chat is not None
    async with serve(first) as one, serve(second) as two:
        await sign_in(one, DSL)
        two.session.cookie_jar.update_cookies({auth.COOKIE: cookie_of(one)})
        async with open_chat(two) as (tab, _, _):
            assert await second.web_chat.push(DSL, ALERT) == 1
            assert (await tab.next())["items"][0]["text"] == ALERT_TEXT
            assert (await one.post("/api/web/logout")).status == 200
            assert await second.web_chat.push(DSL, ALERT) == 0
            await ended(tab.ws)


async def test_a_cookie_dated_in_the_future_is_refused(make_bot: Any, clock: FakeClock) -> None:
    bot = await web_bot(make_bot)
    assert bot.web_chat is not None
    async with serve(bot) as client:
        await sign_in(client, DSL)
        genuine = cookie_of(client)
        for issued in (clock.now.timestamp() + 86_400, 4_102_444_800):  # tomorrow, year 2100
            forged = redated(genuine, secret=bot.web_chat.secret, issued=int(issued))
            await refused_everywhere(client, forged)
        client.session.cookie_jar.update_cookies({auth.COOKIE: genuine})
        assert (await client.get("/api/web/me")).status == 200


async def test_an_idle_dsl_session_times_out(make_bot: Any, clock: FakeClock) -> None:
    bot = await web_bot(make_bot)
    assert bot.web_chat is not None
    async with serve(bot) as dsl, serve(bot) as staff:
        await sign_in(dsl, DSL)
        await sign_in(staff, STAFF)
        clock.advance(minutes=20)
        assert (await dsl.get("/api/web/me")).status == 200  # activity keeps it alive
        clock.advance(minutes=29)
        assert (await dsl.get("/api/web/me")).status == 200
        async with open_chat(dsl) as (tab, _, _):
            clock.advance(minutes=31)
            assert await bot.web_chat.push(DSL, ALERT) == 0
            await ended(tab.ws)
        assert (await dsl.get("/api/web/me")).status == 401
        # Staff have a longer idle time by default (they may be teaching, mid-report).
        assert (await staff.get("/api/web/me")).status == 200


async def test_a_quiet_tab_is_closed_when_its_session_idles_out(
    make_bot: Any, clock: FakeClock
) -> None:
    """No frame, no push: the periodic check closes it (and would after a sign-out elsewhere)."""
    bot = await web_bot(make_bot)
    assert bot.web_chat is not None
    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (tab, _, _):
            assert await bot.web_chat.sweep() == 0
            clock.advance(minutes=31)
            assert await bot.web_chat.sweep() == 1
            await ended(tab.ws)


async def test_the_idle_timeout_is_configurable(make_bot: Any, clock: FakeClock) -> None:
    bot = await web_bot(make_bot, web_idle_minutes_dsl=5, web_idle_minutes_staff=10)
    async with serve(bot) as dsl, serve(bot) as staff:
        await sign_in(dsl, DSL)
        await sign_in(staff, STAFF)
        clock.advance(minutes=6)
        assert (await dsl.get("/api/web/me")).status == 401
        assert (await staff.get("/api/web/me")).status == 200
        clock.advance(minutes=11)
        assert (await staff.get("/api/web/me")).status == 401


async def test_last_seen_is_written_at_most_once_a_minute(make_bot: Any, clock: FakeClock) -> None:
    bot = await web_bot(make_bot)

    async def last_seen() -> list[Any]:
        async with bot.router.sessions() as session:
            return list(await session.scalars(select(WebSession.last_seen_at)))

    async with serve(bot) as client:
        await sign_in(client, DSL)
        signed_in = await last_seen()
        assert len(signed_in) == 1
        async with open_chat(client) as (tab, _, _):
            for _ in range(5):
                clock.advance(seconds=5)
                await tab.action("help")
            assert await last_seen() == signed_in
            clock.advance(minutes=2)
            await tab.action("help")
            assert await last_seen() == [clock.now]


async def _dsl_alert_rows(bot: Any) -> list[Outbox]:
    async with bot.router.sessions() as session:
        rows = await session.scalars(
            select(Outbox).where(
                Outbox.recipient_email == DSL, Outbox.channel == "web", Outbox.kind == "alert"
            )
        )
        return list(rows)


async def _until(what: str, check: Callable[[], Awaitable[bool]]) -> None:
    """Wait for an event the dispatcher records (it runs after the turn), not for quiet."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not await check():
        assert loop.time() < deadline, f"still waiting for {what}"
        await asyncio.sleep(0.01)


async def test_an_alert_no_live_tab_took_is_not_recorded_as_sent(make_bot: Any) -> None:
    """Rules of trust: a push that reached no live session is no delivery. The DSL signed out
    (their tab is still connected, its session ended): the alert stays pending, with the
    reason, and reaches them once, the moment they sign in again."""
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (tab, _, _):
            assert (await client.post("/api/web/logout")).status == 200
            await ended(tab.ws)

        await file_concern(bot)

        async def tried() -> bool:
            rows = await _dsl_alert_rows(bot)
            return bool(rows) and all(row.attempts >= 1 for row in rows)

        await _until("an attempt at the DSL's alert", tried)
        (row,) = await _dsl_alert_rows(bot)
        assert (row.status, row.sent_at) == ("pending", None)
        assert row.last_error and "not signed in" in row.last_error

        await sign_in(client, DSL)
        async with open_chat(client) as (tab, _, _):
            report = await only_report(bot)
            assert report.reference and report.reference in json.dumps((await tab.push())["items"])

            async def sent() -> bool:
                return [r.status for r in await _dsl_alert_rows(bot)] == ["sent"]

            await _until("the alert recorded as sent", sent)
