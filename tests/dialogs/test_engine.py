"""The dialog engine over the built-in flows: answers, commands, branches, summary and state."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dialogs import strings
from dialogs.engine import Dialog, DialogState, Reply
from dialogs.loader import BUILTIN_FLOWS, Flow, load_flow, load_flows
from dialogs.prompts import Notice, Question, Summary
from dialogs.text import defang
from tests.support.dialog_chat import LONDON, NOW, Chat

URL = "https://example.com/chat"

CONCERN_COMMON = {
    "immediate_danger": "no",
    "contact_ongoing": "no",  # asked about grooming, exploitation or a stranger
    "contact_meeting": "no",  # asked in the contact branch
    "self_harm_said": "no",  # asked about self-harm content
    "device_kept": "In the office safe.",  # asked when an adult has the device
    "child_self_harm": "no",  # asked after a disclosure
    "about_adult": "no",
    "pupils": "AB (Year 5), CD (Year 6)",
    "what_happened": "Unkind messages in the class group chat.",
    "your_concerns": "skip",
    "disclosure": "no",
    "safe_home": "yes",
    "others_at_risk": "no",
    "others_told": "No one yet.",
    "happened_at": "yesterday 15:00",
    "found_out_at": "yesterday 16:00",
    "where": URL,
    "actions_taken": "Told the class teacher.",
    "dsl_told_in_person": "yes",
    "reporter_role": "Class teacher",
}
CONCERN_START = ["immediate_danger", "category"]
CONCERN_END = [
    "about_adult",
    "pupils",
    "what_happened",
    "your_concerns",
    "disclosure",
    "safe_home",
    "others_at_risk",
    "others_told",
    "happened_at",
    "found_out_at",
    "where",
    "actions_taken",
    "dsl_told_in_person",
    "reporter_role",
]


@pytest.fixture(scope="module")
def flows() -> dict[str, Flow]:
    return load_flows(BUILTIN_FLOWS)


@pytest.fixture
def concern(flows: dict[str, Flow]) -> Dialog:
    return Dialog(flows["concern"], tz=LONDON, clock=lambda: NOW)


@pytest.fixture
def filtering(flows: dict[str, Flow]) -> Dialog:
    return Dialog(flows["filtering"], tz=LONDON, clock=lambda: NOW)


def concern_answers(category: str, **branch: Any) -> dict[str, Any]:
    return {"category": category, **CONCERN_COMMON, **branch}


# --- Starting.


def test_start_shows_the_intro_then_the_first_question(concern: Dialog) -> None:
    turn = concern.start()
    assert turn.outcome == "continue"
    assert turn.new_signals == []
    intro, question = turn.prompts
    assert isinstance(intro, Notice)
    assert intro.text == concern.spec.intro
    assert isinstance(question, Question)
    assert question.step_id == "immediate_danger"
    assert question.input == "yes_no"
    assert [(o.value, o.label) for o in question.options] == [("yes", "Yes"), ("no", "No")]
    assert [a.value for a in question.actions] == ["__help", "__cancel"]  # no Back yet
    assert question.progress is not None
    assert question.progress[0] == 1
    assert turn.state.step == "immediate_danger"
    assert turn.state.answers == {}


# --- Choices typed instead of pressed.


@pytest.mark.parametrize(
    ("typed", "chosen", "next_step"),
    [
        ("6", "image", "image_rules"),
        (" 6 ", "image", "image_rules"),
        ("1", "content", "content_kind"),
        ("9", "other", "other_kind"),
        ("Cyber-bullying", "cyberbullying", "bullying_repeated"),
        ("cyber-BULLYING", "cyberbullying", "bullying_repeated"),
        ("Radicalisation or extremism", "radicalisation", "prevent_arose"),
        ("ai_abuse", "ai_abuse", "ai_kind"),  # the value itself
        ("Radical", "radicalisation", "prevent_arose"),  # the start of exactly one label
        ("nude", "image", "image_rules"),
        ("Some", "other", "other_kind"),
        ("cyber", "cyberbullying", "bullying_repeated"),
    ],
)
def test_a_choice_typed_by_number_label_or_unique_prefix(
    concern: Dialog, typed: str, chosen: str, next_step: str
) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.send(typed)
    assert not chat.errors
    assert chat.state.answers["category"] == chosen
    assert chat.step == next_step


@pytest.mark.parametrize(
    "typed",
    [
        "Harmful",  # content, contact and conduct all start with it
        "Co",  # too short to be a prefix
        "0",
        "10",
        "-1",
        "1.5",
        "bullying",  # not the start of a label
        "①",
        "²",
        "9" * 5000,
        "1, 2",
    ],
)
def test_a_typed_choice_that_matches_no_single_option(concern: Dialog, typed: str) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.send(typed)
    assert [(n.text, n.restore_text) for n in chat.errors] == [(strings.NEED_CHOICE, typed)]
    assert chat.step == "category"
    assert chat.question.step_id == "category"
    assert "category" not in chat.state.answers


def test_an_empty_choice(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.send("   ")
    assert [n.text for n in chat.errors] == [strings.NEED_CHOICE]
    assert chat.step == "category"


def test_an_unknown_button_value_asks_the_same_question_again(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.click("gossip")
    error, question = chat.turn.prompts
    assert isinstance(error, Notice)
    assert error.tone == "error"
    assert error.text == strings.UNKNOWN_CHOICE.format(value="gossip")
    assert "'gossip' is not one of the options" in error.text
    assert isinstance(question, Question)
    assert question.step_id == "category"
    assert chat.state.answers == {"immediate_danger": "no"}
    assert chat.turn.outcome == "continue"


def test_a_button_value_from_another_question_is_refused(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.click("yes")  # a stale button from the previous question
    assert [n.text for n in chat.errors] == [strings.UNKNOWN_CHOICE.format(value="yes")]
    assert chat.step == "category"


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("yes", "yes"),
        ("Yes", "yes"),
        ("  YES ", "yes"),
        ("y", "yes"),
        ("Y", "yes"),
        ("yeah", "yes"),
        ("Yep", "yes"),
        ("1", "yes"),
        ("no", "no"),
        ("No", "no"),
        ("n", "no"),
        ("N", "no"),
        ("nope", "no"),
        ("2", "no"),
    ],
)
def test_yes_no_typed(concern: Dialog, typed: str, answer: str) -> None:
    chat = Chat(concern)
    chat.send(typed)
    assert not chat.errors
    assert chat.state.answers == {"immediate_danger": answer}
    assert chat.step == "category"


@pytest.mark.parametrize("typed", ["maybe", "yes please", "3", "0", "ye"])
def test_yes_no_typed_otherwise(concern: Dialog, typed: str) -> None:
    chat = Chat(concern)
    chat.send(typed)
    assert [(n.text, n.restore_text) for n in chat.errors] == [(strings.NEED_YES_NO, typed)]
    assert chat.step == "immediate_danger"
    assert chat.state.answers == {}


def test_yes_no_empty(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.send("")
    assert [n.text for n in chat.errors] == [strings.NEED_YES_NO]
    assert chat.step == "immediate_danger"


def test_a_choice_whose_values_are_yes_and_no(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.click("cyberbullying")
    assert chat.step == "bullying_repeated"
    chat.send("yes")
    assert chat.state.answers["bullying_repeated"] == "yes"
    chat.send("I don't")
    assert chat.state.answers["bullying_evidence"] == "unsure"


# --- Multi-choice.


def at_image_indicators(concern: Dialog) -> Chat:
    chat = Chat(concern)
    for value in ["no", "image", "ok", "no_device", "not_seen"]:
        chat.click(value)
    assert chat.step == "image_indicators"
    assert chat.question.input == "multi_choice"
    assert not chat.question.required
    return chat


def test_multi_choice_by_values_keeps_the_options_order(concern: Dialog) -> None:
    chat = at_image_indicators(concern)
    chat.pick("sextortion", "adult_involved", "sextortion")
    assert chat.state.answers["image_indicators"] == ["adult_involved", "sextortion"]
    assert chat.step == "about_adult"
    advice = [n.text for n in chat.notices if n.tone == "urgent"]  # one notice per indicator
    assert len(advice) == 2
    assert "Do not contact the other person" in advice[0]
    assert "not to pay" in advice[1]
    assert chat.turn.new_urgent_reasons == ["adult_involved", "sextortion"]


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [
        ("1, 3", ["adult_involved", "sextortion"]),
        ("3,1", ["adult_involved", "sextortion"]),
        ("3, 1, 3", ["adult_involved", "sextortion"]),
        ("2", ["coercion"]),
        (
            "An adult sent it or asked for it or is involved in some other way, 6",
            ["adult_involved", "risk_of_harm"],
        ),
        ("violent, under_13", ["under_13", "violent"]),
        ("1, 3,", ["adult_involved", "sextortion"]),
    ],
)
def test_multi_choice_typed(concern: Dialog, typed: str, chosen: list[str]) -> None:
    chat = at_image_indicators(concern)
    chat.send(typed)
    assert not chat.errors
    assert chat.state.answers["image_indicators"] == chosen
    assert chat.step == "about_adult"


@pytest.mark.parametrize("typed", ["1, 9", "1 3", "banana", "0"])
def test_multi_choice_typed_wrongly(concern: Dialog, typed: str) -> None:
    chat = at_image_indicators(concern)
    chat.send(typed)
    assert [(n.text, n.restore_text) for n in chat.errors] == [(strings.NEED_CHOICES, typed)]
    assert chat.step == "image_indicators"
    assert "image_indicators" not in chat.state.answers


def test_multi_choice_with_an_unknown_value(concern: Dialog) -> None:
    chat = at_image_indicators(concern)
    chat.pick("coercion", "aliens")
    assert [n.text for n in chat.errors] == [strings.UNKNOWN_CHOICE.format(value="aliens")]
    assert chat.step == "image_indicators"


@pytest.mark.parametrize("skip", [Reply(text="skip"), Reply(value="__skip"), Reply(text="Skip")])
def test_an_optional_multi_choice_can_be_skipped(concern: Dialog, skip: Reply) -> None:
    chat = at_image_indicators(concern)
    assert "__skip" in [a.value for a in chat.question.actions]
    chat.reply(skip)
    assert not chat.errors
    assert chat.state.answers["image_indicators"] is None
    assert chat.step == "about_adult"


def test_an_optional_multi_choice_with_nothing_chosen(concern: Dialog) -> None:
    chat = at_image_indicators(concern)
    chat.pick()
    assert not chat.errors
    assert chat.state.answers["image_indicators"] == []
    assert chat.step == "about_adult"


# --- Text.


def at_pupils(concern: Dialog) -> Chat:
    chat = Chat(concern)
    for value in ["no", "contact", "grooming", "no", "no", "no"]:
        chat.click(value)
    assert chat.step == "pupils"
    return chat


@pytest.mark.parametrize(
    ("empty", "message"),
    [
        (Reply(text=""), strings.NEED_ANSWER),
        (Reply(text="   \n "), strings.NEED_ANSWER),
        (Reply(value="__skip"), strings.CANNOT_SKIP),
    ],
)
def test_required_text_left_empty(concern: Dialog, empty: Reply, message: str) -> None:
    chat = at_pupils(concern)
    before = dict(chat.state.answers)
    chat.reply(empty)
    assert [n.text for n in chat.errors] == [message]
    assert chat.question.step_id == "pupils"
    assert chat.question.required
    assert chat.state.answers == before  # nothing lost
    assert before == {
        "immediate_danger": "no",
        "category": "contact",
        "contact_kind": "grooming",
        "contact_ongoing": "no",
        "contact_meeting": "no",
        "about_adult": "no",
    }
    chat.send("AB (Year 5)")
    assert chat.state.answers["pupils"] == "AB (Year 5)"
    assert chat.step == "what_happened"


def test_text_is_trimmed_and_control_characters_dropped(concern: Dialog) -> None:
    chat = at_pupils(concern)
    chat.send("  AB\x07 (Year 5)\n\tCD (Year 6)\x00  ")
    assert chat.state.answers["pupils"] == "AB (Year 5)\n\tCD (Year 6)"


def test_over_long_text_is_refused_and_given_back(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.click("other")
    assert chat.step == "other_kind"
    assert chat.question.max_length == 200
    typed = "  " + "x" * 1200 + "  "
    chat.send(typed)
    (error,) = chat.errors
    assert error.text == strings.TOO_LONG.format(length=1200, limit=200)
    assert "That is 1,200 characters; the limit here is 200." in error.text
    assert error.restore_text == typed
    assert chat.question.step_id == "other_kind"
    assert "other_kind" not in chat.state.answers
    chat.send("x" * 200)  # exactly the limit is fine
    assert chat.state.answers["other_kind"] == "x" * 200
    assert chat.step == "about_adult"


def test_an_optional_text_step_can_be_skipped(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.click("radicalisation")
    chat.send("A pupil shared a video in class.")
    assert chat.step == "prevent_signs"
    assert not chat.question.required
    chat.send("skip")
    assert chat.state.answers["prevent_signs"] is None
    assert chat.step == "prevent_online"
    chat.send("")  # empty also skips an optional step
    assert chat.state.answers["prevent_online"] is None
    assert chat.step == "about_adult"


def test_skip_is_not_offered_on_a_required_step(concern: Dialog) -> None:
    chat = at_pupils(concern)
    assert "__skip" not in [a.value for a in chat.question.actions]


# --- Dates.


def at_happened_at(concern: Dialog) -> Chat:
    chat = Chat(concern)
    answers = concern_answers("commerce", commerce_kind="scam")
    before = CONCERN_END[: CONCERN_END.index("happened_at")]
    for step in ["immediate_danger", "category", "commerce_kind", *before]:
        chat.answer(answers[step])
    assert chat.step == "happened_at"
    return chat


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("yesterday", "2026-11-23"),
        ("today", "2026-11-24"),
        ("now", "2026-11-24T10:30:00+00:00"),
        ("today 10:34", "2026-11-24T10:34:00+00:00"),  # a clock a few minutes fast is fine
        ("yesterday 15:00", "2026-11-23T15:00:00+00:00"),
        ("23/11/2026 14:30", "2026-11-23T14:30:00+00:00"),
        ("1/9/26", "2026-09-01"),
    ],
)
def test_a_date_in_the_past_is_stored(concern: Dialog, typed: str, stored: str) -> None:
    chat = at_happened_at(concern)
    chat.send(typed)
    assert not chat.errors
    assert chat.state.answers["happened_at"] == stored
    assert chat.step == "found_out_at"


@pytest.mark.parametrize(
    "typed", ["tomorrow", "tomorrow 9:00", "today 11:00", "25/11/2026", "1/1/27"]
)
def test_a_date_in_the_future_is_refused(concern: Dialog, typed: str) -> None:
    chat = at_happened_at(concern)
    chat.send(typed)
    assert [(n.text, n.restore_text) for n in chat.errors] == [(strings.FUTURE_DATE, typed)]
    assert chat.step == "happened_at"
    assert "happened_at" not in chat.state.answers


@pytest.mark.parametrize("typed", ["soon", "31/02/2026", "25:00"])
def test_an_unreadable_date(concern: Dialog, typed: str) -> None:
    chat = at_happened_at(concern)
    chat.send(typed)
    assert [(n.text, n.restore_text) for n in chat.errors] == [
        (strings.BAD_DATE.format(text=typed), typed)
    ]
    assert chat.step == "happened_at"


def test_an_empty_date(concern: Dialog) -> None:
    chat = at_happened_at(concern)
    chat.send(" ")
    assert [n.text for n in chat.errors] == [strings.NEED_ANSWER]


def test_a_future_date_is_allowed_where_the_flow_says_so(filtering: Dialog) -> None:
    chat = Chat(filtering)
    chat.click("advance_notice")
    chat.send("Puberty, in Year 6 RSE")
    assert chat.step == "teaching_at"
    chat.send("tomorrow 9:00")
    assert not chat.errors
    assert chat.state.answers["teaching_at"] == "2026-11-25T09:00:00+00:00"
    assert chat.step == "device_room"


def test_a_date_in_summer_is_stored_in_bst(flows: dict[str, Flow]) -> None:
    july = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)
    chat = Chat(Dialog(flows["filtering"], tz=LONDON, clock=lambda: july))
    chat.walk(
        {
            "problem": "over_blocked",
            "connection": "school_wifi",
            "device_room": "Laptop 7",
            "user_account": "skip",
            "address": URL,
            "needed_for": "Science",
            "happened_at": "now",
            "actions_taken": "skip",
        }
    )
    assert chat.state.answers["happened_at"] == "2026-07-15T10:00:00+01:00"
    assert chat.rows["happened_at"] == "Wed 15 Jul 2026, 10:00"


# --- Back, help, cancel.


def test_back_returns_to_the_previous_question_with_its_answer(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.click("content")
    assert chat.step == "content_kind"
    assert "__back" in [a.value for a in chat.question.actions]
    chat.send("back")
    assert chat.step == "category"
    assert chat.question.step_id == "category"
    assert chat.question.current_answer == "Harmful content"
    assert chat.state.answers["category"] == "content"  # kept until changed
    chat.click("__back")
    assert chat.step == "immediate_danger"
    assert chat.question.current_answer == "No"
    chat.send("Back")  # at the first question there is nothing to go back to
    notice, question = chat.turn.prompts
    assert notice == Notice(strings.AT_FIRST_QUESTION, "info")
    assert isinstance(question, Question)
    assert question.step_id == "immediate_danger"
    chat.click("no")
    assert chat.step == "content_kind"  # category is still answered, so not asked again


def test_back_at_the_very_start(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.send("back")
    assert chat.notices == [Notice(strings.AT_FIRST_QUESTION, "info")]
    assert chat.step == "immediate_danger"
    assert chat.state.answers == {}


def test_back_and_a_different_answer_asks_the_new_branch(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.click("content")
    chat.send("back")
    chat.click("contact")
    assert chat.step == "contact_kind"


@pytest.mark.parametrize("command", ["help", "HELP", "?", Reply(value="__help")])
def test_help(concern: Dialog, command: str | Reply) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.reply(command if isinstance(command, Reply) else Reply(text=command))
    notice, question = chat.turn.prompts
    assert isinstance(notice, Notice)
    assert notice.tone == "guidance"
    assert concern.spec.help in notice.text
    assert strings.HELP_COMMANDS in notice.text
    assert isinstance(question, Question)
    assert question.step_id == "category"
    assert chat.state.answers == {"immediate_danger": "no"}
    assert chat.turn.outcome == "continue"


@pytest.mark.parametrize(
    "cancel", [Reply(text="cancel"), Reply(text="Stop"), Reply(value="__cancel")]
)
@pytest.mark.parametrize("keep", [Reply(text="no"), Reply(value="__cancel_no"), Reply(text="back")])
def test_cancel_then_carry_on(concern: Dialog, cancel: Reply, keep: Reply) -> None:
    chat = at_pupils(concern)
    before = dict(chat.state.answers)
    chat.reply(cancel)
    assert chat.state.confirming_cancel
    assert chat.turn.outcome == "continue"
    question = chat.question
    assert question.step_id is None
    assert question.text == strings.CANCEL_QUESTION
    assert [o.value for o in question.options] == ["__cancel_no", "__cancel_yes"]
    chat.reply(keep)
    assert chat.turn.outcome == "continue"
    assert not chat.state.confirming_cancel
    assert chat.notices == [Notice(strings.CARRY_ON, "info")]
    assert chat.question.step_id == "pupils"
    assert chat.state.answers == before
    chat.send("AB")
    assert chat.state.answers["pupils"] == "AB"


@pytest.mark.parametrize(
    "confirm", [Reply(text="yes"), Reply(text="Y"), Reply(value="__cancel_yes")]
)
def test_cancel_confirmed(concern: Dialog, confirm: Reply) -> None:
    chat = at_pupils(concern)
    chat.send("cancel")
    chat.reply(confirm)
    assert chat.turn.outcome == "cancelled"
    assert chat.turn.prompts == [Notice(strings.CANCELLED, "info")]


def test_cancel_needs_a_clear_answer(concern: Dialog) -> None:
    chat = at_pupils(concern)
    chat.send("cancel")
    chat.send("AB (Year 5)")  # typed as if it were the pupils question
    assert [n.text for n in chat.errors] == [strings.NEED_YES_NO]
    assert chat.question.text == strings.CANCEL_QUESTION
    assert chat.state.confirming_cancel
    assert "pupils" not in chat.state.answers
    chat.send("no")
    assert chat.question.step_id == "pupils"


def test_cancel_from_the_summary(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.walk(concern_answers("contact", contact_kind="stranger"))
    chat.send("cancel")
    chat.send("no")
    assert isinstance(chat.last, Summary)
    assert chat.step is None
    chat.click("__cancel")
    chat.click("__cancel_yes")
    assert chat.turn.outcome == "cancelled"


def test_immediate_danger_raises_the_urgent_signal_and_changes_the_cancel_wording(
    concern: Dialog,
) -> None:
    chat = Chat(concern)
    chat.click("yes")
    assert chat.turn.new_signals == ["urgent"]
    assert chat.state.signals == ["urgent"]
    urgent = [n for n in chat.notices if n.tone == "urgent"]
    assert len(urgent) == 1
    assert "Call 999" in urgent[0].text
    assert chat.question.step_id == "category"
    chat.send("cancel")
    assert chat.question.text == strings.CANCEL_QUESTION_URGENT
    chat.send("yes")
    assert chat.turn.outcome == "cancelled"
    assert chat.turn.prompts == [Notice(strings.CANCELLED_URGENT, "warning")]


def test_no_immediate_danger_raises_no_signal(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("no")
    assert chat.turn.new_signals == []
    assert chat.state.signals == []
    assert chat.notices == []


def test_the_urgent_signal_is_raised_once_only(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("yes")
    assert chat.turn.new_signals == ["urgent"]
    chat.send("back")
    chat.send("yes")
    assert chat.turn.new_signals == []
    chat.send("back")
    chat.send("no")  # changing the answer does not take the signal back
    assert chat.turn.new_signals == []
    chat.send("back")
    chat.send("y")
    assert chat.turn.new_signals == []
    assert chat.state.signals == ["urgent"]
    chat.walk(concern_answers("other", immediate_danger="yes", other_kind="Something"))
    assert chat.state.signals == ["urgent"]


def test_possibly_illegal_material_raises_its_signal_once_only(filtering: Dialog) -> None:
    chat = Chat(filtering)
    chat.click("harmful_through")
    chat.click("no")
    assert chat.step == "possibly_illegal"
    chat.click("yes")
    assert chat.turn.new_signals == ["possibly_illegal", "urgent"]
    assert chat.turn.new_urgent_reasons == ["possibly_illegal"]
    assert [n.tone for n in chat.notices] == ["urgent"]
    chat.send("back")
    chat.click("yes")
    assert chat.turn.new_signals == []
    assert chat.state.signals == ["possibly_illegal", "urgent"]
    # urgent, so stopping keeps the record with the DSL, and the wording says so
    chat.send("cancel")
    assert chat.question.text == strings.CANCEL_QUESTION_URGENT


def test_each_high_risk_answer_gives_its_urgent_reason_once(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("yes")
    assert chat.turn.new_urgent_reasons == ["immediate_danger"]
    for value in ["image", "ok", "no_device", "not_seen"]:
        chat.click(value)
    chat.pick("under_13", "violent", "risk_of_harm")
    assert chat.turn.new_urgent_reasons == ["child_at_risk", "under_13", "violent"]
    assert chat.state.urgent_reasons == ["immediate_danger", "child_at_risk", "under_13", "violent"]
    advice = [n.text for n in chat.notices]
    assert len(advice) == len(set(advice)) == 2  # under 13 and violent share their advice
    assert "call 999" in advice[0]
    chat.send("back")
    chat.pick("risk_of_harm", "coercion")  # answered again: only the new reason is new
    assert chat.turn.new_urgent_reasons == ["coercion"]
    assert chat.state.signals == ["urgent"]


def test_a_changed_answer_does_not_take_its_urgent_reason_back(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.click("content")
    chat.click("possibly_illegal")
    assert chat.state.urgent_reasons == ["possibly_illegal"]
    chat.send("back")
    chat.click("hate")
    assert chat.turn.new_urgent_reasons == []
    chat.walk(concern_answers("content", content_kind="hate"))
    assert chat.rows["content_kind"] == "Hate"
    assert chat.state.urgent_reasons == ["possibly_illegal"]  # people were alerted: it stays
    chat.send("cancel")
    assert chat.question.text == strings.CANCEL_QUESTION_URGENT


def test_urgent_reasons_round_trip_and_older_states_have_none(concern: Dialog) -> None:
    chat = Chat(concern)
    for value in ["no", "contact", "grooming", "no", "yes"]:
        chat.click(value)
    assert chat.turn.new_urgent_reasons == ["planned_meeting"]
    data = json.loads(json.dumps(chat.state.to_json()))
    assert data["urgent_reasons"] == ["planned_meeting"]
    assert DialogState.from_json(data) == chat.state
    del data["urgent_reasons"]  # saved before reasons existed
    older = concern.resume(data)
    assert older.urgent_reasons == []
    assert older.step == "about_adult"


@pytest.mark.parametrize("answer", ["no", "unsure"])
def test_possibly_illegal_no_signal_otherwise(filtering: Dialog, answer: str) -> None:
    chat = Chat(filtering)
    chat.click("bypass")
    chat.click("unsure")
    chat.click(answer)
    assert chat.turn.new_signals == []
    assert chat.state.signals == []


# --- Every branch of the concern flow.

BRANCHES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("content", {"content_kind": "hate"}, ["content_kind"]),
    ("content", {"content_kind": "self_harm"}, ["content_kind", "self_harm_said"]),
    ("content", {"content_kind": "challenge"}, ["content_kind", "self_harm_said"]),
    (
        "contact",
        {"contact_kind": "grooming"},
        ["contact_kind", "contact_ongoing", "contact_meeting"],
    ),
    (
        "contact",
        {
            "contact_kind": "sextortion",
            "image_device": "no_device",
            "image_seen": "not_seen",
            "image_indicators": [],
        },
        ["contact_kind", "contact_meeting", "image_device", "image_seen", "image_indicators"],
    ),
    ("contact", {"contact_kind": "advertising"}, ["contact_kind"]),
    ("conduct", {"conduct_kind": "abusive_messages"}, ["conduct_kind"]),
    (
        "conduct",
        {
            "conduct_kind": "sharing_explicit",
            "conduct_image_rules": "ok",
            "image_device": "secured",
            "image_seen": "not_seen",
            "image_indicators": [],
        },
        [
            "conduct_kind",
            "conduct_image_rules",
            "image_device",
            "device_kept",
            "image_seen",
            "image_indicators",
        ],
    ),
    ("commerce", {"commerce_kind": "phishing"}, ["commerce_kind"]),
    (
        "cyberbullying",
        {"bullying_repeated": "yes", "bullying_evidence": "kept", "bullying_illegal": "no"},
        ["bullying_repeated", "bullying_evidence", "bullying_illegal"],
    ),
    (
        "image",
        {
            "image_rules": "ok",
            "image_device": "with_pupil",
            "image_seen": "by_accident",
            "image_indicators": ["coercion", "under_13"],
        },
        ["image_rules", "image_device", "image_seen", "image_indicators"],
    ),
    (
        "radicalisation",
        {
            "prevent_arose": "Overheard in the playground.",
            "prevent_signs": "skip",
            "prevent_online": "A channel on Telegram.",
        },
        ["prevent_arose", "prevent_signs", "prevent_online"],
    ),
    ("ai_abuse", {"ai_kind": "voice"}, ["ai_kind"]),
    (
        "ai_abuse",
        {
            "ai_kind": "sexual_imagery",
            "ai_image_rules": "ok",
            "image_device": "with_staff",
            "image_seen": "not_seen",
            "image_indicators": [],
        },
        [
            "ai_kind",
            "ai_image_rules",
            "image_device",
            "device_kept",
            "image_seen",
            "image_indicators",
        ],
    ),
    ("other", {"other_kind": "A worrying game"}, ["other_kind"]),
]


def test_the_branches_cover_every_category(concern: Dialog) -> None:
    categories = {o.value for o in concern.spec.step("category").options}
    assert {category for category, _, _ in BRANCHES} == categories


@pytest.mark.parametrize(
    ("category", "branch", "steps"),
    BRANCHES,
    ids=[f"{c}-{'-'.join(s)}" for c, _, s in BRANCHES],
)
def test_each_category_asks_its_own_questions(
    concern: Dialog, category: str, branch: dict[str, Any], steps: list[str]
) -> None:
    chat = Chat(concern)
    asked = chat.walk(concern_answers(category, **branch))
    expected = [*CONCERN_START, *steps, *CONCERN_END]
    assert asked == expected
    assert list(chat.rows) == expected
    assert set(chat.turn.answers(concern)) == set(expected)
    assert chat.state.answers["category"] == category


def test_the_image_rules_come_straight_after_the_category(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("no")
    chat.click("image")
    assert chat.step == "image_rules"
    assert chat.question.input == "confirm"
    assert chat.question.guidance is not None
    assert "Do NOT view, copy, forward" in chat.question.guidance
    assert [(o.value, o.label) for o in chat.question.options] == [("ok", "I have read the rules")]
    chat.send("I have read")
    assert chat.state.answers["image_rules"] == "ok"
    assert chat.step == "image_device"
    chat.click("with_pupil")
    assert [n.tone for n in chat.notices] == ["warning"]
    assert chat.step == "image_seen"


def test_an_adult_at_school_asks_about_the_head_and_who(concern: Dialog) -> None:
    chat = Chat(concern)
    asked = chat.walk(
        concern_answers(
            "contact",
            contact_kind="other",
            about_adult="yes",
            adult_concern_kind="harm",
            adult_is_head="no",
            adult_who="Mr X, supply teacher",
        )
    )
    assert asked == [
        *CONCERN_START,
        "contact_kind",
        "contact_meeting",
        "about_adult",
        "adult_concern_kind",
        "adult_is_head",
        "adult_who",
        *CONCERN_END[1:],
    ]
    assert chat.rows["adult_who"] == "Mr X, supply teacher"


def test_a_disclosure_asks_for_the_childs_words(concern: Dialog) -> None:
    chat = Chat(concern)
    asked = chat.walk(
        concern_answers(
            "contact",
            contact_kind="other",
            disclosure="yes",
            child_words="He said keep it secret.",
            questions_asked="none",
            told_next_steps="yes",
        )
    )
    index = asked.index("disclosure")
    assert asked[index + 1 : index + 6] == [
        "child_words",
        "questions_asked",
        "told_next_steps",
        "child_self_harm",
        "safe_home",
    ]
    assert chat.rows["child_words"] == "He said keep it secret."


def test_every_concern_step_is_reachable(concern: Dialog) -> None:
    reached: set[str] = set()
    for category, branch, _ in BRANCHES:
        chat = Chat(concern)
        extra = {"about_adult": "yes", "adult_concern_kind": "harm"}
        extra |= {"adult_is_head": "yes", "adult_who": "Mrs Y"}
        extra |= {"disclosure": "yes", "child_words": "I was scared."}
        extra |= {"questions_asked": "none", "told_next_steps": "no"}
        extra |= {"others_at_risk": "yes", "others_at_risk_who": "Her brother."}
        reached.update(chat.walk(concern_answers(category, **branch, **extra)))
    assert reached == {s.id for s in concern.spec.steps}


FILTERING_COMMON = {
    "used_by": "pupil",
    "connection": "school_wifi",
    "device_room": "Laptop 7, ICT suite",
    "user_account": "Y5-shared",
    "address": URL,
    "happened_at": "today 9:15",
    "actions_taken": "Closed the lid.",
}
INCIDENT = [
    "pupil_exposed",
    "possibly_illegal",
    "used_by",
    "connection",
    "device_room",
    "user_account",
    "address",
    "happened_at",
    "what_seen",
]


@pytest.mark.parametrize(
    ("problem", "steps"),
    [
        ("harmful_through", INCIDENT),
        ("monitoring", INCIDENT),
        ("bypass", INCIDENT),
        ("ai_output", INCIDENT),
        (
            "over_blocked",
            ["connection", "device_room", "user_account", "address", "needed_for", "happened_at"],
        ),
        ("advance_notice", ["topic", "teaching_at", "device_room"]),
    ],
)
def test_each_filtering_problem_asks_its_own_questions(
    filtering: Dialog, problem: str, steps: list[str]
) -> None:
    answers = {
        "problem": problem,
        **FILTERING_COMMON,
        "pupil_exposed": "unsure",
        "possibly_illegal": "no",
        "topic": "Online safety",
        "teaching_at": "tomorrow 10:00",
        "needed_for": "Science, by Friday",
        "what_seen": "A gambling advert.",
    }
    chat = Chat(filtering)
    asked = chat.walk(answers)
    assert asked == ["problem", *steps, "actions_taken"]
    assert list(chat.rows) == asked


# --- The summary.


def test_the_summary_shows_labels_dates_in_words_and_defanged_links(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.walk(
        concern_answers(
            "cyberbullying",
            bullying_repeated="yes",
            bullying_evidence="not_kept",
            bullying_illegal="unsure",
        )
    )
    summary = chat.summary
    assert summary.title == concern.spec.summary_title
    assert summary.text == strings.SUMMARY_TEXT
    assert [(o.value, o.label) for o in summary.options] == [
        ("__submit", "Send to the DSL"),
        ("__back", strings.BACK),
        ("__cancel", strings.CANCEL),
    ]
    labels = {row.step_id: row.label for row in summary.rows}
    assert labels["category"] == "Kind of concern"
    assert labels["where"] == "Where (platform, app or device)"
    assert chat.rows == {
        "immediate_danger": "No",
        "category": "Cyber-bullying",
        "bullying_repeated": "Yes, it is repeated",
        "bullying_evidence": "No, it was deleted",
        "bullying_illegal": "I don't know",
        "about_adult": "No",
        "pupils": "AB (Year 5), CD (Year 6)",
        "what_happened": "Unkind messages in the class group chat.",
        "your_concerns": strings.NOT_ANSWERED,
        "disclosure": "No",
        "safe_home": "Yes, as far as I know",
        "others_at_risk": "No",
        "others_told": "No one yet.",
        "happened_at": "Mon 23 Nov 2026, 15:00",
        "found_out_at": "Mon 23 Nov 2026, 16:00",
        "where": "hxxps://example[.]com/chat",
        "actions_taken": "Told the class teacher.",
        "dsl_told_in_person": "Yes",
        "reporter_role": "Class teacher",
    }
    assert chat.state.answers["where"] == URL  # stored as typed, only shown defanged


def test_the_summary_shows_multi_choices_skips_and_plain_dates(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.walk(
        concern_answers(
            "image",
            image_rules="ok",
            image_device="secured",
            image_seen="not_seen",
            image_indicators=["sextortion", "adult_involved"],
            happened_at="yesterday",
        )
    )
    rows = chat.rows
    assert rows["image_indicators"] == (
        "An adult sent it or asked for it or is involved in some other way, "
        "Someone is demanding money or more images"
    )
    assert rows["image_rules"] == "I have read the rules"
    assert rows["image_device"] == "I have it"
    assert rows["happened_at"] == "Mon 23 Nov 2026"
    chat.click("edit:image_indicators")
    chat.send("skip")
    assert chat.rows["image_indicators"] == strings.NOT_ANSWERED


def test_the_filtering_summary_defangs_the_address(filtering: Dialog) -> None:
    chat = Chat(filtering)
    chat.walk(
        {
            "problem": "over_blocked",
            **FILTERING_COMMON,
            "address": "https://example.com",
            "needed_for": "Science.",
        }
    )
    assert chat.rows["address"] == "hxxps://example[.]com"
    assert chat.rows["needed_for"] == "Science."  # only steps marked defang
    assert chat.rows["problem"] == "A site I need for teaching is blocked"
    assert chat.rows["happened_at"] == "Tue 24 Nov 2026, 09:15"
    assert chat.state.answers["address"] == "https://example.com"
    assert "https://" not in " ".join(chat.rows.values())


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("https://example.com", "hxxps://example[.]com"),
        ("https://bad.example.com/page?q=1.5", "hxxps://bad[.]example[.]com/page?q=1[.]5"),
        ("see http://a.b and HTTPS://C.D", "see hxxp://a[.]b and HxxPS://C[.]D"),
        ("www.example.com", "www[.]example[.]com"),
        ("self harm forum", "self harm forum"),
        # already defanged, as security staff often paste it: not defanged twice
        ("hxxps://example[.]com", "hxxps://example[.]com"),
        ("example[.]com/a.b", "example[.]com/a[.]b"),
    ],
)
def test_defang(typed: str, shown: str) -> None:
    assert defang(typed) == shown
    assert defang(shown) == shown


def test_an_already_defanged_address_is_shown_as_typed(filtering: Dialog) -> None:
    chat = Chat(filtering)
    pasted = "hxxps://bad[.]example[.]com"
    chat.walk({"problem": "over_blocked", **FILTERING_COMMON, "address": pasted, "needed_for": "."})
    assert chat.rows["address"] == pasted


@pytest.mark.parametrize(
    "submit", [Reply(value="__submit"), Reply(text="send"), Reply(text="Submit")]
)
def test_submitting_completes(concern: Dialog, submit: Reply) -> None:
    chat = Chat(concern)
    chat.walk(concern_answers("commerce", commerce_kind="gambling"))
    chat.reply(submit)
    assert chat.turn.outcome == "completed"
    assert chat.turn.prompts == []
    answers = chat.turn.answers(concern)
    assert answers["commerce_kind"] == "gambling"
    assert answers["happened_at"] == "2026-11-23T15:00:00+00:00"


def test_anything_else_at_the_summary_is_a_nudge(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.walk(concern_answers("commerce", commerce_kind="gambling"))
    chat.send("looks fine")
    (error,) = chat.errors
    assert error.text == strings.SUMMARY_NUDGE.format(submit="Send to the DSL")
    assert error.restore_text == "looks fine"
    assert isinstance(chat.last, Summary)
    assert chat.turn.outcome == "continue"


def test_back_from_the_summary(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.walk(concern_answers("commerce", commerce_kind="gambling"))
    chat.click("__back")
    assert chat.step == "reporter_role"
    assert chat.question.current_answer == "Class teacher"
    chat.send("Teaching assistant")
    assert chat.step is None
    assert chat.rows["reporter_role"] == "Teaching assistant"


# --- Changing an answer from the summary.


def test_edit_returns_to_the_summary_when_nothing_new_applies(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.walk(concern_answers("commerce", commerce_kind="gambling"))
    chat.click("edit:where")
    assert chat.step == "where"
    assert chat.question.current_answer == "hxxps://example[.]com/chat"
    chat.send("Snapchat")
    assert chat.step is None
    assert chat.rows["where"] == "Snapchat"
    chat.send("change 2")  # rows are numbered as shown: 2 is the category
    assert chat.step == "category"
    assert chat.question.current_answer == "Commerce"
    chat.click("commerce")  # the same answer again
    assert chat.step is None
    chat.send("change what happened")  # or by its label
    assert chat.step == "what_happened"
    chat.send("Adverts for betting sites in a game.")
    assert chat.step is None
    assert chat.rows["what_happened"] == "Adverts for betting sites in a game."


def test_edit_asks_the_new_questions_when_the_category_changes(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.walk(
        concern_answers(
            "cyberbullying", bullying_repeated="no", bullying_evidence="kept", bullying_illegal="no"
        )
    )
    chat.send("change 2")
    asked = chat.walk(
        {
            "category": "image",
            "image_rules": "ok",
            "image_device": "no_device",
            "image_seen": "not_seen",
            "image_indicators": [],
        }
    )
    assert asked == ["category", "image_rules", "image_device", "image_seen", "image_indicators"]
    expected = [*CONCERN_START, *asked[1:], *CONCERN_END]
    assert list(chat.rows) == expected
    answers = chat.turn.answers(concern)
    assert list(answers) != []
    assert set(answers) == set(expected)
    assert not any(step.startswith("bullying_") for step in answers)
    assert chat.state.answers["bullying_repeated"] == "no"  # kept, in case it is changed back
    chat.click("__submit")
    assert chat.turn.outcome == "completed"
    assert set(chat.turn.answers(concern)) == set(expected)


def test_edit_drops_the_answers_that_followed_from_the_old_answer(concern: Dialog) -> None:
    # ai_image_rules depends on ai_kind, which depends on the category: two steps removed.
    chat = Chat(concern)
    image = {"image_device": "no_device", "image_seen": "not_seen", "image_indicators": []}
    chat.walk(concern_answers("ai_abuse", ai_kind="sexual_imagery", ai_image_rules="ok", **image))
    chat.click("edit:category")
    asked = chat.walk({"category": "content", "content_kind": "misinformation"})
    assert asked == ["category", "content_kind"]
    expected = [*CONCERN_START, "content_kind", *CONCERN_END]
    assert list(chat.rows) == expected
    assert set(chat.turn.answers(concern)) == set(expected)
    # and changing it back restores them without asking again
    chat.click("edit:category")
    chat.click("ai_abuse")
    assert chat.step is None
    assert "ai_image_rules" in chat.rows and "image_indicators" in chat.rows
    assert chat.turn.answers(concern)["ai_kind"] == "sexual_imagery"


def test_edit_conduct_rules_go_with_the_conduct(concern: Dialog) -> None:
    chat = Chat(concern)
    image = {"image_device": "no_device", "image_seen": "not_seen", "image_indicators": []}
    explicit = {"conduct_kind": "sharing_explicit", "conduct_image_rules": "ok", **image}
    chat.walk(concern_answers("conduct", **explicit))
    chat.click("edit:conduct_kind")
    chat.click("personal_info")
    assert chat.step is None
    for step in ["conduct_image_rules", *image]:
        assert step not in chat.rows
        assert step not in chat.turn.answers(concern)


def test_edit_about_an_adult(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.walk(concern_answers("contact", contact_kind="stranger"))
    chat.click("edit:about_adult")
    asked = chat.walk(
        {
            "about_adult": "yes",
            "adult_concern_kind": "harm",
            "adult_is_head": "yes",
            "adult_who": "The head",
        }
    )
    assert asked == ["about_adult", "adult_concern_kind", "adult_is_head", "adult_who"]
    assert chat.rows["adult_is_head"] == "Yes"
    chat.click("edit:about_adult")
    chat.click("no")
    assert chat.step is None
    answers = chat.turn.answers(concern)
    assert "adult_concern_kind" not in answers
    assert "adult_is_head" not in answers
    assert "adult_who" not in answers
    assert "adult_who" not in chat.rows


@pytest.mark.parametrize("target", ["edit:nosuch", "edit:adult_who", "change 99", "change 0"])
def test_edit_of_an_answer_not_shown(concern: Dialog, target: str) -> None:
    chat = Chat(concern)
    chat.walk(concern_answers("contact", contact_kind="stranger"))
    chat.send(target)
    (error,) = chat.errors
    name = target.split(":")[-1].split(" ")[-1]
    assert error.text == strings.NO_SUCH_ANSWER.format(name=name)
    assert chat.step is None
    assert isinstance(chat.last, Summary)


def test_edit_with_a_superscript_number(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.walk(concern_answers("contact", contact_kind="stranger"))
    chat.send("change ²")
    assert [n.text for n in chat.errors] == [strings.NO_SUCH_ANSWER.format(name="²")]


# --- Saving and resuming.


def test_state_round_trips_through_json(concern: Dialog) -> None:
    chat = Chat(concern)
    for value in ["yes", "image", "ok", "no_device", "shown"]:
        chat.click(value)
    chat.pick("coercion")
    chat.click("no")
    chat.send("AB")
    data = chat.state.to_json()
    text = json.dumps(data)
    restored = DialogState.from_json(json.loads(text))
    assert restored == chat.state
    assert restored.answers["image_indicators"] == ["coercion"]
    assert restored.signals == ["urgent"]
    # the restored state carries on exactly as the original
    again = Chat(concern, restored)
    assert again.question.step_id == "what_happened"
    chat.send("Something")
    again.send("Something")
    assert again.state == chat.state
    chat.walk(concern_answers("image"))
    state = chat.state
    assert DialogState.from_json(json.loads(json.dumps(state.to_json()))) == state


def test_state_round_trips_while_confirming_cancel(concern: Dialog) -> None:
    chat = at_pupils(concern)
    chat.send("cancel")
    restored = DialogState.from_json(json.loads(json.dumps(chat.state.to_json())))
    assert restored.confirming_cancel
    again = Chat(concern, restored)
    assert again.question.text == strings.CANCEL_QUESTION
    again.send("no")
    assert again.question.step_id == "pupils"


def test_resume_with_the_same_flow_changes_nothing(concern: Dialog) -> None:
    chat = at_pupils(concern)
    data = json.loads(json.dumps(chat.state.to_json()))
    assert concern.resume(data) == chat.state


def changed_concern(tmp_path: Path, old: str, new: str) -> Flow:
    text = (BUILTIN_FLOWS / "concern.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "concern.yaml"
    newer = re.sub(r"(?m)^version: (\d+)$", lambda m: f"version: {int(m[1]) + 1}", text)
    path.write_text(newer.replace(old, new), encoding="utf-8")
    return load_flow(path)


WHERE_STEP = """  - id: where
    kind: text
    label: Where (platform, app or device)
    max_length: 500
    defang: true
    prompt: Where did it happen? Which platform, app, website or device?
    hint: For example "Snapchat, on a pupil's own phone" or "school iPad 12 in Year 4".
