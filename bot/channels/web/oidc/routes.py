"""The school sign-in's pages: /auth/login sends the browser to the identity provider,
/auth/callback takes its answer, /auth/step-up asks a case handler to sign in again before a
case is opened or exported.

Every answer is checked before anything is stored: the state was begun in this browser (a
cookie binds them) and is answered once; the id token is the provider's, for us, current and
carries our nonce (client.py); the account is the school's (rules.py) and in the school file;
a safeguarding role signed in with MFA. A refusal is a page saying what to do, and no session.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot.channels.web import auth
from bot.channels.web.oidc.attempts import Attempt, SignInAttempts, Taken
from bot.channels.web.oidc.client import OidcClient, SignInFailed
from bot.channels.web.oidc.rules import Identity, NotAllowed, Preset, identity_of
from bot.channels.web.sessions import SignedIn, WebSessions
from bot.school.config import Person, Role, SchoolConfig

log = logging.getLogger(__name__)
LOGIN_PATH = "/auth/login"
STEP_UP_PATH = "/auth/step-up"
CALLBACK_PATH = "/auth/callback"
# The provider's auth_time may trail our clock by this much and still count as "just now".
FRESH_SKEW = timedelta(minutes=2)

NOT_THIS_BROWSER = (
    "This sign-in was not started in this browser, or it took too long. Please start again: "
    "open the chat and choose “Sign in with your school account”."
)
USED = (
    "This sign-in link has already been used. If you are not signed in, please start again "
    "from the chat."
)
EXPIRED = "This sign-in took more than 10 minutes, so it has expired. Please start again."
PROVIDER_SAID_NO = (
    "Your school's sign-in did not finish (it said: {error}). Please try again, or ask the "
    "school's IT lead if it keeps happening."
)
COULD_NOT_CHECK = (
    "The chat could not check your sign-in with the school's identity provider. Nothing was "
    "saved. Please try again in a minute; if it keeps happening, tell the school's IT lead."
)
UNKNOWN_PERSON = (
    "You signed in as {email}, but that address is not in the school's list of staff for this "
    "chat. Nothing was saved. Please ask the DSL or the school office to add you, or sign in "
    "with the account the school knows you by."
)
MFA_NEEDED = (
    "As {role}, you must sign in with multi-factor authentication (a code, an app or a key as "
    "well as your password), and this sign-in did not use it. Nothing was saved. Please sign "
    "in again with MFA; if you are not asked for it, ask the school's IT lead to turn it on "
    "for your account."
)
NOT_SAME_PERSON = (
    "You signed in again as someone else. To open this case, sign in again as {name}; to "
    "change who is signed in, sign out first."
)
NOT_FRESH = (
    "Your school's sign-in did not ask you to sign in again, so the case cannot be opened yet. "
    "Please try again, and enter your password (and MFA) when asked."
)
SESSION_ENDED = "Your sign-in to the chat has ended. Please sign in again, then open the case."
_ROLE_WORDS = {
    Role.DSL: "the designated safeguarding lead",
    Role.DEPUTY_DSL: "a deputy safeguarding lead",
    Role.HEADTEACHER: "the headteacher",
}


class SessionHost(Protocol):
    """What the sign-in needs of the web chat: its sessions and its cookie."""

    sessions: WebSessions

    async def signed_in(self, request: web.Request, *, touch: bool = True) -> SignedIn | None: ...

    async def begin_session(
        self,
        request: web.Request,
        response: web.StreamResponse,
        person: Person,
        *,
        method: str,
        mfa: bool,
        provider_auth_time: int | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class ProviderRules:
    preset: Preset
    tenant_id: str
    hosted_domain: str
    mfa_acr: Collection[str]


class SchoolSignIn:
    def __init__(
        self,
        *,
        client: OidcClient,
        attempts: SignInAttempts,
        rules: ProviderRules,
        school: SchoolConfig,
        secret: bytes,
        secure_cookies: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.attempts = attempts
        self.rules = rules
        self.school = school
        self.secret = secret
        self.secure = secure_cookies
        self.cookie = auth.cookie_name(auth.SIGN_IN_COOKIE, secure=secure_cookies)
        self.clock = clock

    def add_routes(self, app: web.Application, host: SessionHost) -> None:
        self.host = host
        app.router.add_get(LOGIN_PATH, self.login)
        app.router.add_get(STEP_UP_PATH, self.step_up)
        app.router.add_get(CALLBACK_PATH, self.callback)
        app.on_cleanup.append(self._close)

    async def login(self, request: web.Request) -> web.StreamResponse:
        # "again" (the refusal page's link): the provider must ask afresh, or it would answer
        # at once for the same account, and the person could never sign in another way.
        again = request.query.get("again") == "1"
        return await self._begin(request, purpose="sign_in", session_id=None, fresh=again)

    async def step_up(self, request: web.Request) -> web.StreamResponse:
        signed_in = await self.host.signed_in(request, touch=False)
        if signed_in is None:
            return await self._begin(request, purpose="sign_in", session_id=None)
        return await self._begin(request, purpose="step_up", session_id=signed_in.session_id)

    async def callback(self, request: web.Request) -> web.StreamResponse:
        state = request.query.get("state", "")
        bound = request.cookies.get(self.cookie, "")
        now = self.clock().timestamp()
        if (
            not state
            or len(bound) > 400
            or auth.verify(bound, secret=self.secret, now=now) != state
        ):
            return self._refused(400, NOT_THIS_BROWSER, "state not begun in this browser")
        attempt = await self.attempts.take(state)
        if isinstance(attempt, str):
            message = {Taken.USED: USED, Taken.EXPIRED: EXPIRED}.get(attempt, NOT_THIS_BROWSER)
            return self._refused(400, message, f"state {attempt}")
        if "error" in request.query:
            error = request.query["error"][:100]
            return self._refused(400, PROVIDER_SAID_NO.format(error=error), f"provider: {error}")
        try:
            claims = await self.client.finish(
                code=request.query.get("code", ""),
                code_verifier=attempt.code_verifier,
                nonce=attempt.nonce,
            )
        except SignInFailed as failure:
            return self._refused(400, COULD_NOT_CHECK, failure.reason)
        except (TimeoutError, aiohttp.ClientError) as error:
            return self._refused(502, COULD_NOT_CHECK, f"provider unreachable: {type(error)}")
        checked = self._person_of(claims)
        if isinstance(checked, web.Response):
            return checked
        person, identity = checked
        if attempt.purpose == "step_up":
            return await self._stepped_up(attempt, person, identity, claims)
        response = _redirect(attempt.next_path)
        await self.host.begin_session(
            request,
            response,
            person,
            method="oidc",
            mfa=identity.mfa,
            provider_auth_time=_auth_time(claims),
        )
        response.del_cookie(self.cookie, path="/")
        log.info("web chat: signed in through the school's identity provider")
        return response

    async def _begin(
        self,
        request: web.Request,
        *,
        purpose: str,
        session_id: str | None,
        fresh: bool = False,
    ) -> web.StreamResponse:
        next_path = safe_next(request.query.get("next"))
        try:
            begun = await self.client.begin(fresh_login=fresh or purpose == "step_up")
        except (TimeoutError, SignInFailed, aiohttp.ClientError) as error:
            return self._refused(502, COULD_NOT_CHECK, f"discovery failed: {type(error)}")
        await self.attempts.begin(
            state=begun.state,
            nonce=begun.nonce,
            code_verifier=begun.code_verifier,
            purpose="step_up" if purpose == "step_up" else "sign_in",
            session_id=session_id,
            next_path=next_path,
        )
        response = _redirect(begun.url)
        # Lax, not Strict: the provider's answer is a navigation from another site.
        response.set_cookie(
            self.cookie,
            auth.sign(begun.state, secret=self.secret, now=self.clock().timestamp()),
            httponly=True,
            samesite="Lax",
            secure=self.secure,
            max_age=int(timedelta(minutes=15).total_seconds()),
            path="/",
        )
        return response

    def _person_of(self, claims: dict[str, Any]) -> tuple[Person, Identity] | web.Response:
        rules = self.rules
        identity = identity_of(
            claims,
            preset=rules.preset,
            tenant_id=rules.tenant_id,
            hosted_domain=rules.hosted_domain,
            mfa_acr=rules.mfa_acr,
        )
        if isinstance(identity, NotAllowed):
            return self._refused(403, identity.message, identity.reason)
        person = self.school.person(identity.email)
        if person is None:
            message = UNKNOWN_PERSON.format(email=identity.email)
            return self._refused(403, message, "account not in the school file")
        needing = [role for role in self.school.sign_in.require_mfa_for if role in person.roles]
        if needing and not identity.mfa:
            role = _ROLE_WORDS.get(needing[0], f"someone with the role {needing[0]}")
            return self._refused(403, MFA_NEEDED.format(role=role), "no MFA for a role needing it")
        return person, identity

    async def _stepped_up(
        self, attempt: Attempt, person: Person, identity: Identity, claims: dict[str, Any]
    ) -> web.StreamResponse:
        session_id = attempt.session_id or ""
        signed_in = await self.host.sessions.check(session_id, touch=False)
        if signed_in is None:
            return self._refused(401, SESSION_ENDED, "step-up of an ended session")
        if signed_in.person.email != person.email:
            message = NOT_SAME_PERSON.format(name=signed_in.person.name)
            return self._refused(403, message, "step-up by another person")
        auth_time = _auth_time(claims)
        if auth_time is None or not _fresh(auth_time, signed_in.provider_auth_time, attempt):
            return self._refused(403, NOT_FRESH, "step-up without a fresh sign-in")
        stepped_up = await self.host.sessions.stepped_up(
            session_id, mfa=identity.mfa, provider_auth_time=auth_time
        )
        if not stepped_up:
            return self._refused(401, SESSION_ENDED, "step-up of an ended session")
        log.info("web chat: a case handler signed in again (step-up)")
        return _redirect(attempt.next_path)

    def _refused(self, status: int, message: str, reason: str) -> web.Response:
        log.warning("web chat: school sign-in refused (%s)", reason)
        response = web.Response(
            status=status,
            text=refusal_page(message),
            content_type="text/html",
            charset="utf-8",
            headers=PAGE_HEADERS,
        )
        response.del_cookie(self.cookie, path="/")
        return response

    async def _close(self, _app: web.Application) -> None:
        await self.client.close()


def _auth_time(claims: dict[str, Any]) -> int | None:
    value = claims.get("auth_time")
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fresh(auth_time: int, before: int | None, attempt: Attempt) -> bool:
    """Whether the provider really asked the person again: a later sign-in time than the
    one the session holds (both the provider's clock), or, with none held, one no older than
    the step-up's start (our clock, give or take)."""
    if before is not None:
        return auth_time > before
    return auth_time >= (attempt.created_at - FRESH_SKEW).timestamp()


def safe_next(value: str | None) -> str:
    """Where to go after signing in: one of our own paths, never another site's."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if len(value) > 300 or any(ord(c) < 0x20 for c in value):
        return "/"
    return value


def step_up_location(path_qs: str) -> str:
    return f"{STEP_UP_PATH}?next={quote(path_qs, safe='/')}"


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'"
    ),
}


def refusal_page(message: str) -> str:
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Signing in - Online safety</title><link rel="stylesheet" href="/static/style.css">'
        '</head><body><main class="card signin"><h1>Signing in</h1>'
        f'<p class="notice notice--error" role="alert" id="sign-in-refused">{html.escape(message)}'
        '</p><p class="sign-in-actions">'
        f'<a class="btn btn--primary" href="{LOGIN_PATH}?again=1">Sign in again</a> '
        '<a class="btn btn--default" href="/">Back to the chat</a></p></main></body></html>'
    )
