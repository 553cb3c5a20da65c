"""Two people in two real browsers: a staff member reports, the DSL sees the alert live and
acknowledges it, and the staff member's chat says the DSL has seen the report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.conftest import DETAILS_IN_ALERTS, example_config_with
from tests.support.reports import event_kinds, only_report
from tests.web.browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    REFERENCE,
    WAIT_MS,
    Served,
    chromium_path,
    click,
    expect_step,
    served,
    type_answer,
)

DSL = "a.hartley@example.org"
STAFF = "t.brannigan@example.org"
__all__ = ["served"]  # the fixture, shared with the single-person browser tests


@pytest.fixture
def served_school(tmp_path: Path) -> Path:
    """The report's words in the alert: the DSL's card is checked for them."""
    return example_config_with(tmp_path, **DETAILS_IN_ALERTS)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


async def signed_in(browser: Browser, url: str, email: str) -> Page:
    """A separate browser context (its own cookies) signed in as this person."""
    context = await browser.new_context(viewport={"width": 900, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.goto(url)
    await page.locator(f'[data-email="{email}"]').click()
    await expect_step(page, "menu")
    return page


async def test_the_dsl_sees_the_alert_live_and_the_reporter_is_told(
    served: Served, browser: Browser
) -> None:
    dsl = await signed_in(browser, served.url, DSL)
    staff = await signed_in(browser, served.url, STAFF)

    await click(staff, "menu", "start:concern")
    await click(staff, "immediate_danger", "no")
    await click(staff, "category", "cyberbullying")
    await click(staff, "bullying_repeated", "yes")
    await click(staff, "bullying_evidence", "kept")
    await click(staff, "bullying_illegal", "no")
    await click(staff, "about_adult", "no")
    await type_answer(staff, "pupils", "AB (Year 5)")
    await type_answer(staff, "what_happened", "Name-calling in the class group chat.")
    await type_answer(staff, "your_concerns", "It seems to be getting worse.")
    await click(staff, "disclosure", "no")
    await click(staff, "safe_home", "yes")
    await click(staff, "others_at_risk", "no")
    await type_answer(staff, "others_told", "The class teacher.")
    await type_answer(staff, "happened_at", "today 09:00")
    await type_answer(staff, "found_out_at", "today 09:00")
    await type_answer(staff, "where", "WhatsApp")
    await type_answer(staff, "actions_taken", "Spoke to the class teacher.")
    await click(staff, "dsl_told_in_person", "no")
    await type_answer(staff, "reporter_role", "Class teacher")
    await click(staff, "summary", "__submit")
    success = staff.locator("[data-kind=notice][data-tone=success]")
    await expect(success).to_contain_text(REFERENCE)
    reference = REFERENCE.search(await success.inner_text())
    assert reference is not None

    # The DSL did nothing: the alert arrives on their open page by itself.
    card = dsl.locator(f'[data-kind="card"]:has-text("{reference.group()}")')
    await expect(card).to_have_count(1)
    await expect(card).to_contain_text("Awaiting acknowledgement")
    await expect(card).to_contain_text("Name-calling in the class group chat.")
    await card.locator('button[data-value^="case:ack:"]').click()

    await expect(dsl.locator("[data-kind=notice][data-tone=success]").last).to_contain_text(
        "escalation has stopped"
    )
    await expect(card).to_contain_text("Acknowledged by Alice Hartley")  # updated in place
    await expect(card.locator('button[data-value^="case:ack:"]')).to_have_count(0)
    await expect(staff.locator("[data-kind=notice]").last).to_contain_text("seen by the DSL")

    # View shows the chronology, with its export one click away (and nothing exported yet).
    await card.locator('button[data-value^="case:view:"]').click()
    history = dsl.locator('[data-kind="card"]:has-text("Chronology")').last
    await expect(history).to_contain_text("acknowledged")
    await expect(history.locator("a.case-card-link")).to_have_count(0)
    await history.locator('button[data-value^="case:export:"]').click()
    exported = dsl.locator('[data-kind="card"]:has-text("Export of")')
    await expect(exported.locator("a.case-card-link")).to_have_count(2)
    link = exported.locator("a.case-card-link", has_text="Printable chronology")
    href = await link.get_attribute("href")
    assert href is not None and href.endswith("/chronology.html")
    export = await dsl.request.get(served.url.rstrip("/") + href)  # with the DSL's cookie
    assert export.status == 200
    assert "Name-calling in the class group chat." in await export.text()

    ARTIFACTS.mkdir(exist_ok=True)
    await dsl.screenshot(path=str(ARTIFACTS / "web-chat-dsl-alert.png"))
    await staff.screenshot(path=str(ARTIFACTS / "web-chat-reporter-seen.png"))

    report = await only_report(served.bot)
    assert (report.case_status, report.acknowledged_by) == ("acknowledged", DSL)
    assert {"acknowledged", "viewed", "exported"} <= set(await event_kinds(served.bot, report))
