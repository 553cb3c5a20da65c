"""Each DSL case form speaks of itself: typing "cancel" asks whether to stop that form (not "this
report"), stopping it says what was not saved to the case, and sending it says what was done,
in its own words. Each form is walked by step id on the test channel, through the real router
that Slack, Teams and the web chat share."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from bot.cases.flow_words import for_school
from bot.delivery.messages import Notice, Question
from bot.school.config import load_school_config
from bot.words import strings
from dialogs.engine import Dialog
from dialogs.loader import BUILTIN_FLOWS, load_flows
from tests.conftest import EXAMPLE_CONFIG
from tests.support.alerts import DSL, file_concern
from tests.support.dialog_chat import LONDON, NOW
from tests.support.dialog_chat import Chat as DialogChat
from tests.support.harness import Chat
from tests.support.reports import event_kinds, only_report
from tests.support.walk import Answer, ChatAsking, walk

# What the report flows say when stopped: never right for a case form.
REPORT_WORDS = ("this report", "Nothing was sent")
CLOSE_ANSWERS: dict[str, Answer] = {
    "decision": ("handled_in_school",),
    "child_views": "skip",
    "support": "skip",
    "reporter_told": "yes",
    "outcome": "Parents told; the app account was closed.",
    "reasons": "Low level, no risk of harm.",
    "child_dob": "skip",
}


@dataclass(frozen=True)
class Form:
    answers: dict[str, Answer]  # the whole form, in the order it asks
    stop_at: str  # the step at which "cancel" is typed
    cancel_question: str
    cancelled: str
    done: str  # {reference}: the case's


FORMS: dict[str, Form] = {
    "note": Form(
        {"note": "Spoke to the class teacher; the pupil is in school today."},
        stop_at="note",
        cancel_question="Stop writing this note? Nothing has been added to the case.",
        cancelled="Stopped. The note was not saved, and nothing has been added to the case.",
        done="Note saved to case {reference}.",
    ),
    "action": Form(
        {"action": "police", "details": "Called 101, ref 12345.", "done_at": "today 10:00"},
        stop_at="details",
        cancel_question="Stop recording this action? Nothing has been saved to the case.",
        cancelled="Stopped. The action was not recorded, and nothing has been saved to the case.",
        done="Action recorded on case {reference}.",
    ),
    "close": Form(
        CLOSE_ANSWERS,
        stop_at="outcome",
        cancel_question="Stop closing the case? It stays open, and nothing has been saved to it.",
        cancelled="Stopped. The case is still open, and nothing has been saved to it.",
        done="Case {reference} closed.",
    ),
    "reopen": Form(
        {"reason": "The pupil has been contacted again."},
        stop_at="reason",
        cancel_question="Stop reopening the case? It stays closed, and nothing has been saved "
        "to it.",
        cancelled="Stopped. The case is still closed, and nothing has been saved to it.",
        done="Case {reference} reopened.",
    ),
    "recategorise": Form(
        {"category": "image", "reason": "The 'scam' was a demand for nude images."},
        stop_at="reason",
        cancel_question="Stop changing the category? The case keeps the one it has, and "
        "nothing has been saved to it.",
        cancelled="Stopped. The category has not changed, and nothing has been saved to the case.",
        done="Category of case {reference} changed.",
    ),
}


async def open_form(make_bot, form: str) -> tuple[object, Chat, str]:
    """A filed concern (closed first, for reopen) and the DSL at the first question of `form`."""
    bot = await make_bot()
    await file_concern(bot)
    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    if form == "reopen":
        await dsl.click(f"case:close:{report.id}")
        await walk(ChatAsking(dsl), CLOSE_ANSWERS)
        await dsl.click("__submit")
    await dsl.click(f"case:{form}:{report.id}")
    assert report.reference is not None
    return bot, dsl, report.reference


def only_notice(chat: Chat) -> Notice:
    notices = chat.notices()
    assert notices, f"no notice in the replies: {chat.texts}"
    return notices[0]


@pytest.mark.parametrize("form", list(FORMS))
async def test_cancel_in_a_case_form_asks_about_that_form_and_says_nothing_was_saved(
    make_bot, form
):
    bot, dsl, _ = await open_form(make_bot, form)
    words = FORMS[form]
    before = {step: words.answers[step] for step in list(words.answers)[: _index(words)]}
    await walk(ChatAsking(dsl), before, until=words.stop_at)
    kinds = await event_kinds(bot, await only_report(bot))

    await dsl.send("cancel")
    asked = dsl.question
    assert isinstance(asked, Question) and asked.step_id is None  # the cancel question
    assert asked.text == words.cancel_question
    assert not any(w in asked.text for w in REPORT_WORDS)

    await dsl.send("yes")
    stopped = only_notice(dsl)
    assert stopped.text == words.cancelled
    assert not any(w in stopped.text for w in REPORT_WORDS)
    assert await event_kinds(bot, await only_report(bot)) == kinds  # nothing was recorded


@pytest.mark.parametrize("form", list(FORMS))
async def test_a_sent_case_form_says_what_was_done_in_its_own_words(make_bot, form):
    _, dsl, reference = await open_form(make_bot, form)
    words = FORMS[form]
    await walk(ChatAsking(dsl), words.answers)
    await dsl.click("__submit")
    done = only_notice(dsl)
    assert done.tone == "success"
    assert done.text == words.done.format(reference=reference)


def _index(form: Form) -> int:
    return list(form.answers).index(form.stop_at)


def test_a_schools_own_case_flow_without_words_for_stopping_gets_a_case_forms() -> None:
    """Never the report's words: a school's case flow without `cancel_question`/`cancelled` is
    given the bot's words for a case form when the flows are loaded for the school."""
    flows = load_flows(BUILTIN_FLOWS)
    note = flows["case_note"]
    bare = replace(
        note, spec=note.spec.model_copy(update={"cancel_question": None, "cancelled": None})
    )
    school = load_school_config(EXAMPLE_CONFIG)
    loaded = for_school({**flows, "case_note": bare}, school)
    chat = DialogChat(Dialog(loaded["case_note"], tz=LONDON, clock=lambda: NOW))
    chat.send("cancel")
    assert chat.question.text == strings.CASE_FORM_CANCEL_QUESTION
    chat.send("yes")
    assert [p.text for p in chat.turn.prompts if isinstance(p, Notice)] == [
        strings.CASE_FORM_CANCELLED
    ]
    assert loaded["concern"].spec.cancel_question is None  # a report keeps the report's words
