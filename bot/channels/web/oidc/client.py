"""The OpenID Connect client of the web chat's school sign-in: the authorisation code flow with
PKCE, state and nonce (OpenID Connect Core 1.0 §3.1; RFC 7636).

Nothing here checks a token by hand: the state, nonce and PKCE values and the authorisation
URL come from Authlib, and the id token's signature and claims (iss, aud, exp, iat, nonce) are
checked by joserfc (Authlib's JOSE library) against the provider's published keys. What a
school's own provider must also say (its tenant, its domain, MFA) is in rules.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

import aiohttp
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import ClaimsOption

log = logging.getLogger(__name__)
SCOPES = "openid email profile"
# The id token's times may disagree with this server's clock by this much.
LEEWAY_SECONDS = 120
_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
_TIMEOUT = aiohttp.ClientTimeout(total=15)


class SignInFailed(Exception):
    """The provider's answer cannot be trusted: `reason` is for the log, never shown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Begun:
    """What one sign-in must be answered with, and where to send the browser."""

    state: str
    nonce: str
    code_verifier: str
    url: str


class OidcClient:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        clock: Callable[[], datetime],
        also_issued_as: tuple[str, ...] = (),
    ) -> None:
        self.issuer = issuer
        # Other `iss` values the provider documents for its id tokens (Google: the legacy
        # "accounts.google.com" beside https://accounts.google.com).
        self.issued_as = (issuer, *also_issued_as)
        self.discovery_url = f"{issuer}/.well-known/openid-configuration"
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.clock = clock
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def begin(self, *, fresh_login: bool = False) -> Begun:
        """A new state, nonce and PKCE verifier, and the provider's URL asking for a code.
        `fresh_login` (a step-up) asks the provider to make the person sign in again."""
        metadata = await self.metadata()
        state, nonce, verifier = generate_token(40), generate_token(40), generate_token(64)
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": SCOPES,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if fresh_login:
            # max_age=0: any sign-in older than now will not do (Google ignores prompt=login).
            params |= {"prompt": "login", "max_age": "0"}
        url = add_params_to_uri(metadata["authorization_endpoint"], list(params.items()))
        return Begun(state=state, nonce=nonce, code_verifier=verifier, url=url)

    async def finish(self, *, code: str, code_verifier: str, nonce: str) -> dict[str, Any]:
        """Redeem the code (with the PKCE verifier) and return the id token's checked claims."""
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": code_verifier,
        }
        headers: dict[str, str] = {}
        methods = metadata.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        if "client_secret_basic" in methods:
            # RFC 6749 §2.3.1: each part form-encoded before the two are joined and encoded.
            user, password = quote_plus(self.client_id), quote_plus(self.client_secret)
            headers["Authorization"] = aiohttp.encode_basic_auth(user, password)
        else:
            form |= {"client_id": self.client_id, "client_secret": self.client_secret}
        async with (await self._session()).post(
            metadata["token_endpoint"], data=form, headers=headers
        ) as response:
            body = await _json(response)
        if response.status != 200 or not isinstance(body.get("id_token"), str):
            raise SignInFailed(f"token endpoint answered {response.status} {body.get('error')}")
        return await self.verify(body["id_token"], nonce=nonce)

    async def verify(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The id token's claims, if it is signed by the provider and meant for us, now."""
        try:
            token = jwt.decode(id_token, await self.keys(), algorithms=_ALGORITHMS)
        except JoseError as error:
            if self._keys is None or not _unknown_key(error):
                raise SignInFailed(f"id token signature: {error.error}") from error
            self._keys = None  # the provider rolled its keys: fetch them once more
            try:
                token = jwt.decode(id_token, await self.keys(), algorithms=_ALGORITHMS)
            except JoseError as again:
                raise SignInFailed(f"id token signature: {again.error}") from again
        required: ClaimsOption = {"essential": True}
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self.clock().timestamp()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "values": list(self.issued_as)},
            aud={"essential": True, "value": self.client_id},
            nonce={"essential": True, "value": nonce},
            exp=required,
            iat=required,
            sub=required,
        )
        try:
            registry.validate(token.claims)
        except JoseError as error:
            raise SignInFailed(f"id token claims: {error.error} {error.description}") from error
        audiences = token.claims["aud"]
        several = isinstance(audiences, list) and len(audiences) > 1
        if several and token.claims.get("azp") != self.client_id:  # Core §3.1.3.7, point 5
            raise SignInFailed("id token for several audiences, azp not ours")
        return dict(token.claims)

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, fetched once (its issuer must be ours)."""
        if self._metadata is None:
            url = self.discovery_url
            async with (await self._session()).get(url) as response:
                document = await _json(response)
            if response.status != 200 or document.get("issuer") != self.issuer:
                raise SignInFailed(f"discovery at {url} answered {response.status}")
            self._metadata = document
        return self._metadata

    async def keys(self) -> KeySet:
        if self._keys is None:
            metadata = await self.metadata()
            async with (await self._session()).get(metadata["jwks_uri"]) as response:
                document = await _json(response)
            try:
                self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError) as error:
                raise SignInFailed("the provider's keys could not be read") from error
        return self._keys

    async def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=_TIMEOUT)
        return self._http


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return {}
    return body if isinstance(body, dict) else {}


def _unknown_key(error: JoseError) -> bool:
    return error.error in {"invalid_key_id", "missing_key"}
