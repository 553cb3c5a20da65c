"""A button on an old message answers nothing: only the current question's token is accepted.

Each click carries its question's token (dialogs/prompts.py); these press buttons of messages
shown earlier, as a person scrolling up (or a slow client) would, and check that nothing is
stored, no report is opened and the person is shown where they are.
"""

from __future__ import annotations

from bot.delivery.messages import Summary
from bot.reports.service import read_answers
from bot.words import strings
from storage.models import AuditParticipant
from tests.support.alerts import DSL
from tests.support.harness import Chat
from tests.support.reports import all_reports, count, only_report
from tests.support.walk import STAFF, cyberbullying_concern, start, walk_to_summary

CONCERN = cyberbullying_concern("Names called in the class group chat.", "yesterday 15:00")


async def _walk_until(chat: Chat, step: str) -> dict[str, str | None]:
    """Answer from CONCERN until `step` is asked; the token each question was shown with."""
    tokens: dict[str, str | None] = {}
    for _ in range(20):
        tokens[chat.step or ""] = chat.question.token
        if chat.step == step:
            return tokens
        value = CONCERN[chat.step or ""]
        options = {o.value for o in chat.question.options}
        await (chat.click(value) if value in options else chat.send(str(value)))
    raise AssertionError(f"{step} never asked")


async def test_an_old_yes_at_about_adult_changes_nothing(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    tokens = await _walk_until(chat, "about_adult")

    await chat.click("yes", token=tokens["immediate_danger"])  # the first question's Yes

    chat.assert_reply(strings.STALE_CLICK)
    chat.assert_asked("about_adult")
    assert await all_reports(bot) == []  # no urgent report opened, no alert
    await chat.click("no")  # the current question still takes its own answer
    chat.assert_asked("pupils")
    await walk_to_summary(chat, CONCERN)
    summary = chat.question
    assert isinstance(summary, Summary)
    values = {row.step_id: row.value for row in summary.rows}
    assert values["immediate_danger"] == "No" and values["about_adult"] == "No"


async def test_a_click_without_a_token_is_an_old_message(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    chat.assert_asked("immediate_danger")
    await chat.click("yes", token=None)  # a message sent before clicks carried tokens
    chat.assert_reply(strings.STALE_CLICK)
    chat.assert_asked("immediate_danger")
    assert await all_reports(bot) == []


async def test_a_double_click_counts_once(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    token = chat.question.token
    await chat.click("no", token=token)
    chat.assert_asked("category")
    await chat.click("no", token=token)  # the same button again, not a new delivery
    chat.assert_reply(strings.STALE_CLICK)
    chat.assert_asked("category")


async def test_a_finished_reports_buttons_do_nothing_to_the_next(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    first = chat.question.token  # immediate_danger, never clicked on this message
    await chat.send("no")
    await walk_to_summary(chat, CONCERN)
    send = chat.question.token
    await chat.click("__submit")
    assert len(await all_reports(bot)) == 1

    await chat.click("yes", token=first)  # no dialog now: nothing starts, and it says so
    chat.assert_reply(strings.STALE_BUTTON)
    await chat.click("__submit", token=send)  # Send again: the reference, nothing filed
    reference = (await only_report(bot)).reference
    chat.assert_reply(strings.ALREADY_SENT.format(reference=reference))
    assert len(await all_reports(bot)) == 1

    await chat.click("start:concern")
    chat.assert_asked("immediate_danger")
    await chat.click("yes", token=first)  # the same step, the same label: still not this one
    chat.assert_reply(strings.STALE_CLICK)
    chat.assert_asked("immediate_danger")
    assert len(await all_reports(bot)) == 1  # no urgent report opened


async def test_a_case_forms_old_buttons_change_nothing(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk_to_summary(chat, CONCERN)
    await chat.click("__submit")
    case = (await only_report(bot)).id
    dsl = Chat(bot, DSL)

    await dsl.click(f"case:action:{case}")  # a case card's button: no token, always valid
    dsl.assert_asked("action")
    action = dsl.question.token
    await dsl.click("police")
    dsl.assert_asked("details")
    await dsl.click("informed_parents", token=action)  # the form's first question, pressed again
    dsl.assert_reply(strings.STALE_CLICK)
    dsl.assert_asked("details")
    await dsl.send("Called 101, ref 12345.")
    await dsl.send("today 10:00")
    assert isinstance(dsl.question, Summary)
    save = dsl.question.token
    await dsl.click("__submit")
    dsl.assert_reply("Action recorded on case")

    await dsl.click(f"case:note:{case}")  # another case form
    dsl.assert_asked("note")
    await dsl.click("__submit", token=save)  # the last form's Send: saves nothing here
    dsl.assert_reply(strings.STALE_CLICK)
    dsl.assert_asked("note")


async def test_the_self_audits_old_buttons_change_nothing(make_bot):
    bot = await make_bot()
    staff, dsl = Chat(bot, STAFF), Chat(bot, DSL)
    await dsl.send("audit start")
    await staff.send("audit")
    staff.assert_asked("knows_lead")
    first = staff.question.token
    await staff.click("yes")
    staff.assert_asked("knows_lead_comment")
    await staff.click("no", token=first)  # the first answer, changed by an old button: no
    staff.assert_reply(strings.STALE_CLICK)
    staff.assert_asked("knows_lead_comment")
    await staff.click("__skip")
    staff.assert_asked("pupil_concern")
    await staff.click("__back")
    staff.assert_asked("knows_lead_comment")
    assert await count(bot, AuditParticipant, AuditParticipant.status == "started") == 1


async def test_an_old_summarys_send_after_a_change_files_nothing_and_the_new_one_files_it(
    make_bot,
):
    # The Send turn files the summary it was pressed on: an older summary, showing answers
    # since changed, is refused; the current one files the changed answer, as it showed it.
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk_to_summary(chat, CONCERN)
    old_send = chat.question.token
    await chat.click("edit:what_happened")
    chat.assert_asked("what_happened")
    await chat.send("Names called, and a photo shared.")
    assert isinstance(chat.question, Summary)

    await chat.click("__submit", token=old_send)
    chat.assert_reply(strings.STALE_CLICK)
    assert await all_reports(bot) == []

    shown = {row.step_id: row.value for row in chat.question.rows}
    assert shown["what_happened"] == "Names called, and a photo shared."
    await chat.click("__submit")
    report = await only_report(bot)
    stored = await read_answers(cipher=bot.cipher, report=report)
    filed = {row["step"]: row["answer"] for row in stored["rows"]}
    assert filed == shown, filed
