"""The filtering report's offer in a real headless Chromium: once a report says pupils saw
violent content, its confirmation offers the concern for them, and pressing it starts that
concern with the answers already given (dialogs/flows/filtering.yaml `offer:`)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.reports import all_reports, answers_of
from tests.web.browser import (
    ARTIFACTS,
    Served,
    Tab,
    click,
    expect_step,
    newest,
    served,
    served_school,
    sign_in_by_clicking,
    tab,
    type_answer,
)

__all__ = ["served", "served_school", "tab"]  # the fixtures (tests/web/browser.py)

OFFER_LABEL = "Report a concern for the pupils who saw it"


async def test_the_confirmation_offers_the_concern_and_starts_it_filled_in(
    served: Served, tab: Tab
) -> None:
    page = tab.page
    await sign_in_by_clicking(tab)
    await click(page, "menu", "start:filtering")
    await click(page, "problem", "harmful_through")
    await click(page, "pupil_exposed", "yes")
    await click(page, "possibly_illegal", "no")
    await type_answer(page, "pupils_saw", "CD (Year 8)")
    await click(page, "exposure_content", "violence")
    await expect(page.locator("#log")).to_contain_text("I will offer to start that concern")
    await click(page, "used_by", "pupil")
    await click(page, "connection", "school_wifi")
    await type_answer(page, "device_room", "Laptop 7, ICT suite")
    await type_answer(page, "user_account", "skip")
    await type_answer(page, "address", "https://bad.example.com/fight")
    await type_answer(page, "happened_at", "today 09:40")
    await type_answer(page, "what_seen", "A video of a fight.")
    await type_answer(page, "actions_taken", "Screen off.")
    await click(page, "summary", "__submit")

    await expect_step(page, "menu")
    offer = newest(page).locator('[data-value^="offer:"]')
    await expect(offer).to_have_text(OFFER_LABEL)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "web-chat-filtering-offer.png"))

    await offer.click()
    await expect_step(page, "immediate_danger")  # never filled in: always asked
    await click(page, "immediate_danger", "no")
    await click(page, "about_adult", "no")  # category, kind and pupils were carried over
    await type_answer(page, "what_happened", "CD watched the video before I switched it off.")
    await type_answer(page, "your_concerns", "skip")
    await click(page, "disclosure", "no")
    await click(page, "safe_home", "yes")
    await click(page, "others_at_risk", "no")
    await type_answer(page, "others_told", "Nobody yet.")
    await type_answer(page, "found_out_at", "today 09:45")
    await type_answer(page, "actions_taken", "Spoke to CD.")
    await click(page, "dsl_told_in_person", "no")
    await type_answer(page, "reporter_role", "Teaching assistant")
    await expect_step(page, "summary")
    await expect(newest(page)).to_contain_text("CD (Year 8)")
    await click(page, "summary", "__submit")
    await expect(page.locator("#log")).to_contain_text("Linked to your report FF-2026-")

    filtering, concern = await all_reports(served.bot)
    assert (concern.category, concern.subcategory) == ("content", "violence")
    assert concern.linked_report_id == filtering.id
    assert (await answers_of(served.bot, concern))["pupils"] == "CD (Year 8)"
    assert tab.problems == []
