"""Outbound -> Slack message payloads (Block Kit). Pure: no I/O, and the same input always gives
the same JSON.

`render_turn` gives the chat.postMessage payloads (without "channel") for one turn of the bot;
`render_card_update` the chat.update payload (without "channel" and "ts") that replaces a card.

Safety of what people wrote: every text goes out either as mrkdwn through `escape_mrkdwn` with
`verbatim: true`, or as plain_text (button labels, headers, checkbox labels: the bot's and the
flows' own words), and every payload has `unfurl_links`/`unfurl_media` false. So nothing a person
typed can mention anyone, link anywhere or preview a page. Nothing they wrote is cut either: a
long text is split over several section blocks, and a turn over several messages, each within
Slack's limits (see bot/channels/slack/blocks.py for each limit and the page it comes from).

Buttons send their option's value. Their action_ids, unique within each rendered message:
`opt:<i>` (a question's options, a summary's and a card's buttons), `act:<i>` (Back, Skip, Help,
Cancel), `edit:<i>` (a summary row's Change, value `edit:<step_id>`), `multi:<k>` (the k-th
checkboxes element of a multi-choice question), `multi_done` (its Done button, whose handler
reads the ticked values from the message's state) and `person_pick` (a person step's menu:
bot/channels/slack/people.py). Each block that holds a question's or a summary's buttons or menu
has the block_id `ask|<click token>|<n>` (dialogs/prompts.py), which the parser reads back and
`answered_update` uses to take those blocks away once the question is answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import CheckboxesElement, InteractiveElement
from slack_sdk.models.blocks import Option as SlackOption

from bot.channels.slack.blocks import (
    ASK_PREFIX,
    BUTTON_TEXT_MAX,
    CHECKBOX_OPTIONS_MAX,
    ELLIPSIS,
    MESSAGE_BLOCKS_MAX,
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    Json,
    actions_blocks,
    button,
    context_blocks,
    escape_mrkdwn,
    field_sections,
    header_blocks,
    labelled,
    plain,
    sections,
    shorten,
    shorten_escaped,
    size,
    text_size,
    with_token,
)
from bot.channels.slack.people import picker_blocks
from bot.delivery.messages import Answered, Card, Notice, Option, Outbound, Question, Summary
from bot.words import strings
from dialogs.prompts import Tone

__all__ = [
    "CardTooLarge",
    "answered_update",
    "escape_mrkdwn",
    "render_blocks",
    "render_card_update",
    "render_turn",
]

# The top-level text: Slack's fallback for notifications and screen readers ("If attachments
# or blocks are included, text will be used as fallback text for notifications only":
# api.slack.com/methods/chat.postMessage), kept to 3,000 characters here (Slack itself
# truncates at 40,000: api.slack.com/changelog/2018-04-truncating-really-long-messages). It is
# a preview, so it alone may be shortened.
FALLBACK_TEXT_MAX = 3000
# Slack also rejects a message whose blocks hold too much text in all (`msg_blocks_too_long`).
# The limit is undocumented: github.com/slackapi/bolt-js issues 2509 and 2867 report it near
# 12,000 characters, one message of 11,341 refused and one of 9,597 accepted. Stay under 9,000.
MESSAGE_TEXT_BUDGET = 9000

TONE_PREFIX: dict[Tone, str] = {
    "info": "",
    "guidance": ":information_source: ",
    "warning": ":warning: ",
    "urgent": ":rotating_light: *Urgent*\n",
    "error": ":warning: ",
    "success": ":white_check_mark: ",
}
CHOICE_INPUTS = {"choice", "yes_no", "confirm", "menu"}
TYPE_YOUR_ANSWER = "Type your answer as a message."
DATETIME_HINT = 'For example "now", "today 10:15", "yesterday 15:00" or 24/11/2026 14:30.'
UP_TO = "Up to {limit:,} characters."
TICK_THEN_DONE = "Tick all that apply, then press *Done*."
PROGRESS = "Question {n} of {total}"
CURRENT_ANSWER = "Current answer: {answer}"
RESTORED = "_What you wrote, to copy and edit:_\n"
OPTIONS_IN_FULL = "_The options in full:_"
CHANGE = "Change"
DONE = "Done"
MULTI_DONE = "multi_done"  # parse.py reads the ticked boxes when this button is pressed
CONTINUED = " (continued)"
BOT_MESSAGE = "A message from the online-safety bot"


class CardTooLarge(ValueError):
    """A card that needs more than one Slack message cannot replace one: post it anew instead
    (with `render_turn([card])`), so that none of it is cut."""


def render_turn(messages: Sequence[Outbound]) -> list[Json]:
    """The chat.postMessage payloads for one turn, in order: as few as Slack's limits allow (at
    most 50 blocks, and MESSAGE_TEXT_BUDGET of text, in each)."""
    payloads: list[Json] = []
    blocks: list[Json] = []
    shown: list[str] = []  # the fallback line of each message with blocks in this payload
    used = 0
    for message in messages:
        line = _fallback(message)
        for position, block in enumerate(render_blocks(message)):
            cost = text_size(block)
            if blocks and (len(blocks) == MESSAGE_BLOCKS_MAX or used + cost > MESSAGE_TEXT_BUDGET):
                payloads.append(_payload(shown, blocks))
                blocks, shown, used = [], [], 0
            if position == 0 or not shown:
                shown.append(line + (CONTINUED if position else ""))
            blocks.append(block)
            used += cost
    if blocks:
        payloads.append(_payload(shown, blocks))
    return payloads


def render_card_update(card: Card) -> Json:
    """The chat.update payload (text and blocks) that replaces a card's message with `card`.

    Raises CardTooLarge if the card needs more than one message.
    """
    blocks = _card(card)
    if len(blocks) > MESSAGE_BLOCKS_MAX or text_size(blocks) > MESSAGE_TEXT_BUDGET:
        raise CardTooLarge(f"card {card.card_id!r} needs more than one Slack message")
    return {"text": _fallback_text([_fallback(card)]), "blocks": blocks}


def render_blocks(message: Outbound) -> list[Json]:
    """One message's blocks, however many: `render_turn` spreads them over payloads."""
    if isinstance(message, Notice):
        return _notice(message)
    if isinstance(message, Question):
        return _question(message)
    if isinstance(message, Summary):
        return _summary(message)
    if isinstance(message, Card):
        return _card(message)
    if isinstance(message, Answered):
        return []  # not a message: the handler updates the clicked one (answered_update)
    raise TypeError(f"cannot render {type(message).__name__}")


