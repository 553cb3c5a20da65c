"""Running a flow one turn at a time over a tiny, JSON-serialisable state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from dialogs.answers import SOMEONE_ELSE, AnswerError, People, options_of, parse_answer
from dialogs.display import cancel_question, question_for, summary_for
from dialogs.loader import Flow
from dialogs.model import FlowSpec, StepSpec
from dialogs.prompts import Notice, Prompt, Question, Summary
from dialogs.strings import ENGLISH, Words

STATE_SCHEMA = 1
Outcome = Literal["continue", "completed", "cancelled"]


@dataclass
class DialogState:
    """Where a conversation is in its flow. Persisted after every turn, so it stays small."""

    flow_id: str
    flow_version: int
    step: str | None  # None: showing the summary
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    # Why the report is urgent, in the order the answers said so (codes from the flow).
    urgent_reasons: list[str] = field(default_factory=list)
    confirming_cancel: bool = False
    context: dict[str, str] = field(default_factory=dict)
    turn: int = 0  # raised with each new question: the <turn> of its click token
    # The report whose offer started this dialog (its reference): the two are linked when this
    # one is sent. Kept here so that it ends with the dialog.
    linked_to: str | None = None

    @property
    def where(self) -> str:
        """The <where> of the click token: the step, `_summary` or `_cancel`."""
        if self.confirming_cancel:
            return "_cancel"
        return "_summary" if self.step is None else self.step

    @property
    def token(self) -> str:
        """The current question's click token (see dialogs/prompts.py)."""
        return f"{self.where}.{self.turn}"

    def facts(self) -> dict[str, Any]:
        """What conditions read: the context the flow was started with, then the answers."""
        return {**self.context, **self.answers}

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": STATE_SCHEMA,
            "flow_id": self.flow_id,
            "flow_version": self.flow_version,
            "step": self.step,
            "answers": dict(self.answers),
            "history": list(self.history),
            "signals": list(self.signals),
            "urgent_reasons": list(self.urgent_reasons),
            "confirming_cancel": self.confirming_cancel,
            "context": dict(self.context),
            "turn": self.turn,
            "linked_to": self.linked_to,
        }

    @classmethod
    def resumed(cls, spec: FlowSpec, answers: dict[str, Any], turn: int) -> DialogState:
        """Where someone who stopped (or finished) a kept questionnaire picks up (the
        self-audit, the annual review): their answers kept, at the first question they have not
        answered, or at the summary to check and change."""
        answered = [s.id for s in spec.steps if s.id in answers]
        pending = [s.id for s in spec.steps if s.id not in answers]
        return cls(
            flow_id=spec.id,
            flow_version=spec.version,
            step=pending[0] if pending else None,
            answers=dict(answers),
            history=answered,
            turn=turn,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DialogState:
        return cls(
            flow_id=data["flow_id"],
            flow_version=data["flow_version"],
            step=data["step"],
            answers=dict(data["answers"]),
            history=list(data["history"]),
            signals=list(data["signals"]),
            urgent_reasons=list(data.get("urgent_reasons") or []),  # none in older states
            confirming_cancel=bool(data.get("confirming_cancel", False)),
            context=dict(data.get("context") or {}),
            turn=int(data.get("turn") or 0),
            linked_to=data.get("linked_to"),
        )


@dataclass(frozen=True)
class Reply:
    """What the user sent: typed text, a button's value, or the values of a multi-choice."""

    text: str | None = None
    value: str | None = None
    values: tuple[str, ...] | None = None
    token: str | None = None  # a click's token (see dialogs/prompts.py); None when typed

    @property
    def is_click(self) -> bool:
        return self.value is not None or self.values is not None


@dataclass
class Turn:
    state: DialogState
    prompts: list[Prompt]
    outcome: Outcome = "continue"
    new_signals: list[str] = field(default_factory=list)
    new_urgent_reasons: list[str] = field(default_factory=list)

    def answers(self, dialog: Dialog) -> dict[str, Any]:
        """The answers that count: those of steps that apply given the final answers."""
        facts = self.state.facts()
        return {k: v for k, v in self.state.answers.items() if dialog.applies(k, self.state, facts)}


class Dialog:
    """One flow, ready to run. Pure: everything it needs arrives in its arguments."""

    def __init__(
        self,
        flow: Flow,
        *,
        tz: ZoneInfo,
        clock: Callable[[], datetime],
        people: People | None = None,
        words: Words = ENGLISH,
    ) -> None:
        """`people` looks up the school's list for person steps (e-mail -> name); without it,
        only typed answers are accepted there. `words`: what it says and the commands it
        takes (typed, or the value of its own buttons)."""
        self.flow = flow
        self.spec = flow.spec
        self.tz = tz
        self.clock = clock
        self.people = people
        # The flow's own words for stopping it, where it has them (a case form's).
        spec = flow.spec
        self.words = replace(
            words,
            cancel_question=spec.cancel_question or words.cancel_question,
            cancelled=spec.cancelled or words.cancelled,
        )
        self._back_commands = {"__back", *words.back_words}
        self._cancel_commands = {"__cancel", *words.cancel_words}
        self._help_commands = {"__help", *words.help_words}
        self._skip_commands = {"__skip", *words.skip_words}
        self._allowed: dict[str, frozenset[str]] = {}
        self._submit_commands = {"__submit", *words.submit_words}
        # "change 2", "change what happened": one word, then the row's number or label
        self._change_prefixes = tuple(f"{word} " for word in sorted(words.change_words))

    def start(
        self,
        context: dict[str, str] | None = None,
        *,
        turn: int = 1,
        answers: Mapping[str, Any] | None = None,
    ) -> Turn:
        """Begin the flow; `context` gives the values its `context` names stand for.

        `turn` numbers its first question: above every token the conversation has given out
        (bot/chat/conversations.py `ConversationDoc.next_turn`), so that no button of an
        earlier dialog can be taken for one of this one.

        `answers` are filled in before the first question (another report's, when its offer
        is taken): each as if given in the flow's order, with its effects, so it is not asked
        but shows on the summary to change. One the flow could not take is left out and asked.
        """
        given = dict(context or {})
        if set(given) != set(self.spec.context):
            raise ValueError(f"flow {self.spec.id!r} needs context {list(self.spec.context)}")
        state = DialogState(
            flow_id=self.spec.id, flow_version=self.spec.version, step=None, context=given
        )
        notices: list[Notice] = []
        signals: list[str] = []
        reasons: list[str] = []
        filled = answers or {}
        for step in self.spec.steps:
            value = filled.get(step.id)
            if value is None or not self._still_valid(step.id, value):
                continue
            if step.max_length is not None and len(str(value)) > step.max_length:
                continue
            state.answers[step.id] = value
            state.history.append(step.id)
            said, new_signals, new_reasons = self._effects(state, step)
            notices += said
            signals += new_signals
            reasons += new_reasons
        state.step = self._next_step(state, after=None)
        state.turn = turn
        prompts = [Notice(self.spec.intro, "info"), *notices, *self._ask(state)]
        return Turn(state, prompts, new_signals=signals, new_urgent_reasons=reasons)

    def resume(self, data: dict[str, Any]) -> DialogState:
        """Rebuild a saved state, mending it if the flow file changed since it was saved."""
        state = DialogState.from_json(data)
        state.answers = {k: v for k, v in state.answers.items() if self._still_valid(k, v)}
        state.history = [s for s in state.history if s in state.answers]
        if state.step is None or not self.spec.has_step(state.step):
            state.step = self._next_step(state, after=None)
        state.flow_version = self.spec.version
        return state

    def _still_valid(self, step_id: str, value: Any) -> bool:
        """An answer the (possibly changed) flow can still take: its step and options exist."""
        if not self.spec.has_step(step_id):
            return False
        step = self.spec.step(step_id)
        if step.kind not in {"choice", "multi_choice", "yes_no", "confirm"} or value is None:
            return True
        allowed = self._allowed.get(step_id)
        if allowed is None:  # the flow never changes once loaded: work it out once per step
            allowed = self._allowed[step_id] = frozenset(
                o.value for o in options_of(step, self.words)
            )
        values = value if isinstance(value, list) else [value]
        return all(v in allowed for v in values)

    def repeat(self, state: DialogState) -> list[Prompt]:
        """Show again whatever the user is being asked now."""
        return self._ask(state)

    @staticmethod
    def accepts(state: DialogState, reply: Reply) -> bool:
        """Whether `reply` may answer the current question: typed text always; a click only
        with the current question's token (none at all, from an old message, is not)."""
        return not reply.is_click or reply.token == state.token

    def handle(self, state: DialogState, reply: Reply) -> Turn:
        """Run one reply; a new question (an answer stored, or another step, the summary or the
        cancel question shown) gets the next turn, so the buttons shown before it go stale."""
        before = (state.where, dict(state.answers))
        turn = self._handle(state, reply)
        if turn.outcome == "continue" and (state.where, state.answers) != before:
            state.turn += 1
            turn.prompts = [
                replace(p, token=state.token) if isinstance(p, Question | Summary) else p
                for p in turn.prompts
            ]
        return turn

    def _handle(self, state: DialogState, reply: Reply) -> Turn:
        command = _command(reply)
        if state.confirming_cancel:
            return self._answer_cancel(state, reply, command)
        if command in self._cancel_commands:
            state.confirming_cancel = True
            return Turn(state, self._ask(state))
        if command in self._help_commands:
            help_text = f"{self.spec.help}\n\n{self.words.help_commands}"
            return Turn(state, [Notice(help_text, "guidance"), *self._ask(state)])
        if command in self._back_commands:
            return self._back(state)
        if state.step is None:
            return self._at_summary(state, reply, command)
        return self._answer(state, self.spec.step(state.step), reply, command)

    def applies(
        self, step_id: str, state: DialogState, facts: dict[str, Any] | None = None
    ) -> bool:
        """Whether the step's condition holds. A caller asking of many steps at once passes
        `state.facts()`, made once, rather than once per step (every turn asks of them all)."""
        condition = self.flow.conditions.get(step_id)
        return condition is None or condition.evaluate(state.facts() if facts is None else facts)

    def applicable(self, state: DialogState) -> list[StepSpec]:
        """The flow's steps whose conditions hold now, in order."""
        facts = state.facts()
        return [s for s in self.spec.steps if self.applies(s.id, state, facts)]

    def _answer(self, state: DialogState, step: StepSpec, reply: Reply, command: str) -> Turn:
        if command in self._skip_commands and not step.required:
            value: Any = None
        elif command in self._skip_commands:
            notice = Notice(self.words.cannot_skip, "error")
            return Turn(state, [notice, *self._ask(state)])
        elif step.kind == "person" and reply.value == SOMEONE_ELSE:
            # Nothing to store yet: the next typed message is the answer.
            return Turn(state, [Notice(self.words.type_the_person, "info")])
        else:
            try:
                value = parse_answer(
                    step, reply, now=self.clock(), tz=self.tz, people=self.people, words=self.words
                )
            except AnswerError as error:
                notice = Notice(error.message, "error", restore_text=error.restore_text)
                return Turn(state, [notice, *self._ask(state)])
        state.answers[step.id] = value
        if step.id in state.history:
            state.history.remove(step.id)
        state.history.append(step.id)
        prompts, new_signals, new_reasons = self._effects(state, step)
        state.step = self._next_step(state, after=step.id)
        return Turn(
            state,
            [*prompts, *self._ask(state)],
            new_signals=new_signals,
            new_urgent_reasons=new_reasons,
        )

    def _effects(
        self, state: DialogState, step: StepSpec
    ) -> tuple[list[Notice], list[str], list[str]]:
        """The notices of the effects this answer matches, and the signals and urgent reasons
        it raises for the first time.

        A reason, once given, is never taken back: the report became urgent and people were
        alerted the moment it was answered, so changing the answer later (back, or Change on
        the summary) keeps the report urgent with that reason. The DSL decides, not an edit.
        """
        notices: list[Notice] = []
        new_signals: list[str] = []
        new_reasons: list[str] = []
        for index, effect in enumerate(step.on_answer):
            if not self.flow.effects[(step.id, index)].evaluate(state.facts()):
                continue
            if effect.notice and effect.notice not in [n.text for n in notices]:  # said once
                notices.append(Notice(effect.notice, effect.tone))
            if effect.signal and effect.signal not in state.signals:
                state.signals.append(effect.signal)
                new_signals.append(effect.signal)
            if effect.reason and effect.reason not in state.urgent_reasons:
                state.urgent_reasons.append(effect.reason)
                new_reasons.append(effect.reason)
        return notices, new_signals, new_reasons

    def _next_step(self, state: DialogState, *, after: str | None) -> str | None:
        """The first step that applies and is not answered yet, looking forward from `after`.

        Answers given later in the flow are kept when the user goes back or changes an answer,
        so they are only asked what is new to them; the summary shows everything.
        """
        start = 0 if after is None else self.spec.index(after) + 1
        ordered = [*self.spec.steps[start:], *self.spec.steps[:start]]
        facts = state.facts()
        for step in ordered:
            if step.id not in state.answers and self.applies(step.id, state, facts):
                return step.id
        return None

    def _back(self, state: DialogState) -> Turn:
        previous = [s for s in state.history if s != state.step and self.applies(s, state)]
        if not previous:
            return Turn(state, [Notice(self.words.at_first_question, "info"), *self._ask(state)])
        state.step = previous[-1]
        state.history.remove(state.step)
        return Turn(state, self._ask(state))

    def _at_summary(self, state: DialogState, reply: Reply, command: str) -> Turn:
        if command in self._submit_commands:
            return Turn(state, [], outcome="completed")
        if command.startswith(("edit:", *self._change_prefixes)):
            target = self._edit_target(state, command.split(":", 1)[-1].split(" ", 1)[-1])
            if target is None:
                name = command.split(":", 1)[-1].split(" ", 1)[-1]
                notice = Notice(self.words.no_such_answer.format(name=name), "error")
                return Turn(state, [notice, *self._ask(state)])
            state.step = target
            return Turn(state, self._ask(state))
        nudge = self.words.summary_nudge.format(submit=self.spec.submit_label)
        return Turn(state, [Notice(nudge, "error", restore_text=reply.text), *self._ask(state)])

    def _edit_target(self, state: DialogState, name: str) -> str | None:
        shown = [s.id for s in self.applicable(state) if s.id in state.answers]
        if name.isdecimal() and len(name) <= 3 and 1 <= int(name) <= len(shown):
            return shown[int(name) - 1]
        for step_id in shown:
            if name in {step_id, self.spec.step(step_id).label.casefold()}:
                return step_id
        return None

    def _answer_cancel(self, state: DialogState, reply: Reply, command: str) -> Turn:
        if command in {"__cancel_yes", *self.words.cancel_yes_words, *self._cancel_commands}:
            urgent = "urgent" in state.signals
            text = self.words.cancelled_urgent if urgent else self.words.cancelled
            return Turn(state, [Notice(text, "warning" if urgent else "info")], "cancelled")
        if command in {"__cancel_no", *self.words.cancel_no_words, *self._back_commands}:
            state.confirming_cancel = False
            return Turn(state, [Notice(self.words.carry_on, "info"), *self._ask(state)])
        return Turn(state, [Notice(self.words.need_yes_no, "error"), *self._ask(state)])

    def _ask(self, state: DialogState) -> list[Prompt]:
        if state.confirming_cancel:
            prompt: Question | Summary = cancel_question("urgent" in state.signals, self.words)
        elif state.step is None:
            prompt = summary_for(self, state)
        else:
            prompt = question_for(self, state, self.spec.step(state.step))
        return [replace(prompt, token=state.token)]


def _command(reply: Reply) -> str:
    raw = reply.value if reply.value is not None else (reply.text or "")
    return " ".join(raw.strip().casefold().split())
