"""Pupils who saw pornography, self-harm or violent content through a filtering failure are a
safeguarding concern in their own right: the reporter's confirmation offers to start that
concern with what they already said filled in, linked to the filtering report (the `offer:` of
dialogs/flows/filtering.yaml).

Through the real router and storage (SQLite and PostgreSQL).
"""

from __future__ import annotations

import pytest

from bot.delivery.messages import Question
from tests.support.harness import Chat
from tests.support.reports import all_reports, answers_of, only_report
from tests.support.walk import STAFF, Answer, start, walk_to_summary

OTHER_STAFF = "s.nakamura@example.org"
OFFER_LABEL = "Report a concern for the pupils who saw it"
URL = "https://bad.example.com/page?q=1"


def filtering_answers(exposure_content: str) -> dict[str, Answer]:
    return {
        "problem": "harmful_through",
        "pupil_exposed": "yes",
        "possibly_illegal": "no",
        "pupils_saw": "CD (Year 8), EF (Year 8)",
        "exposure_content": exposure_content,
        "used_by": "pupil",
        "connection": "school_wifi",
        "device_room": "Laptop 7, ICT suite",
        "user_account": "login Y8-shared",
        "address": URL,
        "happened_at": "today 09:40",
        "what_seen": "A video of a fight.",
        "actions_taken": "Screen off.",
    }


# What the concern still asks: what the filtering report could not say.
CONCERN_REST: dict[str, Answer] = {
    "immediate_danger": "no",
    "about_adult": "no",
    "what_happened": "Two pupils watched the video before I switched it off.",
    "your_concerns": "skip",
    "disclosure": "no",
    "safe_home": "yes",
    "others_at_risk": "no",
    "others_told": "Nobody yet.",
    "found_out_at": "today 09:45",
    "actions_taken": "Spoke to both pupils.",
    "dsl_told_in_person": "no",
    "reporter_role": "Teaching assistant",
}


async def send_filtering(chat: Chat, exposure_content: str) -> Question:
    await start(chat, "filtering")
    await walk_to_summary(chat, filtering_answers(exposure_content))
    await chat.click("__submit")
    await chat.receipt()
    menu = chat.question
    assert isinstance(menu, Question) and menu.input == "menu", menu
    return menu


def offer_of(menu: Question) -> str | None:
    values = [o.value for o in menu.options if o.label == OFFER_LABEL]
    return values[0] if values else None


async def test_the_offer_starts_the_concern_with_the_answers_given_and_links_it(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    offer = offer_of(await send_filtering(chat, "violence"))
    assert offer is not None, "the confirmation offers the concern"
    chat.assert_reply("a safeguarding concern in their own right")
    (filtering,) = await all_reports(bot)

    await chat.click(offer)
    chat.assert_asked("immediate_danger")  # always asked: never carried over
    asked = await walk_to_summary(chat, CONCERN_REST)
    for carried in ("category", "content_kind", "pupils", "where", "happened_at"):
        assert carried not in asked, f"{carried} was asked again"
    await chat.click("__submit")
    await chat.receipt()
    chat.assert_reply(f"Linked to your report {filtering.reference}")

    filtering, concern = await all_reports(bot)
    assert (concern.kind, concern.category, concern.subcategory) == (
        "concern",
        "content",
        "violence",
    )
    assert filtering.linked_report_id == concern.id and concern.linked_report_id == filtering.id
    stored = await answers_of(bot, concern)
    assert stored["pupils"] == "CD (Year 8), EF (Year 8)"
    assert (stored["where"], stored["what_happened"]) == (URL, CONCERN_REST["what_happened"])


async def test_a_carried_answer_can_be_changed_at_the_summary(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    offer = offer_of(await send_filtering(chat, "pornography"))
    assert offer is not None
    await chat.click(offer)
    await walk_to_summary(chat, CONCERN_REST)
    await chat.send("change pupils involved")
    chat.assert_asked("pupils")
    await chat.send("CD (Year 8) only")
    await chat.click("__submit")

    concern = (await all_reports(bot))[1]
    assert (await answers_of(bot, concern))["pupils"] == "CD (Year 8) only"


@pytest.mark.parametrize("exposure_content", ["other"])
async def test_nothing_is_offered_for_other_content(make_bot, exposure_content):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    menu = await send_filtering(chat, exposure_content)
    assert offer_of(menu) is None
    assert next(o.value for o in menu.options) == "start:concern"  # the usual menu


async def test_the_offer_is_only_for_the_reporter_and_only_once(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    offer = offer_of(await send_filtering(chat, "self_harm"))
    assert offer is not None

    other = Chat(bot, OTHER_STAFF)  # someone else sends the same value: nothing starts
    await other.open()
    await other.click(offer)
    other.assert_reply("only the person who sent that report can")
    assert other.step is None
    assert (await only_report(bot)).linked_report_id is None

    await chat.click(offer)
    await walk_to_summary(chat, {**CONCERN_REST, "self_harm_said": "no"})
    await chat.click("__submit")
    concern = (await all_reports(bot))[1]

    await chat.click(offer)  # the old confirmation's button again
    chat.assert_reply(f"already filed as {concern.reference}")
    assert chat.step is None and len(await all_reports(bot)) == 2


async def test_the_offer_pressed_during_another_report_changes_nothing(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    offer = offer_of(await send_filtering(chat, "violence"))
    assert offer is not None
    await chat.click("start:filtering")  # another report under way
    chat.assert_asked("problem")

    await chat.click(offer, token=None)  # the old confirmation's button
    chat.assert_asked("problem")  # the same question, asked again; nothing started or linked
    chat.assert_reply("that button did nothing")
    assert (await only_report(bot)).linked_report_id is None
