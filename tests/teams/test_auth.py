"""With TEAMS_APP_ID set, /api/messages takes only requests with a valid Bot Framework token.

The SDK's JWT validation does the checking. Its signing keys are served here from loopback
(tests/teams/tokens.py), so the signature check is real and no test reaches the internet."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import pytest
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import JwtTokenValidator
from sqlalchemy import func, select

from bot.settings import Settings
from storage.models import ChannelAddress, InboundMessage, Report
from tests.support.clock import FakeClock
from tests.teams.conftest import start_world
from tests.teams.connector import FakeBotConnector
from tests.teams.tokens import STRANGER_KEY, serving_keys, signed_settings, token
from tests.teams.world import APP_ID, STAFF, TeamsWorld

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


@pytest.fixture
async def signing_keys() -> AsyncIterator[None]:
    async with serving_keys():
        yield


@pytest.fixture
async def signed_world(
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    connector: tuple[FakeBotConnector, str],
    signing_keys: None,
) -> AsyncIterator[TeamsWorld]:
    world = await start_world(
        database_url=database_url,
        tmp_path=tmp_path,
        clock=clock,
        connector=connector,
        **signed_settings(),
    )
    try:
        yield world
    finally:
        await world.close()


async def nothing_changed(world: TeamsWorld) -> None:
    assert world.connector.sent == [] and world.connector.lookups == []
    async with world.bot.router.sessions() as session:
        for table in (Report, ChannelAddress, InboundMessage):
            assert await session.scalar(select(func.count()).select_from(table)) == 0


async def test_requests_without_a_valid_token_get_401_and_change_nothing(signed_world):
    world = signed_world
    refused = {
        "no token": {},
        "not a JWT": {"Authorization": "Bearer not.a.jwt"},
        "not bearer": {"Authorization": f"Basic {token()}"},
        "signed by someone else": {"Authorization": f"Bearer {token(STRANGER_KEY)}"},
        "for another app": {"Authorization": f"Bearer {token(aud='another-app-id')}"},
        "expired": {"Authorization": f"Bearer {token(exp=int(time.time()) - 3600)}"},
        # correctly signed and addressed to us, but not from the Bot Framework or our tenant
        "another issuer": {"Authorization": f"Bearer {token(iss='https://evil.example/')}"},
    }
    for case, headers in refused.items():
        response = await world.say(STAFF, "report", **headers)
        assert response.status == 401, case
    await nothing_changed(world)


async def test_the_same_check_accepts_a_valid_token(signed_world):
    """The control for the test above: the validator the route uses accepts our good token, so
    the refusals were for what was wrong with each, not for everything."""
    assert signed_world.bot.teams is not None
    validator = JwtTokenValidator(signed_world.bot.teams.config)
    claims = await validator.validate_token(token())
    assert claims.claims["aud"] == APP_ID
    with pytest.raises(jwt.PyJWTError):
        await validator.validate_token(token(STRANGER_KEY))


async def test_the_guard_covers_api_messages_only(signed_world):
    response = await signed_world.client.get("/healthz")
    assert response.status == 200
    response = await signed_world.client.get("/")  # the web chat is not behind Teams' check
    assert response.status == 200


def test_anonymous_teams_is_refused_off_loopback() -> None:
    exposed = Settings(teams_allow_anonymous=True, host="0.0.0.0")  # noqa: S104
    assert exposed.teams_problem() is not None and not exposed.teams_enabled
    local = Settings(teams_allow_anonymous=True, host="127.0.0.1")
    assert local.teams_problem() is None and local.teams_enabled
    half = Settings(teams_app_id=APP_ID)
    assert "TEAMS_APP_PASSWORD" in (half.teams_problem() or "") and not half.teams_enabled
