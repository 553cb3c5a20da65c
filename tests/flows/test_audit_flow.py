"""The staff self-audit (policy Appendix 1), driven through the dialog engine one reply at a time.

The router does not start audit flows yet, so these talk to the Dialog directly, as a channel's
buttons and typing would: a yes/no is a button value, a comment is typed text, and "__skip" is the
Skip button of an optional step.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dialogs import strings
from dialogs.engine import Dialog, Turn
from dialogs.loader import BUILTIN_FLOWS, Flow, flow_from_spec, load_flows
from dialogs.prompts import Notice, Question, Summary
from tests.support.dialog_chat import Chat as DialogChat

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 9, 3, 10, 30, tzinfo=UTC)
SKIP = "__skip"  # the Skip button of an optional step
QUESTIONS = [
    "knows_lead",
    "pupil_concern",
    "staff_aup",
    "filtering_familiar",
    "filtering_role",
    "pupil_aup",
    "password_change",
    "cyberbullying_approach",
]
COMMENTS = [f"{q}_comment" for q in QUESTIONS]
STEPS = [s for q in QUESTIONS for s in (q, f"{q}_comment")] + ["training_needs"]


@pytest.fixture(scope="module")
def flow() -> Flow:
    return load_flows(BUILTIN_FLOWS)["staff_audit"]


@pytest.fixture
def audit(flow: Flow) -> Dialog:
    return Dialog(flow, tz=LONDON, clock=lambda: NOW)


class Chat(DialogChat):
    """One person doing the self-audit."""

    def answer(self, given: str | None) -> Turn:
        """A yes/no by its button, a comment by typing it, None by pressing Skip."""
        assert self.step is not None
        if given is None:
            return self.click(SKIP)
        if self.dialog.spec.step(self.step).kind == "yes_no":
            return self.click(given)
        return self.send(given)

    def walk(self, answers: dict[str, str | None]) -> None:
        """Answer every step up to the summary, checking each is asked once and in order."""
        asked: list[str] = []
        while self.step is not None:
            assert self.question.step_id == self.step
            asked.append(self.step)
            self.answer(answers[self.step])
            assert not self.errors, (asked, self.errors)
        assert asked == [s for s in STEPS if s in answers]
        assert isinstance(self.last, Summary)


def all_yes(**changes: str | None) -> dict[str, str | None]:
    answers: dict[str, str | None] = dict.fromkeys(STEPS)
    answers |= dict.fromkeys(QUESTIONS, "yes")
    return answers | changes


# --- Start.


def test_start_shows_the_intro_then_the_first_appendix_question(audit: Dialog) -> None:
    turn = audit.start()
    intro, first = turn.prompts
    assert isinstance(intro, Notice)
    assert intro.text == audit.spec.intro
    assert "3 minutes" in intro.text
    assert isinstance(first, Question)
    assert first.step_id == "knows_lead"
    assert first.input == "yes_no"
    assert first.text == (
        "Do you know the name of the person who has lead responsibility for online safety in "
        "school?"
    )
    assert [(o.value, o.label) for o in first.options] == [("yes", "Yes"), ("no", "No")]
    assert [a.value for a in first.actions] == ["__help", "__cancel"]  # required: no Skip
    assert first.progress == (1, len(STEPS))


def test_a_comment_offers_skip_and_says_its_limit(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.click("yes")
    assert chat.step == "knows_lead_comment"
    comment = chat.question
    assert comment.input == "text"
    assert comment.text == "Any comments? (optional: add comments if necessary)"
    assert comment.required is False
    assert comment.max_length == 1000
    assert [a.value for a in comment.actions] == ["__back", SKIP, "__help", "__cancel"]
    assert comment.progress == (2, len(STEPS))


# --- Whole runs.


def test_all_yes_skipping_every_comment(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.walk(all_yes())
    summary = chat.summary
    assert summary.title == "Your self-audit answers"
    assert [o.value for o in summary.options] == ["__submit", "__back", "__cancel"]
    assert summary.options[0].label == "Send my answers"
    assert [row.step_id for row in summary.rows] == STEPS
    assert {chat.rows[q] for q in QUESTIONS} == {"Yes"}
    assert {chat.rows[c] for c in [*COMMENTS, "training_needs"]} == {strings.NOT_ANSWERED}
    turn = chat.click("__submit")
    assert turn.outcome == "completed"
    assert turn.prompts == []
    assert turn.new_signals == []
    assert turn.state.signals == []
    assert turn.answers(audit) == all_yes()


def test_skip_typed_instead_of_pressed(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.send("Yes")
    chat.send("skip")
    assert not chat.errors
    assert chat.state.answers == {"knows_lead": "yes", "knows_lead_comment": None}
    assert chat.step == "pupil_concern"


def test_a_no_with_a_comment_and_training_needs(audit: Dialog) -> None:
    note = "I know we have filters, but not what they block or who checks the alerts."
    needs = "Filtering and monitoring: what the alerts mean and who acts on them."
    answers = all_yes(
        filtering_familiar="no",
        filtering_familiar_comment=note,
        password_change="no",
        training_needs=needs,
    )
    chat = Chat(audit)
    chat.walk(answers)
    assert chat.rows["filtering_familiar"] == "No"
    assert chat.rows["filtering_familiar_comment"] == note
    assert chat.rows["password_change"] == "No"
    assert chat.rows["password_change_comment"] == strings.NOT_ANSWERED
    assert chat.rows["training_needs"] == needs
    turn = chat.click("__submit")
    assert turn.outcome == "completed"
    assert turn.answers(audit) == answers


def test_a_typed_no_and_a_comment_with_surrounding_space(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.send("no")
    chat.send("  I was never told who it is.  ")
    assert not chat.errors
    assert chat.state.answers == {
        "knows_lead": "no",
        "knows_lead_comment": "I was never told who it is.",
    }


# --- Answers that are not answers: an error, the same question, nothing lost.


def test_maybe_to_a_yes_no_question(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.click("yes")
    chat.send("Our DSL, Ms Hartley.")
    before = dict(chat.state.answers)
    turn = chat.send("maybe")
    [error] = chat.errors
    assert error.text == strings.NEED_YES_NO
    assert error.restore_text == "maybe"
    assert turn.outcome == "continue"
    assert chat.step == "pupil_concern"
    assert chat.question.step_id == "pupil_concern"
    assert chat.state.answers == before
    assert chat.state.history == ["knows_lead", "knows_lead_comment"]
    chat.send("yes")
    assert not chat.errors
    assert chat.state.answers == {**before, "pupil_concern": "yes"}


def test_skip_on_a_yes_no_question_is_refused(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.click(SKIP)
    [error] = chat.errors
    assert error.text == strings.CANNOT_SKIP
    assert chat.step == "knows_lead"
    assert chat.state.answers == {}


def test_an_unknown_button_value_on_a_yes_no_question(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.click("perhaps")
    [error] = chat.errors
    assert "'perhaps' is not one of the options" in error.text
    assert chat.step == "knows_lead"
    assert chat.state.answers == {}


def test_an_over_long_comment_is_handed_back(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.click("no")
    typed = "I am not sure who it is. " * 41  # 1,025 characters
    assert len(typed.strip()) > 1000
    chat.send(typed)
    [error] = chat.errors
    assert error.text == strings.TOO_LONG.format(length=len(typed.strip()), limit=1000)
    assert error.restore_text == typed  # exactly as typed, to edit and send again
    assert chat.step == "knows_lead_comment"
    assert chat.question.step_id == "knows_lead_comment"
    assert chat.state.answers == {"knows_lead": "no"}
    chat.send(typed[:1000])
    assert not chat.errors
    assert chat.state.answers["knows_lead_comment"] == typed[:1000].strip()
    assert chat.step == "pupil_concern"


def test_over_long_training_needs_is_handed_back(audit: Dialog) -> None:
    chat = Chat(audit)
    answers = all_yes()
    while chat.step != "training_needs":
        assert chat.step is not None
        chat.answer(answers[chat.step])
    typed = "x" * 2001
    chat.send(typed)
    [error] = chat.errors
    assert error.restore_text == typed
    assert chat.step == "training_needs"
    chat.send("x" * 2000)
    assert not chat.errors
    assert chat.step is None
    assert chat.rows["training_needs"] == "x" * 2000


# --- Back, and changing answers from the summary.


def test_back_to_the_question_and_change_it(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.click("yes")
    assert chat.step == "knows_lead_comment"
    chat.click("__back")
    assert chat.step == "knows_lead"
    assert chat.question.current_answer == "Yes"
    chat.click("no")
    assert chat.step == "knows_lead_comment"  # not answered yet, so asked now
    chat.send("New to the school this term.")
    assert chat.step == "pupil_concern"
    assert chat.state.answers == {
        "knows_lead": "no",
        "knows_lead_comment": "New to the school this term.",
    }


def test_back_from_the_summary_reaches_training_needs(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.walk(all_yes())
    chat.click("__back")
    assert chat.step == "training_needs"
    chat.send("Online gambling and scams.")
    assert chat.step is None
    assert chat.rows["training_needs"] == "Online gambling and scams."


def test_changing_answers_from_the_summary(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.walk(all_yes(staff_aup_comment="Read it in September."))
    chat.click("edit:staff_aup")
    assert chat.step == "staff_aup"
    assert chat.question.current_answer == "Yes"
    chat.click("no")
    assert chat.step is None  # back to the summary; the comment is kept
    assert chat.rows["staff_aup"] == "No"
    assert chat.rows["staff_aup_comment"] == "Read it in September."
    chat.click("edit:staff_aup_comment")
    assert chat.question.current_answer == "Read it in September."
    chat.send("I have not read the new version.")
    assert chat.step is None
    chat.click("edit:training_needs")
    chat.send("The acceptable use agreement.")
    assert chat.rows["staff_aup_comment"] == "I have not read the new version."
    assert chat.rows["training_needs"] == "The acceptable use agreement."
    chat.click("edit:password_change_comment")
    chat.click(SKIP)  # still optional, and still skippable when changing it
    assert chat.step is None
    turn = chat.click("__submit")
    assert turn.outcome == "completed"
    assert turn.answers(audit) == all_yes(
        staff_aup="no",
        staff_aup_comment="I have not read the new version.",
        training_needs="The acceptable use agreement.",
    )


def test_changing_an_answer_by_its_number(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.walk(all_yes())
    chat.send("change 5")  # the fifth row: each question is followed by its comment
    assert chat.step == "staff_aup"


def test_typing_at_the_summary_is_handed_back(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.walk(all_yes())
    chat.send("I forgot to say something")
    [error] = chat.errors
    assert "Send my answers" in error.text
    assert error.restore_text == "I forgot to say something"
    assert chat.step is None
    assert chat.turn.outcome == "continue"


# --- Cancelling, and stopping to come back later.


def test_cancelling_after_a_few_answers(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.click("yes")
    chat.click(SKIP)
    chat.click("__cancel")
    assert chat.state.confirming_cancel
    assert chat.question.text == strings.CANCEL_QUESTION
    chat.click("__cancel_no")
    assert not chat.state.confirming_cancel
    assert chat.question.step_id == "pupil_concern"
    assert chat.state.answers == {"knows_lead": "yes", "knows_lead_comment": None}
    chat.send("cancel")
    turn = chat.send("yes")
    assert turn.outcome == "cancelled"
    [notice] = turn.prompts
    assert isinstance(notice, Notice)
    assert notice.text == strings.CANCELLED


def test_cancelling_from_the_summary(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.walk(all_yes())
    chat.click("__cancel")
    assert chat.click("__cancel_yes").outcome == "cancelled"


def test_help_shows_the_audit_help_and_asks_again(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.click("__help")
    help_notice, again = chat.turn.prompts
    assert isinstance(help_notice, Notice)
    assert help_notice.text.startswith(audit.spec.help)
    assert isinstance(again, Question)
    assert again.step_id == "knows_lead"


def test_stop_and_come_back_later(audit: Dialog) -> None:
    chat = Chat(audit)
    chat.click("no")
    chat.send("Not sure who it is.")
    chat.click("yes")
    saved: dict[str, Any] = json.loads(json.dumps(chat.state.to_json()))
    state = audit.resume(saved)
    later = Chat(audit, state)
    assert later.question.step_id == "pupil_concern_comment"
    later.walk({k: v for k, v in all_yes().items() if k not in saved["answers"]})
    assert later.rows["knows_lead"] == "No"
    assert later.rows["knows_lead_comment"] == "Not sure who it is."
    assert later.click("__submit").outcome == "completed"


def test_a_campaign_runs_the_questions_it_stored(flow: Flow) -> None:
    stored = json.loads(json.dumps(flow.spec.model_dump(mode="json")))
    dialog = Dialog(flow_from_spec(stored), tz=LONDON, clock=lambda: NOW)
    chat = Chat(dialog)
    chat.walk(all_yes(cyberbullying_approach="no"))
    turn = chat.click("__submit")
    assert turn.outcome == "completed"
    assert turn.answers(dialog) == all_yes(cyberbullying_approach="no")
