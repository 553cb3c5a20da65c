"""Answering a flow from a table of answers, on any channel, checking at every step that the
question the channel asks is the one the next answer is for.

`walk` is the one walker: a channel gives it `asked()`, the step its newest question asks, read
from what the channel showed (the click token every question and summary carries,
dialogs/prompts.py: a Slack block_id, a Teams button's data, the web frame, the test channel's
Question), and `answer(value)`, which clicks, ticks or types the value there and waits for the
bot's reply. The answers are given in the order the flow asks them: an answer meant for one
question can never be given to another unnoticed (a missing step, a step asked twice or a
stale question shown all stop the walk, naming the expected and the asked step).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from tests.support.harness import Chat

Answer = str | tuple[str, ...]
SUMMARY = "summary"

STAFF = "t.brannigan@example.org"
CONCERN_TAIL: dict[str, Answer] = {
    "about_adult": "no",
    "pupils": "AB (Year 5), target; CD (Year 6), sent the messages",
    "what_happened": "AB showed me messages calling her names in the class group chat.",
    "your_concerns": "skip",
    "disclosure": "no",
    "safe_home": "yes",
    "others_at_risk": "no",
    "others_told": "The class teacher.",
    "happened_at": "yesterday 15:00",
    "found_out_at": "yesterday 15:30",
    "where": "WhatsApp group on a pupil's own phone",
    "actions_taken": "Spoke to the class teacher and kept the phone in the office.",
    "dsl_told_in_person": "yes",
    "reporter_role": "Class teacher",
}
# An image concern up to its boxes (the signs that make it urgent at once), both ticked.
IMAGE_TICKED: dict[str, Answer] = {
    "immediate_danger": "no",
    "category": "image",
    "image_rules": "ok",
    "image_device": "secured",
    "device_kept": "Locked in the office.",
    "image_seen": "not_seen",
    "image_indicators": ("coercion", "under_13"),
}
# The questions a disclosure adds after `disclosure: yes` (the child's words, the questions
# asked, whether the child was told what happens next, and whether they spoke of self-harm).
DISCLOSED_TAIL: dict[str, Answer] = {
    "disclosure": "yes",
    "child_words": "He said he would post my photo.",
    "questions_asked": "None: I only listened.",
    "told_next_steps": "yes",
    "child_self_harm": "no",
}


def cyberbullying_concern(what_happened: str, happened_at: str) -> dict[str, Answer]:
    """A whole cyberbullying concern, step by step, as the platform tests file one."""
    return {
        "immediate_danger": "no",
        "category": "cyberbullying",
        "bullying_repeated": "yes",
        "bullying_evidence": "kept",
        "bullying_illegal": "no",
        **CONCERN_TAIL,
        "what_happened": what_happened,
        "happened_at": happened_at,
    }


def step_of_token(token: str | None) -> str | None:
    """The step a click token names, `"<step>.<turn>"` ("summary" for the summary's
    `_summary.<turn>`); None for no token."""
    if not token:
        return None
    where, _, turn = token.rpartition(".")
    assert where and turn.isdecimal(), f"not a click token: {token!r}"
    return SUMMARY if where == "_summary" else where


class WrongQuestion(AssertionError):
    """The channel asked another question than the one the next answer is for."""

    def __init__(self, expected: str | None, asked: str | None, answered: list[str]) -> None:
        self.expected, self.asked, self.answered = expected, asked, answered
        want = f"the question {expected!r}" if expected else "no more questions"
        super().__init__(
            f"expected {want}, but the channel asked {asked!r} (answered so far: {answered})"
        )


class Asking(Protocol):
    """One person's conversation on one channel, as the walker drives it."""

    async def asked(self) -> str | None:
        """The step the newest question shown asks ("summary" at the summary), None if none."""
        ...

    async def answer(self, value: Answer) -> None:
        """Give `value` to that question (its button, its boxes, or typed); wait for the reply."""
        ...


async def walk(
    channel: Asking,
    answers: Mapping[str, Answer],
    *,
    until: str = SUMMARY,
    stored: Callable[[], Awaitable[str | None]] | None = None,
    in_order: bool = True,
) -> list[str]:
    """Answer each question from `answers` until the channel asks `until`; return the steps
    answered, in order. Before each answer the step the channel asks is checked, and the walk
    stops with WrongQuestion naming the expected and the asked step when it is

    - not the next one in `answers` (`in_order`, the default: the answers are the flow's
      questions in the order it asks them, and every one must be asked), or
    - (with `in_order=False`, for tables that list the answers of several branches) one with
      no answer or one already answered (the answer given went elsewhere, or was refused);

    and, given `stored` (the step the stored conversation is at), when it is not that step."""
    order = list(answers)
    answered: list[str] = []
    while True:
        step = await channel.asked()
        if stored is not None:
            at = await stored()
            assert at == step, f"the channel shows {step!r} but the conversation is at {at!r}"
        left = [name for name in order if name not in answered]
        if in_order:
            expected = left[0] if left else until
        else:
            expected = step if step in left or step == until else (left or [until])[0]
        if step != expected:
            raise WrongQuestion(expected, step, answered)
        if step == until:
            return answered
        answered.append(step)
        await channel.answer(answers[step])


def swapped(answers: Mapping[str, Answer], first: str, second: str) -> dict[str, Answer]:
    """The same answers with two steps' places in the order swapped (for the walker's tests)."""
    order = list(answers)
    i, j = order.index(first), order.index(second)
    order[i], order[j] = order[j], order[i]
    return {step: answers[step] for step in order}


async def answer(chat: Chat, value: Answer) -> None:
    """Click the option with this value if the question offers it; otherwise type it."""
    if isinstance(value, tuple):
        await chat.tick(*value)
        return
    question = chat.question
    if any(option.value == value for option in question.options):
        await chat.click(value)
    else:
        await chat.send(value)


class ChatAsking:
    """The walker's view of the test channel (tests/support/harness.py): the step is read from
    the newest question's click token, and no answer may be refused with an error."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat

    async def asked(self) -> str | None:
        question = self.chat.question
        step = step_of_token(question.token)
        assert step == self.chat.step, f"token {question.token!r} at step {self.chat.step!r}"
        return step

    async def answer(self, value: Answer) -> None:
        step = self.chat.step
        await answer(self.chat, value)
        errors = [n.text for n in self.chat.notices("error")]
        assert not errors, f"{step}: {errors}"


async def walk_to_summary(chat: Chat, answers: dict[str, Answer]) -> list[str]:
    """Answer each question the test channel asks from `answers` (a table of the answers of
    one or several branches, in any order) until the summary; return the steps asked."""
    return await walk(ChatAsking(chat), answers, in_order=False)


async def start(chat: Chat, flow_id: str) -> None:
    await chat.open()
    await chat.click(f"start:{flow_id}")
