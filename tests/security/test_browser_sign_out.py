"""Issue 13, point 3, in a real Chromium: signing out in one tab signs the other tabs out too,
and they show the sign-in with a clear word, not a dead chat (nor the conversation behind it)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.web.browser import (
    Served,
    Tab,
    expect_step,
    served,
    served_school,
    sign_in_by_clicking,
    tab,
)

__all__ = [
    "served",
    "served_school",
    "tab",
]  # the fixtures, shared with the web chat's browser tests
DSL = "a.hartley@example.org"


async def test_sign_out_in_one_tab_ends_the_other(served: Served, tab: Tab) -> None:
    await sign_in_by_clicking(tab, DSL)
    other = await tab.page.context.new_page()
    await other.goto(tab.url)  # the same browser: already signed in
    await expect(other.locator("#chat")).to_be_visible()
    await expect_step(other, "menu")

    await tab.page.click("#signout")
    await expect(tab.page.locator("#signin")).to_be_visible()

    await expect(other.locator("#signin")).to_be_visible()
    await expect(other.locator("#signin-alert")).to_contain_text("signed out")
    await expect(other.locator("#chat")).to_be_hidden()
    assert await other.locator("#log > *").count() == 0
    # And signing in again from that tab works.
    await other.locator(f'[data-email="{DSL}"]').click()
    await expect_step(other, "menu")
    assert tab.problems == []
