"""Bad input, attachments, redelivery, coming back later and purged drafts, via the router."""

from __future__ import annotations

from bot.chat.scheduled import purge_drafts
from bot.delivery.messages import Inbound
from tests.support.harness import Chat
from tests.support.reports import all_reports, answers_of, event_kinds, only_report
from tests.support.walk import CONCERN_TAIL, STAFF, start, walk_to_summary


async def _to_what_happened(chat: Chat) -> None:
    await start(chat, "concern")
    await chat.click("no")
    await chat.click("commerce")
    await chat.click("scam")
    await chat.click("no")
    await chat.send("AB (Year 5)")
    chat.assert_asked("what_happened")


async def test_bad_answers_get_clear_messages_and_lose_nothing(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await _to_what_happened(chat)

    too_long = "x" * 4001
    await chat.send(too_long)
    (error,) = chat.notices("error")
    assert "4,001 characters; the limit here is 4,000" in error.text
    assert error.restore_text == too_long  # the text goes back into the box
    chat.assert_asked("what_happened")

    await chat.send("   ")
    chat.assert_reply("needs an answer")
    chat.assert_asked("what_happened")

    await chat.click("not-an-option")
    chat.assert_asked("what_happened")

    await chat.send("A pupil was sent a fake prize link.")
    await chat.send("skip")  # your_concerns
    await chat.click("no")  # disclosure
    await chat.click("yes")  # safe_home
    await chat.click("no")  # others_at_risk
    await chat.send("No one yet.")  # others_told
    chat.assert_asked("happened_at")
    for bad in ["last blue moon", "31/02/2026", "25:99"]:
        await chat.send(bad)
        chat.assert_reply("could not read")
        assert chat.notices("error")[0].restore_text == bad
        chat.assert_asked("happened_at")

    await chat.click("yes")  # a stale yes/no button value on a date question
    chat.assert_asked("happened_at")
    assert not any("Traceback" in text for text in chat.texts)

    rest = {
        k: v
        for k, v in CONCERN_TAIL.items()
        if k
        not in {
            "about_adult",
            "pupils",
            "what_happened",
            "your_concerns",
            "disclosure",
            "safe_home",
            "others_at_risk",
            "others_told",
        }
    }
    await walk_to_summary(chat, rest)
    await chat.click("__submit")
    stored = await answers_of(bot, await only_report(bot))
    assert stored["pupils"] == "AB (Year 5)"  # answered before all the errors
    assert stored["what_happened"] == "A pupil was sent a fake prize link."


async def test_unknown_buttons_and_words_with_no_flow_lead_back_to_the_menu(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await chat.click("__submit")
    chat.assert_reply("belongs to a conversation that has finished")
    assert chat.question.input == "menu"
    await chat.send("what is this?")
    assert chat.question.input == "menu"
    await chat.send("help")
    chat.assert_reply("call 999 first")
    await chat.send("report")
    chat.assert_asked("immediate_danger")


async def test_files_and_images_are_refused_and_nothing_is_stored(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await chat.click("no")
    await chat.click("image")

    await chat.attach()

    chat.assert_reply("can't accept files or images")
    chat.assert_reply("do not send, copy or forward it")
    chat.assert_asked("image_rules")
    assert await all_reports(bot) == []


async def test_a_redelivered_message_counts_once(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    inbound_id = "platform-event-1"
    message = Inbound(
        "test", STAFF, chat.user, value="yes", message_id=inbound_id, token=chat.question.token
    )
    first = await bot.router.handle(message)
    second = await bot.router.handle(message)
    third = await bot.router.handle(message)

    assert first and second == [] and third == []
    assert len(await all_reports(bot)) == 1  # one urgent report, not three


async def test_coming_back_after_a_while_shows_where_you_were(make_bot, clock):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await _to_what_happened(chat)

    clock.advance(hours=2)
    await chat.send("hello again")

    chat.assert_reply("Welcome back")
    chat.assert_asked("what_happened")
    assert chat.notices()[0].restore_text == "hello again"
    await chat.send("The real answer.")
    chat.assert_asked("your_concerns")


async def test_abandoned_drafts_are_purged_after_the_retention_time(make_bot, clock):
    bot = await make_bot(draft_retention_hours=24)
    chat = Chat(bot, STAFF)
    urgent = Chat(bot, "s.nakamura@example.org")
    await _to_what_happened(chat)
    await start(urgent, "concern")
    await urgent.click("yes")

    clock.advance(hours=23)
    assert await purge_drafts(bot.jobs) == 0
    clock.advance(hours=2)
    # Both have answers: the DSL is told first, and they go once the grace period has passed.
    assert await purge_drafts(bot.jobs) == 0
    clock.advance(hours=47)
    assert await purge_drafts(bot.jobs) == 0
    clock.advance(hours=2)
    assert await purge_drafts(bot.jobs) == 2

    await chat.open()
    chat.assert_reply("was deleted after 74 hours")
    chat.assert_reply("the DSL was told who had started it")
    assert chat.question.input == "menu"
    report = await only_report(bot)  # the urgent record is kept, never silently deleted
    assert (report.urgent, report.status) == (True, "abandoned")
    kinds = await event_kinds(bot)
    assert kinds.count("draft_purged") == 2 and "reporter_stopped" in kinds
    assert kinds.count("draft_dsl_told") == 2

    await chat.open()
    assert "deleted" not in " ".join(chat.texts)  # told once
