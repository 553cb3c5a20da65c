"""Signing in to the web chat with the school's own accounts (issue 19), against a real OpenID
provider on loopback (node-oidc-provider) holding Entra-like and Google-like accounts: who gets
in, who is refused and why, and that a refusal leaves no session behind."""

from __future__ import annotations

import html
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.web import auth
from bot.channels.web.oidc import routes
from storage.models import WebSession, WebSignIn
from tests.conftest import example_config_with
from tests.support.clock import FakeClock, RealTimeClock
from tests.support.oidc_provider import sign_in_at_provider
from tests.support.reports import count
from tests.web.school_sign_in import (
    DSL,
    ENTRA_ACCOUNTS,
    GOOGLE_ACCOUNTS,
    STAFF,
    Client,
    answer,
    begin,
    query_of,
    school_sign_in_bot,
    sign_in,
    with_query,
)


@pytest.fixture
def clock() -> FakeClock:
    """The provider signs with the real time: the bot's clock follows it, moved on by the test."""
    return RealTimeClock()


async def signed_in_as(client: Client) -> str | None:
    body = await (await client.get("/api/web/session")).json()
    return body["user"]["email"] if body["signed_in"] else None


async def sessions_of(bot: Any) -> list[WebSession]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(WebSession).order_by(WebSession.created_at)))


def refusal_text(page: str) -> str:
    """The refusal's words as the page shows them (the page escapes them)."""
    return html.unescape(page.split('id="sign-in-refused">', 1)[1].split("</p>", 1)[0])


@pytest.mark.parametrize("login", ["staff", "staff-upn"])
async def test_entra_staff_sign_in_through_the_whole_code_flow(make_bot: Any, login: str) -> None:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        authorize = await begin(it.client)
        asked = query_of(authorize)
        assert authorize.startswith(f"{it.provider.issuer}/")
        assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
        assert asked["state"] and asked["nonce"] and asked["state"] != asked["nonce"]
        assert asked["redirect_uri"] == f"{it.origin}/auth/callback"
        assert set(asked["scope"].split()) == {"openid", "email", "profile"}
        back = await sign_in_at_provider(it.client.session, authorize, login)
        done = await answer(it.client, back)
        assert done.status == 303 and done.headers["Location"] == "/"
        assert await signed_in_as(it.client) == STAFF
        [row] = await sessions_of(it.bot)
        assert (row.email, row.method, row.mfa) == (STAFF, "oidc", False)
        # The sign-in's state was used up, and its binding cookie cleared.
        async with it.bot.router.sessions() as session:
            [attempt] = list(await session.scalars(select(WebSignIn)))
        assert attempt.used_at is not None
        assert done.cookies[auth.SIGN_IN_COOKIE].value == ""


@pytest.mark.parametrize(
    ("preset", "login", "words"),
    [
        ("entra", "other-tenant", "does not belong to the school's Microsoft 365"),
        ("entra", "stranger", "not in the school's list of staff"),
        ("google", "other-domain", "not one of the school's"),
        ("google", "personal", "not one of the school's"),
        ("google", "unverified", "has not verified this account's e-mail"),
        ("entra", "dsl-password-only", "multi-factor authentication"),
    ],
)
async def test_accounts_the_school_does_not_know_are_refused_and_nothing_is_stored(
    make_bot: Any, preset: str, login: str, words: str
) -> None:
    accounts = ENTRA_ACCOUNTS if preset == "entra" else GOOGLE_ACCOUNTS
    async with school_sign_in_bot(make_bot, preset=preset, accounts=accounts) as it:
        refused = await sign_in(it.client, login)
        page = await refused.text()
        assert refused.status == 403, page
        assert words in refusal_text(page)
        assert "Nothing was saved" in page or "school account" in page
        assert auth.COOKIE not in refused.cookies
        assert await signed_in_as(it.client) is None
        assert await count(it.bot, WebSession) == 0


async def test_the_unknown_address_is_named_back_escaped(make_bot: Any) -> None:
    accounts = {"odd": {"claims": {"email": "<b>x</b>@example.org", "tid": "t"}, "amr": None}}
    async with school_sign_in_bot(make_bot, preset="generic", accounts=accounts) as it:
        refused = await sign_in(it.client, "odd")
        page = await refused.text()
        # A generic provider must say the e-mail is verified; this one did not.
        assert refused.status == 403 and "<b>" not in page


async def test_google_workspace_staff_sign_in(make_bot: Any) -> None:
    async with school_sign_in_bot(make_bot, preset="google", accounts=GOOGLE_ACCOUNTS) as it:
        done = await sign_in(it.client, "staff")
        assert done.status == 303, await done.text()
        assert await signed_in_as(it.client) == STAFF


async def test_the_dsl_must_use_mfa_and_with_it_gets_in(make_bot: Any) -> None:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        refused = await sign_in(it.client, "dsl-password-only")
        assert refused.status == 403
        assert "designated safeguarding lead" in refusal_text(await refused.text())
        assert await count(it.bot, WebSession) == 0
        # The page's "Sign in again" asks the provider to ask afresh (it has a session).
        done = await sign_in(it.client, "dsl-mfa", path="/auth/login?again=1")
        assert done.status == 303, await done.text()
        assert await signed_in_as(it.client) == DSL
        [row] = await sessions_of(it.bot)
        assert (row.email, row.mfa) == (DSL, True)