def answered_update(answered: Answered, blocks: Sequence[Json], text: str | None) -> Json | None:
    """The chat.update payload for the clicked message once its question is answered: the same
    blocks without those of the question's buttons (their block_id holds its token, see
    with_token), and, where they were, what was answered. None when none of them are here."""
    prefix = f"{ASK_PREFIX}{answered.token}|"
    kept: list[Json] = []
    note: Json | None = None
    for block in blocks:
        if not str(block.get("block_id", "")).startswith(prefix):
            kept.append(dict(block))
        elif note is None:
            words = (
                strings.ANSWER_GIVEN.format(answer=answered.answer)
                if answered.answer
                else strings.ANSWERED_EARLIER
            )
            note = context_blocks([escape_mrkdwn(words)])[0]
            kept.append(note)
    if note is None:
        return None
    return {"text": text or BOT_MESSAGE, "blocks": kept}


def _notice(notice: Notice) -> list[Json]:
    blocks = sections(TONE_PREFIX[notice.tone] + escape_mrkdwn(notice.text))
    if notice.restore_text and notice.restore_text.strip():
        blocks += sections(RESTORED + escape_mrkdwn(notice.restore_text))
    return blocks


def _question(question: Question) -> list[Json]:
    blocks: list[Json] = []
    if question.guidance and question.guidance.strip():
        blocks += sections(TONE_PREFIX["guidance"] + escape_mrkdwn(question.guidance))
    blocks += sections(_bold(escape_mrkdwn(question.text)))
    notes: list[str] = []
    if question.progress:
        notes.append(PROGRESS.format(n=question.progress[0], total=question.progress[1]))
    if question.hint and question.hint.strip():
        notes.append(escape_mrkdwn(question.hint))
    elif question.input == "datetime":
        notes.append(escape_mrkdwn(DATETIME_HINT))
    if question.input in {"text", "datetime"}:
        notes.append(TYPE_YOUR_ANSWER)
        if question.input == "text" and question.max_length:
            notes.append(UP_TO.format(limit=question.max_length))
    if question.input == "multi_choice" and question.options:
        notes.append(TICK_THEN_DONE)
    if question.input == "person":
        notes.append(escape_mrkdwn(strings.PERSON_HOW))
    if question.current_answer is not None:
        notes.append(CURRENT_ANSWER.format(answer=escape_mrkdwn(question.current_answer)))
    if question.input in CHOICE_INPUTS:
        blocks += _options_in_full(question.options, BUTTON_TEXT_MAX)
        blocks += context_blocks(notes)
        blocks += _buttons(question.options, "opt")
    elif question.input == "multi_choice" and question.options:
        blocks += _options_in_full(question.options, OPTION_TEXT_MAX)
        blocks += context_blocks(notes)
        blocks += _checkboxes(question.options)
    elif question.input == "person":
        blocks += context_blocks(notes)
        blocks += picker_blocks(question)
    else:
        blocks += context_blocks(notes)
    return with_token(blocks + _buttons(question.actions, "act"), question.token)


