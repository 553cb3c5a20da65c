"""Outbound -> Bot Framework message activities carrying Adaptive Cards 1.5, for Teams. Pure: no
I/O, and the same input always gives the same JSON.

`render_turn` gives the activities for one turn, in order: each message its own, or several if
it is too long for one (each under MESSAGE_BYTES_MAX), and after a card an activity for each
image it carries (bot/channels/teams/pictures.py), then a file consent card for each file that
can be made again (the self-audit's CSV: bot/channels/teams/files.py); `render_card_update` the
one activity
that replaces a case card (update_activity), or CardTooLarge. An activity is
`{"type": "message", "summary": ..., "attachments": [<the card>]}`, without conversation, from,
recipient or replyToId, which the handler adds. It has no `text`: Teams would show it above the
card, repeating it; `summary` is what its notifications show instead of "sent a card".

All text is TextRuns, plain by design (see bot/channels/teams/cards.py): nothing anyone wrote
can link, mention or format, and nothing is cut: a long text is split over several blocks and a
message over several activities. Filtering-report addresses arrive defanged (hxxps://x[.]org:
dialogs/display.py) and are shown as they come.

Buttons are Action.Submit, their `data` one of (parse.py reads them back):

- `{"os": 1, "v": "<the option's value>"}`: a question's options, Back/Skip/Help/Cancel, a
  summary row's Change (`edit:<step_id>`), a case card's buttons;
- `{"os": 1, "multi": "<step_id>"}`: a multi-choice question's Done; Teams adds the ticked
  values of the card's Input.ChoiceSet, id TICKED_INPUT, as one comma-joined string;
- `{"os": 1, "person": "<step_id>"}`: a person step's Choose; Teams adds the value chosen in its
  type-ahead Input.ChoiceSet, id PERSON_INPUT (bot/channels/teams/people.py).

Every button of a question or a summary also carries its click token (dialogs/prompts.py) as
`"t": "<token>"`, so that a click on an old card cannot answer the current question.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot import strings
from bot.channels.teams.cards import (
    ADAPTIVE_CARD,
    BUTTON_TITLE_MAX,
    MESSAGE_BYTES_MAX,
    SCHEMA_URL,
    Json,
    action_sets,
    choice_set,
    container,
    escape_teams_markdown,
    json_size,
    rich,
    run,
    shorten,
    submit,
    text_blocks,
)
from bot.channels.teams.files import consent_activity
from bot.channels.teams.parse import CLICK_KEY, MARKER, MULTI_KEY, TICKED_INPUT, VALUE_KEY
from bot.channels.teams.people import PERSON_KEY, picker_elements
from bot.channels.teams.pictures import picture_activity
from bot.messages import Answered, Attachment, Card, Notice, Option, Outbound, Question, Summary
from dialogs.prompts import Tone

__all__ = [
    "CardTooLarge",
    "card_values",
    "escape_teams_markdown",
    "render_answered",
    "render_card_update",
    "render_turn",
]

SUMMARY_MAX = 200  # ours: a notification's preview line
CHOICE_INPUTS = {"choice", "yes_no", "confirm", "menu"}
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
# The most a row adds to an activity besides its elements: a container of its own, a separator.
_ROW_OVERHEAD = json_size([container([], "attention"), {}])


class CardTooLarge(ValueError):
    """A card that needs more than one activity cannot replace one: send it anew instead (with
    `render_turn([card])`), so that none of it is cut."""


@dataclass(frozen=True)
class _Row:
    """Elements that stay in one card, in a container of `style` if it is set."""

    elements: tuple[Json, ...]
    style: str | None = None


def render_turn(messages: Sequence[Outbound], *, files: bool = False) -> list[Json]:
    """The activities for one turn, in order. Consecutive notices, questions and summaries share
    a card (one message to Teams, not one each: every call counts against its rate limits, and
    a turn reads as one reply); a case card is a message of its own, so it can be updated.
    `files`: the app may send files (TEAMS_FILES, supportsFiles in its package), so a card's
    file is offered with a consent card; otherwise the card says why it is not here."""
    activities: list[Json] = []
    pending: list[Outbound] = []
    for message in messages:
        if isinstance(message, Answered):
            continue  # not a message: the handler updates the clicked card (render_answered)
        if isinstance(message, Question | Summary) and message.token is not None:
            # A question with buttons is a message of its own, so that once it is answered its
            # card can be replaced by one without them, losing nothing that came before it.
            activities += _together(pending)
            pending = [message]
        elif isinstance(message, Card):
            activities += _together(pending)
            pending = []
            pictures = [(a, picture_activity(a)) for a in message.attachments]
            offers = [(a, consent_activity(a) if files else None) for a in message.attachments]
            sent = frozenset(a for a, activity in (*pictures, *offers) if activity)
            activities += _pack(_card(message, delivered=sent, files=files), _fallback(message))
            activities += [activity for _, activity in (*pictures, *offers) if activity]
        else:
            pending.append(message)
    return activities + _together(pending)


def _together(messages: Sequence[Outbound]) -> list[Json]:
    if not messages:
        return []
    rows = [row for message in messages for row in _rows(message)]
    # The notification shows the last: the question to answer, after whatever led to it.
    lines = [line for line in map(_fallback, messages) if line.strip()]
    return _pack(rows, lines[-1] if lines else "")


def render_answered(answered: Answered) -> Json:
    """The activity that replaces an answered question's card: the question, without its
    buttons, and the answer given."""
    rows: list[_Row] = []
    prompt = answered.prompt
    if isinstance(prompt, Question):
        if prompt.guidance and prompt.guidance.strip():
            rows += _toned(prompt.guidance, "guidance")
        rows += _each(text_blocks(prompt.text, weight="bolder"))
    elif isinstance(prompt, Summary):
        rows += _each(text_blocks(prompt.title, weight="bolder", size="medium"))
        for row in prompt.rows:
            label = [run(f"{row.label.strip()}\n", weight="bolder")] if row.label.strip() else []
            rows += _each(text_blocks(row.value, lead=label))
    words = (
        strings.ANSWER_GIVEN.format(answer=answered.answer)
        if answered.answer
        else strings.ANSWERED_EARLIER
    )
    rows += _each(text_blocks(words, isSubtle=True))
    line = prompt.text if isinstance(prompt, Question) else words
    return _pack(rows, line)[-1]


def render_card_update(card: Card) -> Json:
    """The activity that replaces a card's message with `card`; CardTooLarge if it needs more
    than one."""
    activities = _activities(card)
    if len(activities) > 1:
        raise CardTooLarge(f"card {card.card_id!r} needs more than one Teams message")
    return activities[0]


def card_values(card: Any) -> list[Json]:
    """The `data` of every Action.Submit in a card (or anything holding cards), in order."""
    if isinstance(card, dict):
        found = [card["data"]] if card.get("type") == "Action.Submit" else []
        return found + [data for value in card.values() for data in card_values(value)]
    if isinstance(card, list):
        return [data for item in card for data in card_values(item)]
    return []


def _activities(message: Outbound) -> list[Json]:
    """One message's activities: its rows, as many to a card as MESSAGE_BYTES_MAX allows.

    A row's cost is counted high (its elements, a separator, and a container of its own), so
    the sum of the costs is never less than the size of the activity that holds them.
    """
    return _pack(_rows(message), _fallback(message))


def _pack(rows: Sequence[_Row], line: str) -> list[Json]:
    envelope = json_size(_activity(line, [], continued=True))
    cards: list[list[_Row]] = [[]]
    used = envelope
    for row in rows:
        cost = json_size(list(row.elements)) + _ROW_OVERHEAD
        if cards[-1] and used + cost > MESSAGE_BYTES_MAX:
            cards.append([])
            used = envelope
        cards[-1].append(row)
        used += cost
    return [_activity(line, card, continued=i > 0) for i, card in enumerate(cards)]


def _activity(line: str, rows: Sequence[_Row], *, continued: bool = False) -> Json:
    suffix = strings.TEAMS_CONTINUED if continued else ""
    summary = (
        shorten(line, SUMMARY_MAX - len(suffix)) if line.strip() else strings.TEAMS_BOT_MESSAGE
    )
    summary += suffix
    card = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": "1.5",
        "fallbackText": summary,
        "body": list(_body(rows)),
        "msteams": {"width": "Full"},
    }
    return {
        "type": "message",
        "summary": summary,
        "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}],
    }


def _body(rows: Sequence[_Row]) -> Iterator[Json]:
    """The rows' elements; those of consecutive rows with one style share a container."""
    index = 0
    while index < len(rows):
        style = rows[index].style
        if style is None:
            yield from rows[index].elements
            index += 1
            continue
        items: list[Json] = []
        while index < len(rows) and rows[index].style == style:
            items += rows[index].elements
            index += 1
        yield container(items, style)


