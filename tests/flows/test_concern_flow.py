"""The concern flow, branch by branch, through the real router and storage (SQLite and PG)."""

from __future__ import annotations

import re

import pytest

from bot.delivery.messages import Answered
from tests.support.harness import Chat
from tests.support.reports import all_reports, answers_of, event_kinds, only_report
from tests.support.walk import (
    CONCERN_TAIL,
    STAFF,
    Answer,
    ChatAsking,
    start,
    walk,
    walk_to_summary,
)

TAIL_STEPS = list(CONCERN_TAIL)
BRANCHES: list[tuple[str, dict[str, Answer], list[str], str | None]] = [
    # (category, branch answers, branch steps asked in order, stored subcategory)
    (
        "content",
        {"content_kind": "self_harm", "self_harm_said": "no"},
        ["content_kind", "self_harm_said"],
        "self_harm",
    ),
    (
        "contact",
        {"contact_kind": "grooming", "contact_ongoing": "no", "contact_meeting": "unsure"},
        ["contact_kind", "contact_ongoing", "contact_meeting"],
        "grooming",
    ),
    ("conduct", {"conduct_kind": "abusive_messages"}, ["conduct_kind"], "abusive_messages"),
    (
        "conduct",
        {
            "conduct_kind": "sharing_explicit",
            "conduct_image_rules": "ok",
            "image_device": "no_device",
            "image_seen": "not_seen",
            "image_indicators": "skip",
        },
        [
            "conduct_kind",
            "conduct_image_rules",
            "image_device",
            "image_seen",
            "image_indicators",
        ],
        "sharing_explicit",
    ),
    ("commerce", {"commerce_kind": "gambling"}, ["commerce_kind"], "gambling"),
    (
        "cyberbullying",
        {"bullying_repeated": "yes", "bullying_evidence": "kept", "bullying_illegal": "no"},
        ["bullying_repeated", "bullying_evidence", "bullying_illegal"],
        None,
    ),
    (
        "image",
        {
            "image_rules": "ok",
            "image_device": "secured",
            "device_kept": "Locked in the office; the DSL has the key.",
            "image_seen": "not_seen",
            "image_indicators": "skip",  # each indicator makes it urgent (test_urgent_answers)
        },
        ["image_rules", "image_device", "device_kept", "image_seen", "image_indicators"],
        None,
    ),
    (
        "radicalisation",
        {
            "prevent_arose": "Overheard a pupil repeating slogans from a video channel.",
            "prevent_signs": "Withdrawn from friends; new vocabulary.",
            "prevent_online": "A channel on a video site the pupil mentioned.",
        },
        ["prevent_arose", "prevent_signs", "prevent_online"],
        None,
    ),
    ("ai_abuse", {"ai_kind": "bullying_image"}, ["ai_kind"], "bullying_image"),
    (
        "ai_abuse",
        {
            "ai_kind": "sexual_imagery",
            "ai_image_rules": "ok",
            "image_device": "unsure",
            "image_seen": "by_accident",
            "image_indicators": "skip",
        },
        ["ai_kind", "ai_image_rules", "image_device", "image_seen", "image_indicators"],
        "sexual_imagery",
    ),
    ("other", {"other_kind": "A pupil's account was hacked"}, ["other_kind"], None),
]


@pytest.mark.parametrize(("category", "branch", "branch_steps", "subcategory"), BRANCHES)
async def test_every_category_is_asked_its_own_questions_and_stored(
    make_bot, category, branch, branch_steps, subcategory
):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {"immediate_danger": "no", "category": category, **branch, **CONCERN_TAIL}

    asked = await walk_to_summary(chat, answers)

    assert asked == ["immediate_danger", "category", *branch_steps, *TAIL_STEPS]
    await chat.click("__submit")
    # the confirmation goes through the outbox; the summary's Send only loses its buttons
    assert [r for r in chat.replies if not isinstance(r, Answered)] == []
    await chat.receipt()
    reference = re.search(r"OS-2026-\d{5}", " ".join(chat.texts))
    assert reference, chat.texts
    report = await only_report(bot)
    assert report.reference == reference.group(0)
    assert (report.kind, report.category, report.subcategory) == ("concern", category, subcategory)
    assert (report.status, report.urgent, report.allegation) == ("submitted", False, False)
    assert report.reporter_email == STAFF
    assert report.submitted_at == bot.router.clock()
    stored = await answers_of(bot, report)
    assert stored["pupils"] == CONCERN_TAIL["pupils"]
    assert stored["what_happened"] == CONCERN_TAIL["what_happened"]
    assert stored["happened_at"] == "2026-11-23T15:00:00+00:00"
    for step, value in branch.items():
        expected = None if value == "skip" else value
        assert stored[step] == (list(value) if isinstance(value, tuple) else expected)
    assert await event_kinds(bot, report) == ["submitted", "alert_raised"]


