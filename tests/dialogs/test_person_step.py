"""A person step (the adult an allegation is about): picked from the school's list, or typed."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from dialogs import strings
from dialogs.answers import PERSON_PREFIX, SOMEONE_ELSE
from dialogs.engine import Dialog, DialogState, Reply
from dialogs.loader import BUILTIN_FLOWS, Flow, load_flows
from dialogs.prompts import Notice, Question, Summary

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
PEOPLE = {"dsl@school.example": "Dana Sloane", "head@school.example": "Hugh Fenwick"}
UP_TO_ADULT = {"immediate_danger": "no", "category": "other", "about_adult": "yes"}


@pytest.fixture(scope="module")
def flows() -> dict[str, Flow]:
    return load_flows(BUILTIN_FLOWS)


@pytest.fixture
def dialog(flows: dict[str, Flow]) -> Dialog:
    return Dialog(flows["concern"], tz=LONDON, clock=lambda: NOW, people=PEOPLE.get)


def at_adult_who(dialog: Dialog) -> DialogState:
    """A concern answered up to "Who is it about?" (by step id, never blindly)."""
    state = dialog.start().state
    answers = {**UP_TO_ADULT, "other_kind": "A worry", "adult_concern_kind": "harm"}
    answers["adult_is_head"] = "no"
    while state.step != "adult_who":
        assert state.step in answers, state.step
        given = answers[state.step]
        text = dialog.spec.step(state.step).kind == "text"
        reply = Reply(text=given) if text else Reply(value=given)
        turn = dialog.handle(state, reply)
        assert not [p for p in turn.prompts if isinstance(p, Notice) and p.tone == "error"]
    return state


def test_the_concern_flow_asks_for_a_person(dialog: Dialog) -> None:
    state = at_adult_who(dialog)
    question = dialog.repeat(state)[-1]
    assert isinstance(question, Question)
    assert question.step_id == "adult_who"
    assert question.input == "person"
    assert [(o.value, o.label) for o in question.options] == [(SOMEONE_ELSE, strings.SOMEONE_ELSE)]
    assert question.guidance and "never to the person it is about" in question.guidance


def test_a_picked_person_is_stored_with_email_and_name_and_shown_by_name(dialog: Dialog) -> None:
    state = at_adult_who(dialog)
    turn = dialog.handle(state, Reply(value=f"{PERSON_PREFIX}DSL@school.example"))
    assert turn.state.answers["adult_who"] == {"email": "dsl@school.example", "name": "Dana Sloane"}
    assert turn.state.step == "pupils"
    # The summary (and a later "Your previous answer") shows the name, not the e-mail.
    turn.state.step = None
    summary = dialog.repeat(turn.state)[-1]
    assert isinstance(summary, Summary)
    assert {r.step_id: r.value for r in summary.rows}["adult_who"] == "Dana Sloane"
    turn.state.step = "adult_who"
    question = dialog.repeat(turn.state)[-1]
    assert isinstance(question, Question) and question.current_answer == "Dana Sloane"


@pytest.mark.parametrize(
    "value",
    [
        f"{PERSON_PREFIX}stranger@elsewhere.example",
        f"{PERSON_PREFIX}",
        "dsl@school.example",  # not the picker's value
        "yes",  # a button of another question
    ],
)
def test_a_value_not_on_the_list_is_refused_and_never_stored(dialog: Dialog, value: str) -> None:
    state = at_adult_who(dialog)
    turn = dialog.handle(state, Reply(value=value))
    assert "adult_who" not in turn.state.answers
    assert turn.state.step == "adult_who"
    errors = [p for p in turn.prompts if isinstance(p, Notice) and p.tone == "error"]
    assert len(errors) == 1
    question = turn.prompts[-1]
    assert isinstance(question, Question) and question.step_id == "adult_who"


def test_without_a_people_list_no_pick_is_believed(flows: dict[str, Flow]) -> None:
    bare = Dialog(flows["concern"], tz=LONDON, clock=lambda: NOW)
    state = at_adult_who(bare)
    turn = bare.handle(state, Reply(value=f"{PERSON_PREFIX}dsl@school.example"))
    assert "adult_who" not in turn.state.answers
    assert turn.prompts[0] == Notice(strings.UNKNOWN_PERSON, "error")


def test_someone_not_on_the_list_asks_for_words_then_keeps_them(dialog: Dialog) -> None:
    state = at_adult_who(dialog)
    turn = dialog.handle(state, Reply(value=SOMEONE_ELSE))
    assert turn.prompts == [Notice(strings.TYPE_THE_PERSON, "info")]
    assert turn.state.step == "adult_who" and "adult_who" not in turn.state.answers
    turn = dialog.handle(turn.state, Reply(text="  Mr X, supply teacher "))
    assert turn.state.answers["adult_who"] == "Mr X, supply teacher"
    assert turn.state.step == "pupils"


def test_typed_words_are_kept_as_typed_within_max_length(dialog: Dialog) -> None:
    state = at_adult_who(dialog)
    # A typed "person:..." is words, not a pick: only a button/select value is a pick.
    turn = dialog.handle(state, Reply(text="person:dsl@school.example"))
    assert turn.state.answers["adult_who"] == "person:dsl@school.example"
    turn.state.step = "adult_who"
    long = "x" * 201
    turn = dialog.handle(turn.state, Reply(text=long))
    assert turn.state.answers["adult_who"] == "person:dsl@school.example"
    assert turn.prompts[0] == Notice(
        strings.TOO_LONG.format(length=201, limit=200), "error", restore_text=long
    )


def test_a_saved_typed_answer_survives_a_resume(dialog: Dialog) -> None:
    state = at_adult_who(dialog)
    turn = dialog.handle(state, Reply(value=f"{PERSON_PREFIX}head@school.example"))
    resumed = dialog.resume(turn.state.to_json())
    assert resumed.answers["adult_who"] == {"email": "head@school.example", "name": "Hugh Fenwick"}