def _rows(message: Outbound) -> list[_Row]:
    if isinstance(message, Notice):
        return _notice(message)
    if isinstance(message, Question):
        return _question(message)
    if isinstance(message, Summary):
        return _summary(message)
    if isinstance(message, Card):
        return _card(message)
    raise TypeError(f"cannot render {type(message).__name__}")


def _notice(notice: Notice) -> list[_Row]:
    rows = _toned(notice.text, notice.tone)
    if notice.restore_text and notice.restore_text.strip():
        rows += _each(text_blocks(strings.TEAMS_RESTORED, italic=True, isSubtle=True))
        rows += _each(text_blocks(notice.restore_text))  # a block of its own, to copy
    return rows


def _question(question: Question) -> list[_Row]:
    rows: list[_Row] = []
    if question.guidance and question.guidance.strip():
        rows += _toned(question.guidance, "guidance")
    rows += _each(text_blocks(question.text, weight="bolder"))
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
        rows += _each(text_blocks("\n".join(notes), isSubtle=True))
    if question.current_answer is not None:
        lead = [run(strings.TEAMS_CURRENT_ANSWER, isSubtle=True, weight="bolder")]
        rows += _each(text_blocks(question.current_answer, lead=lead, isSubtle=True))
    if question.input in CHOICE_INPUTS:
        rows += _buttons(question.options)
    elif question.input == "multi_choice" and question.options:
        done = submit(
            Option(strings.TEAMS_DONE, strings.TEAMS_DONE, "primary"), _multi_data(question.step_id)
        )
        ticks = choice_set(TICKED_INPUT, question.options)
        rows.append(_Row((ticks, *action_sets([done]))))  # Done sends the ticks in its card
    elif question.input == "person":
        rows.append(_Row(tuple(picker_elements(question, _person_data(question.step_id)))))
    return _with_token(rows + _buttons(question.actions, in_full=False), question.token)


