"""Every imagery path asks the image questions: where the device is and who holds it (never
searched by the reporter), whether an adult saw it, and the UKCIS referral indicators, worded
so staff can answer from what they were told without looking (issue 15, points 6 and 7).
Through the real router and storage, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.words.strings import URGENT_REASONS
from dialogs.loader import BUILTIN_FLOWS, load_flows
from tests.support.harness import Chat
from tests.support.reports import answers_of, only_report
from tests.support.walk import CONCERN_TAIL, STAFF, Answer, ChatAsking, start, walk

IMAGE_STEPS = ["image_device", "device_kept", "image_seen", "image_indicators"]
PATHS: list[tuple[str, dict[str, Answer], str]] = [
    # (category, the answers that lead to the image questions, stored subcategory)
    ("image", {"image_rules": "ok"}, ""),
    ("ai_abuse", {"ai_kind": "sexual_imagery", "ai_image_rules": "ok"}, "sexual_imagery"),
    (
        "conduct",
        {"conduct_kind": "sharing_explicit", "conduct_image_rules": "ok"},
        "sharing_explicit",
    ),
]


@pytest.mark.parametrize(("category", "branch", "subcategory"), PATHS, ids=[p[0] for p in PATHS])
async def test_every_imagery_path_asks_the_image_questions(make_bot, category, branch, subcategory):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    head = {"immediate_danger": "no", "category": category, **branch}
    await walk(ChatAsking(chat), head, until="image_device")
    guidance = chat.question.guidance or ""
    assert "Do not search it" in guidance
    assert "only staff authorised by the headteacher may" in guidance

    await chat.click("with_staff")
    chat.assert_asked("device_kept")
    assert chat.question.text == "Where is the device kept now, and who holds it?"
    answers: dict[str, Answer] = {
        "device_kept": "In the head's safe; Mr Osei holds the key.",
        "image_seen": "not_seen",
        "image_indicators": ("adult_involved",),
        **CONCERN_TAIL,
    }
    asked = await walk(ChatAsking(chat), answers)
    assert asked[:3] == IMAGE_STEPS[1:]
    await chat.click("__submit")

    report = await only_report(bot)
    assert (report.category, report.subcategory or "") == (category, subcategory)
    assert (report.urgent, report.urgent_reasons) == (True, ["adult_involved"])
    stored = await answers_of(bot, report)
    assert stored["image_device"] == "with_staff"
    assert stored["device_kept"] == "In the head's safe; Mr Osei holds the key."
    assert stored["image_indicators"] == ["adult_involved"]


async def test_a_device_with_the_pupil_asks_no_keeper(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    head = {"immediate_danger": "no", "category": "image", "image_rules": "ok"}
    await walk(ChatAsking(chat), head, until="image_device")
    await chat.click("with_pupil")
    chat.assert_reply("confiscate the device now")
    chat.assert_asked("image_seen")


async def test_the_indicators_are_asked_from_what_staff_were_told(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    head = {
        "immediate_danger": "no",
        "category": "image",
        "image_rules": "ok",
        "image_device": "no_device",
        "image_seen": "not_seen",
    }
    await walk(ChatAsking(chat), head, until="image_indicators")
    question = chat.question
    assert question.text.startswith(
        "From what you have been told (do not look, and do not ask pupils to find out), "
        "do any of these apply?"
    )
    labels = {o.value: o.label for o in question.options}
    assert "A child under 13 is shown" not in labels.values()
    assert labels["under_13"] == "It may show sexual activity and a child in it is under 13"
    assert labels["adult_involved"].startswith("An adult sent it or asked for it")
    assert labels["capacity"].startswith("A child involved may not be able to consent")

    await chat.tick("under_13", "capacity")

    report = await only_report(bot)
    assert report.urgent_reasons == ["capacity", "under_13"]
    urgent = " ".join(n.text for n in chat.notices("urgent"))
    assert URGENT_REASONS["under_13"] == "sexual activity involving a child under 13"
    assert URGENT_REASONS["under_13"] in urgent and URGENT_REASONS["capacity"] in urgent


def test_each_indicator_is_one_ukcis_referral_criterion_and_makes_it_urgent() -> None:
    # UKCIS (2024): the DSL refers at once if an adult is involved; there is coercion, blackmail
    # or grooming, or concern about capacity to consent; the acts are violent or unusual for the
    # child's age; a child under 13 is in sexual activity; a child is at immediate risk of harm.
    concern = load_flows(BUILTIN_FLOWS)["concern"].spec
    step = concern.step("image_indicators")
    values = {o.value for o in step.options}
    assert values == {
        "risk_of_harm",
        "adult_involved",
        "coercion",
        "capacity",
        "sextortion",
        "under_13",
        "violent",
    }
    urgent = {e.when: e.reason for e in step.on_answer if e.signal == "urgent"}
    assert {f"'{v}' in image_indicators" for v in values} == set(urgent)
    assert all(len(o.label) <= 75 for o in step.options)
