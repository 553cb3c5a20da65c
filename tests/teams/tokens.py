"""Bot Framework tokens for tests: an RSA key of ours, its key set served from loopback in the
JWKS shape login.botframework.com publishes, and the SDK's key client pointed there, so the
signature check is real and no test reaches the internet."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
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

from tests.teams.connector import TENANT
from tests.teams.world import APP_ID

ISSUER = "https://api.botframework.com"
KID = "test-key-1"
OUR_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
STRANGER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
# Bot Framework's keys, and our tenant's (where the SDK looks for any other issuer's).
KEY_SET_URLS = (
    AuthenticationConstants.PUBLIC_ABS_JWKS_URL,
    f"https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys",
)


def token(key: rsa.RSAPrivateKey = OUR_KEY, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": APP_ID, "iat": now, "nbf": now, "exp": now + 600, **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": KID})


def signed_settings() -> dict[str, Any]:
    """Teams with authentication on: an app id, a password and our tenant."""
    return {
        "teams_allow_anonymous": False,
        "teams_app_id": APP_ID,
        "teams_app_password": "not-a-real-secret",
        "teams_tenant_id": TENANT,
    }


@contextlib.contextmanager
def key_sets_at(url: str) -> Any:
    """The SDK's key client for Bot Framework's and our tenant's key sets, fetching from `url`."""
    cache = JwtTokenValidator._jwk_client_manager._cache
    for known in KEY_SET_URLS:
        cache[known] = _JwkClientCacheEntry(PyJWKClient(url), threading.Lock())
    try:
        yield
    finally:
        for known in KEY_SET_URLS:
            cache.pop(known, None)


@contextlib.asynccontextmanager
async def serving_keys() -> AsyncIterator[None]:
    """Our public key, as Bot Framework's key set, served from loopback."""
    public = json.loads(RSAAlgorithm.to_jwk(OUR_KEY.public_key()))
    keys = {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}

    async def serve(_request: web.Request) -> web.Response:
        return web.json_response(keys)

    app = web.Application()
    app.router.add_get("/v1/.well-known/keys", serve)
    server = TestServer(app)
    await server.start_server()
    try:
        with key_sets_at(str(server.make_url("/v1/.well-known/keys"))):
            yield
    finally:
        await server.close()
