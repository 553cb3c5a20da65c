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

What each message says is built as rows of card elements in bot/channels/teams/rows.py; this
module packs the rows into activities, as many to a card as fit.

All text is TextRuns, plain by design (see bot/channels/teams/cards.py): nothing anyone wrote
can link, mention or format, and nothing is cut: a long text is split over several blocks and a
message over several activities. Filtering-report addresses arrive defanged (hxxps://x[.]org:
dialogs/display.py) and are shown as they come.

Buttons are Action.Submit, their `data` one of (parse.py reads them back):

- `{"os": 1, "v": "<the option's value>"}`: a question's options, Back/Skip/Help/Cancel, a
  summary's Send and Cancel, a case card's buttons;
- `{"os": 1, "change": 1}`: a summary's Change; Teams adds the answer chosen in the card's
  "Change an answer" Input.ChoiceSet, id CHANGE_INPUT, `edit:<step_id>`;
- `{"os": 1, "multi": "<step_id>"}`: a multi-choice question's Done; Teams adds the ticked
  values of the card's Input.ChoiceSet, id TICKED_INPUT, as one comma-joined string;
- `{"os": 1, "person": "<step_id>"}`: a person step's Choose; Teams adds the value chosen in its
  type-ahead Input.ChoiceSet, id PERSON_INPUT (bot/channels/teams/people.py).

Every button of a question or a summary also carries its click token (dialogs/prompts.py) as
`"t": "<token>"`, so that a click on an old card cannot answer the current question.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bot.channels.teams.cards import (
    ADAPTIVE_CARD,
    MESSAGE_BYTES_MAX,
    SCHEMA_URL,
    Json,
    container,
    escape_teams_markdown,
    json_size,
    run,
    shorten,
    text_blocks,
)
from bot.channels.teams.files import consent_activity
from bot.channels.teams.pictures import picture_activity
from bot.channels.teams.rows import (
    Row,
    card_rows,
    card_values,
    each,
    fallback_line,
    rows_of,
    toned,
)
from bot.delivery.messages import Answered, Card, Outbound, Question, Summary
from bot.words import strings

__all__ = [
    "CardTooLarge",
    "card_values",
    "escape_teams_markdown",
    "render_answered",
    "render_card_update",
    "render_turn",
]

SUMMARY_MAX = 200  # ours: a notification's preview line
# The most a row adds to an activity besides its elements: a container of its own, a separator.
_ROW_OVERHEAD = json_size([container([], "attention"), {}])


class CardTooLarge(ValueError):
    """A card that needs more than one activity cannot replace one: send it anew instead (with
    `render_turn([card])`), so that none of it is cut."""


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
            activities += _pack(
                card_rows(message, delivered=sent, files=files), fallback_line(message)
            )
            activities += [activity for _, activity in (*pictures, *offers) if activity]
        else:
            pending.append(message)
    return activities + _together(pending)


def _together(messages: Sequence[Outbound]) -> list[Json]:
    if not messages:
        return []
    rows = [row for message in messages for row in rows_of(message)]
    # The notification shows the last: the question to answer, after whatever led to it.
    lines = [line for line in map(fallback_line, messages) if line.strip()]
    return _pack(rows, lines[-1] if lines else "")


def render_answered(answered: Answered) -> Json:
    """The activity that replaces an answered question's card: the question, without its
    buttons, and the answer given."""
    rows: list[Row] = []
    prompt = answered.prompt
    if isinstance(prompt, Question):
        if prompt.guidance and prompt.guidance.strip():
            rows += toned(prompt.guidance, "guidance")
        rows += each(text_blocks(prompt.text, weight="bolder"))
    elif isinstance(prompt, Summary):
        rows += each(text_blocks(prompt.title, weight="bolder", size="medium"))
        for row in prompt.rows:
            label = [run(f"{row.label.strip()}\n", weight="bolder")] if row.label.strip() else []
            rows += each(text_blocks(row.value, lead=label))
    words = (
        strings.ANSWER_GIVEN.format(answer=answered.answer)
        if answered.answer
        else strings.ANSWERED_EARLIER
    )
    rows += each(text_blocks(words, isSubtle=True))
    line = prompt.text if isinstance(prompt, Question) else words
    return _pack(rows, line)[-1]


def render_card_update(card: Card) -> Json:
    """The activity that replaces a card's message with `card`; CardTooLarge if it needs more
    than one."""
    activities = _activities(card)
    if len(activities) > 1:
        raise CardTooLarge(f"card {card.card_id!r} needs more than one Teams message")
    return activities[0]


def _activities(message: Outbound) -> list[Json]:
    """One message's activities: its rows, as many to a card as MESSAGE_BYTES_MAX allows.

    A row's cost is counted high (its elements, a separator, and a container of its own), so
    the sum of the costs is never less than the size of the activity that holds them.
    """
    return _pack(rows_of(message), fallback_line(message))


def _pack(rows: Sequence[Row], line: str) -> list[Json]:
    envelope = json_size(_activity(line, [], continued=True))
    cards: list[list[Row]] = [[]]
    used = envelope
    for row in rows:
        cost = json_size(list(row.elements)) + _ROW_OVERHEAD
        if cards[-1] and used + cost > MESSAGE_BYTES_MAX:
            cards.append([])
            used = envelope
        cards[-1].append(row)
        used += cost
    return [_activity(line, card, continued=i > 0) for i, card in enumerate(cards)]


def _activity(line: str, rows: Sequence[Row], *, continued: bool = False) -> Json:
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


def _body(rows: Sequence[Row]) -> Iterator[Json]:
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