@pytest.mark.parametrize(("listed", "allowed"), [("c1", True), ("c2,c3", False), ("", False)])
async def test_an_authentication_context_the_school_lists_counts_as_mfa(
    make_bot: Any, listed: str, allowed: bool
) -> None:
    async with school_sign_in_bot(
        make_bot, preset="entra", accounts=ENTRA_ACCOUNTS, oidc_mfa_acr=listed
    ) as it:
        answered = await sign_in(it.client, "dsl-context")
        assert answered.status == (303 if allowed else 403), await answered.text()
        assert await signed_in_as(it.client) == (DSL if allowed else None)


async def test_a_school_may_ask_mfa_of_nobody(make_bot: Any, tmp_path: Any) -> None:
    school = example_config_with(tmp_path, sign_in={"require_mfa_for": []})
    async with school_sign_in_bot(
        make_bot, preset="entra", accounts=ENTRA_ACCOUNTS, school_config=school
    ) as it:
        done = await sign_in(it.client, "dsl-password-only")
        assert done.status == 303, await done.text()
        assert await signed_in_as(it.client) == DSL


async def test_a_replayed_answer_is_refused(make_bot: Any) -> None:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        authorize = await begin(it.client)
        back = await sign_in_at_provider(it.client.session, authorize, "staff")
        assert (await answer(it.client, back)).status == 303
        # The same answer again (the cookie binding it put back, as an attacker holding both
        # would): the state has been used.
        it.client.session.cookie_jar.update_cookies(
            {auth.SIGN_IN_COOKIE: _binding(it, query_of(back)["state"])}
        )
        again = await answer(it.client, back)
        assert again.status == 400
        assert "already been used" in refusal_text(await again.text())
        assert await count(it.bot, WebSession) == 1


async def test_an_answer_brought_to_another_browser_is_refused(make_bot: Any) -> None:
    """Login CSRF: an attacker's own answer, planted in the victim's browser, must not sign the
    victim in as the attacker."""
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        authorize = await begin(it.client)
        back = await sign_in_at_provider(it.client.session, authorize, "staff")
        it.client.session.cookie_jar.clear(lambda c: c.key == auth.SIGN_IN_COOKIE)
        refused = await answer(it.client, back)
        assert refused.status == 400
        assert "not started in this browser" in refusal_text(await refused.text())
        assert await count(it.bot, WebSession) == 0


async def test_a_wrong_nonce_is_refused(make_bot: Any) -> None:
    """The authorisation request altered on its way (another nonce): the id token the provider
    signs carries that nonce, not the one this sign-in began with."""
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        authorize = with_query(await begin(it.client), nonce="a-nonce-the-bot-never-made")
        back = await sign_in_at_provider(it.client.session, authorize, "staff")
        refused = await answer(it.client, back)
        assert refused.status == 400
        assert refusal_text(await refused.text()) == routes.COULD_NOT_CHECK
        assert await count(it.bot, WebSession) == 0


async def test_an_expired_id_token_is_refused(make_bot: Any, clock: FakeClock) -> None:
    async with school_sign_in_bot(
        make_bot, preset="entra", accounts=ENTRA_ACCOUNTS, id_token_ttl_seconds=60
    ) as it:
        back = await sign_in_at_provider(it.client.session, await begin(it.client), "staff")
        # Five minutes on (the sign-in itself is good for ten): the token lived for one, and
        # the two minutes' leeway for clocks does not cover it.
        clock.advance(minutes=5)
        refused = await answer(it.client, back)
        assert refused.status == 400
        assert refusal_text(await refused.text()) == routes.COULD_NOT_CHECK
        assert await count(it.bot, WebSession) == 0


async def test_a_sign_in_left_too_long_expires(make_bot: Any, clock: FakeClock) -> None:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        back = await sign_in_at_provider(it.client.session, await begin(it.client), "staff")
        clock.advance(minutes=11)
        refused = await answer(it.client, back)
        assert refused.status == 400
        assert "expired" in refusal_text(await refused.text())


async def test_the_provider_saying_no_is_shown_and_nothing_stored(make_bot: Any) -> None:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        authorize = await begin(it.client)
        state = query_of(authorize)["state"]
        denied = f"{it.origin}/auth/callback?error=access_denied&state={state}"
        refused = await answer(it.client, denied)
        assert refused.status == 400
        assert "access_denied" in refusal_text(await refused.text())
        assert await count(it.bot, WebSession) == 0


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/x", "/\\evil"])
async def test_the_page_after_signing_in_is_always_our_own(make_bot: Any, next_path: str) -> None:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        done = await sign_in(it.client, "staff", path=f"/auth/login?next={next_path}")
        assert done.status == 303 and done.headers["Location"] == "/"


async def test_the_page_offers_the_school_sign_in_and_no_demo(make_bot: Any) -> None:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        people = await (await it.client.get("/api/web/people")).json()
        assert people["school_sign_in"] == {"url": "/auth/login"}
        assert people["login_allowed"] is False and people["people"] == []
        demo = await it.client.post("/api/web/login", json={"email": DSL})
        assert demo.status == 403


def _binding(it: Any, state: str) -> str:
    secret = it.bot.web_chat.secret
    return auth.sign(state, secret=secret, now=it.bot.router.clock().timestamp())
