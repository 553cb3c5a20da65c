"""The web chat in a real Chromium (Playwright): the bot served, a tab open on it, and what a
person does there (click an option, type an answer, sign in) and sees (the step asked)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import ConsoleMessage, Dialog, Locator, Page, async_playwright, expect

from bot.app import Bot, build_bot, prepare_storage
from bot.server import create_app
from bot.settings import PROJECT_ROOT, Settings
from tests.support.clock import FakeClock
from tests.support.walk import Answer, step_of_token

# How long a browser step may wait for what it expects (a page load, a question, a click's
# effect): generous, since a loaded 2-core machine can take seconds; a wait, never a measure,
# so a passing run is no slower for it.
WAIT_MS = 30_000
expect.set_options(timeout=WAIT_MS)

EXAMPLE_CONFIG = PROJECT_ROOT / "config" / "school.example.yaml"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
STAFF = "t.brannigan@example.org"


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


REFERENCE = re.compile(r"OS-2026-\d{5}")


def chromium_path() -> str:
    """CHROMIUM names the browser to use; otherwise Debian's, found on the PATH."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        found = configured if Path(configured).exists() else None
    else:
        found = shutil.which("chromium") or shutil.which("chromium-browser")
        if found is None and Path("/usr/bin/chromium").exists():
            found = "/usr/bin/chromium"
    if found is None:
        message = "Chromium not found: install it (apt-get install chromium) to run browser tests"
        if os.environ.get("REQUIRE_BROWSER", "") not in {"", "0", "false"}:
            pytest.fail(message)
        pytest.skip(message)
    return found


@dataclass
class Served:
    bot: Bot
    url: str


@dataclass
class Tab:
    """A page, and everything it did that a test should know about."""

    page: Page
    url: str
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@pytest.fixture
def served_school() -> Path:
    """The school config `served` runs with (a test module may override this fixture)."""
    return EXAMPLE_CONFIG


@pytest.fixture
async def served(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, served_school: Path
) -> AsyncIterator[Served]:
    """The real application on 127.0.0.1 (a free port), on a fresh SQLite database."""
    settings = Settings(
        data_dir=tmp_path / "data", database_url=sqlite_url, school_config=served_school
    )
    async with serving(settings, clock) as found:
        yield found


@asynccontextmanager
async def serving(settings: Settings, clock: FakeClock) -> AsyncIterator[Served]:
    """The bot of `settings` served on 127.0.0.1 (a free port), its storage made ready."""
    bot = build_bot(settings, clock=clock)
    await prepare_storage(bot)
    runner = web.AppRunner(create_app(bot, run_scheduler=False))
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield Served(bot, f"http://{host}:{port}/")
    finally:
        await runner.cleanup()
        await bot.engine.dispose()


@pytest.fixture
async def tab(served: Served) -> AsyncIterator[Tab]:
    executable = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 900, "height": 1000})
            page = await context.new_page()
            page.set_default_timeout(WAIT_MS)
            found = Tab(page, served.url)

            async def on_dialog(dialog: Dialog) -> None:
                found.dialogs.append(dialog.message)
                await dialog.dismiss()

            def on_console(message: ConsoleMessage) -> None:
                # CSP violations and failed loads land here: none is expected, not even the
                # page asking whether anyone is signed in before anyone is.
                if message.type == "error":
                    found.problems.append(f"{message.text} ({message.location.get('url')})")

            page.on("dialog", on_dialog)
            page.on("console", on_console)
            page.on("pageerror", lambda error: found.problems.append(str(error)))
            yield found
            await context.close()
        finally:
            await browser.close()


def newest(page: Page) -> Locator:
    """The question or summary that can be answered now (older ones are frozen)."""
    return page.locator("#log [data-interactive]").last


async def expect_step(page: Page, step: str) -> None:
    if step == "summary":
        await expect(newest(page)).to_have_attribute("data-kind", "summary")
    elif step == "menu":
        await expect(newest(page)).to_have_attribute("data-input", "menu")
    else:
        await expect(newest(page)).to_have_attribute("data-step-id", step)


async def click(page: Page, step: str, value: str) -> None:
    """Press a button of the newest question, once it is the one asking `step`."""
    await expect_step(page, step)
    await newest(page).locator(f'[data-value="{value}"]:enabled').click()


async def type_answer(page: Page, step: str, text: str, *, press_enter: bool = True) -> None:
    await expect_step(page, step)
    await page.fill("#composer-input", text)
    if press_enter:
        await page.press("#composer-input", "Enter")
    else:
        await page.click("#composer-send")


async def sign_in_by_clicking(tab: Tab, email: str = STAFF) -> None:
    await tab.page.goto(tab.url)
    await tab.page.locator(f'[data-email="{email}"]').click()
    await expect(tab.page.locator("#chat")).to_be_visible()
    await expect_step(tab.page, "menu")


async def focused_attribute(page: Page, name: str) -> str | None:
    value: str | None = await page.evaluate(
        "(name) => document.activeElement && document.activeElement.getAttribute(name)", name
    )
    return value


class PageAsking:
    """The walker's view (tests/support/walk.py) of the web chat in Chromium: the step asked is
    read from the click token of the newest question on the page; an answer clicks its button,
    ticks its boxes (a tuple) or is typed, and waits for the next question to replace it."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def asked(self) -> str | None:
        # While an answer is on its way the page keeps its question frozen (is-inactive).
        await expect(newest(self.page)).not_to_have_class(re.compile(r"\bis-inactive\b"))
        return step_of_token(await newest(self.page).get_attribute("data-token"))

    async def answer(self, value: Answer) -> None:
        question = newest(self.page)
        token = await question.get_attribute("data-token")
        if isinstance(value, tuple):
            for ticked in value:
                await question.locator(f'input[data-value="{ticked}"]').check()
            await question.locator('[data-role="multi-done"]:enabled').click()
        elif await question.locator(f'[data-value="{value}"]:enabled').count():
            await question.locator(f'[data-value="{value}"]:enabled').click()
        else:
            await self.page.fill("#composer-input", value)
            await self.page.press("#composer-input", "Enter")
        # The reply has come when a question with another token is the newest.
        await expect(newest(self.page)).not_to_have_attribute("data-token", token or "")
