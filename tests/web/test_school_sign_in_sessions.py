"""After the school sign-in (issue 19): a case handler signs in again before a case is exported
once the step-up time has passed (only as themselves, and only if the provider really asked
again); sign-out ends the server session and closes every open tab; behind https the cookies
are __Host- and Secure, and PUBLIC_URL is the only Host the chat answers on."""

from __future__ import annotations

import asyncio
import html
import time
from typing import Any

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.channels.web import auth
from bot.channels.web.handler import CLOSE_ENDED
from bot.channels.web.oidc import routes
from bot.channels.web.step_up import SIGN_IN_AGAIN_FIRST
from bot.server import create_app
from storage.models import Event, WebSession
from tests.alerts.test_export import handled_case, press
from tests.support.clock import FakeClock, RealTimeClock
from tests.support.oidc_provider import sign_in_at_provider
from tests.support.reports import count
from tests.web.chat import open_chat
from tests.web.school_sign_in import (
    CLIENT_ID,
    CLIENT_SECRET,
    DSL,
    ENTRA_ACCOUNTS,
    TENANT,
    SignInBot,
    answer,
    begin,
    query_of,
    school_sign_in_bot,
    sign_in,
)


@pytest.fixture
def clock() -> FakeClock:
    return RealTimeClock()


async def signed_in_dsl(it: SignInBot) -> None:
    done = await sign_in(it.client, "dsl-mfa")
    assert done.status == 303, await done.text()


async def next_second(after: int | None) -> None:
    """Wait (for the real clock, which the provider reads) until its whole second has moved
    past `after`: a later sign-in then carries a later auth_time."""
    # A wait on the clock itself, not a guess at how long something takes.
    while after is not None and time.time() < after + 1:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def session_row(it: SignInBot) -> WebSession:
    """The newest web session."""
    async with it.bot.router.sessions() as session:
        rows = list(await session.scalars(select(WebSession).order_by(WebSession.created_at)))
    return rows[-1]


async def test_a_case_export_asks_the_dsl_to_sign_in_again_after_ten_minutes(
    make_bot: Any, clock: FakeClock
) -> None:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        case = await handled_case(it.bot, done_at="now")
        export = f"/api/web/cases/{case}/chronology.csv"
        await signed_in_dsl(it)
        fresh = await it.client.get(export, allow_redirects=False)
        assert fresh.status == 200 and fresh.content_type == "text/csv"

        clock.advance(minutes=11)
        asked = await it.client.get(export, allow_redirects=False)
        assert asked.status == 303
        step_up = asked.headers["Location"]
        assert step_up == f"/auth/step-up?next=/api/web/cases/{case}/chronology.csv"
        assert not (await asked.read())  # nothing of the case

        await next_second((await session_row(it)).provider_auth_time)
        authorize = await begin(it.client, step_up)
        assert query_of(authorize)["prompt"] == "login" and query_of(authorize)["max_age"] == "0"
        # The provider has a session, and still asks: prompt=login.
        back = await sign_in_at_provider(it.client.session, authorize, "dsl-mfa")
        done = await answer(it.client, back)
        assert done.status == 303 and done.headers["Location"] == export
        again = await it.client.get(export, allow_redirects=False)
        assert again.status == 200 and again.content_type == "text/csv"
        # Still one session: the step-up moved it on, it did not start another.
        assert await count(it.bot, WebSession) == 1


async def viewed(bot: Any) -> int:
    return await count(bot, Event, Event.kind == "viewed")


async def test_a_case_view_in_the_chat_asks_the_dsl_to_sign_in_again_first(
    make_bot: Any, clock: FakeClock
) -> None:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        case = await handled_case(it.bot, done_at="now")
        await signed_in_dsl(it)
        async with open_chat(it.client) as (chat, _, _):
            shown = await press(chat, f"case:view:{case}")
            assert [i["kind"] for i in shown] == ["card", "card"]  # the case, its chronology
            before = await viewed(it.bot)
            clock.advance(minutes=11)
            for opening in (f"case:view:{case}", f"case:export:{case}"):
                asked = await press(chat, opening)
                assert [i["kind"] for i in asked] == ["notice"], asked
                assert asked[0]["text"] == SIGN_IN_AGAIN_FIRST
                assert asked[0]["link"] == {"url": "/auth/step-up?next=/", "label": "Sign in again"}
            assert await viewed(it.bot) == before  # nothing was shown, so nothing recorded

            await next_second((await session_row(it)).provider_auth_time)
            authorize = await begin(it.client, "/auth/step-up?next=/")
            back = await sign_in_at_provider(it.client.session, authorize, "dsl-mfa")
            assert (await answer(it.client, back)).headers["Location"] == "/"
            # The same tab, the same session: the case opens now.
            shown = await press(chat, f"case:view:{case}")
            assert [i["kind"] for i in shown] == ["card", "card"]
            assert await viewed(it.bot) == before + 1