"""


def test_resume_drops_answers_of_steps_the_flow_no_longer_has(
    concern: Dialog, tmp_path: Path
) -> None:
    chat = Chat(concern)
    chat.walk(concern_answers("commerce", commerce_kind="scam"))
    data = json.loads(json.dumps(chat.state.to_json()))
    newer = Dialog(changed_concern(tmp_path, WHERE_STEP, ""), tz=LONDON, clock=lambda: NOW)
    assert not newer.spec.has_step("where")
    state = newer.resume(data)
    assert "where" not in state.answers
    assert "where" not in state.history
    assert state.flow_version == concern.spec.version + 1
    assert state.answers["pupils"] == CONCERN_COMMON["pupils"]
    again = Chat(newer, state)
    assert "where" not in again.rows
    again.click("__submit")
    assert again.turn.outcome == "completed"


def test_resume_at_a_step_the_flow_no_longer_has(concern: Dialog, tmp_path: Path) -> None:
    chat = Chat(concern)
    answers = concern_answers("commerce", commerce_kind="scam")
    while chat.step != "where":
        assert chat.step is not None
        chat.answer(answers[chat.step])
    data = json.loads(json.dumps(chat.state.to_json()))
    newer = Dialog(changed_concern(tmp_path, WHERE_STEP, ""), tz=LONDON, clock=lambda: NOW)
    state = newer.resume(data)
    assert state.step == "actions_taken"
    assert Chat(newer, state).question.step_id == "actions_taken"


def test_resume_at_the_summary_asks_a_step_the_flow_added(concern: Dialog, tmp_path: Path) -> None:
    chat = Chat(concern)
    chat.walk(concern_answers("commerce", commerce_kind="scam"))
    data = json.loads(json.dumps(chat.state.to_json()))
    added = "  - id: year_group\n    kind: text\n    label: Year group\n    prompt: Which year?\n\n"
    newer_flow = changed_concern(tmp_path, "  - id: pupils\n", added + "  - id: pupils\n")
    newer = Dialog(newer_flow, tz=LONDON, clock=lambda: NOW)
    state = newer.resume(data)
    assert state.step == "year_group"


# --- Fixed after review: typed skip on a required step, copies on save, removed options.


def test_typing_skip_at_a_required_question_is_refused_not_stored(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.walk(concern_answers("commerce", commerce_kind="scam"))
    chat.send("change pupils involved")
    assert chat.step == "pupils"
    chat.send("skip")
    assert [n.text for n in chat.errors] == [strings.CANNOT_SKIP]
    assert chat.step == "pupils"
    assert chat.state.answers["pupils"] != "skip"


def test_a_saved_state_is_a_copy_that_later_turns_do_not_change(concern: Dialog) -> None:
    chat = Chat(concern)
    chat.click("no")
    saved = chat.state.to_json()
    chat.click("commerce")
    assert "category" not in saved["answers"]
    assert saved["history"] == ["immediate_danger"]


def test_resume_drops_an_answer_whose_option_the_flow_removed(
    concern: Dialog, tmp_path: Path
) -> None:
    chat = Chat(concern)
    chat.walk(concern_answers("commerce", commerce_kind="gambling"))
    data = json.loads(json.dumps(chat.state.to_json()))
    newer_flow = changed_concern(
        tmp_path, '      - {value: gambling, label: "Online gambling"}\n', ""
    )
    newer = Dialog(newer_flow, tz=LONDON, clock=lambda: NOW)
    state = newer.resume(data)
    assert "commerce_kind" not in state.answers
    assert state.step == "commerce_kind"  # asked again, with the options it has now
