"""The web chat in a real headless Chromium, against the real server on 127.0.0.1.

Chromium comes from the system (apt-get install chromium); `playwright install` is never needed.
Without Chromium these tests are skipped, unless REQUIRE_BROWSER is set, when they fail.
"""

from __future__ import annotations

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from bot.app import Bot
from storage.models import Conversation
from tests.support.reports import answers_of, only_report
from tests.web.browser import (
    ARTIFACTS,
    REFERENCE,
    STAFF,
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

__all__ = ["served", "served_school", "tab"]  # the fixtures (tests/web/browser.py)

# --------------------------------------------------------------------------- helpers


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
    await type_answer(page, "device_kept", "Locked in the office; the head has the key.")
    await click(page, "image_seen", "not_seen")

    # A multi-choice: tick two boxes, then Done.
    await expect_step(page, "image_indicators")
    await newest(page).locator('input[data-value="coercion"]').check()
    await newest(page).locator('input[data-value="sextortion"]').check()
    await newest(page).locator('[data-role="multi-done"]:enabled').click()
    await expect(page.locator("#log [data-kind=user]").last).to_have_text(
        "A child was pressured, tricked, threatened or groomed into it, "
        "Someone is demanding money or more images"
    )

    await click(page, "about_adult", "no")
    await type_answer(page, "pupils", "AB (Year 5)")
    await type_answer(
        page, "what_happened", "An older pupil asked AB for more pictures.", press_enter=False
    )
    await type_answer(page, "your_concerns", "I think AB is frightened.")
    await click(page, "disclosure", "no")
    await click(page, "safe_home", "yes")
    await click(page, "others_at_risk", "unsure")
    await type_answer(page, "others_told", "The class teacher.")
    await type_answer(page, "happened_at", "yesterday 15:00")
    await type_answer(page, "found_out_at", "yesterday 15:30")
    await type_answer(page, "where", "Snapchat, on AB's own phone")
    await type_answer(page, "actions_taken", "Phone switched off and locked in the office")
    await click(page, "dsl_told_in_person", "yes")
    await type_answer(page, "reporter_role", "Class teacher, Year 5")

    await expect_step(page, "summary")
    summary = newest(page)
    await expect(summary).to_contain_text("A child was pressured, tricked, threatened or groomed")
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
    assert answers["device_kept"] == "Locked in the office; the head has the key."
    assert answers["your_concerns"] == "I think AB is frightened."
    assert answers["found_out_at"] == "2026-11-23T15:30:00+00:00"
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
