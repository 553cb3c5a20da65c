"""Possibly illegal material behind a filtering failure is filed as an urgent safeguarding
concern the moment "possibly illegal" is answered, not when the report is finished: a reporter
who stops half-way must not leave the DSL without the concern (issue: DfE filtering and
monitoring standards; the IWF's "do not investigate it yourself").

Through the real router, outbox and dispatcher (SQLite and PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Outbox, Report
from tests.support.harness import Chat
from tests.support.notifiers import RecordingChannel
from tests.support.reports import all_reports, answers_of, event_kinds
from tests.support.walk import STAFF, Answer, start, walk_to_summary

DSL = "a.hartley@example.org"
URL = "https://bad.example.com/page?q=1"
REST: dict[str, Answer] = {
    "pupils_saw": "CD (Year 8)",
    "exposure_content": "pornography",
    "used_by": "pupil",
    "connection": "school_wifi",
    "device_room": "Laptop 7, ICT suite",
    "user_account": "login Y8-shared",
    "address": URL,
    "happened_at": "today 09:40",
    "what_seen": "Images I did not look at closely.",
    "actions_taken": "Screen off.",
}


async def alerted(bot, report: Report) -> set[str]:
    async with bot.router.sessions() as session:
        rows = await session.scalars(
            select(Outbox).where(Outbox.report_id == report.id, Outbox.kind == "alert")
        )
        return {row.recipient_email for row in rows}


async def answer_possibly_illegal(chat: Chat) -> None:
    await start(chat, "filtering")
    for step, value in [("problem", "harmful_through"), ("pupil_exposed", "yes")]:
        chat.assert_asked(step)
        await chat.click(value)
    chat.assert_asked("possibly_illegal")
    await chat.click("yes")


async def test_the_concern_is_filed_and_alerted_when_possibly_illegal_is_answered(make_bot):
    channel = RecordingChannel()
    bot = await make_bot(notifiers={"test": channel})
    chat = Chat(bot, STAFF)
    await answer_possibly_illegal(chat)

    filtering, concern = await all_reports(bot)  # both stored before the report is finished
    assert (filtering.kind, filtering.status, filtering.urgent) == (
        "filtering",
        "in_progress",
        True,
    )
    assert (concern.kind, concern.status, concern.urgent) == ("concern", "submitted", True)
    assert (concern.category, concern.subcategory) == ("content", "possibly_illegal")
    assert concern.urgent_reasons == ["possibly_illegal"]
    assert filtering.linked_report_id == concern.id and concern.linked_report_id == filtering.id
    assert DSL in await alerted(bot, concern)
    chat.assert_reply("It has also been filed as an urgent safeguarding concern")
    chat.assert_asked("pupils_saw")  # the questions carry on

    await bot.dispatcher.deliver_due()
    titles = [card.title for card in channel.cards(DSL)]
    assert any(concern.reference in title for title in titles), titles


async def test_the_concern_stays_when_the_reporter_cancels(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await answer_possibly_illegal(chat)

    await chat.send("cancel")
    await chat.click("yes")

    filtering, concern = await all_reports(bot)
    assert filtering.status == "abandoned"  # kept, as every urgent report is
    assert (concern.status, concern.urgent) == ("submitted", True)


async def test_finishing_the_report_completes_the_one_concern_already_filed(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await answer_possibly_illegal(chat)
    (_, concern_then) = await all_reports(bot)
    assert "device_room" not in await answers_of(bot, concern_then)  # not answered yet

    await walk_to_summary(chat, REST)
    await chat.click("__submit")
    await chat.receipt()

    filtering, concern = await all_reports(bot)  # still one concern, not a second
    assert concern.id == concern_then.id
    assert (filtering.status, filtering.linked_report_id) == ("submitted", concern.id)
    chat.assert_reply(f"also filed as concern {concern.reference}")
    stored = await answers_of(bot, concern)  # the concern has the finished answers
    assert (stored["device_room"], stored["address"]) == (REST["device_room"], URL)
    assert "answers_completed" in await event_kinds(bot, concern)
