"""The school sign-in in a real Chromium, against a real OpenID provider on loopback: a member
of staff opens the chat, signs in with their school account at the provider's own page, comes
back signed in and starts a report; a DSL without MFA reads why they were refused, at 360 px."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from bot.settings import PROJECT_ROOT
from tests.support.clock import FakeClock, RealTimeClock
from tests.web.browser import WAIT_MS, click, expect_step
from tests.web.school_sign_in import ENTRA_ACCOUNTS, STAFF, SignInBot, school_sign_in_bot
from tests.web.test_browser_alerts import browser

SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "web-school-sign-in-360.png"
REFUSED_SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "web-school-sign-in-refused-360.png"
__all__ = ["browser"]  # the fixture, shared with the alert browser tests


@pytest.fixture
def clock() -> FakeClock:
    """The provider signs with the real time: the bot's clock follows it, moved on by the test."""
    return RealTimeClock()


@pytest.fixture
async def signing_in(make_bot: Any) -> AsyncIterator[SignInBot]:
    async with school_sign_in_bot(make_bot, preset="entra", accounts=ENTRA_ACCOUNTS) as it:
        yield it


@pytest.fixture
async def phone(browser: Browser, signing_in: SignInBot) -> AsyncIterator[Page]:
    """A phone-sized tab, closed before the bot stops (an open socket would hold it up)."""
    context = await browser.new_context(viewport={"width": 360, "height": 740})
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    await context.close()


async def at_the_provider(page: Page, it: SignInBot, login: str) -> None:
    """From the chat's sign-in screen to the provider's login form, and through it."""
    await page.goto(f"{it.origin}/")
    button = page.get_by_role("link", name="Sign in with your school account")
    await expect(button).to_be_visible()
    await expect(page.locator("#people li")).to_have_count(0)  # no demo list of names
    await expect(page.locator("#signin-local-only")).to_be_hidden()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    await button.click()
    await page.wait_for_url(f"{it.provider.issuer}/**")
    await page.fill("#login", login)
    await page.get_by_role("button", name="Sign in").click()


async def test_staff_sign_in_with_their_school_account_and_report(
    phone: Page, signing_in: SignInBot
) -> None:
    page = phone
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    await at_the_provider(page, signing_in, "staff")
    await page.wait_for_url(f"{signing_in.origin}/")
    await expect(page.locator("#chat")).to_be_visible()
    await expect(page.locator("#user-name")).to_have_text("Tom Brannigan")
    await click(page, "menu", "start:concern")
    await expect_step(page, "immediate_danger")
    assert problems == []
    # Signed in on the server, as the provider said, and nowhere else.
    body = await page.evaluate("fetch('/api/web/session').then(r => r.json())")
    assert body["signed_in"] is True and body["user"]["email"] == STAFF


async def test_a_dsl_without_mfa_reads_why_at_360_px(phone: Page, signing_in: SignInBot) -> None:
    page = phone
    await at_the_provider(page, signing_in, "dsl-password-only")
    refused = page.locator("#sign-in-refused")
    await expect(refused).to_contain_text("multi-factor authentication")
    await expect(refused).to_contain_text("designated safeguarding lead")
    again = page.get_by_role("link", name="Sign in again")
    await expect(again).to_be_visible()
    box = await again.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 360
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # nothing wider than the phone
    await page.screenshot(path=str(REFUSED_SCREENSHOT), full_page=True)
    # "Sign in again" asks the provider afresh: this time with MFA, and the DSL is in.
    await again.click()
    await page.wait_for_url(f"{signing_in.provider.issuer}/**")
    await page.fill("#login", "dsl-mfa")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{signing_in.origin}/")
    await expect(page.locator("#chat")).to_be_visible()
    await expect_step(page, "menu")
