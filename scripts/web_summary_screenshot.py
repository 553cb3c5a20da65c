"""A screenshot of the web chat at 360 px wide with a report's summary showing.

Serves the bot from this checkout on a free loopback port (a throw-away SQLite database),
signs in as a member of staff in headless Chromium, answers a cyber-bullying concern up to
its summary, scrolls the summary's rows into view and saves a PNG:

    .venv/bin/python scripts/web_summary_screenshot.py docs/screenshots/web-summary-360-after.png

With --show-targets every button, link and field gets a dashed magenta outline around its box
(its touch target), so a before and an after can be compared by eye.

CHROMIUM names the browser (default /usr/bin/chromium). The picture is of whatever code is on
the import path: run it from another checkout (PYTHONPATH=that checkout) for a "before".
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from aiohttp import web
from playwright.async_api import Page, async_playwright, expect

from bot.app import build_bot, prepare_storage
from bot.server import create_app
from bot.settings import PROJECT_ROOT, Settings

WIDTH, HEIGHT = 360, 780
STAFF = "t.brannigan@example.org"
SHOW_TARGETS = """
#chat button, #chat a[href], #chat input, #chat textarea, #chat label.check {
  outline: 1px dashed #d0f !important; outline-offset: 0 !important;
}
"""
# (step, answer): a button's value, or text to type. The step is checked before each answer.
ANSWERS = [
    ("immediate_danger", "no"),
    ("category", "cyberbullying"),
    ("bullying_repeated", "yes"),
    ("bullying_evidence", "kept"),
    ("bullying_illegal", "no"),
    ("about_adult", "no"),
    ("pupils", "AB (Year 5)"),
    ("what_happened", "Name-calling in the class group chat."),
    ("your_concerns", "skip"),
    ("disclosure", "no"),
    ("safe_home", "yes"),
    ("others_at_risk", "no"),
    ("others_told", "The class teacher."),
    ("happened_at", "yesterday 15:00"),
    ("found_out_at", "yesterday 15:30"),
    ("where", "WhatsApp group on a pupil's own phone"),
    ("actions_taken", "Kept the phone in the office."),
    ("dsl_told_in_person", "yes"),
    ("reporter_role", "Class teacher"),
]


async def answer(page: Page, step: str, value: str) -> None:
    newest = page.locator("#log [data-interactive]").last
    await expect(newest).to_have_attribute("data-step-id", step)
    button = newest.locator(f'[data-value="{value}"]:enabled')
    if await button.count():
        await button.click()
    else:
        await page.fill("#composer-input", value)
        await page.press("#composer-input", "Enter")


async def main(out: Path, *, show_targets: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data",
            database_url=f"sqlite+aiosqlite:///{tmp}/bot.db",
            school_config=PROJECT_ROOT / "config" / "school.example.yaml",
        )
        bot = build_bot(settings)
        await prepare_storage(bot)
        runner = web.AppRunner(create_app(bot, run_scheduler=False))
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            await shoot(f"http://{host}:{port}/", out, show_targets=show_targets)
        finally:
            await runner.cleanup()
            await bot.engine.dispose()


async def shoot(url: str, out: Path, *, show_targets: bool) -> None:
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            # The outlines are a style of the script's own, which the page's CSP would refuse.
            page = await browser.new_page(
                viewport={"width": WIDTH, "height": HEIGHT}, bypass_csp=show_targets
            )
            page.set_default_timeout(10_000)
            await page.goto(url)
            await page.locator(f'[data-email="{STAFF}"]').click()
            newest = page.locator("#log [data-interactive]").last
            await expect(newest).to_have_attribute("data-input", "menu")
            await newest.locator('[data-value="start:concern"]').click()
            for step, value in ANSWERS:
                await answer(page, step, value)
            summary = page.locator("#log [data-interactive]").last
            await expect(summary).to_have_attribute("data-kind", "summary")
            # The rows with their Change buttons, not the end of the log (Send/Cancel).
            await (
                summary.locator(".summary-row")
                .nth(2)
                .evaluate("(row) => row.scrollIntoView({block: 'start'})")
            )
            if show_targets:
                await page.add_style_tag(content=SHOW_TARGETS)
            out.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(out))
        finally:
            await browser.close()


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--show-targets"]
    if len(arguments) != 1:
        sys.exit(f"usage: {sys.argv[0]} [--show-targets] OUT.png")
    asyncio.run(main(Path(arguments[0]), show_targets="--show-targets" in sys.argv[1:]))
