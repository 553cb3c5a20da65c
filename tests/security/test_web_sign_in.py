"""Issue 13, point 1: the demo sign-in trusted any request from loopback, so a reverse proxy on
the same machine (the set-up the docs show for Slack and Teams) made it public."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.channels.web import auth
from bot.settings import Settings
from tests.security.web_client import DSL, open_chat, serve, web_bot

FORWARDED = {
    "Forwarded": "for=203.0.113.77;proto=https",
    "X-Forwarded-For": "203.0.113.77",
    "X-Forwarded-Host": "safety.school.example",
    "X-Real-IP": "203.0.113.77",
}


@pytest.mark.parametrize("header", sorted(FORWARDED))
@pytest.mark.parametrize("remote_allowed", [False, True])
async def test_a_request_through_a_proxy_cannot_sign_in(
    make_bot: Any, header: str, remote_allowed: bool
) -> None:
    bot = await web_bot(make_bot, web_demo_login_remote=remote_allowed)
    proxied = {header: FORWARDED[header]}
    async with serve(bot) as client:
        refused = await client.post("/api/web/login", json={"email": DSL}, headers=proxied)
        assert refused.status == 403
        assert "proxy" in (await refused.json())["error"]
        assert auth.COOKIE not in refused.cookies
        assert (await client.get("/api/web/me")).status == 401
        people = await (await client.get("/api/web/people", headers=proxied)).json()
        assert people["login_allowed"] is False
        assert people["people"] == []
        # The same request straight from this computer still signs in: the refusal is the header.
        assert (await client.post("/api/web/login", json={"email": DSL})).status == 200
        async with open_chat(client) as (chat, hello, _):
            assert hello["user"]["email"] == DSL
            assert (await chat.text("cases"))["type"] == "messages"


TEAMS_ON = {"teams_allow_anonymous": True, "host": "127.0.0.1"}
SLACK_ON = {"slack_bot_token": "xoxb-test", "slack_signing_secret": "s" * 32}


@pytest.mark.parametrize("platform", [TEAMS_ON, SLACK_ON], ids=["teams", "slack"])
async def test_the_demo_sign_in_is_off_when_a_chat_platform_is_configured(
    make_bot: Any, platform: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    bot = await web_bot(make_bot, **platform)
    caplog.set_level(logging.INFO)
    async with serve(bot) as client:
        refused = await client.post("/api/web/login", json={"email": DSL})
        assert refused.status == 403
        assert "switched off" in (await refused.json())["error"]
        assert auth.COOKIE not in refused.cookies
        people = await (await client.get("/api/web/people")).json()
        assert people["login_allowed"] is False
    said = [r.getMessage() for r in caplog.records if "demo sign-in" in r.getMessage()]
    assert said and "off" in said[0] and ("Slack" in said[0] or "Teams" in said[0]), said


async def test_the_demo_sign_in_can_be_switched_on_deliberately(
    make_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await web_bot(make_bot, web_demo_login=True, **TEAMS_ON)
    caplog.set_level(logging.INFO)
    async with serve(bot) as client:
        assert (await client.post("/api/web/login", json={"email": DSL})).status == 200
    said = [r for r in caplog.records if "demo sign-in" in r.getMessage()]
    assert said and said[0].levelno == logging.WARNING and "WEB_DEMO_LOGIN" in said[0].getMessage()


async def test_the_start_says_the_demo_sign_in_is_on_and_why(
    make_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await web_bot(make_bot)
    caplog.set_level(logging.INFO)
    async with serve(bot) as client:
        assert (await client.post("/api/web/login", json={"email": DSL})).status == 200
    said = [r.getMessage() for r in caplog.records if "demo sign-in" in r.getMessage()]
    assert said and "on" in said[0] and "neither Slack, Teams nor the school sign-in" in said[0]


def test_the_setting_defaults() -> None:
    assert Settings().web_demo_login_enabled is True
    assert Settings(**TEAMS_ON).web_demo_login_enabled is False
    assert Settings(**SLACK_ON).web_demo_login_enabled is False
    assert Settings(web_demo_login=True, **SLACK_ON).web_demo_login_enabled is True
    assert Settings(web_demo_login=False).web_demo_login_enabled is False
