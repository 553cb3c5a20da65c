"""A Dialog speaks, and understands commands in, the words it was given (English by default)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dialogs.engine import Dialog, Reply
from dialogs.loader import BUILTIN_FLOWS, load_flows
from dialogs.prompts import Notice, Question
from dialogs.strings import ENGLISH

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
OTHER = replace(
    ENGLISH,
    back="Yn ôl",
    yes="Ie",
    at_first_question="Dyma'r cwestiwn cyntaf.",
    back_words=frozenset({"nôl"}),
    yes_words=frozenset({"ie"}),
)


def test_a_dialog_given_other_words_says_them_and_takes_them_as_commands() -> None:
    dialog = Dialog(load_flows(BUILTIN_FLOWS)["concern"], tz=LONDON, clock=lambda: NOW, words=OTHER)
    turn = dialog.start()
    first = turn.prompts[-1]
    assert isinstance(first, Question) and first.step_id == "immediate_danger"
    assert first.options[0].label == "Ie"
    turn = dialog.handle(turn.state, Reply(text="nôl"))
    assert isinstance(turn.prompts[0], Notice)
    assert turn.prompts[0].text == "Dyma'r cwestiwn cyntaf."
    turn = dialog.handle(turn.state, Reply(text="back"))  # the English word is not a command now
    refused = turn.prompts[0]
    assert turn.state.step == "immediate_danger"
    assert isinstance(refused, Notice) and refused.tone == "error"
    turn = dialog.handle(turn.state, Reply(text="ie"))
    asked = turn.prompts[-1]
    assert turn.state.answers["immediate_danger"] == "yes"
    assert isinstance(asked, Question) and ("__back", "Yn ôl") in [
        (o.value, o.label) for o in asked.actions
    ]
