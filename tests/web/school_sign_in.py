"""The web chat set up to sign staff in through a real OpenID provider (node-oidc-provider on
loopback, tests/support/oidc_provider.py), configured with Entra-like or Google-like accounts,
and the steps a browser takes through the code flow, done over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot
from bot.server import create_app
from tests.support.net import free_port
from tests.support.oidc_provider import (
    OidcProvider,
    running_oidc_provider,
    sign_in_at_provider,
    skip_or_fail_without_provider,
)

Client = TestClient[web.Request, web.Application]
TENANT = "6f0c2b1e-3d4a-4c5b-9e8f-7a6b5c4d3e2f"
OTHER_TENANT = "11111111-2222-4333-8444-555555555555"
DOMAIN = "example.org"
CLIENT_ID = "online-safety-bot"
CLIENT_SECRET = "a-long-client-secret-for-the-tests-only"
STAFF = "t.brannigan@example.org"
DSL = "a.hartley@example.org"
DEPUTY = "d.osei@example.org"
PASSWORD = ["pwd"]
WITH_MFA = ["pwd", "mfa"]


def entra(email_claim: str, email: str, *, tid: str = TENANT, amr: list[str] = PASSWORD) -> Any:
    """An Entra-like account: a tenant id, and the e-mail under the claim Entra uses."""
    return {"claims": {email_claim: email, "name": email, "tid": tid}, "amr": amr}


def google(email: str, *, hd: str | None = DOMAIN, verified: bool = True, amr: Any = None) -> Any:
    """A Google-like account: the Workspace domain (hd) and whether the e-mail is verified."""
    claims: dict[str, Any] = {"email": email, "email_verified": verified, "name": email}
    if hd is not None:
        claims["hd"] = hd
    return {"claims": claims, "amr": amr}


ENTRA_ACCOUNTS = {
    "staff": entra("preferred_username", STAFF),
    "staff-upn": entra("upn", STAFF),
    "other-tenant": entra("email", STAFF, tid=OTHER_TENANT),
    "stranger": entra("email", "visitor@example.org"),
    "dsl-password-only": entra("email", DSL),
    "dsl-mfa": entra("email", DSL, amr=WITH_MFA),
    "deputy-mfa": entra("email", DEPUTY, amr=WITH_MFA),
    # MFA said by an authentication context class (Entra's Conditional Access context c1).
    "dsl-context": {"claims": {"email": DSL, "tid": TENANT}, "amr": PASSWORD, "acr": "c1"},
}
GOOGLE_ACCOUNTS = {
    "staff": google(STAFF),
    "other-domain": google(STAFF, hd="elsewhere.example"),
    "personal": google(STAFF, hd=None),
    "unverified": google(STAFF, verified=False),
}


@dataclass
class SignInBot:
    bot: Bot
    client: Client
    provider: OidcProvider

    @property
    def origin(self) -> str:
        return str(self.client.make_url("/")).rstrip("/")


@asynccontextmanager
async def school_sign_in_bot(
    make_bot: Any,
    *,
    preset: str,
    accounts: Mapping[str, Any],
    id_token_ttl_seconds: int | None = None,
    **settings: Any,
) -> AsyncIterator[SignInBot]:
    """The bot on a known loopback port (the provider must know its redirect URI first), its
    sign-in pointed at a provider holding `accounts`."""
    skip_or_fail_without_provider()
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    client_config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{public_url}/auth/callback"],
    }
    async with running_oidc_provider(
        clients=[client_config], accounts=accounts, id_token_ttl_seconds=id_token_ttl_seconds
    ) as provider:
        bot = await make_bot(
            public_url=public_url,
            oidc_preset=preset,
            oidc_issuer=provider.issuer,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET,
            oidc_tenant_id=TENANT,
            oidc_hosted_domain=DOMAIN,
            **settings,
        )
        app = create_app(bot, run_scheduler=False)
        async with TestClient(TestServer(app, host="127.0.0.1", port=port)) as client:
            yield SignInBot(bot, client, provider)


async def begin(client: Client, path: str = "/auth/login") -> str:
    """Ask the bot to start a sign-in; the provider's authorisation URL it sends us to."""
    started = await client.get(path, allow_redirects=False)
    assert started.status == 303, await started.text()
    return started.headers["Location"]


async def answer(client: Client, callback_url: str) -> ClientResponse:
    """Bring the provider's answer back to the bot, as the browser's redirect would."""
    return await client.session.get(callback_url, allow_redirects=False)


async def sign_in(client: Client, login: str, path: str = "/auth/login") -> ClientResponse:
    """The whole code flow: the bot, the provider's login form, back to the bot."""
    authorize = await begin(client, path)
    back = await sign_in_at_provider(client.session, authorize, login)
    return await answer(client, back)


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))
