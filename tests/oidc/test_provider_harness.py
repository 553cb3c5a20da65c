"""The OpenID provider the sign-in tests use is real: node-oidc-provider on loopback
(tests/support/oidc_provider.py), driven here with plain HTTP through a whole authorisation code
flow with PKCE, as the bot will drive it. Where it cannot run these tests skip, or fail with
REQUIRE_OIDC_PROVIDER=1 (as CI sets it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers
from cryptography.hazmat.primitives.hashes import SHA256

from tests.support.oidc_provider import (
    LoginForm,
    OidcProvider,
    ProviderDidNotStart,
    browserless_session,
    follow_authorize,
    running_oidc_provider,
    sign_in_at_provider,
    skip_or_fail_without_provider,
    submit_login,
)

REDIRECT_URI = "http://127.0.0.1:9/oidc/callback"  # never requested: the tests stop at it
BASIC = {
    "client_id": "bot-basic",
    "client_secret": "basic-secret-0123456789abcdef0123456789",
    "redirect_uris": [REDIRECT_URI],
}
POST = {
    "client_id": "bot-post",
    "client_secret": "post-secret-0123456789abcdef0123456789",
    "redirect_uris": [REDIRECT_URI],
    "token_endpoint_auth_method": "client_secret_post",
}
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ACCOUNTS: dict[str, dict[str, Any]] = {
    # Entra-like: the tenant, the UPN and preferred_username; signed in with MFA.
    "a.hartley": {
        "claims": {
            "email": "a.hartley@example.org",
            "name": "Alice Hartley",
            "preferred_username": "a.hartley@example.org",
            "upn": "a.hartley@example.org",
            "tid": TENANT,
        },
        "amr": ["pwd", "mfa"],
        "acr": "urn:example:mfa",
    },
    # Google-like: the Workspace domain and a verified e-mail; a password only.
    "t.brannigan": {
        "claims": {
            "email": "t.brannigan@example.org",
            "email_verified": True,
            "name": "Tom Brannigan",
            "hd": "example.org",
        },
        "amr": ["pwd"],
        "acr": None,
    },
}


@pytest.fixture
async def provider() -> AsyncIterator[OidcProvider]:
    skip_or_fail_without_provider()
    async with running_oidc_provider(clients=[BASIC, POST], accounts=ACCOUNTS) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with browserless_session() as session:
        yield session


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Request:
    """One authorisation request's secrets: state, nonce and the PKCE verifier."""

    def __init__(self, client: dict[str, Any], **extra: str) -> None:
        self.client = client
        self.state = secrets.token_urlsafe(16)
        self.nonce = secrets.token_urlsafe(16)
        self.verifier = secrets.token_urlsafe(48)
        self.extra = extra

    def url(self, meta: dict[str, Any]) -> str:
        challenge = b64url(hashlib.sha256(self.verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": self.client["client_id"],
            "redirect_uri": REDIRECT_URI,
            "scope": "openid email profile",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **self.extra,
        }
        return f"{meta['authorization_endpoint']}?{urlencode(query)}"


async def discovery(http: aiohttp.ClientSession, provider: OidcProvider) -> dict[str, Any]:
    async with http.get(provider.discovery_url) as answer:
        assert answer.status == 200
        meta: dict[str, Any] = await answer.json()
    return meta


def callback_code(redirect: str, request: Request, provider: OidcProvider) -> str:
    parts = urlsplit(redirect)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI
    query = parse_qs(parts.query)
    assert query["state"] == [request.state]
    assert query["iss"] == [provider.issuer]
    return query["code"][0]


async def token_request(
    http: aiohttp.ClientSession,
    meta: dict[str, Any],
    request: Request,
    code: str,
    verifier: str,
) -> tuple[int, dict[str, Any]]:
    client = request.client
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    form["code_verifier"] = verifier
    headers = {}
    if client.get("token_endpoint_auth_method") == "client_secret_post":
        form |= {"client_id": client["client_id"], "client_secret": client["client_secret"]}
    else:  # RFC 6749 2.3.1: each form-encoded, then HTTP Basic
        pair = f"{quote_plus(client['client_id'])}:{quote_plus(client['client_secret'])}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    async with http.post(meta["token_endpoint"], data=form, headers=headers) as answer:
        return answer.status, await answer.json()


async def verified_claims(
    http: aiohttp.ClientSession, meta: dict[str, Any], id_token: str
) -> dict[str, Any]:
    """The ID token's claims, once its RS256 signature is checked with the provider's JWKS."""
    header_b64, payload_b64, signature_b64 = id_token.split(".")
    header = json.loads(unb64url(header_b64))
    assert header["alg"] == "RS256"
    async with http.get(meta["jwks_uri"]) as answer:
        keys = (await answer.json())["keys"]
    (jwk,) = [k for k in keys if k["kid"] == header["kid"]]
    assert jwk["kty"] == "RSA"
    assert "d" not in jwk  # the public half only
    public_key = RSAPublicNumbers(
        int.from_bytes(unb64url(jwk["e"])), int.from_bytes(unb64url(jwk["n"]))
    ).public_key()
    signed = f"{header_b64}.{payload_b64}".encode()
    public_key.verify(unb64url(signature_b64), signed, PKCS1v15(), SHA256())
    claims: dict[str, Any] = json.loads(unb64url(payload_b64))
    return claims


async def signed_in(
    http: aiohttp.ClientSession, provider: OidcProvider, client: dict[str, Any], login: str
) -> tuple[Request, dict[str, Any]]:
    """A whole code flow as `login`: the request's secrets and the verified ID token's claims."""
    meta = await discovery(http, provider)
    request = Request(client)
    redirect = await sign_in_at_provider(http, request.url(meta), login)
    status, tokens = await token_request(
        http, meta, request, callback_code(redirect, request, provider), request.verifier
    )
    assert status == 200, tokens
    assert tokens["token_type"].lower() == "bearer"
    return request, await verified_claims(http, meta, tokens["id_token"])


async def test_the_discovery_document_offers_the_code_flow_with_pkce_s256(
    provider: OidcProvider, http: aiohttp.ClientSession
) -> None:
    meta = await discovery(http, provider)
    assert meta["issuer"] == provider.issuer
    assert provider.issuer.startswith("http://127.0.0.1:")
    assert "S256" in meta["code_challenge_methods_supported"]
    assert meta["response_types_supported"] == ["code"]
    assert "RS256" in meta["id_token_signing_alg_values_supported"]
    assert {"client_secret_basic", "client_secret_post"} <= set(
        meta["token_endpoint_auth_methods_supported"]
    )
    assert {"openid", "email", "profile"} <= set(meta["scopes_supported"])


async def test_an_entra_like_sign_in_with_mfa_gives_a_signed_id_token_with_its_claims(
    provider: OidcProvider, http: aiohttp.ClientSession
) -> None:
    request, claims = await signed_in(http, provider, BASIC, "a.hartley")

    assert claims["iss"] == provider.issuer
    assert claims["aud"] == BASIC["client_id"]
    assert claims["sub"] == "a.hartley"
    assert claims["nonce"] == request.nonce
    assert claims["iat"] - 60 <= claims["auth_time"] <= claims["iat"]
    assert claims["amr"] == ["pwd", "mfa"]
    assert claims["acr"] == "urn:example:mfa"
    assert claims["tid"] == TENANT
    assert claims["email"] == "a.hartley@example.org"
    assert claims["upn"] == claims["preferred_username"] == "a.hartley@example.org"
    assert claims["name"] == "Alice Hartley"
    assert "hd" not in claims


async def test_a_google_like_sign_in_with_client_secret_post_carries_hd_and_email_verified(
    provider: OidcProvider, http: aiohttp.ClientSession
) -> None:
    request, claims = await signed_in(http, provider, POST, "t.brannigan")

    assert claims["aud"] == POST["client_id"]
    assert claims["nonce"] == request.nonce
    assert claims["hd"] == "example.org"
    assert claims["email"] == "t.brannigan@example.org"
    assert claims["email_verified"] is True
    assert claims["amr"] == ["pwd"]
    assert "acr" not in claims
    assert "tid" not in claims
    assert isinstance(claims["auth_time"], int)


async def test_a_token_request_with_the_wrong_pkce_verifier_is_refused(
    provider: OidcProvider, http: aiohttp.ClientSession
) -> None:
    meta = await discovery(http, provider)
    request = Request(BASIC)
    redirect = await sign_in_at_provider(http, request.url(meta), "a.hartley")
    code = callback_code(redirect, request, provider)

    status, answer = await token_request(http, meta, request, code, secrets.token_urlsafe(48))

    assert status == 400
    assert answer["error"] == "invalid_grant"
    assert "id_token" not in answer


async def test_an_authorisation_request_without_pkce_is_refused(
    provider: OidcProvider, http: aiohttp.ClientSession
) -> None:
    meta = await discovery(http, provider)
    request = Request(BASIC)
    url = request.url(meta)
    without = urlsplit(url)._replace(
        query=urlencode(
            {
                k: v[0]
                for k, v in parse_qs(urlsplit(url).query).items()
                if not k.startswith("code_challenge")
            }
        )
    )

    redirect = await follow_authorize(http, without.geturl())

    assert isinstance(redirect, str), "no login form for a request without PKCE"
    query = parse_qs(urlsplit(redirect).query)
    assert query["error"] == ["invalid_request"]
    assert query["state"] == [request.state]


@pytest.mark.parametrize("force", [{"prompt": "login"}, {"max_age": "0"}])
async def test_a_login_is_asked_again_with_prompt_login_or_max_age_0_despite_a_session(
    provider: OidcProvider, http: aiohttp.ClientSession, force: dict[str, str]
) -> None:
    meta = await discovery(http, provider)
    await sign_in_at_provider(http, Request(BASIC).url(meta), "a.hartley")
    again = Request(BASIC)
    assert isinstance(await follow_authorize(http, again.url(meta)), str), (
        "the provider's session lets a second request through without a login"
    )

    forced = Request(BASIC, **force)
    page = await follow_authorize(http, forced.url(meta))

    assert isinstance(page, LoginForm)
    assert page.error is None
    redirect = await submit_login(http, page, "t.brannigan")
    assert isinstance(redirect, str)
    status, tokens = await token_request(
        http, meta, forced, callback_code(redirect, forced, provider), forced.verifier
    )
    assert status == 200, tokens
    assert (await verified_claims(http, meta, tokens["id_token"]))["sub"] == "t.brannigan"


async def test_an_unknown_login_shows_the_form_again_with_an_error(
    provider: OidcProvider, http: aiohttp.ClientSession
) -> None:
    meta = await discovery(http, provider)
    request = Request(BASIC)
    page = await follow_authorize(http, request.url(meta))
    assert isinstance(page, LoginForm)
    assert 'name="login"' in page.html
    assert ">Sign in</button>" in page.html

    refused = await submit_login(http, page, "nobody")

    assert isinstance(refused, LoginForm)
    assert refused.error == "Unknown account"
    redirect = await submit_login(http, refused, "t.brannigan")
    assert isinstance(redirect, str)
    assert callback_code(redirect, request, provider)


async def test_the_id_token_lifetime_is_the_one_given(http: aiohttp.ClientSession) -> None:
    skip_or_fail_without_provider()
    async with running_oidc_provider(
        clients=[BASIC], accounts=ACCOUNTS, id_token_ttl_seconds=120
    ) as short:
        _, claims = await signed_in(http, short, BASIC, "t.brannigan")

    assert claims["exp"] - claims["iat"] == 120


async def test_a_provider_that_cannot_start_says_why() -> None:
    skip_or_fail_without_provider()
    broken = {**BASIC, "redirect_uris": ["not a url"]}

    with pytest.raises(ProviderDidNotStart, match="redirect_uris"):
        async with running_oidc_provider(clients=[broken], accounts=ACCOUNTS):
            pass
