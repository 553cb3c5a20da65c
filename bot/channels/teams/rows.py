"""What each message says, as rows of Adaptive Card elements: the part of rendering for Teams
that knows notices, questions, summaries and case cards (bot/channels/teams/render.py packs the
rows into message activities). Pure: no I/O.

Buttons are Action.Submit; what their `data` holds is described in render.py's docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.channels.teams.cards import (
    BUTTON_TITLE_MAX,
    Json,
    action_sets,
    choice_set,
    nonblank,
    rich,
    run,
    shorten,
    submit,
    text_blocks,
)
from bot.channels.teams.parse import (
    CHANGE_INPUT,
    CHANGE_KEY,
    CLICK_KEY,
    MARKER,
    MULTI_KEY,
    TICKED_INPUT,
    VALUE_KEY,
)
from bot.channels.teams.people import PERSON_KEY, picker_elements
from bot.delivery.messages import (
    Answered,
    Attachment,
    Card,
    Notice,
    Option,
    Outbound,
    Question,
    Summary,
)
from bot.delivery.school_tags import untag_value
from bot.words import strings
from dialogs.prompts import Tone

CHOICE_INPUTS = {"choice", "yes_no", "confirm", "menu"}
# Ours: the most of a refused answer shown again; a longer one is said to be long, and begun.
ECHO_MAX = 200
# A question's Cancel only asks "Do you want to cancel this report?": not red. The red
# (destructive) button is that confirmation's "Yes, cancel", which discards the answers.
ASKS_FIRST = frozenset({"__cancel"})
# Each tone: the style of the container its text sits in, and the sign before the text (colour
# alone would say nothing to someone who cannot see it).
TONES: dict[Tone, tuple[str | None, str]] = {
    "info": (None, ""),
    "guidance": ("accent", "ℹ️ "),
    "warning": ("warning", "⚠️ "),
    "urgent": ("attention", ""),
    "error": ("attention", "⚠️ "),
    "success": ("good", "✅ "),
}


@dataclass(frozen=True)
class Row:
    """Elements that stay in one card, in a container of `style` if it is set."""

    elements: tuple[Json, ...]
    style: str | None = None


def rows_of(message: Outbound) -> list[Row]:
    if isinstance(message, Notice):
        return _notice(message)
    if isinstance(message, Question):
        return _question(message)
    if isinstance(message, Summary):
        return _summary(message)
    if isinstance(message, Card):
        return card_rows(message)
    raise TypeError(f"cannot render {type(message).__name__}")


def _notice(notice: Notice) -> list[Row]:
    """A notice; with a refused answer, that answer to copy (Teams cannot put it back in the
    box), or, if it is long, how long it was and how it began: the person's own message is
    still in the chat above, and 100,000 characters sent back would be 17 messages."""
    rows = toned(notice.text, notice.tone)
    typed = notice.restore_text
    if typed and typed.strip():
        if len(typed) <= ECHO_MAX:
            rows += each(text_blocks(strings.TEAMS_RESTORED, italic=True, isSubtle=True))
            rows += each(text_blocks(typed))  # a block of its own, to copy
        else:
            said = strings.TEAMS_RESTORED_LONG.format(length=len(typed))
            began = strings.TEAMS_RESTORED_BEGAN.format(start=typed[:ECHO_MAX].rstrip())
            rows += each(text_blocks(said, italic=True, isSubtle=True))
            rows += each(text_blocks(began))
    return rows


def _question(question: Question) -> list[Row]:
    rows: list[Row] = []
    if question.guidance and question.guidance.strip():
        rows += toned(question.guidance, "guidance")
    rows += each(text_blocks(question.text, weight="bolder"))
    notes: list[str] = []
    if question.progress:
        notes.append(
            strings.TEAMS_PROGRESS.format(n=question.progress[0], total=question.progress[1])
        )
    if question.hint and question.hint.strip():
        notes.append(question.hint)
    elif question.input == "datetime":
        notes.append(strings.TEAMS_DATETIME_HINT)
    if question.input in {"text", "datetime"}:
        notes.append(strings.TEAMS_TYPE_YOUR_ANSWER)
        if question.input == "text" and question.max_length:
            notes.append(strings.TEAMS_UP_TO.format(limit=question.max_length))
    if question.input == "multi_choice" and question.options:
        notes.append(strings.TEAMS_TICK_THEN_DONE)
    if question.input == "person":
        notes.append(strings.PERSON_HOW)
    if notes:
        rows += each(text_blocks("\n".join(notes), isSubtle=True))
    if question.current_answer is not None:
        lead = [run(strings.TEAMS_CURRENT_ANSWER, isSubtle=True, weight="bolder")]
        rows += each(text_blocks(question.current_answer, lead=lead, isSubtle=True))
    if question.input in CHOICE_INPUTS:
        rows += _buttons(question.options)  # a confirmation's "Yes, cancel" stays red
    elif question.input == "multi_choice" and question.options:
        done = submit(
            Option(strings.TEAMS_DONE, strings.TEAMS_DONE, "primary"), _multi_data(question.step_id)
        )
        ticks = choice_set(TICKED_INPUT, question.options)
        rows.append(Row((ticks, *action_sets([done]))))  # Done sends the ticks in its card
    elif question.input == "person":
        rows.append(Row(tuple(picker_elements(question, _person_data(question.step_id)))))
    actions = _buttons(_quiet(question.actions), in_full=False)
    return _with_token(rows + actions, question.token)


def _summary(summary: Summary) -> list[Row]:
    """The answers, then one "Change an answer" list and its Change button (a button under
    each of 14 answers made the card some 1,570 px tall), then Send and Cancel. Change sends
    the chosen `edit:<step id>` with the summary's click token, like any of its buttons."""
    rows = each(text_blocks(summary.title, weight="bolder", size="medium"))
    if summary.text.strip():
        rows += each(text_blocks(summary.text))
    for row in summary.rows:
        label = [run(f"{row.label.strip()}\n", weight="bolder")] if row.label.strip() else []
        rows += each(text_blocks(row.value, lead=label))
    if summary.rows:
        rows.append(Row(tuple(_change_elements(summary))))
    return _with_token(rows + _buttons(_quiet(summary.options)), summary.token)


