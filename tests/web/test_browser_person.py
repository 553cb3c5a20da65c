"""The person picker in a real Chromium: type three letters, see the names, pick with the keys."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.support.reports import answers_of, only_report
from tests.web.browser import (
    Served,
    Tab,
    click,
    expect_step,
    focused_attribute,
    newest,
    served,
    served_school,
    sign_in_by_clicking,
    tab,
    type_answer,
)

__all__ = ["served", "served_school", "tab"]  # the fixtures, shared with the other browser tests


async def to_adult_who(page: Page) -> None:
    await click(page, "menu", "start:concern")
    await click(page, "immediate_danger", "no")
    await click(page, "category", "other")
    await type_answer(page, "other_kind", "A worry about an adult")
    await click(page, "about_adult", "yes")
    await click(page, "adult_concern_kind", "harm")
    await click(page, "adult_is_head", "no")
    await expect_step(page, "adult_who")


async def to_summary(page: Page) -> None:
    await type_answer(page, "pupils", "AB (Year 5)")
    await type_answer(page, "what_happened", "Messages to a pupil on a personal account.")
    await type_answer(page, "your_concerns", "I am worried it is happening often.")
    await click(page, "disclosure", "no")
    await click(page, "safe_home", "yes")
    await click(page, "others_at_risk", "no")
    await type_answer(page, "others_told", "No one yet.")
    await type_answer(page, "happened_at", "yesterday 15:00")
    await type_answer(page, "found_out_at", "yesterday 15:30")
    await type_answer(page, "where", "Instagram")
    await type_answer(page, "actions_taken", "None yet")
    await click(page, "dsl_told_in_person", "no")
    await type_answer(page, "reporter_role", "Teaching assistant")
    await expect_step(page, "summary")


async def test_pick_a_person_with_the_keyboard(served: Served, tab: Tab) -> None:
    page = tab.page
    await sign_in_by_clicking(tab)
    await to_adult_who(page)

    # The search box has the focus: type three letters.
    box = newest(page).locator('[data-role="person-search"]')
    await expect(box).to_be_focused()
    assert await focused_attribute(page, "role") == "combobox"
    await page.keyboard.type("pet")
    listbox = newest(page).locator('[role="listbox"]')
    await expect(listbox).to_be_visible()
    options = listbox.locator('[role="option"]')
    await expect(options).to_have_text(["Leo Petrakis", "Petra Lindqvist"])
    await expect(box).to_have_attribute("aria-expanded", "true")

    # Down, down, up: Leo, Petra, Leo; Enter picks the highlighted one.
    for key in ("ArrowDown", "ArrowDown", "ArrowUp", "ArrowDown"):
        await page.keyboard.press(key)
    await expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    active = await options.nth(1).get_attribute("id")
    await expect(box).to_have_attribute("aria-activedescendant", active or "")
    await page.keyboard.press("Enter")
    await expect(page.locator("#log [data-kind=user]").last).to_have_text("Petra Lindqvist")

    await to_summary(page)
    await expect(newest(page)).to_contain_text("Petra Lindqvist")
    row = newest(page).locator(".summary-row", has_text="Adult concerned")
    await expect(row.locator(".summary-value")).to_have_text("Petra Lindqvist")
    await click(page, "summary", "__submit")
    await expect(page.locator("[data-kind=notice][data-tone=success]")).to_have_count(1)

    answers = await answers_of(served.bot, await only_report(served.bot))
    assert answers["adult_who"] == {"email": "p.lindqvist@example.org", "name": "Petra Lindqvist"}
    assert tab.problems == []


async def test_someone_not_on_the_list_is_typed(served: Served, tab: Tab) -> None:
    page = tab.page
    await sign_in_by_clicking(tab)
    await to_adult_who(page)
    box = newest(page).locator('[data-role="person-search"]')
    await box.fill("Mr Grey, visiting coach")
    # Nobody matches: no list, and Enter sends the words as the answer.
    await expect(newest(page).locator(".person-status")).to_contain_text("Nobody on the list")
    await expect(newest(page).locator('[role="listbox"]')).to_be_hidden()
    await box.press("Enter")
    await expect_step(page, "pupils")
    await to_summary(page)
    row = newest(page).locator(".summary-row", has_text="Adult concerned")
    await expect(row.locator(".summary-value")).to_have_text("Mr Grey, visiting coach")
    assert tab.problems == []


async def test_a_click_on_a_name_picks_it(served: Served, tab: Tab) -> None:
    page = tab.page
    await sign_in_by_clicking(tab)
    await to_adult_who(page)
    await newest(page).locator('[data-role="person-search"]').fill("whi")
    option = newest(page).locator('[role="option"]', has_text="Joanna Whitcombe")
    await option.click()
    await expect_step(page, "pupils")
    await expect(page.locator("#log [data-kind=user]").last).to_have_text("Joanna Whitcombe")
    assert tab.problems == []
