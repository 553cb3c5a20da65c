"""Click tokens (dialogs/prompts.py): every question names itself and when it was asked; a new
question gets the next turn, the same question shown again keeps its token."""

from __future__ import annotations

import pytest

from dialogs.engine import Dialog, DialogState, Reply
from dialogs.loader import BUILTIN_FLOWS, load_flows
from dialogs.prompts import Question, Summary
from tests.support.dialog_chat import LONDON, NOW, Chat
from tests.support.walk import cyberbullying_concern


@pytest.fixture
def concern() -> Dialog:
    return Dialog(load_flows(BUILTIN_FLOWS)["concern"], tz=LONDON, clock=lambda: NOW)


def token(chat: Chat) -> str | None:
    last = chat.last
    assert isinstance(last, Question | Summary)
    return last.token


def test_the_first_question_carries_its_step_and_the_turn_given(concern: Dialog) -> None:
    turn = concern.start(turn=7)
    assert isinstance(turn.prompts[-1], Question)
    assert turn.prompts[-1].token == "immediate_danger.7" == turn.state.token


def test_an_answer_moves_the_turn_on_and_a_refusal_or_help_does_not(concern: Dialog) -> None:
    chat = Chat(concern)
    assert token(chat) == "immediate_danger.1"
    chat.click("maybe")  # not an option: the same question, its buttons still good
    assert token(chat) == "immediate_danger.1"
    chat.send("help")
    assert token(chat) == "immediate_danger.1"
    chat.click("no")
    assert token(chat) == "category.2"
    chat.send("back")
    assert token(chat) == "immediate_danger.3"  # the same step, asked again: a new turn
    chat.send("cancel")
    assert token(chat) == "_cancel.4"
    chat.click("__cancel_no")
    assert token(chat) == "immediate_danger.5"


def test_the_summary_and_its_change_buttons_share_its_token(concern: Dialog) -> None:
    chat = Chat(concern)
    answers = cyberbullying_concern("Names called in the class group chat.", "today 09:00")
    for _ in range(20):
        if chat.step is None:
            break
        step = chat.question.step_id or ""
        value = str(answers[step])
        options = {o.value for o in chat.question.options}
        chat.click(value) if value in options else chat.send(value)
    assert isinstance(chat.last, Summary)
    at_summary = token(chat)
    assert at_summary is not None and at_summary.startswith("_summary.")
    chat.click("edit:where")
    assert token(chat) != at_summary and (token(chat) or "").startswith("where.")


def test_accepts_only_the_current_token_for_clicks_and_any_typed_text(concern: Dialog) -> None:
    state = concern.start(turn=3).state
    assert Dialog.accepts(state, Reply(value="yes", token="immediate_danger.3"))
    assert Dialog.accepts(state, Reply(values=("a",), token="immediate_danger.3"))
    assert Dialog.accepts(state, Reply(text="yes"))  # typed: not a click
    for stale in (None, "immediate_danger.2", "category.3", "_summary.3", ""):
        assert not Dialog.accepts(state, Reply(value="yes", token=stale))


@pytest.mark.parametrize("saved_turn", [None, 0])
def test_a_state_saved_before_tokens_has_turn_zero_and_its_old_clicks_none(
    concern: Dialog, saved_turn: int | None
) -> None:
    data = concern.start().state.to_json()
    data.pop("turn")
    if saved_turn is not None:
        data["turn"] = saved_turn
    state = DialogState.from_json(data)
    assert state.turn == 0 and state.token == "immediate_danger.0"
    assert not Dialog.accepts(state, Reply(value="yes"))  # a message from before: no token
    assert DialogState.from_json(state.to_json()).turn == 0
