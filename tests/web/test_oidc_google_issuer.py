"""Google's id tokens carry `iss` "https://accounts.google.com" or, for legacy implementations,
"accounts.google.com" (developers.google.com/identity/openid-connect/reference, "Discovery
Document": "The modern value is https://accounts.google.com; however, accounts.google.com is
also returned for legacy implementations"). The Google preset takes both and nothing else.

The provider here is a loopback server publishing a discovery document with the fields Google's
reference lists and a JWKS; its tokens are signed with joserfc like any provider's. (The node
provider of the other sign-in tests cannot issue another `iss` than its own.)"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from joserfc import jwt
from joserfc.jwk import RSAKey

from bot.channels.web.oidc.client import OidcClient, SignInFailed
from bot.channels.web.oidc.setup import LEGACY_GOOGLE_ISSUERS

ISSUER = "https://accounts.google.com"
CLIENT_ID = "1234.apps.googleusercontent.com"
KEY = RSAKey.generate_key(2048, parameters={"kid": "google-1", "use": "sig", "alg": "RS256"})


@pytest.fixture
async def google_like() -> AsyncIterator[str]:
    """Serves /.well-known/openid-configuration (Google's documented fields) and the JWKS."""
    app = web.Application()
    server = TestServer(app)

    async def discovery(_request: web.Request) -> web.Response:
        base = str(server.make_url("")).rstrip("/")
        return web.json_response(
            {
                "issuer": ISSUER,
                "authorization_endpoint": f"{base}/o/oauth2/v2/auth",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/oauth2/v3/certs",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["plain", "S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ],
            }
        )

    async def certs(_request: web.Request) -> web.Response:
        return web.json_response({"keys": [KEY.as_dict(private=False)]})

    app.router.add_get("/.well-known/openid-configuration", discovery)
    app.router.add_get("/oauth2/v3/certs", certs)
    async with server:
        yield str(server.make_url("")).rstrip("/")


def client_for(base: str) -> OidcClient:
    client = OidcClient(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret="secret",
        redirect_uri="https://safety.school.example/auth/callback",
        clock=lambda: datetime.now(UTC),
        also_issued_as=LEGACY_GOOGLE_ISSUERS,
    )
    # The discovery document's own address is the issuer's; here it is served on loopback.
    client.discovery_url = f"{base}/.well-known/openid-configuration"
    return client


def token(iss: str) -> str:
    now = int(time.time())
    claims = {
        "iss": iss,
        "aud": CLIENT_ID,
        "sub": "110169484474386276334",
        "iat": now,
        "exp": now + 3600,
        "nonce": "n-1",
        "email": "t.brannigan@example.org",
        "email_verified": True,
        "hd": "example.org",
    }
    return jwt.encode({"alg": "RS256", "kid": "google-1"}, claims, KEY)


@pytest.mark.parametrize("iss", ["https://accounts.google.com", "accounts.google.com"])
async def test_both_of_googles_issuer_values_are_taken(google_like: str, iss: str) -> None:
    client = client_for(google_like)
    try:
        claims = await client.verify(token(iss), nonce="n-1")
        assert claims["iss"] == iss and claims["hd"] == "example.org"
    finally:
        await client.close()


@pytest.mark.parametrize("iss", ["https://accounts.google.com.evil.example", "google.com", ""])
async def test_any_other_issuer_is_refused(google_like: str, iss: str) -> None:
    client = client_for(google_like)
    try:
        with pytest.raises(SignInFailed):
            await client.verify(token(iss), nonce="n-1")
    finally:
        await client.close()
