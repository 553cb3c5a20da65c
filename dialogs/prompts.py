"""What a dialog says back: neutral prompts that every channel knows how to render.

The click token
---------------
Every `Question` and `Summary` a dialog asks carries a `token`: which question it is and when it
was asked, `"<where>.<turn>"`. `<where>` is the step id, `_summary` for the summary or `_cancel`
for "are you sure you want to stop?" (step ids start with a letter, so these cannot clash);
`<turn>` is the conversation's question counter, raised each time a new question is asked and
never reused within a conversation, not even by the next report (bot/chat/conversations.py
keeps the highest one given). Example: `"immediate_danger.3"`.

A channel sends the token back with every click on that prompt, whatever the element: each of
its buttons (options, Back, Skip, Help, Cancel, the summary's Change and Send), a multi-choice's
Done, and any later element kind (a person picker, a select with type-ahead) the same way:
  - Slack: in the `block_id` of each block holding the prompt's elements, `ask|<token>|<n>`
    (`n` keeps the ids of one message unique); block_actions gives it back as
    `actions[0].block_id` (bot/channels/slack/blocks.py `ask_block_id`, parse.py).
  - Teams: `"token": <token>` in each Action.Submit's `data` (bot/channels/teams/cards.py).
  - Web chat: `"token"` in the click frame, copied from the prompt's JSON (static/app.js).
Each parser puts it into `Inbound.token`. The router accepts a click only when its token is the
current question's (`Dialog.accepts`); anything else, no token included (a message sent before
tokens existed), changes nothing and is answered with where the person is. Typed text carries
no token and is not checked. The menu (`input="menu"`) has no token: its buttons start things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Tone = Literal["info", "guidance", "warning", "urgent", "error", "success"]
InputKind = Literal[
    "choice", "multi_choice", "yes_no", "text", "datetime", "confirm", "menu", "person"
]


@dataclass(frozen=True)
class Option:
    """A button: the value sent back when pressed and the label shown on it."""

    value: str
    label: str
    style: Literal["primary", "danger", "default"] = "default"


@dataclass(frozen=True)
class Notice:
    """A plain message. `restore_text` hands a rejected answer back so nothing typed is lost."""

    text: str
    tone: Tone = "info"
    restore_text: str | None = None


@dataclass(frozen=True)
class Question:
    """One step's question, with what the user may answer and the actions available."""

    step_id: str | None
    input: InputKind
    text: str
    options: tuple[Option, ...] = ()
    hint: str | None = None
    guidance: str | None = None
    max_length: int | None = None
    required: bool = True
    progress: tuple[int, int] | None = None
    current_answer: str | None = None
    actions: tuple[Option, ...] = ()
    token: str | None = None  # see "The click token" above; None only for the menu


@dataclass(frozen=True)
class SummaryRow:
    step_id: str
    label: str
    value: str


@dataclass(frozen=True)
class Summary:
    """Every answer given, to check, change or confirm before sending."""

    title: str
    rows: tuple[SummaryRow, ...]
    text: str
    options: tuple[Option, ...] = field(default_factory=tuple)
    token: str | None = None  # see "The click token" above


Prompt = Notice | Question | Summary
