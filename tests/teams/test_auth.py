"""With TEAMS_APP_ID set, /api/messages takes only requests with a valid Bot Framework token.

The SDK's JWT validation does the checking. Its signing keys are served here from loopback, in
the JWKS shape login.botframework.com publishes, so the signature check is real and no test
reaches the internet."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWKClient
from jwt.algorithms import RSAAlgorithm
from microsoft_agents.hosting.core.authorization import AuthenticationConstants
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import (
    JwtTokenValidator,
    _JwkClientCacheEntry,
)
from sqlalchemy import func, select

from bot.settings import Settings
from storage.models import ChannelAddress, InboundMessage, Report
from tests.support.clock import FakeClock
from tests.teams.conftest import start_world
from tests.teams.connector import TENANT, FakeBotConnector
from tests.teams.world import APP_ID, STAFF, TeamsWorld

ISSUER = "https://api.botframework.com"
KID = "test-key-1"
OUR_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
STRANGER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def token(key: rsa.RSAPrivateKey = OUR_KEY, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": APP_ID, "iat": now, "nbf": now, "exp": now + 600, **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": KID})


@pytest.fixture
async def signing_keys() -> AsyncIterator[None]:
    """Bot Framework's key set, from loopback: the SDK is given a key client for its address."""
    public = json.loads(RSAAlgorithm.to_jwk(OUR_KEY.public_key()))
    keys = {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}

    async def serve(_request: web.Request) -> web.Response:
        return web.json_response(keys)

    app = web.Application()
    app.router.add_get("/v1/.well-known/keys", serve)
    server = TestServer(app)
    await server.start_server()
    cache = JwtTokenValidator._jwk_client_manager._cache
    # Bot Framework's keys, and our tenant's (where the SDK looks for any other issuer's).
    urls = (
        AuthenticationConstants.PUBLIC_ABS_JWKS_URL,
        f"https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys",
    )
    for url in urls:
        client = PyJWKClient(str(server.make_url("/v1/.well-known/keys")))
        cache[url] = _JwkClientCacheEntry(client, threading.Lock())
    try:
        yield
    finally:
        for url in urls:
            cache.pop(url, None)
        await server.close()


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
        teams_allow_anonymous=False,
        teams_app_id=APP_ID,
        teams_app_password="not-a-real-secret",
        teams_tenant_id=TENANT,
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