def _summary(summary: Summary) -> list[_Row]:
    rows = _each(text_blocks(summary.title, weight="bolder", size="medium"))
    if summary.text.strip():
        rows += _each(text_blocks(summary.text))
    for row in summary.rows:
        label = [run(f"{row.label.strip()}\n", weight="bolder")] if row.label.strip() else []
        rows += _each(text_blocks(row.value, lead=label))
        change = Option(f"edit:{row.step_id}", strings.TEAMS_CHANGE)
        tooltip = shorten(f"{strings.TEAMS_CHANGE} {row.label}", 2 * BUTTON_TITLE_MAX)
        rows.append(_Row(tuple(action_sets([submit(change, _data(change), tooltip=tooltip)]))))
    return _with_token(rows + _buttons(summary.options), summary.token)


def _card(
    card: Card, *, delivered: frozenset[Attachment] = frozenset(), files: bool = False
) -> list[_Row]:
    """The card's rows; `delivered` are its attachments that follow it in activities of their
    own (a picture, a file consent card); for any other, why it is not here (`files`: whether
    this app may send files at all), or its link as text."""
    style, sign = TONES[card.tone]
    rows = _each(text_blocks(card.title, weight="bolder", size="medium"), style)
    if card.tone == "urgent":
        rows += _each(
            [rich([run(strings.TEAMS_URGENT, weight="bolder", color="attention")])], style
        )
    if card.text and card.text.strip():
        rows += _each(text_blocks(card.text, lead=[run(sign)] if sign else []), style)
    for field in card.fields:
        label = [run(f"{field.label.strip()}\n", weight="bolder")] if field.label.strip() else []
        rows += _each(text_blocks(field.value, lead=label))
    rows += _buttons(card.actions)
    if card.footer and card.footer.strip():
        rows += _each(text_blocks(card.footer, isSubtle=True))
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
        rows += _each(text_blocks(why, isSubtle=True))
    return rows


def _toned(text: str, tone: Tone) -> list[_Row]:
    style, sign = TONES[tone]
    rows: list[_Row] = []
    if tone == "urgent":
        rows += _each(
            [rich([run(strings.TEAMS_URGENT, weight="bolder", color="attention")])], style
        )
    return rows + _each(text_blocks(text, lead=[run(sign)] if sign else []), style)


def _buttons(options: Sequence[Option], *, in_full: bool = True) -> list[_Row]:
    """Buttons in rows; first, if a title had to be shortened, a numbered list of the labels."""
    rows: list[_Row] = []
    if in_full and any(shorten(o.label, BUTTON_TITLE_MAX) != o.label for o in options):
        lines = "\n".join(f"{i}. {o.label}" for i, o in enumerate(options, start=1))
        rows += _each(text_blocks(f"{strings.TEAMS_OPTIONS_IN_FULL}\n{lines}"))
    actions = [submit(option, _data(option)) for option in options]
    return rows + _each(action_sets(actions))


def _data(option: Option) -> Json:
    if not option.value:
        raise ValueError("a button's value must not be empty")
    return {MARKER: 1, VALUE_KEY: option.value}


def _multi_data(step_id: str | None) -> Json:
    return {MARKER: 1, MULTI_KEY: step_id or ""}


def _person_data(step_id: str | None) -> Json:
    return {MARKER: 1, PERSON_KEY: step_id or ""}


def _with_token(rows: list[_Row], token: str | None) -> list[_Row]:
    """Put a prompt's click token in the `data` of each of its buttons."""
    if token is not None:
        for row in rows:
            for data in card_values(list(row.elements)):
                data[CLICK_KEY] = token
    return rows


def _each(elements: Sequence[Json], style: str | None = None) -> list[_Row]:
    return [_Row((element,), style) for element in elements]


def _fallback(message: Outbound) -> str:
    """A message in one plain line, for notifications and clients that cannot show the card."""
    if isinstance(message, Notice):
        return ("Urgent: " if message.tone == "urgent" else "") + message.text
    if isinstance(message, Question):
        return message.text
    if isinstance(message, Answered):
        return ""
    return message.title
