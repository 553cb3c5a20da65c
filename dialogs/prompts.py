"""What a dialog says back: neutral prompts that every channel knows how to render."""

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


Prompt = Notice | Question | Summary
