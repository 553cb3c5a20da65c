"""Issue 13, point 2: no Origin check on the websocket, no Host check anywhere, and a
cross-site text/plain form could sign a browser in (login CSRF)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from bot.channels.web import auth
from tests.security.web_client import (
    DSL,
    STAFF,
    Client,
    open_chat,
    origin_of,
    serve,
    sign_in,
    web_bot,
)

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


def other_port(client: Client) -> str:
    """Another port of the same machine: the same *site*, so SameSite=Strict still sends the
    cookie, but another *origin*."""
    port = client.port
    assert port is not None
    return f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}"


async def test_the_websocket_refuses_a_page_from_another_origin(make_bot: Any) -> None:
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        for foreign in (other_port(client), "null", "http://localhost.evil.example"):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await client.ws_connect("/api/web/ws", headers={"Origin": foreign})
            assert refused.value.status == 403, foreign
        # The bot's own page (and a client that sends no Origin, which carries no browser's
        # cookie) still connects, so the refusals above are about the origin alone.
        async with client.ws_connect("/api/web/ws", headers={"Origin": origin_of(client)}) as ws:
            hello = json.loads((await ws.receive(timeout=10)).data)
            assert hello["user"]["email"] == DSL
        async with open_chat(client) as (_chat, hello, _):
            assert hello["user"]["email"] == DSL


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.nip.io", ""])
async def test_an_unknown_host_is_refused_on_every_web_route(make_bot: Any, host: str) -> None:
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        rebound = {"Host": host}
        login = await client.post("/api/web/login", json={"email": DSL}, headers=rebound)
        assert login.status == 400
        assert auth.COOKIE not in login.cookies
        await sign_in(client, DSL)
        for path in ("/", "/api/web/people", "/api/web/me", "/static/app.js"):
            assert (await client.get(path, headers=rebound)).status == 400, path
        assert (await client.get("/api/web/cases/1/chronology.csv", headers=rebound)).status == 400
        assert (await client.get("/api/audit/1/results.csv", headers=rebound)).status == 400
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/api/web/ws", headers=rebound)
        assert refused.value.status == 400
        # Health checks and the chat platforms' endpoints are not the web chat's: any Host.
        assert (await client.get("/healthz", headers=rebound)).status == 200
        assert (await client.get("/api/web/me")).status == 200


async def test_configured_public_origins_are_the_hosts_allowed(make_bot: Any) -> None:
    bot = await web_bot(make_bot, web_public_origins="https://safety.school.example")
    async with serve(bot) as client:
        allowed = {"Host": "safety.school.example"}
        assert (await client.get("/api/web/people", headers=allowed)).status == 200
        # Only those: loopback is no longer implied once origins are configured.
        assert (await client.get("/api/web/people")).status == 400
        origin = {**allowed, "Origin": "https://safety.school.example"}
        assert (await client.post("/api/web/login", json={"email": STAFF}, headers=origin)).ok
        wrong = {**allowed, "Origin": "http://safety.school.example"}  # not https
        assert (await client.post("/api/web/logout", headers=wrong)).status == 403


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_sign_in_takes_only_json(make_bot: Any, content_type: str) -> None:
    """What a cross-site <form> can send (no preflight): refused, so no login CSRF."""
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        body = json.dumps({"email": DSL})
        response = await client.post(
            "/api/web/login", data=body, headers={"Content-Type": content_type}
        )
        assert response.status == 415
        assert "JSON" in (await response.json())["error"]
        assert auth.COOKIE not in response.cookies
        assert (await client.get("/api/web/me")).status == 401


async def test_state_changing_requests_from_another_origin_are_refused(make_bot: Any) -> None:
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        foreign = {"Origin": other_port(client)}
        login = await client.post("/api/web/login", json={"email": DSL}, headers=foreign)
        assert login.status == 403
        assert auth.COOKIE not in login.cookies
        await sign_in(client, DSL)
        assert (await client.post("/api/web/logout", headers=foreign)).status == 403
        assert (await client.get("/api/web/me")).status == 200  # still signed in
        own = {"Origin": origin_of(client)}
        assert (await client.post("/api/web/logout", headers=own)).status == 200
        assert (await client.get("/api/web/me")).status == 401


async def test_an_export_fetched_by_another_site_is_refused(make_bot: Any) -> None:
    """An <img> or link on another port's page sends the cookie (same site); the browser says
    where it came from in Sec-Fetch-Site, and only the bot's own page may download."""
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        for path in ("/api/web/cases/1/chronology.csv", "/api/audit/1/results.csv"):
            response = await client.get(path, headers={"Sec-Fetch-Site": "same-site"})
            assert response.status == 403, path
            assert response.content_type == "text/plain"
            own = await client.get(path, headers={"Sec-Fetch-Site": "same-origin"})
            assert own.status == 404, path  # allowed through: there is no such case or audit