def _change_elements(summary: Summary) -> list[Json]:
    """A compact (drop-down) Input.ChoiceSet of the answers, and Change. Action.Submit
    "gathers input fields, merges them with [its] data field" (learn.microsoft.com/adaptive-cards/
    schema-explorer/action-submit), so Change sends {..., CHANGE_INPUT: "edit:<step id>"}; the
    first answer is chosen to start with, so Change never sends nothing. The list's titles are
    the answers' labels, plain text (an Input.Choice title is not markdown)."""
    choices = [
        {"title": nonblank(row.label), "value": _edit(row.step_id)}  # labels: 60 at most
        for row in summary.rows
    ]
    picker = {
        "type": "Input.ChoiceSet",
        "id": CHANGE_INPUT,
        "style": "compact",
        "label": strings.TEAMS_CHANGE_AN_ANSWER,
        "value": choices[0]["value"],
        "wrap": True,
        "choices": choices,
    }
    change = Option(strings.TEAMS_CHANGE, strings.TEAMS_CHANGE)
    return [picker, *action_sets([submit(change, {MARKER: 1, CHANGE_KEY: 1})])]


def _edit(step_id: str) -> str:
    if not step_id or "," in step_id:
        raise ValueError("a summary row's step id must be non-empty and have no comma")
    return f"edit:{step_id}"


def _quiet(options: Sequence[Option]) -> tuple[Option, ...]:
    """The options, a question's Cancel not styled as destructive (see ASKS_FIRST)."""
    return tuple(
        replace(o, style="default")
        if _untagged(o.value) in ASKS_FIRST and o.style == "danger"
        else o
        for o in options
    )


