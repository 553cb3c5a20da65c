"""Grooming follow-ups (still in contact, a meeting arranged, never reply to the account),
self-harm said by a child, and online challenges and hoaxes (issue 15, points 4 and 5).
Through the real router and storage, SQLite and PostgreSQL."""

from __future__ import annotations

from tests.support.harness import Chat
from tests.support.reports import answers_of, only_report
from tests.support.walk import (
    CONCERN_TAIL,
    DISCLOSED_TAIL,
    STAFF,
    Answer,
    ChatAsking,
    start,
    walk,
    walk_to_summary,
)

CONTACT: dict[str, Answer] = {"immediate_danger": "no", "category": "contact"}
CONTENT: dict[str, Answer] = {"immediate_danger": "no", "category": "content"}


async def test_grooming_asks_if_contact_goes_on_and_if_a_meeting_is_arranged(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk(ChatAsking(chat), {**CONTACT, "contact_kind": "grooming"}, until="contact_ongoing")
    assert chat.question.text == "Is the child still in contact with them?"
    assert "Do not reply to the account" in (chat.question.guidance or "")

    await chat.click("yes")  # an adult may be grooming the child now: urgent at once
    report = await only_report(bot)
    assert (report.urgent, report.urgent_reasons) == (True, ["ongoing_contact"])
    chat.assert_reply("Do not reply")
    chat.assert_asked("contact_meeting")

    await chat.click("yes")  # a planned meeting adds its own reason
    chat.assert_reply("If the meeting could happen today, call 999")
    report = await only_report(bot)
    assert report.urgent_reasons == ["ongoing_contact", "planned_meeting"]
    await walk_to_summary(chat, CONCERN_TAIL)
    await chat.click("__submit")
    final = await only_report(bot)
    assert (final.status, final.subcategory) == ("submitted", "grooming")
    stored = await answers_of(bot, final)
    assert (stored["contact_ongoing"], stored["contact_meeting"]) == ("yes", "yes")


async def test_contact_from_a_stranger_that_goes_on_is_recorded_not_urgent(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {
        **CONTACT,
        "contact_kind": "stranger",
        "contact_ongoing": "yes",
        "contact_meeting": "no",
        **CONCERN_TAIL,
    }
    asked = await walk(ChatAsking(chat), answers)
    assert asked[2:4] == ["contact_kind", "contact_ongoing"]
    await chat.click("__submit")
    report = await only_report(bot)
    assert (report.urgent, (await answers_of(bot, report))["contact_ongoing"]) == (False, "yes")


async def test_advertising_asks_no_grooming_questions(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    asked = await walk(ChatAsking(chat), {**CONTACT, "contact_kind": "advertising", **CONCERN_TAIL})
    assert "contact_ongoing" not in asked and "contact_meeting" not in asked


async def test_a_child_saying_they_want_to_hurt_themselves_is_urgent_stay_with_them(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk(ChatAsking(chat), {**CONTENT, "content_kind": "self_harm"}, until="self_harm_said")
    assert chat.question.text == "Has a child said they want to hurt themselves or end their life?"
    await chat.click("yes")
    report = await only_report(bot)
    assert (report.urgent, report.urgent_reasons) == (True, ["self_harm"])
    chat.assert_reply("do not leave them alone")


async def test_an_online_challenge_or_hoax_says_not_to_name_it_to_other_children(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk(ChatAsking(chat), CONTENT, until="content_kind")
    labels = {o.value: o.label for o in chat.question.options}
    assert labels["challenge"] == "An online challenge or hoax"

    await chat.click("challenge")

    guidance = " ".join(n.text for n in chat.notices("guidance"))
    assert "Do not name the challenge" in guidance and "other children" in guidance
    chat.assert_asked("self_harm_said")  # a challenge may be one to hurt themselves
    answers = {"self_harm_said": "no", **CONCERN_TAIL, **DISCLOSED_TAIL}
    asked = await walk_to_summary(chat, answers)
    assert "child_self_harm" not in asked  # asked once already, as self_harm_said
    await chat.click("__submit")
    report = await only_report(bot)
    assert (report.category, report.subcategory, report.urgent) == ("content", "challenge", False)
    assert (await answers_of(bot, report))["self_harm_said"] == "no"
