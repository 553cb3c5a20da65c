"""Who may call /api/messages: a request with a Bot Framework token, checked by the Agents SDK's
validator (signature against the published keys, RS256 only, expiry, audience = our app id,
issuer), or any request where TEAMS_ALLOW_ANONYMOUS is on (loopback only) and none is sent.

The SDK's own decorator answers 500 with a traceback for a token without a `kid` (alg "none",
HS256: `KeyError: 'kid'`), and 401 when the signing keys cannot be fetched. Here every way a
token can be wrong is a 401, checked before any key is looked up where the header alone shows
it (no `kid`, another algorithm); and keys that cannot be fetched are a 503, our side's
failure, which the Bot Connector retries. Neither answer says more than that, and the log has
the reason, never the token.
"""

from __future__ import annotations

import logging

import jwt
from aiohttp import web
from jwt.exceptions import PyJWKClientConnectionError
from microsoft_agents.hosting.core import AgentAuthConfiguration, ClaimsIdentity, JwtTokenValidator

log = logging.getLogger(__name__)
ALGORITHM = "RS256"  # what Bot Framework and Entra sign with, and all the SDK accepts
UNAUTHORISED = "Invalid token or authentication failed."
KEYS_UNAVAILABLE = "The token's signing keys cannot be fetched just now; try again later."


class Refused(Exception):
    """A request without a valid token; `reason` is for the log (it never quotes the token)."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status

    def response(self) -> web.Response:
        message = UNAUTHORISED if self.status == 401 else KEYS_UNAVAILABLE
        return web.json_response({"error": message}, status=self.status)


async def authenticate(request: web.Request, config: AgentAuthConfiguration) -> ClaimsIdentity:
    """The request's verified claims (empty when anonymous requests are allowed and it has no
    token); raises Refused."""
    validator = JwtTokenValidator(config)
    header = request.headers.get("Authorization")
    if header is None:
        if config.ANONYMOUS_ALLOWED:
            return validator.get_anonymous_claims()
        raise Refused("no Authorization header")
    token = _bearer(header)
    _check_header(token)
    try:
        return await validator.validate_token(token)
    except PyJWKClientConnectionError as error:
        raise Refused("the signing keys could not be fetched", 503) from error
    except Exception as error:  # whatever the validator raises, the token is not accepted
        raise Refused(f"token refused ({type(error).__name__})") from error


def _bearer(header: str) -> str:
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        raise Refused("the Authorization header is not a bearer token")
    return token


def _check_header(token: str) -> None:
    try:
        header = jwt.get_unverified_header(token)
    except Exception as error:
        raise Refused(f"not a JWT ({type(error).__name__})") from error
    if header.get("alg") != ALGORITHM:
        raise Refused("the token is not signed with RS256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Refused("the token names no signing key")