def card_rows(
    card: Card, *, delivered: frozenset[Attachment] = frozenset(), files: bool = False
) -> list[Row]:
    """The card's rows; `delivered` are its attachments that follow it in activities of their
    own (a picture, a file consent card); for any other, why it is not here (`files`: whether
    this app may send files at all), or its link as text."""
    style, sign = TONES[card.tone]
    rows = each(text_blocks(card.title, weight="bolder", size="medium"), style)
    if card.tone == "urgent":
        rows += each([rich([run(strings.TEAMS_URGENT, weight="bolder", color="attention")])], style)
    if card.text and card.text.strip():
        rows += each(text_blocks(card.text, lead=[run(sign)] if sign else []), style)
    for field in card.fields:
        label = [run(f"{field.label.strip()}\n", weight="bolder")] if field.label.strip() else []
        rows += each(text_blocks(field.value, lead=label))
    rows += _buttons(card.actions)
    if card.footer and card.footer.strip():
        rows += each(text_blocks(card.footer, isSubtle=True))
    # Links are pages of the bot's own that only the web chat can open (they need its sign-in):
    # a path here would be a dead end, so they are left out.
    for attachment in card.attachments:
        if attachment in delivered:
            continue
        if attachment.is_image:  # say why it is not here, rather than leave a path
            why = strings.TEAMS_PICTURE_TOO_BIG.format(title=attachment.title)
        elif not files:
            why = strings.TEAMS_FILES_OFF.format(title=attachment.title)
        elif attachment.link is not None:
            why = f"{attachment.link.label}: {attachment.link.path}"
        else:
            continue
        rows += each(text_blocks(why, isSubtle=True))
    return rows


def toned(text: str, tone: Tone) -> list[Row]:
    style, sign = TONES[tone]
    rows: list[Row] = []
    if tone == "urgent":
        rows += each([rich([run(strings.TEAMS_URGENT, weight="bolder", color="attention")])], style)
    return rows + each(text_blocks(text, lead=[run(sign)] if sign else []), style)


def _buttons(options: Sequence[Option], *, in_full: bool = True) -> list[Row]:
    """Buttons in rows; first, if a title had to be shortened, a numbered list of the labels."""
    rows: list[Row] = []
    if in_full and any(shorten(o.label, BUTTON_TITLE_MAX) != o.label for o in options):
        lines = "\n".join(f"{i}. {o.label}" for i, o in enumerate(options, start=1))
        rows += each(text_blocks(f"{strings.TEAMS_OPTIONS_IN_FULL}\n{lines}"))
    actions = [submit(option, _data(option)) for option in options]
    return rows + each(action_sets(actions))


def _data(option: Option) -> Json:
    if not option.value:
        raise ValueError("a button's value must not be empty")
    return {MARKER: 1, VALUE_KEY: option.value}


def _multi_data(step_id: str | None) -> Json:
    return {MARKER: 1, MULTI_KEY: step_id or ""}


def _person_data(step_id: str | None) -> Json:
    return {MARKER: 1, PERSON_KEY: step_id or ""}


def _with_token(rows: list[Row], token: str | None) -> list[Row]:
    """Put a prompt's click token in the `data` of each of its buttons."""
    if token is not None:
        for row in rows:
            for data in card_values(list(row.elements)):
                data[CLICK_KEY] = token
    return rows


def each(elements: Sequence[Json], style: str | None = None) -> list[Row]:
    return [Row((element,), style) for element in elements]


def fallback_line(message: Outbound) -> str:
    """A message in one plain line, for notifications and clients that cannot show the card."""
    if isinstance(message, Notice):
        return ("Urgent: " if message.tone == "urgent" else "") + message.text
    if isinstance(message, Question):
        return message.text
    if isinstance(message, Answered):
        return ""
    return message.title


def card_values(card: Any) -> list[Json]:
    """The `data` of every Action.Submit in a card (or anything holding cards), in order."""
    if isinstance(card, dict):
        found = [card["data"]] if card.get("type") == "Action.Submit" else []
        return found + [data for value in card.values() for data in card_values(value)]
    if isinstance(card, list):
        return [data for item in card for data in card_values(item)]
    return []


def _untagged(value: str) -> str:
    """A button's value as its school sent it (a trust's deployment tags its school on it)."""
    tagged = untag_value(value)
    return value if tagged is None else tagged[1]
