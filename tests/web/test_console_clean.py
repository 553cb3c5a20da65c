"""A normal sign-in leaves Chromium's console clean.

Chromium logs every fetch answered 4xx as a console error, so the page's question "is anyone
signed in?" is answered 200 either way (`/api/web/session`); the API's own routes still answer
401 to a visitor who has not signed in.
"""

from __future__ import annotations

import pytest
from playwright.async_api import ConsoleMessage, expect

from tests.conftest import BotFactory
from tests.web.browser import (
    STAFF,
    Tab,
    click,
    expect_step,
    served,
    served_school,
    sign_in_by_clicking,
    tab,
)
from tests.web.chat import serve, sign_in

__all__ = ["served", "served_school", "tab"]  # the fixtures (tests/web/browser.py)


async def test_a_normal_sign_in_and_first_question_log_no_console_error(tab: Tab) -> None:
    page = tab.page
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    await sign_in_by_clicking(tab)
    await click(page, "menu", "start:concern")
    await expect_step(page, "immediate_danger")
    await expect(page.locator("#user-name")).to_have_text("Tom Brannigan")
    assert errors == []


async def test_a_reload_while_signed_in_opens_the_chat_without_a_console_error(tab: Tab) -> None:
    page = tab.page
    await sign_in_by_clicking(tab)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.reload()
    await expect(page.locator("#chat")).to_be_visible()
    await expect_step(page, "menu")
    assert errors == []


@pytest.mark.one_database
async def test_the_session_probe_answers_200_and_the_api_still_answers_401(
    make_bot: BotFactory,
) -> None:
    async with serve(await make_bot()) as client:
        probe = await client.get("/api/web/session")
        assert probe.status == 200
        assert await probe.json() == {"signed_in": False}
        assert probe.headers["Cache-Control"] == "no-store"
        assert (await client.get("/api/web/me")).status == 401
        assert (await client.get("/api/web/ws")).status == 401

        await sign_in(client)
        probe = await client.get("/api/web/session")
        assert probe.status == 200
        assert await probe.json() == {
            "signed_in": True,
            "user": {"email": STAFF, "name": "Tom Brannigan", "roles": ["staff"]},
        }

        assert (await client.post("/api/web/logout")).status == 200
        assert await (await client.get("/api/web/session")).json() == {"signed_in": False}
        assert (await client.get("/api/web/me")).status == 401
