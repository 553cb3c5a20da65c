"""A conversation with the dialog engine alone (no router, no storage), on a fixed London
clock: for the engine and the click-token tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.engine import Dialog, DialogState, Reply, Turn
from dialogs.prompts import Notice, Prompt, Question, Summary

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)  # Tuesday 24 November 2026, 10:30 GMT


class Chat:
    """A conversation with a dialog, one reply at a time."""

    def __init__(self, dialog: Dialog, state: DialogState | None = None) -> None:
        self.dialog = dialog
        if state is None:
            self.turn = dialog.start()
        else:
            self.turn = Turn(state, dialog.repeat(state))
        self.state = self.turn.state

    def send(self, text: str | None = None, *, value: str | None = None) -> Turn:
        return self.reply(Reply(text=text, value=value))

    def click(self, value: str) -> Turn:
        return self.reply(Reply(value=value))

    def pick(self, *values: str) -> Turn:
        return self.reply(Reply(values=values))

    def reply(self, reply: Reply) -> Turn:
        self.turn = self.dialog.handle(self.state, reply)
        assert self.turn.state is self.state
        return self.turn

    @property
    def step(self) -> str | None:
        return self.state.step

    @property
    def last(self) -> Prompt:
        return self.turn.prompts[-1]

    @property
    def question(self) -> Question:
        assert isinstance(self.last, Question), self.turn.prompts
        return self.last

    @property
    def summary(self) -> Summary:
        assert isinstance(self.last, Summary), self.turn.prompts
        return self.last

    @property
    def rows(self) -> dict[str, str]:
        return {row.step_id: row.value for row in self.summary.rows}

    @property
    def notices(self) -> list[Notice]:
        return [p for p in self.turn.prompts if isinstance(p, Notice)]

    @property
    def errors(self) -> list[Notice]:
        return [n for n in self.notices if n.tone == "error"]

    def answer(self, given: Any) -> Turn:
        """Answer the current step as a channel would: buttons for choices, typing for text."""
        assert self.step is not None
        kind = self.dialog.spec.step(self.step).kind
        if isinstance(given, Reply):
            return self.reply(given)
        if kind == "multi_choice":
            return self.pick(*given)
        if kind in {"choice", "yes_no", "confirm"}:
            return self.click(given)
        return self.send(given)

    def walk(self, answers: Mapping[str, Any]) -> list[str]:
        """Answer every question up to the summary; return the steps asked, in order."""
        asked: list[str] = []
        while self.step is not None:
            step = self.step
            assert step not in asked, f"{step} asked twice: {asked}"
            assert step in answers, f"unexpected step {step!r} after {asked}"
            assert self.question.step_id == step
            asked.append(step)
            self.answer(answers[step])
            assert not self.errors, (step, self.errors)
        assert isinstance(self.last, Summary)
        return asked
