"""The bot in Teams: Teams-shaped activities in on /api/messages, what the fake Bot Connector
received out. Alerts go to the DSLs proactively, through their stored conversation references."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from storage.models import Conversation, Outbox
from tests.support.walk import Answer
from tests.teams.concerns import (
    answer,
    file_concern,
    install_for_handlers,
    reports,
)
from tests.teams.connector import text_of
from tests.teams.filing import walk_chat
from tests.teams.world import (
    DEPUTY_1,
    DEPUTY_2,
    DSL,
    GUEST,
    STAFF,
    conversation_of,
    settle,
)

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def test_a_concern_reaches_the_dsl_who_acknowledges_and_the_reporter_is_told(world):
    await install_for_handlers(world)
    greeting = world.texts_to(DSL)[-1]
    assert "start:concern" in greeting or "Report" in greeting  # the menu, on install

    reference = await file_concern(world, "Name-calling in the class group chat.")
    await settle(world)
    (report,) = await reports(world)
    assert (report.reference, report.channel, report.category) == (
        reference,
        "teams",
        "cyberbullying",
    )
    assert report.reporter_email == "t.brannigan@example.org"  # from the member lookup

    alerts = {}
    for user in (DSL, DEPUTY_1, DEPUTY_2):  # a proactive alert each, in their own chat
        (alert,) = [s for s in world.sent_to(user) if reference in text_of(s.body)]
        assert alert.method == "POST" and alert.reply_to is None
        assert f"case:ack:{report.id}" in text_of(alert.body)
        alerts[user] = alert

    await world.click(DSL, f"case:ack:{report.id}", sent=alerts[DSL])
    await settle(world)

    # The alert cards' updates (the reporter's answered questions are updated too).
    reporter = conversation_of(STAFF)
    updates = [
        s for s in world.connector.sent if s.method == "PUT" and s.conversation_id != reporter
    ]
    assert {(u.conversation_id, u.activity_id) for u in updates} >= {
        (conversation_of(user), alerts[user].activity_id) for user in (DSL, DEPUTY_1, DEPUTY_2)
    }
    assert all("Acknowledged by Alice Hartley" in text_of(u.body) for u in updates)
    assert "seen by the DSL" in world.texts_to(STAFF)[-1], [
        t[-600:] for t in world.texts_to(STAFF)[-3:]
    ]

    async with world.bot.router.sessions() as session:
        channels = set(await session.scalars(select(Outbox.channel)))
    assert channels == {"teams"}  # with Teams on, nothing waits in the try-it-out web chat


async def test_the_filtering_report_with_its_url_defanged(world):
    await world.say(STAFF, "filtering")
    answers: dict[str, Answer] = {
        "problem": "over_blocked",
        "connection": "school_wifi",
        "device_room": "Laptop 7",
        "user_account": "skip",
        "address": "https://science.example.org/cells",
        "needed_for": "Year 6 science.",
        "happened_at": "today 09:00",
        "actions_taken": "skip",
    }
    await walk_chat(world, STAFF, answers)  # each answer to its own question
    summary = world.texts_to(STAFF)[-1]
    assert "hxxps://science[.]example[.]org/cells" in summary
    assert "https://science.example.org" not in summary
    await answer(world, STAFF, "__submit")
    (report,) = await reports(world)
    assert (report.kind, report.category, report.status, report.channel) == (
        "filtering",
        "over_blocked",
        "submitted",
        "teams",
    )


async def test_multi_choice_boxes_are_read_from_the_card(world):
    await world.say(STAFF, "report")
    answers: dict[str, Answer] = {
        "immediate_danger": "no",
        "category": "image",
        "image_rules": "ok",
        "image_device": "secured",
        "device_kept": "Locked in the office.",
        "image_seen": "not_seen",
        "image_indicators": ("coercion", "under_13"),
    }
    await walk_chat(world, STAFF, answers, until="about_adult")
    assert "Is the concern about the behaviour of an adult" in world.reads(STAFF)[-1]
    await answer(world, STAFF, "__cancel")
    await answer(world, STAFF, "__cancel_no")
    (urgent,) = await reports(world)  # the boxes ticked made it urgent at once, with why
    assert (urgent.status, urgent.urgent_reasons) == ("in_progress", ["coercion", "under_13"])
    async with world.bot.router.sessions() as session:
        row = await session.scalar(select(Conversation))
    draft = world.bot.cipher.open(row, "state_enc")["dialog"]["answers"]
    assert draft["image_indicators"] == ["coercion", "under_13"]


async def test_the_same_activity_twice_counts_once(world):
    activity = world.activity(STAFF, type="message", text="report", textFormat="plain")
    await world.post(activity)
    await world.click(STAFF, "yes")  # immediate danger: an urgent report is stored at once
    before = len(world.sent_to(STAFF))
    for _ in range(3):  # the Bot Connector redelivers an activity it got no answer for
        assert (await world.post(dict(activity))).status in (200, 202)
    assert len(world.sent_to(STAFF)) == before
    assert len(await reports(world)) == 1


async def test_a_double_click_on_a_question_counts_once(world):
    await world.say(STAFF, "report")
    question = world.newest_with(STAFF, "no")
    await world.click(STAFF, "no", sent=question)
    await world.click(STAFF, "no", sent=question)
    asked = [t for t in world.texts_to(STAFF) if "What is the concern" in t]
    assert len(asked) == 1


async def test_report_text_cannot_mention_anyone_or_make_links(world):
    await install_for_handlers(world)
    hostile = "<at>Alice Hartley</at> [click](https://evil.example) **now** &lt;b&gt;"
    reference = await file_concern(world, hostile)
    await settle(world)
    (report,) = await reports(world)
    await world.click(DSL, f"case:view:{report.id}")  # the case in full, with what was written
    # A mention's tags are dropped on the way in (Teams puts them round a name it links), the
    # entities undone (tests/teams/test_teams_markup.py), and the address shown defanged.
    written = "Alice Hartley [click](hxxps://evil[.]example) **now** <b>"
    alert = next(s for s in reversed(world.sent_to(DSL)) if written in text_of(s.body))
    assert reference in text_of(alert.body)
    # The text is shown as written, in TextRuns, which Teams never reads as markdown; there are
    # no mention entities, so nobody is pinged, and no element that would make a link of it.
    runs = _texts_by_type(alert.body)
    assert any(written in text for text in runs.get("TextRun", [])), runs.get("TextRun")
    assert not {"TextBlock", "Fact", "FactSet", "Action.OpenUrl"} & set(runs)
    assert "entities" not in json.dumps(alert.body)


def _texts_by_type(node: object, found: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    found = {} if found is None else found
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            found.setdefault(node["type"], []).append(str(node.get("text", "")))
        for value in node.values():
            _texts_by_type(value, found)
    elif isinstance(node, list):
        for value in node:
            _texts_by_type(value, found)
    return found


async def test_someone_not_in_the_school_config_can_report_but_never_act(world):
    await install_for_handlers(world)
    await world.say(GUEST, "report")
    assert "immediate danger" in world.texts_to(GUEST)[-1]
    await file_concern(world, "Something I saw.")
    await settle(world)
    (report,) = await reports(world)
    alert = world.newest_with(DSL, f"case:ack:{report.id}")
    data_owner = world.sent_to(GUEST)[-1]
    forged = type(alert)(
        alert.method, data_owner.conversation_id, alert.activity_id, alert.body, None
    )
    await world.click(GUEST, f"case:ack:{report.id}", sent=forged)
    assert "Only the DSL" in world.texts_to(GUEST)[-1]
    (report,) = await reports(world)
    assert report.case_status == "open"


async def test_the_dsl_handles_the_case_in_teams(world):
    await install_for_handlers(world)
    await file_concern(world, "Messages in the group chat.")
    await settle(world)
    (report,) = await reports(world)
    await world.click(DSL, f"case:note:{report.id}")
    await world.say(DSL, "Spoke to the class teacher.")
    await world.click(DSL, "__submit")
    assert "Note saved to case" in " ".join(world.texts_to(DSL)[-3:])
    await world.say(DSL, "cases")
    assert report.reference in " ".join(world.texts_to(DSL)[-3:])


async def test_a_dsl_without_the_app_is_named_in_the_case_list_and_other_channels_still_work(
    world,
):
    for user in (DSL, DEPUTY_1):  # Petra (deputy) and the head never installed the app
        await world.install(user)
    await file_concern(world, "Messages in the group chat.")
    await settle(world)
    await world.say(DSL, "cases")
    said = " ".join(world.texts_to(DSL)[-3:])
    assert "Not reachable on Teams" in said and "Petra Lindqvist" in said
    assert "Martin Fenwick" in said
    async with world.bot.router.sessions() as session:
        rows = list(await session.scalars(select(Outbox).where(Outbox.kind == "alert")))
    status = {r.recipient_email: r.status for r in rows}
    assert status["a.hartley@example.org"] == "sent"
    assert status["p.lindqvist@example.org"] == "pending"  # kept, retried when she installs
    assert world.bot.teams is not None
    assert any("Petra" in n for n in await world.bot.teams.unreachable_handlers())


async def test_a_throttled_reply_is_retried_not_dropped(world):
    world.connector.fail_next(1, status=429, retry_after="0")
    world.connector.fail_next(1, status=502, retry_after=None)
    await world.say(STAFF, "report")
    assert [status for _, status in world.connector.refused] == [429, 502]
    assert "immediate danger" in world.texts_to(STAFF)[-1]


async def test_no_report_content_or_name_reaches_the_logs_through_teams(world, caplog):
    caplog.set_level(logging.DEBUG)  # every library, the Agents SDK included
    await install_for_handlers(world)
    await file_concern(world, "Ottoline Fairweather-Smythe sent Zebedee a photo of the bruise.")
    await settle(world)
    (report,) = await reports(world)
    await world.click(DSL, f"case:view:{report.id}")
    assert "report submitted" in caplog.text  # the flow was logged...
    for word in ("Ottoline", "Fairweather", "Zebedee", "bruise"):
        assert word not in caplog.text  # ...without a word of what was written
