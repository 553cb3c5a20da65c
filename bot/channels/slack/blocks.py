"""Block Kit pieces for the Slack renderer: escaping, splitting long text, and Slack's limits.

Every block is built with slack-sdk's own models, whose `to_dict()` checks most of Slack's
limits and raises SlackObjectFormationError; the limits the models do not check (a section
field's 2,000 characters, a context element's 3,000, a checkboxes element's 10 options) are
respected by construction here and checked again by tests/slack/test_render.py.

The limits, as Slack documents them (checked when this file was written):

- A message holds at most 50 blocks: https://docs.slack.dev/reference/block-kit/blocks
- Section: `text` 1 to 3,000 characters; `fields` at most 10 items of at most 2,000 characters
  each: https://docs.slack.dev/reference/block-kit/blocks/section-block
- Header: plain_text of at most 150 characters:
  https://docs.slack.dev/reference/block-kit/blocks/header-block
- Actions: at most 25 elements: https://docs.slack.dev/reference/block-kit/blocks/actions-block
- Context: at most 10 elements: https://docs.slack.dev/reference/block-kit/blocks/context-block
- Button: text (plain_text only) at most 75 characters, value at most 2,000, action_id at most
  255: https://api.slack.com/reference/block-kit/block-elements#button
- Checkboxes: at most 10 options:
  https://docs.slack.dev/reference/block-kit/block-elements/checkboxes-element
- Option object: text at most 75 characters, value at most 150 (the limits slack-sdk's `Option`
  enforces): https://docs.slack.dev/reference/block-kit/composition-objects/option-object
- Text object: 1 to 3,000 characters; `emoji` (plain_text) and `verbatim` (mrkdwn; true means
  "URLs will not be auto-converted into links, conversation names will not be link-ified"):
  https://docs.slack.dev/reference/block-kit/composition-objects/text-object
- block_id: at most 255 characters, unique within a message; block_actions gives it back as
  `actions[].block_id`: https://docs.slack.dev/reference/block-kit/blocks (and
  https://docs.slack.dev/reference/interaction-payloads/block_actions-payload)
- Escaping: "&", "<" and ">" are control characters and must be sent as "&amp;", "&lt;" and
  "&gt;", and nothing else is entity-encoded:
  https://api.slack.com/reference/surfaces/formatting#escaping

Lengths are counted in UTF-16 code units (`size`), never fewer than Python's `len`, so an emoji
outside the Basic Multilingual Plane cannot push a text over a limit Slack counts that way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    BlockElement,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InteractiveElement,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.delivery.messages import Option

Json = dict[str, Any]

MESSAGE_BLOCKS_MAX = 50
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
ACTIONS_ELEMENTS_MAX = 25
CONTEXT_ELEMENTS_MAX = 10
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
ACTION_ID_MAX = 255
CHECKBOX_OPTIONS_MAX = 10
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
TEXT_OBJECT_MAX = 3000
# Ours, not Slack's: no block holds more text than one section's 3,000 characters, so that the
# renderer can keep each message under its budget for all the text in its blocks.
BLOCK_TEXT_MAX = 3000

ELLIPSIS = "…"
BLANK = "(blank)"
_ENTITIES = ("&amp;", "&lt;", "&gt;")


def escape_mrkdwn(text: str) -> str:
    """Text as Slack shows it literally in mrkdwn: `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;`.

    This is Slack's whole escaping rule, and it is what makes user text safe: without a raw `<`
    no `<!channel>`, `<!here>`, `<@U123>` or `<https://evil|click>` can form, and an `&amp;` the
    person typed arrives as `&amp;amp;`, so it shows as they typed it. The formatting characters
    `*`, `_`, `~` and backticks (and a `>` that starts a line, even escaped) are left alone: they
    can only change how the person's own words look, never make a link or a mention, and
    "escaping" them would change the words the DSL reads. Every mrkdwn text object is also sent
    with `verbatim: true`, so Slack does not turn bare URLs or #channel names into links.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def size(text: str) -> int:
    """The length of `text` in UTF-16 code units: how a limit "in characters" may be counted."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def split_text(text: str, limit: int) -> list[str]:
    """Cut escaped mrkdwn into pieces of at most `limit` (by `size`) that join back into `text`.

    Cuts fall after a line break or a space where one is in the second half of a piece, and
    never inside `&amp;`, `&lt;` or `&gt;`. Only pieces that are nothing but white space are
    left out, so no visible character is ever lost.
    """
    pieces: list[str] = []
    start = 0
    while size(text[start:]) > limit:
        end = _outside_entity(text, start, _fit(text, start, limit))
        end = _at_break(text, start, end)
        pieces.append(text[start:end])
        start = end
    pieces.append(text[start:])
    return [piece for piece in pieces if piece.strip()]


def shorten(text: str, limit: int) -> str:
    """Plain text cut to `limit` with an ellipsis, for the few places Slack allows no more."""
    if size(text) <= limit:
        return text
    return text[: _fit(text, 0, limit - size(ELLIPSIS))].rstrip() + ELLIPSIS


def shorten_escaped(text: str, limit: int) -> str:
    """Escaped mrkdwn cut to `limit` with an ellipsis, never inside an entity."""
    if size(text) <= limit:
        return text
    end = _outside_entity(text, 0, _fit(text, 0, limit - size(ELLIPSIS)))
    return text[:end].rstrip() + ELLIPSIS


def nonblank(text: str) -> str:
    return text if text.strip() else BLANK


def mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text, verbatim=True)


def plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=True)


def sections(text: str, accessory: BlockElement | None = None) -> list[Json]:
    """Escaped mrkdwn as as many section blocks as it needs; `accessory` goes on the first."""
    pieces = split_text(nonblank(text), SECTION_TEXT_MAX)
    return [
        SectionBlock(text=mrkdwn(piece), accessory=accessory if i == 0 else None).to_dict()
        for i, piece in enumerate(pieces)
    ]


def context_blocks(texts: Sequence[str]) -> list[Json]:
    """Escaped mrkdwn lines as context elements (each split at 3,000), up to ten to a block."""
    elements = [piece for text in texts for piece in split_text(text, TEXT_OBJECT_MAX)]
    return [
        ContextBlock(elements=[mrkdwn(text) for text in group]).to_dict()
        for group in _groups(elements, CONTEXT_ELEMENTS_MAX)
    ]


def header_blocks(title: str) -> list[Json]:
    """A header; a title over 150 characters is shortened there and given whole below it."""
    if not title.strip():
        return []
    shown = shorten(title, HEADER_TEXT_MAX)
    blocks = [HeaderBlock(text=plain(shown)).to_dict()]
    if shown != title:
        blocks += sections(escape_mrkdwn(title))
    return blocks


def labelled(label: str, value: str) -> str:
    """`*Label*` over the value, both escaped: a summary row, a card field."""
    head = f"*{escape_mrkdwn(label.strip())}*\n" if label.strip() else ""
    return head + escape_mrkdwn(nonblank(value))


def field_sections(texts: Sequence[str]) -> list[Json]:
    """Escaped `labelled` texts as section fields, up to ten to a section, in order; one over
    2,000 characters becomes section text of its own (split at 3,000) instead of being cut."""
    blocks: list[Json] = []
    pending: list[str] = []

    def flush() -> None:
        for group in _groups(pending, SECTION_FIELDS_MAX):
            blocks.append(SectionBlock(fields=[mrkdwn(text) for text in group]).to_dict())
        pending.clear()

    for text in texts:
        if size(text) > FIELD_TEXT_MAX:
            flush()
            blocks += sections(text)
        else:
            pending.append(text)
    flush()
    return blocks


ASK_PREFIX = "ask|"
BLOCK_ID_MAX = 255


def with_token(blocks: list[Json], token: str | None) -> list[Json]:
    """Put a prompt's click token (dialogs/prompts.py) in the block_id of each of its blocks
    that holds something to press: `ask|<token>|<n>`, `n` keeping the ids apart in a message."""
    if token is None:
        return blocks
    interactive = [b for b in blocks if b.get("type") == "actions" or "accessory" in b]
    for n, block in enumerate(interactive):
        block_id = f"{ASK_PREFIX}{token}|{n}"
        if size(block_id) > BLOCK_ID_MAX:
            raise ValueError(f"a block_id must have at most {BLOCK_ID_MAX} characters")
        block["block_id"] = block_id
    return blocks


def token_of(block_id: str | None) -> str | None:
    """The click token in a block_id made by `with_token`; None for any other block."""
    if not block_id or not block_id.startswith(ASK_PREFIX):
        return None
    token, _, n = block_id.removeprefix(ASK_PREFIX).rpartition("|")
    return token if token and n.isdecimal() else None


def button(
    option: Option, action_id: str, *, accessibility_label: str | None = None
) -> ButtonElement:
    """A button for `option`: its value sent back as is, its label cut to 75 characters."""
    if size(option.value) > BUTTON_VALUE_MAX or not option.value:
        raise ValueError(f"a button value must have 1 to {BUTTON_VALUE_MAX} characters")
    return ButtonElement(
        text=plain(shorten(option.label, BUTTON_TEXT_MAX) or ELLIPSIS),
        action_id=action_id,
        value=option.value,
        style=None if option.style == "default" else option.style,
        accessibility_label=accessibility_label,
    )


def actions_blocks(elements: Sequence[InteractiveElement]) -> list[Json]:
    """Interactive elements in actions blocks of at most 25."""
    return [
        ActionsBlock(elements=list(elements[i : i + ACTIONS_ELEMENTS_MAX])).to_dict()
        for i in range(0, len(elements), ACTIONS_ELEMENTS_MAX)
    ]


def text_size(value: Any) -> int:
    """The size of every text in a block (or list of blocks): what Slack sums per message."""
    if isinstance(value, dict):
        return sum(
            size(item) if key == "text" and isinstance(item, str) else text_size(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return sum(text_size(item) for item in value)
    return 0


def _groups(texts: Sequence[str], most: int) -> list[list[str]]:
    """Texts in order, in groups of at most `most` and BLOCK_TEXT_MAX in all (a text is never
    more than that), so that no block holds more text than one section may."""
    groups: list[list[str]] = []
    used = 0
    for text in texts:
        if not groups or len(groups[-1]) == most or used + size(text) > BLOCK_TEXT_MAX:
            groups.append([])
            used = 0
        groups[-1].append(text)
        used += size(text)
    return groups


def _fit(text: str, start: int, limit: int) -> int:
    """The furthest end such that text[start:end] has a size of at most `limit`."""
    used, end = 0, start
    for char in text[start:]:
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            break
        end += 1
    return end


def _outside_entity(text: str, start: int, end: int) -> int:
    """Move `end` back to before an `&amp;`/`&lt;`/`&gt;` it would cut in two."""
    amp = text.rfind("&", max(start, end - 4), end)
    if amp > start and any(
        text.startswith(entity, amp) and amp + len(entity) > end for entity in _ENTITIES
    ):
        return amp
    return end


def _at_break(text: str, start: int, end: int) -> int:
    """Move `end` back to just after the last line break, else space, in the piece's 2nd half."""
    if end >= len(text):
        return end
    middle = start + (end - start) // 2
    for separators in ("\n", " \t"):
        cut = max(text.rfind(separator, middle, end) for separator in separators)
        if cut != -1:
            return cut + 1
    return end
