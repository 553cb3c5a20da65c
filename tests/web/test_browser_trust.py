"""A trust's deployment in a real Chromium: someone on the staff of two schools is asked which
school, chooses with a click, is told which school they are talking to, and carries on with
that school's menu, whose buttons say their school."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from bot.settings import Settings
from tests.support.clock import FakeClock
from tests.web.browser import (
    Served,
    Tab,
    expect_step,
    newest,
    serving,
    sign_in_by_clicking,
    tab,
)
from tests.web.test_trust_deployment import BOTH, write_trust

__all__ = ["tab"]  # the fixture, over this module's `served`


@pytest.fixture
async def served(sqlite_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Served]:
    """The trust's deployment (two schools) on 127.0.0.1, on a fresh SQLite database."""
    folder = tmp_path / "config"
    folder.mkdir()
    settings = Settings(
        data_dir=tmp_path / "data", database_url=sqlite_url, trust_config=write_trust(folder)
    )
    async with serving(settings, clock) as found:
        yield found


async def test_someone_of_two_schools_chooses_one_with_a_click(
    served: Served, tab: Tab, tmp_path: Path
) -> None:
    page = tab.page
    await page.goto(tab.url)
    # The sign-in lists everyone of both schools, once each.
    await expect(page.locator(f'[data-email="{BOTH}"]')).to_have_count(1)
    await sign_in_by_clicking(tab, BOTH)

    question = newest(page)
    await expect(question).to_contain_text("Which school is this for?")
    buttons = question.locator("[data-value]")
    await expect(buttons).to_have_text(["Oakfield", "Riverside"])
    await page.screenshot(path=str(tmp_path / "which-school.png"))

    await question.locator('[data-value="__school:riverside"]').click()
    await expect(page.locator("#log")).to_contain_text("You are now talking to Riverside")
    await expect_step(page, "menu")
    concern = newest(page).locator('[data-value="@riverside|start:concern"]')
    await expect(concern).to_be_enabled()
    await concern.click()
    await expect_step(page, "immediate_danger")
    await page.screenshot(path=str(tmp_path / "riverside-concern.png"))
    assert tab.problems == [] and tab.dialogs == []
