"""The filtering and monitoring flow, through the real router and storage (SQLite and PG)."""

from __future__ import annotations

import re

import pytest

from tests.support.harness import Chat
from tests.support.reports import all_reports, answers_of, event_kinds, only_report
from tests.support.walk import STAFF, Answer, start, walk_to_summary

URL = "https://bad.example.com/page?q=1"
EXPOSURE: dict[str, Answer] = {
    "pupil_exposed": "yes",
    "possibly_illegal": "no",
    "pupils_saw": "AB (Year 5)",
    "exposure_content": "other",
    "used_by": "pupil",
}
PLACE: dict[str, Answer] = {
    "connection": "school_wifi",
    "device_room": "Laptop 7, ICT suite",
    "user_account": "login Y5-shared",
    "address": URL,
    "happened_at": "today 09:40",
}
CASES: list[tuple[str, dict[str, Answer], list[str]]] = [
    (
        "harmful_through",
        {
            **EXPOSURE,
            **PLACE,
            "what_seen": "A gambling advert with a video.",
            "actions_taken": "Screen off.",
        },
        [
            "pupil_exposed",
            "possibly_illegal",
            "pupils_saw",
            "exposure_content",
            "used_by",
            "connection",
            "device_room",
            "user_account",
            "address",
            "happened_at",
            "what_seen",
            "actions_taken",
        ],
    ),
    (
        "over_blocked",
        {**PLACE, "needed_for": "Year 6 history research, this week.", "actions_taken": "skip"},
        [
            "connection",
            "device_room",
            "user_account",
            "address",
            "needed_for",
            "happened_at",
            "actions_taken",
        ],
    ),
    (
        "monitoring",
        {
            **EXPOSURE,
            **PLACE,
            "what_seen": "No alert for a blocked search.",
            "actions_taken": "Told ICT.",
        },
        [
            "pupil_exposed",
            "possibly_illegal",
            "pupils_saw",
            "exposure_content",
            "used_by",
            "connection",
            "device_room",
            "user_account",
            "address",
            "happened_at",
            "what_seen",
            "actions_taken",
        ],
    ),
    (
        "bypass",
        {
            **EXPOSURE,
            **PLACE,
            "what_seen": "A VPN app on a pupil login.",
            "actions_taken": "Logged the pupil out.",
        },
        [
            "pupil_exposed",
            "possibly_illegal",
            "pupils_saw",
            "exposure_content",
            "used_by",
            "connection",
            "device_room",
            "user_account",
            "address",
            "happened_at",
            "what_seen",
            "actions_taken",
        ],
    ),
    (
        "ai_output",
        {
            **EXPOSURE,
            **PLACE,
            "what_seen": "A chatbot described ways to self-harm.",
            "actions_taken": "Closed the tab.",
        },
        [
            "pupil_exposed",
            "possibly_illegal",
            "pupils_saw",
            "exposure_content",
            "used_by",
            "connection",
            "device_room",
            "user_account",
            "address",
            "happened_at",
            "what_seen",
            "actions_taken",
        ],
    ),
    (
        "advance_notice",
        {
            "topic": "Year 6 PSHE: online gambling risks; searches for betting odds.",
            "teaching_at": "tomorrow 10:15",
            "device_room": "Year 6 laptops",
            "actions_taken": "skip",
        },
        ["topic", "teaching_at", "device_room", "actions_taken"],
    ),
]


@pytest.mark.parametrize(("problem", "branch", "steps"), CASES)
async def test_every_filtering_problem_is_asked_its_questions_and_stored(
    make_bot, problem, branch, steps
):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")

    asked = await walk_to_summary(chat, {"problem": problem, **branch})

    assert asked == ["problem", *steps]
    await chat.click("__submit")
    await chat.receipt()
    reference = re.search(r"FF-2026-\d{5}", " ".join(chat.texts))
    assert reference, chat.texts
    report = await only_report(bot)
    assert (report.kind, report.category, report.status) == ("filtering", problem, "submitted")
    assert report.reference == reference.group(0)
    stored = await answers_of(bot, report)
    assert stored["device_room"] == branch["device_room"]
    if "user_account" in branch:
        assert stored["user_account"] == branch["user_account"]
    if "address" in branch:
        assert stored["address"] == URL  # stored as given, shown defanged
    assert await event_kinds(bot, report) == ["submitted", "alert_raised"]


