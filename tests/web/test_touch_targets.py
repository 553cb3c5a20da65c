"""Touch targets in the web chat on a phone: every button, link, box and field is at least
44×44 CSS px (WCAG 2.5.5, Target Size) at 360 px wide, and nothing scrolls sideways there.

Measured in a real Chromium with getBoundingClientRect: a checkbox's target is its label (a tap
anywhere on it ticks the box), everything else is its own box.
"""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from tests.support.walk import CONCERN_TAIL, Answer, cyberbullying_concern, walk
from tests.web.browser import (
    REFERENCE,
    WAIT_MS,
    PageAsking,
    Tab,
    click,
    expect_step,
    newest,
    served,
    served_school,
    sign_in_by_clicking,
    tab,
)
from tests.web.test_browser_person import to_adult_who

__all__ = ["served", "served_school", "tab"]  # the fixtures (tests/web/browser.py)

PHONE = {"width": 360, "height": 780}
DSL = "a.hartley@example.org"
MIN_TARGET = 44  # CSS px, WCAG 2.5.5
# An image concern: option lists, yes/no rows, a multi-choice (checkboxes), text answers.
IMAGE_CONCERN: dict[str, Answer] = {
    "immediate_danger": "no",
    "category": "image",
    "image_rules": "ok",
    "image_device": "secured",
    "device_kept": "Locked in the office.",
    "image_seen": "not_seen",
    "image_indicators": ("coercion", "sextortion"),
    **CONCERN_TAIL,
}

MEASURE = """
() => {
  const targets = [];
  const selector = "#chat button, #chat a[href], #chat input, #chat textarea, #chat select, "
    + "#chat [role=option]";
  for (const node of document.querySelectorAll(selector)) {
    const box = node.matches("input[type=checkbox], input[type=radio]")
      ? node.closest("label") || node : node;
    if (!box.getClientRects().length) continue;  // not drawn (hidden)
    const rect = box.getBoundingClientRect();
    const name = node.getAttribute("aria-label") || node.textContent.trim()
      || node.dataset.value || node.id || node.className;
    targets.push({
      name: `${node.tagName.toLowerCase()} ${name.slice(0, 40)}`,
      width: rect.width, height: rect.height, left: rect.left, right: rect.right,
    });
  }
  const log = document.getElementById("log");
  return {
    targets,
    page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
    log: [log.scrollWidth, log.clientWidth],
  };
}
"""


async def measure(page: Page) -> dict[str, Any]:
    measured: dict[str, Any] = await page.evaluate(MEASURE)
    return measured


def too_small(measured: dict[str, Any]) -> list[str]:
    return [
        f"{t['name']!r}: {t['width']:.0f}×{t['height']:.0f}"
        for t in measured["targets"]
        if t["width"] < MIN_TARGET or t["height"] < MIN_TARGET
    ]


def assert_no_sideways_scroll(measured: dict[str, Any]) -> None:
    page_scroll, page_width = measured["page"]
    log_scroll, log_width = measured["log"]
    assert page_scroll <= page_width, f"the page scrolls sideways: {page_scroll} > {page_width}"
    assert log_scroll <= log_width, f"the conversation scrolls sideways: {log_scroll} > {log_width}"
    outside = [t["name"] for t in measured["targets"] if t["left"] < 0 or t["right"] > page_width]
    assert outside == [], f"targets outside the screen: {outside}"


async def test_every_target_of_a_summary_is_44_px_at_360_px_wide(tab: Tab) -> None:
    page = tab.page
    await page.set_viewport_size(PHONE)
    await sign_in_by_clicking(tab)
    await click(page, "menu", "start:concern")
    await walk(PageAsking(page), IMAGE_CONCERN)
    summary = newest(page)
    await expect(summary).to_have_attribute("data-kind", "summary")
    await expect(summary.locator(".summary-row button")).to_have_count(len(IMAGE_CONCERN))

    measured = await measure(page)
    names = [t["name"] for t in measured["targets"]]
    # What was measured: the summary's Change buttons, the older questions' options, Back and
    # Cancel, the multi-choice's boxes, the composer and Sign out.
    assert sum(name.startswith("button Change ") for name in names) == len(IMAGE_CONCERN)
    assert sum(name.startswith("input ") for name in names) >= 2
    assert "textarea composer-input" in names
    assert "button Sign out" in names
    small = too_small(measured)
    assert not small, "smaller than 44×44 CSS px:\n" + "\n".join(small)
    assert_no_sideways_scroll(measured)
    assert tab.problems == []


async def test_the_person_picker_s_box_and_names_are_44_px_at_360_px_wide(tab: Tab) -> None:
    page = tab.page
    await page.set_viewport_size(PHONE)
    await sign_in_by_clicking(tab)
    await to_adult_who(page)
    await newest(page).locator('[data-role="person-search"]').press_sequentially("pet")
    await expect(newest(page).locator('[role="option"]').first).to_be_visible()

    measured = await measure(page)
    names = [t["name"] for t in measured["targets"]]
    assert "li Petra Lindqvist" in names
    small = too_small(measured)
    assert not small, "smaller than 44×44 CSS px:\n" + "\n".join(small)
    assert_no_sideways_scroll(measured)
    assert tab.problems == []


async def test_the_dsl_s_case_cards_and_their_links_are_44_px_at_360_px_wide(tab: Tab) -> None:
    staff = tab.page
    await sign_in_by_clicking(tab)
    browser = staff.context.browser
    assert browser is not None
    dsl_context = await browser.new_context(viewport=PHONE)
    dsl = await dsl_context.new_page()
    dsl.set_default_timeout(WAIT_MS)
    await dsl.goto(tab.url)
    await dsl.locator(f'[data-email="{DSL}"]').click()
    await expect_step(dsl, "menu")

    await click(staff, "menu", "start:concern")
    await walk(PageAsking(staff), cyberbullying_concern("Name-calling in a group.", "today 09:00"))
    await click(staff, "summary", "__submit")
    success = staff.locator("[data-kind=notice][data-tone=success]")
    await expect(success).to_contain_text(REFERENCE)

    # The alert, acknowledged, its chronology and its export: buttons and links on cards.
    card = dsl.locator('[data-kind="card"]').first
    await card.locator('button[data-value^="case:ack:"]').click()
    await expect(card.locator('button[data-value^="case:ack:"]')).to_have_count(0)
    await card.locator('button[data-value^="case:view:"]').click()
    history = dsl.locator('[data-kind="card"]:has-text("Chronology")').last
    await history.locator('button[data-value^="case:export:"]').click()
    exported = dsl.locator('[data-kind="card"]:has-text("Export of")')
    await expect(exported.locator("a.case-card-link")).to_have_count(2)

    measured = await measure(dsl)
    names = [t["name"] for t in measured["targets"]]
    assert sum(name.startswith("a ") for name in names) == 2
    assert any(name.startswith("button View") for name in names), names
    small = too_small(measured)
    assert not small, "smaller than 44×44 CSS px:\n" + "\n".join(small)
    assert_no_sideways_scroll(measured)
    await dsl_context.close()
    assert tab.problems == []