async def test_the_step_up_must_be_the_same_person(make_bot: Any, clock: FakeClock) -> None:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        case = await handled_case(it.bot, done_at="now")
        export = f"/api/web/cases/{case}/chronology.html"
        await signed_in_dsl(it)
        clock.advance(minutes=11)
        step_up = (await it.client.get(export, allow_redirects=False)).headers["Location"]
        authorize = await begin(it.client, step_up)
        back = await sign_in_at_provider(it.client.session, authorize, "deputy-mfa")
        refused = await answer(it.client, back)
        assert refused.status == 403
        assert "signed in again as someone else" in await refused.text()
        still = await it.client.get(export, allow_redirects=False)
        assert still.status == 303  # not opened


async def test_a_step_up_the_provider_did_not_really_ask_is_refused(
    make_bot: Any, clock: FakeClock
) -> None:
    """A provider that ignores prompt=login answers with the old sign-in's auth_time."""
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        case = await handled_case(it.bot, done_at="now")
        await signed_in_dsl(it)
        clock.advance(minutes=11)
        row = await session_row(it)
        # The real provider does ask again; what a provider that did not would send (an
        # auth_time no later than the session's) is made by moving the session's on instead.
        async with it.bot.router.sessions() as session, session.begin():
            stored = await session.get(WebSession, row.id)
            assert stored is not None and stored.provider_auth_time is not None
            stored.provider_auth_time += 3600
        export = f"/api/web/cases/{case}/chronology.csv"
        step_up = (await it.client.get(export, allow_redirects=False)).headers["Location"]
        authorize = await begin(it.client, step_up)
        back = await sign_in_at_provider(it.client.session, authorize, "dsl-mfa")
        refused = await answer(it.client, back)
        assert refused.status == 403
        assert html.escape(routes.NOT_FRESH) in await refused.text()
        assert (await it.client.get(export, allow_redirects=False)).status == 303


async def test_staff_are_not_asked_to_step_up(make_bot: Any, clock: FakeClock) -> None:
    """Only the case handlers see cases; staff signed in long ago are not sent round again."""
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        case = await handled_case(it.bot, done_at="now")
        assert (await sign_in(it.client, "staff")).status == 303
        clock.advance(minutes=11)
        refused = await it.client.get(f"/api/web/cases/{case}/chronology.csv")
        assert refused.status == 403  # not theirs to see, and no step-up first


async def test_sign_out_ends_the_session_and_closes_every_tab(make_bot: Any) -> None:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        await signed_in_dsl(it)
        async with (
            open_chat(it.client) as (first, hello, _),
            open_chat(it.client) as (second, _, _),
        ):
            assert hello["user"]["email"] == DSL
            assert (await it.client.post("/api/web/logout")).status == 200
            for tab in (first, second):
                ended = await tab.next()
                assert ended["type"] == "ended"
                closing = await tab.ws.receive(timeout=30)
                assert closing.type == WSMsgType.CLOSE and closing.data == CLOSE_ENDED
        row = await session_row(it)
        assert row.revoked_at is not None
        assert (await it.client.get("/api/web/me")).status == 401


def _set_cookies(headers: Any) -> list[str]:
    return list(headers.getall("Set-Cookie", []))


async def test_behind_https_the_cookies_are_host_prefixed_and_secure(make_bot: Any) -> None:
    bot = await make_bot(public_url="https://safety.example.org", web_demo_login=True)
    public = {"Host": "safety.example.org", "Origin": "https://safety.example.org"}
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        signed = await client.post("/api/web/login", json={"email": DSL}, headers=public)
        assert signed.status == 200, await signed.text()
        [cookie] = _set_cookies(signed.headers)
        assert cookie.startswith(f"__Host-{auth.COOKIE}=")
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "path", "samesite"} <= attributes
        assert "domain" not in attributes and "Path=/" in cookie and "SameSite=Strict" in cookie
        # Another Host (DNS rebinding, or the bare address) is refused on the chat's routes.
        elsewhere = await client.get("/api/web/people", headers={"Host": "evil.example"})
        assert elsewhere.status == 400


async def test_behind_https_the_sign_in_binding_cookie_is_host_prefixed(make_bot: Any) -> None:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        plain = await it.client.get("/auth/login", allow_redirects=False)
        [cookie] = _set_cookies(plain.headers)
        assert cookie.startswith(f"{auth.SIGN_IN_COOKIE}=") and "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # http on loopback: a Secure cookie would never return
    await _https_binding(make_bot)


async def _https_binding(make_bot: Any) -> None:
    """With an https PUBLIC_URL and a provider that cannot be reached: a clear page."""
    bot = await make_bot(
        public_url="https://safety.example.org",
        oidc_preset="entra",
        oidc_issuer="http://127.0.0.1:9",  # nothing listens: the sign-in says so, clearly
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_tenant_id=TENANT,
    )
    headers = {"Host": "safety.example.org"}
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        unreachable = await client.get("/auth/login", headers=headers, allow_redirects=False)
        assert unreachable.status == 502
        assert "could not check your sign-in" in await unreachable.text()
        assert await count(bot, WebSession) == 0


async def test_a_demo_session_is_never_asked_to_step_up(make_bot: Any, clock: FakeClock) -> None:
    """Loopback demo sign-ins (make run) have no provider to go back to."""
    bot = await make_bot()
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        case = await handled_case(bot, done_at="now")
        assert (await client.post("/api/web/login", json={"email": DSL})).status == 200
        clock.advance(minutes=11)
        response = await client.get(f"/api/web/cases/{case}/chronology.csv")
        assert response.status == 200