async def test_content_risks_and_the_pupils_hint_use_kcsie_2025s_words(make_bot):
    # KCSIE 2025 (Part 2) names misinformation, disinformation (including fake news) and
    # conspiracy theories as a content risk; the pupils hint must not prejudge who did what.
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await chat.click("no")
    await chat.click("content")
    chat.assert_asked("content_kind")
    labels = {o.value: o.label for o in chat.question.options}
    assert labels["misinformation"] == "Misinformation"  # short, for a button; the rest in the hint
    assert "disinformation (including fake news) and conspiracy theories" in (
        chat.question.hint or ""
    )
    answers = {"content_kind": "misinformation", **CONCERN_TAIL}
    await walk_to_summary(chat, answers)
    await chat.click("__submit")
    report = await only_report(bot)
    assert (report.category, report.subcategory) == ("content", "misinformation")

    again = Chat(bot, STAFF)
    await start(again, "concern")
    await walk(
        ChatAsking(again),
        {"immediate_danger": "no", "category": "other", "other_kind": "x", **CONCERN_TAIL},
        until="pupils",
        in_order=False,
    )
    hint = again.question.hint or ""
    assert "received the messages" in hint and "may have sent them" in hint
    assert "victim" not in hint.casefold()


async def test_the_image_rules_come_before_anything_else(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await chat.click("no")
    await chat.click("image")

    chat.assert_asked("image_rules")
    guidance = chat.question.guidance or ""
    for rule in ["Do NOT view, copy, forward, print", "Do NOT ask the pupil", "Confiscate"]:
        assert rule in guidance
    assert "will not accept" in guidance


async def test_immediate_danger_stores_an_urgent_report_from_the_first_answer(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")

    await chat.click("yes")

    chat.assert_reply("Call 999 now")
    assert chat.notices("urgent")
    early = await only_report(bot)
    assert (early.urgent, early.status) == (True, "in_progress")
    assert early.reference and early.reference.startswith("OS-2026-")

    answers = {
        "category": "contact",
        "contact_kind": "exploitation",
        "contact_ongoing": "no",
        "contact_meeting": "no",
        **CONCERN_TAIL,
    }
    await walk_to_summary(chat, answers)
    await chat.click("__submit")

    await chat.receipt()
    chat.assert_reply("URGENT")
    final = await only_report(bot)  # the same case, completed: not a second report
    assert (final.id, final.reference) == (early.id, early.reference)
    assert (final.urgent, final.status, final.category) == (True, "submitted", "contact")
    assert await event_kinds(bot, final) == ["urgent_opened", "alert_raised", "submitted"]


async def test_stopping_after_immediate_danger_keeps_the_urgent_record(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await chat.click("yes")

    await chat.click("__cancel")
    chat.assert_reply("the record of that stays with the DSL")
    await chat.click("__cancel_yes")

    report = await only_report(bot)
    assert (report.urgent, report.status) == (True, "abandoned")
    assert await event_kinds(bot, report) == ["urgent_opened", "alert_raised", "reporter_stopped"]
    assert chat.question.input == "menu"


async def test_no_danger_stores_nothing_until_sent(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk_to_summary(
        chat,
        {"immediate_danger": "no", "category": "commerce", "commerce_kind": "scam", **CONCERN_TAIL},
    )
    assert await all_reports(bot) == []
    await chat.click("__submit")
    assert (await only_report(bot)).urgent is False


async def test_an_allegation_about_the_headteacher_is_recorded(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {
        "immediate_danger": "no",
        "category": "conduct",
        "conduct_kind": "abusive_messages",
        **CONCERN_TAIL,
        "about_adult": "yes",
        "adult_concern_kind": "harm",
        "adult_is_head": "yes",
        "adult_who": "The headteacher, messaging a pupil on a personal account",
    }
    asked = await walk_to_summary(chat, answers)
    assert asked[asked.index("about_adult") + 1 : asked.index("pupils")] == [
        "adult_concern_kind",
        "adult_is_head",
        "adult_who",
    ]
    await chat.click("__submit")
    report = await only_report(bot)
    assert (report.allegation, report.allegation_about_head) == (True, True)
    assert report.allegation_kind == "harm"
    assert (await answers_of(bot, report))["adult_who"].startswith("The headteacher")


async def test_a_disclosure_records_the_childs_own_words(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    words = '"He said he would post my photo if I didn\'t send another one."'
    answers = {
        "immediate_danger": "no",
        "category": "contact",
        "contact_kind": "grooming",
        "contact_ongoing": "no",
        "contact_meeting": "no",
        **CONCERN_TAIL,
        "disclosure": "yes",
        "child_words": words,
        "questions_asked": "none",
        "told_next_steps": "yes",
        "child_self_harm": "no",
    }
    asked = await walk_to_summary(chat, answers)
    assert asked[asked.index("disclosure") + 1 :][:4] == [
        "child_words",
        "questions_asked",
        "told_next_steps",
        "child_self_harm",
    ]
    await chat.click("__submit")
    assert (await answers_of(bot, await only_report(bot)))["child_words"] == words


async def test_back_returns_to_the_previous_question_and_keeps_answers(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await chat.click("no")
    await chat.click("commerce")
    chat.assert_asked("commerce_kind")

    await chat.send("back")
    chat.assert_asked("category")
    assert chat.question.current_answer == "Commerce"
    await chat.click("__back")
    chat.assert_asked("immediate_danger")
    await chat.click("__back")
    chat.assert_reply("first question")
    chat.assert_asked("immediate_danger")

    await chat.click("no")  # the later answer (category) is kept: straight to its sub-kind
    chat.assert_asked("commerce_kind")
    await walk_to_summary(chat, {"commerce_kind": "phishing", **CONCERN_TAIL})
    await chat.click("__submit")
    report = await only_report(bot)
    assert (report.category, report.subcategory) == ("commerce", "phishing")


async def test_cancel_asks_first_then_discards_the_draft(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await chat.click("no")
    await chat.click("content")

    await chat.send("cancel")
    chat.assert_reply("Do you want to cancel this report?")
    await chat.click("__cancel_no")
    chat.assert_asked("content_kind")  # carried on where it was

    await chat.click("__cancel")
    await chat.click("__cancel_yes")
    chat.assert_reply("Cancelled. Nothing was sent.")
    assert chat.question.input == "menu"
    assert await all_reports(bot) == []
    await chat.open()
    assert chat.question.input == "menu"  # no draft left behind


async def test_any_answer_can_be_changed_from_the_summary(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk_to_summary(
        chat,
        {
            "immediate_danger": "no",
            "category": "commerce",
            "commerce_kind": "gambling",
            **CONCERN_TAIL,
        },
    )

    await chat.click("edit:what_happened")
    chat.assert_asked("what_happened")
    assert chat.question.current_answer == CONCERN_TAIL["what_happened"]
    await chat.send("A pupil was using a betting site during golden time.")
    chat.assert_asked("summary")  # nothing new applies: straight back to the summary

    await chat.click("edit:category")
    await chat.click("content")
    chat.assert_asked("content_kind")  # the new branch's question is asked
    await chat.click("pornography")
    chat.assert_asked("summary")
    labels = [row.label for row in chat.question.rows]
    assert "Content" in labels and "Commerce" not in labels

    await chat.click("__submit")
    report = await only_report(bot)
    assert (report.category, report.subcategory) == ("content", "pornography")
    stored = await answers_of(bot, report)
    assert stored["what_happened"] == "A pupil was using a betting site during golden time."
    assert "commerce_kind" not in stored  # the old branch's answer is not kept


async def test_a_draft_survives_a_restart_and_the_user_is_told(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await chat.click("no")
    await chat.click("cyberbullying")
    await chat.click("yes")
    chat.assert_asked("bullying_evidence")

    restarted = await make_bot()  # a new process: new router, same database and key
    chat.restart(restarted)
    await chat.open()

    chat.assert_reply("You have an unfinished report")
    chat.assert_asked("bullying_evidence")
    await walk_to_summary(
        chat, {"bullying_evidence": "kept", "bullying_illegal": "unsure", **CONCERN_TAIL}
    )
    await chat.click("__submit")
    stored = await answers_of(restarted, await only_report(restarted))
    assert stored["bullying_repeated"] == "yes"  # answered before the restart
    assert stored["bullying_illegal"] == "unsure"
