"""The web chat in a real headless Chromium, against the real server on 127.0.0.1.

Chromium comes from the system (apt-get install chromium); `playwright install` is never needed.
Without Chromium these tests are skipped, unless REQUIRE_BROWSER is set, when they fail.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import ConsoleMessage, Dialog, Locator, Page, async_playwright, expect
from sqlalchemy import select

from bot.app import Bot, build_bot, create_app, prepare_storage
from bot.settings import PROJECT_ROOT, Settings
from storage.models import Conversation
from tests.support.clock import FakeClock
from tests.support.reports import answers_of, only_report

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


def _chromium() -> str:
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
async def served(sqlite_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Served]:
    """The real application on 127.0.0.1 (a free port), on a fresh SQLite database."""
    settings = Settings(
        data_dir=tmp_path / "data", database_url=sqlite_url, school_config=EXAMPLE_CONFIG
    )
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
    executable = _chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 900, "height": 1000})
            page = await context.new_page()
            page.set_default_timeout(5_000)
            found = Tab(page, served.url)

            async def on_dialog(dialog: Dialog) -> None:
                found.dialogs.append(dialog.message)
                await dialog.dismiss()

            def on_console(message: ConsoleMessage) -> None:
                # CSP violations and failed loads land here; the page's "am I signed in?"
                # question is expected to be answered 401 before anyone signs in.
                expected = message.location.get("url", "").endswith("/api/web/me")
                if message.type == "error" and not (expected and "401" in message.text):
                    found.problems.append(f"{message.text} ({message.location.get('url')})")

            page.on("dialog", on_dialog)
            page.on("console", on_console)
            page.on("pageerror", lambda error: found.problems.append(str(error)))
            yield found
            await context.close()
        finally:
            await browser.close()


# --------------------------------------------------------------------------- helpers


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


async def draft_answers(bot: Bot, email: str = STAFF) -> dict[str, object]:
    async with bot.router.sessions() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.channel == "web", Conversation.conversation_key == email
            )
        )
    assert row is not None and row.state_enc is not None
    answers: dict[str, object] = bot.cipher.open(row, "state_enc")["dialog"]["answers"]
    return answers


# --------------------------------------------------------------------------- tests


async def test_file_a_concern_in_the_browser(served: Served, tab: Tab) -> None:
    page = tab.page
    await sign_in_by_clicking(tab)
    await expect(page.locator("#user-name")).to_have_text("Tom Brannigan")
    await expect(page.locator("#chat-title")).to_have_text("Example Primary School")

    await click(page, "menu", "start:concern")
    await click(page, "immediate_danger", "no")
    await click(page, "category", "image")
    await expect(newest(page).locator(".notice--guidance")).to_contain_text("Do NOT view")
    await click(page, "image_rules", "ok")
    await click(page, "image_device", "secured")
    await click(page, "image_seen", "not_seen")

    # A multi-choice: tick two boxes, then Done.
    await expect_step(page, "image_indicators")
    await newest(page).locator('input[data-value="coercion"]').check()
    await newest(page).locator('input[data-value="sextortion"]').check()
    await newest(page).locator('[data-role="multi-done"]:enabled').click()
    await expect(page.locator("#log [data-kind=user]").last).to_have_text(
        "Coercion, blackmail or grooming, Someone is demanding money or more images"
    )

    await click(page, "about_adult", "no")
    await type_answer(page, "pupils", "AB (Year 5)")
    await type_answer(
        page, "what_happened", "An older pupil asked AB for more pictures.", press_enter=False
    )
    await click(page, "disclosure", "no")
    await type_answer(page, "happened_at", "yesterday 15:00")
    await type_answer(page, "where", "Snapchat, on AB's own phone")
    await type_answer(page, "actions_taken", "Phone switched off and locked in the office")
    await click(page, "dsl_told_in_person", "yes")

    await expect_step(page, "summary")
    summary = newest(page)
    await expect(summary).to_contain_text("Coercion, blackmail or grooming")
    await expect(summary).to_contain_text("Mon 23 Nov 2026, 15:00")
    await click(page, "summary", "__submit")

    success = page.locator("[data-kind=notice][data-tone=success]")
    await expect(success).to_have_count(1)
    await expect(success).to_contain_text(REFERENCE)
    await expect_step(page, "menu")  # "Is there anything else?"
    shown = REFERENCE.search(await success.inner_text())
    assert shown is not None

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "web-chat-concern.png"))

    report = await only_report(served.bot)
    assert report.reference == shown.group()
    assert report.status == "submitted"
    assert report.category == "image"
    assert report.channel == "web"
    assert report.reporter_email == STAFF
    answers = await answers_of(served.bot, report)
    assert answers["image_indicators"] == ["coercion", "sextortion"]
    assert answers["what_happened"] == "An older pupil asked AB for more pictures."
    assert answers["where"] == "Snapchat, on AB's own phone"
    assert tab.problems == []


async def test_sign_in_and_answer_with_the_keyboard_only(served: Served, tab: Tab) -> None:
    page = tab.page
    await page.goto(tab.url)
    await expect(page.locator(f'[data-email="{STAFF}"]')).to_be_visible()
    for _ in range(30):  # Tab through the people list to Tom
        await page.keyboard.press("Tab")
        if await focused_attribute(page, "data-email") == STAFF:
            break
    else:
        pytest.fail(f"Tab never reached the sign-in button for {STAFF}")
    await page.keyboard.press("Enter")

    # The menu arrives with its first choice focused: start a concern with Enter.
    await expect_step(page, "menu")
    await expect(newest(page).locator('[data-value="start:concern"]')).to_be_focused()
    await page.keyboard.press("Enter")

    # Question 1, focused on its first answer ("Yes"): Tab to "No", press Space.
    await expect_step(page, "immediate_danger")
    await expect(newest(page).locator('[data-value="yes"]')).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(newest(page).locator('[data-value="no"]')).to_be_focused()
    await page.keyboard.press("Space")

    # Question 2: Tab twice to the third kind of concern, press Enter.
    await expect_step(page, "category")
    await expect(newest(page).locator('[data-value="content"]')).to_be_focused()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await expect(newest(page).locator('[data-value="conduct"]')).to_be_focused()
    await page.keyboard.press("Enter")

    await expect_step(page, "conduct_kind")
    await expect(newest(page).locator('[data-value="sharing_explicit"]')).to_be_focused()
    assert await draft_answers(served.bot) == {"immediate_danger": "no", "category": "conduct"}
    assert tab.problems == []


async def test_markup_in_an_answer_shows_as_text(served: Served, tab: Tab) -> None:
    page = tab.page
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)> & <b>bold</b>"
    await sign_in_by_clicking(tab)
    await click(page, "menu", "start:concern")
    await click(page, "immediate_danger", "no")
    await click(page, "category", "other")
    await type_answer(page, "other_kind", payload)
    await expect_step(page, "about_adult")
    await expect(page.locator("#log [data-kind=user]").last).to_have_text(payload)

    # Back: the bot shows the answer it stored, as text too.
    await click(page, "about_adult", "__back")
    await expect_step(page, "other_kind")
    await expect(newest(page).locator(".q-current")).to_have_text(
        f"Your previous answer: {payload}"
    )
    assert await page.locator("#log script, #log img, #log b").count() == 0
    await page.wait_for_timeout(200)  # time enough for an injected handler to have fired
    assert tab.dialogs == []
    assert (await draft_answers(served.bot))["other_kind"] == payload
    assert tab.problems == []


async def test_text_too_long_for_one_message_stays_in_the_box(served: Served, tab: Tab) -> None:
    page = tab.page
    await sign_in_by_clicking(tab)
    await click(page, "menu", "start:concern")
    await click(page, "immediate_danger", "no")
    await click(page, "category", "other")
    too_long = "z" * 20_001
    await type_answer(page, "other_kind", too_long)
    await expect(page.locator("[data-kind=notice][data-tone=error]").last).to_contain_text(
        "one message can hold at most 20,000"
    )
    await expect(page.locator("#composer-input")).to_have_value(too_long)
    await expect(page.locator("#composer-input")).to_be_focused()
    await expect(page.locator("#log [data-kind=user]")).to_have_count(3)  # nothing sent
    await type_answer(page, "other_kind", "Pupils betting on a game site")
    await expect_step(page, "about_adult")
    assert (await draft_answers(served.bot))["other_kind"] == "Pupils betting on a game site"
    assert tab.problems == []