async def test_urls_are_shown_defanged_never_as_links(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")
    await walk_to_summary(
        chat,
        {"problem": "over_blocked", **PLACE, "needed_for": "Science.", "actions_taken": "skip"},
    )
    shown = {row.step_id: row.value for row in chat.question.rows}
    assert shown["address"] == "hxxps://bad[.]example[.]com/page?q=1"
    assert "https://" not in " ".join(shown.values())


async def test_advance_notice_accepts_a_future_date_but_incidents_do_not(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")
    await chat.click("over_blocked")
    await chat.click("guest_wifi")
    await chat.send("Laptop 7")
    chat.assert_asked("user_account")
    await chat.send("skip")
    await chat.send(URL)
    await chat.send("Science")
    chat.assert_asked("happened_at")
    await chat.send("tomorrow 10:00")
    chat.assert_reply("in the future")
    chat.assert_asked("happened_at")


async def test_possibly_illegal_material_is_also_filed_as_an_urgent_concern(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")
    await chat.click("harmful_through")
    await chat.click("yes")
    await chat.click("yes")
    chat.assert_reply("Do not investigate, open or screenshot it")
    await walk_to_summary(
        chat,
        {
            **PLACE,
            "pupils_saw": "CD (Year 8)",
            "exposure_content": "pornography",
            "used_by": "unsure",
            "what_seen": "Images I did not look at closely.",
            "actions_taken": "Off.",
        },
    )
    await chat.click("__submit")

    await chat.receipt()
    chat.assert_reply("also filed as concern OS-2026-")
    filtering, concern = await all_reports(bot)
    assert (filtering.kind, concern.kind) == ("filtering", "concern")
    assert (concern.category, concern.subcategory, concern.urgent) == (
        "content",
        "possibly_illegal",
        True,
    )
    assert filtering.linked_report_id == concern.id and concern.linked_report_id == filtering.id
    assert (await answers_of(bot, concern))["device_room"] == PLACE["device_room"]


ADULT_ROUTE = "that is a concern about an adult at school"


@pytest.mark.parametrize(
    ("used_by", "connection"),
    [("staff", "mobile_data"), ("pupil", "school_device_home"), ("visitor", "guest_wifi")],
)
async def test_who_was_using_it_and_the_connection_are_asked_and_stored(
    make_bot, used_by, connection
):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")
    for step, value in [
        ("problem", "ai_output"),
        ("pupil_exposed", "no"),
        ("possibly_illegal", "no"),
        ("used_by", used_by),
    ]:
        chat.assert_asked(step)
        await chat.click(value)
    guidance = " ".join(n.text for n in chat.notices("guidance"))
    # A member of staff is pointed to the allegations route: a concern about an adult, which
    # goes to the right person, never to the one it is about. Nothing else is filed for it.
    assert (ADULT_ROUTE in guidance) is (used_by == "staff"), guidance
    if used_by == "staff":
        chat.assert_reply('answer "Yes" when asked whether it is about an adult')
        chat.assert_reply("never to the person it is about")
    chat.assert_asked("connection")
    await chat.click(connection)
    chat.assert_asked("device_room")

    place = {"device_room": "Library PC 3", "user_account": "staff login jsmith"}
    rest = {"address": "https://chat.example.ai", "happened_at": "today 09:40"}
    await walk_to_summary(
        chat, {**place, **rest, "what_seen": "Harmful advice.", "actions_taken": "skip"}
    )
    await chat.click("__submit")
    await chat.receipt()

    report = await only_report(bot)  # no concern is filed on its own
    assert (report.category, report.linked_report_id) == ("ai_output", None)
    stored = await answers_of(bot, report)
    assert (stored["used_by"], stored["connection"]) == (used_by, connection)
    assert (stored["device_room"], stored["user_account"]) == ("Library PC 3", "staff login jsmith")


async def test_a_blocked_site_asks_the_connection_but_not_who_was_using_it(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")
    await chat.click("over_blocked")
    chat.assert_asked("connection")  # not used_by: a blocked site concerns nobody's conduct
    await chat.click("school_wifi")
    chat.assert_asked("device_room")


CONCERN_OF_ITS_OWN = "a safeguarding concern in its own right"


@pytest.mark.parametrize(
    ("content", "possibly_illegal", "told"),
    [
        ("pornography", "no", True),
        ("self_harm", "unsure", True),
        ("violence", "no", True),
        ("other", "no", False),
        ("pornography", "yes", False),  # the linked concern is filed already
    ],
)
async def test_pupils_who_saw_it_are_asked_and_harmful_content_is_a_concern_of_its_own(
    make_bot, content, possibly_illegal, told
):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")
    for step, value in [
        ("problem", "harmful_through"),
        ("pupil_exposed", "yes"),
        ("possibly_illegal", possibly_illegal),
    ]:
        chat.assert_asked(step)
        await chat.click(value)
    chat.assert_asked("pupils_saw")
    await chat.send("AB (Year 5), CD (Year 5)")
    chat.assert_asked("exposure_content")
    await chat.click(content)
    guidance = " ".join(n.text for n in chat.notices("guidance"))
    assert (CONCERN_OF_ITS_OWN in guidance) is told, guidance
    if told:
        chat.assert_reply("When you send this report, I will offer to start that concern")
    chat.assert_asked("used_by")

    await walk_to_summary(
        chat,
        {
            "used_by": "pupil",
            **PLACE,
            "what_seen": "A video.",
            "actions_taken": "Screen off.",
        },
    )
    await chat.click("__submit")
    await chat.receipt()
    filtering = (await all_reports(bot))[0]
    stored = await answers_of(bot, filtering)
    assert (stored["pupils_saw"], stored["exposure_content"]) == (
        "AB (Year 5), CD (Year 5)",
        content,
    )


async def test_no_pupil_exposed_asks_no_pupils_or_content(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")
    for value in ["harmful_through", "unsure", "no"]:
        await chat.click(value)
    chat.assert_asked("used_by")