def _summary(summary: Summary) -> list[Json]:
    blocks = header_blocks(summary.title)
    if summary.text.strip():
        blocks += sections(escape_mrkdwn(summary.text))
    for index, row in enumerate(summary.rows):
        change = button(
            Option(f"edit:{row.step_id}", CHANGE),
            f"edit:{index}",
            accessibility_label=shorten(f"{CHANGE} {row.label}", OPTION_TEXT_MAX),
        )
        blocks += sections(labelled(row.label, row.value), accessory=change)
    blocks += _options_in_full(summary.options) + _buttons(summary.options, "opt")
    return with_token(blocks, summary.token)


def _card(card: Card) -> list[Json]:
    blocks = header_blocks(card.title)
    prefix = TONE_PREFIX[card.tone]
    if card.text and card.text.strip():
        blocks += sections(prefix + escape_mrkdwn(card.text))
    elif prefix:
        blocks += sections(prefix.strip())
    blocks += field_sections([labelled(f.label, f.value) for f in card.fields])
    blocks += _options_in_full(card.actions) + _buttons(card.actions, "opt")
    if card.footer and card.footer.strip():
        blocks += context_blocks([escape_mrkdwn(card.footer)])
    # Links are pages of the bot's own that only the web chat can open (they need its sign-in):
    # a path here would be a dead end, so they are left out; a card's files come as files.
    return blocks


def _buttons(options: Sequence[Option], prefix: str) -> list[Json]:
    return actions_blocks([button(o, f"{prefix}:{i}") for i, o in enumerate(options)])


def _checkboxes(options: Sequence[Option]) -> list[Json]:
    """Checkboxes, ten options to an element, and a Done button after them."""
    for option in options:
        if not option.value or size(option.value) > OPTION_VALUE_MAX:
            raise ValueError(f"a checkbox value must have 1 to {OPTION_VALUE_MAX} characters")
    elements: list[InteractiveElement] = [
        CheckboxesElement(
            action_id=f"multi:{k}",
            options=[
                SlackOption(
                    value=o.value, text=plain(shorten(o.label, OPTION_TEXT_MAX) or ELLIPSIS)
                )
                for o in options[start : start + CHECKBOX_OPTIONS_MAX]
            ],
        )
        for k, start in enumerate(range(0, len(options), CHECKBOX_OPTIONS_MAX))
    ]
    elements.append(button(Option(MULTI_DONE, DONE, "primary"), MULTI_DONE))
    return actions_blocks(elements)


def _options_in_full(options: Sequence[Option], limit: int = BUTTON_TEXT_MAX) -> list[Json]:
    """A numbered list of the labels, only if a button or checkbox had to shorten one."""
    if all(size(o.label) <= limit for o in options):
        return []
    lines = [f"{i}. {escape_mrkdwn(o.label)}" for i, o in enumerate(options, start=1)]
    return sections("\n".join([OPTIONS_IN_FULL, *lines]))


def _bold(text: str) -> str:
    """Each line in bold (mrkdwn bold does not run over a line break)."""
    return "\n".join(f"*{line.strip()}*" if line.strip() else "" for line in text.split("\n"))


def _fallback(message: Outbound) -> str:
    """A message in one plain line or so, for notifications and screen readers."""
    if isinstance(message, Notice):
        return ("Urgent: " if message.tone == "urgent" else "") + message.text
    if isinstance(message, Question):
        return "\n".join(line for line in (_opening(message.guidance), message.text) if line)
    if isinstance(message, Answered):
        return ""
    return message.title


def _opening(guidance: str | None) -> str:
    """What a notification shows of a question's guidance (the image rules, for one) before
    the question itself: its first line and, when that line introduces a list (it ends with
    a colon), the list's first item. "Please confirm you have read these rules" alone would
    tell someone glancing at their phone nothing of the rule that matters most."""
    lines = [line.strip() for line in (guidance or "").splitlines() if line.strip()]
    if not lines:
        return ""
    return " ".join(lines[:2]) if lines[0].endswith(":") and len(lines) > 1 else lines[0]


def _fallback_text(lines: list[str]) -> str:
    text = escape_mrkdwn("\n".join(line.strip() for line in lines if line.strip()))
    return shorten_escaped(text, FALLBACK_TEXT_MAX) or BOT_MESSAGE


def _payload(lines: list[str], blocks: list[Json]) -> dict[str, Any]:
    return {
        "text": _fallback_text(lines),
        "blocks": list(blocks),
        "unfurl_links": False,
        "unfurl_media": False,
    }
