"""Adaptive Card pieces for the Teams renderer: text runs, buttons, sizes and Teams' limits.

Every text goes out as a TextRun in a RichTextBlock, never as a TextBlock or a Fact. TextBlock
and Fact text is markdown in Teams ("Markdown is supported only for TextBlock and Fact", Microsoft
in MicrosoftDocs/msteams-docs#12228), and how far each client honours backslash escapes varies
(the shared C++ parser behind the native renderers has known only `\\*` and `\\_`); a TextRun is
plain text by design ("Text to display. Markdown is not supported.": the 1.5 schema; the
maintainers' reasoning in microsoft/AdaptiveCards#3071), and the JavaScript renderer sets it as
the element's innerText, which keeps line breaks. So nothing a person wrote can become a link, a
mention, a heading or a list, on any client, and it shows exactly as they typed it. No card sets
`msteams.entities`, without which `<at>` text mentions no one.

The limits, and where they come from (checked when this file was written):

- A bot message may be at most 100 KB, counted as UTF-16 (learn.microsoft.com/microsoftteams/
  platform/bots/how-to/format-your-bot-messages; earlier versions of that page, still served in
  several languages, say 40 KB, and Power Automate's Teams connector documents about 28 KB).
  MESSAGE_BYTES_MAX keeps each rendered activity under 28,000 bytes as UTF-16, under every one of
  those figures with room for the conversation, from and recipient fields the handler adds.
- Teams shows at most 6 actions in a set: `actions.maxActions` in the Teams host config
  (microsoft/AdaptiveCards, samples/HostConfig/microsoft-teams-light.json).
- Teams cuts a button's title to the button's width and never wraps it (MicrosoftDocs/
  msteams-docs#5004, microsoft/BotFramework-Services#29). There is no documented number: ours is
  BUTTON_TITLE_MAX, with the whole label in the button's tooltip and listed in full in the card.
- A multi-select Input.ChoiceSet sends its values as one comma-joined string, so a choice's
  value must not contain a comma (the 1.5 schema, Input.Choice.value).

Sizes are counted as Teams counts them: the UTF-16 bytes of the JSON (`json_size`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from bot.delivery.messages import Option

Json = dict[str, Any]

MESSAGE_BYTES_MAX = 28_000
# Ours: the most JSON, as UTF-16 bytes, of one piece of text (a few thousand characters), so
# that a piece always fits in a card beside a title and a line of notes.
TEXT_PIECE_BYTES = 8_000
ACTIONS_PER_SET = 6
BUTTON_TITLE_MAX = 50
# Ours: buttons share a row while their titles add up to no more than this, so that a long
# label gets a row, and so the width, of its own.
ROW_TITLE_CHARS = 40

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
ELLIPSIS = "…"
BLANK = "(blank)"
_ACTION_STYLES = {"primary": "positive", "danger": "destructive"}
_MARKDOWN_SPECIALS = frozenset("\\`*_{}[]()#+-.!|~<>&:")


def escape_teams_markdown(text: str) -> str:
    """Text to show literally where Teams reads markdown (a TextBlock, a Fact, a message sent
    with textFormat "markdown"). The renderer needs none: it sends only TextRuns.

    Every ASCII punctuation mark that markdown, Teams' `<at>` tags or an HTML entity could read
    is backslash-escaped, as CommonMark allows for any of them: so no `**bold**`, `[t](u)`,
    `<at>..</at>`, `&lt;`, list or heading can form, and an escaped `.` or `:` breaks a bare
    address, which Teams would otherwise make a link.
    """
    return "".join(f"\\{char}" if char in _MARKDOWN_SPECIALS else char for char in text)


def json_size(value: Any) -> int:
    """Bytes of `value` as JSON encoded in UTF-16: how Teams measures a message."""
    return len(json.dumps(value, ensure_ascii=False).encode("utf-16-le", "surrogatepass"))


def nonblank(text: str) -> str:
    return text if text.strip() else BLANK


def run(text: str, **style: Any) -> Json:
    """A TextRun: plain text, styled by TextRun properties (weight, color, isSubtle, ...)."""
    return {"type": "TextRun", "text": text, **{k: v for k, v in style.items() if v}}


def rich(inlines: Sequence[Json], **props: Any) -> Json:
    return {"type": "RichTextBlock", "inlines": list(inlines), **props}


def text_blocks(text: str, *, lead: Sequence[Json] = (), **style: Any) -> list[Json]:
    """`text` as RichTextBlocks of at most TEXT_PIECE_BYTES each, none of it left out; `lead`
    (a label, a tone's sign) goes before the text in the first block."""
    pieces = split_text(nonblank(text), TEXT_PIECE_BYTES)
    blocks = [rich([run(piece, **style)]) for piece in pieces]
    blocks[0]["inlines"][:0] = list(lead)
    return blocks


def split_text(text: str, limit: int) -> list[str]:
    """Cut `text` into pieces whose JSON is at most `limit` bytes and that join back into it.

    Cuts fall after a line break or a space where one is in the second half of a piece. Only
    pieces that are nothing but white space are left out, so no visible character is lost.
    """
    pieces: list[str] = []
    start = 0
    while _cost(text[start:]) > limit:
        end = _at_break(text, start, _fit(text, start, limit))
        pieces.append(text[start:end])
        start = end
    pieces.append(text[start:])
    return [piece for piece in pieces if piece.strip()] or [BLANK]


def shorten(text: str, limit: int) -> str:
    """Text cut to `limit` characters with an ellipsis, for a button's title only."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text or ELLIPSIS
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def submit(option: Option, data: Json, *, tooltip: str | None = None) -> Json:
    """An Action.Submit button for `option`, sending `data`; a shortened title has the whole
    label as its tooltip (shown on hover, read by screen readers)."""
    title = shorten(option.label, BUTTON_TITLE_MAX)
    action: Json = {"type": "Action.Submit", "title": title, "data": data}
    if option.style in _ACTION_STYLES:
        action["style"] = _ACTION_STYLES[option.style]
    if tooltip is None and title != option.label:
        tooltip = option.label
    if tooltip:
        action["tooltip"] = tooltip
    return action


def action_sets(actions: Sequence[Json]) -> list[Json]:
    """Buttons in ActionSets of at most ACTIONS_PER_SET, a row while their titles fit in
    ROW_TITLE_CHARS, in order."""
    rows: list[list[Json]] = []
    used = 0
    for action in actions:
        width = len(action["title"])
        if not rows or len(rows[-1]) == ACTIONS_PER_SET or used + width > ROW_TITLE_CHARS:
            rows.append([])
            used = 0
        rows[-1].append(action)
        used += width
    return [{"type": "ActionSet", "actions": row} for row in rows]


def choice_set(input_id: str, options: Sequence[Option]) -> Json:
    """Tick boxes (a multi-select, expanded ChoiceSet): labels in full, as plain text."""
    for option in options:
        if not option.value or "," in option.value:
            raise ValueError("a multi-choice value must be non-empty and have no comma")
    return {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "isMultiSelect": True,
        "style": "expanded",
        "wrap": True,
        "choices": [
            {"title": nonblank(o.label), "value": o.value}
            for o in options  # plain text
        ],
    }


def container(items: Sequence[Json], style: str) -> Json:
    return {"type": "Container", "style": style, "items": list(items)}


@lru_cache(maxsize=4096)
def _char_cost(char: str) -> int:
    return json_size(char) - 4  # without the two quotes


def _cost(text: str) -> int:
    return sum(_char_cost(char) for char in text) + 4


def _fit(text: str, start: int, limit: int) -> int:
    """The furthest end such that text[start:end] costs at most `limit` (one character at
    least, so that the cutting always moves on)."""
    used, end = 4, start
    for char in text[start:]:
        used += _char_cost(char)
        if used > limit:
            break
        end += 1
    return max(end, start + 1)


def _at_break(text: str, start: int, end: int) -> int:
    """Move `end` back to just after the last line break, else space, in the piece's 2nd half."""
    middle = start + (end - start) // 2
    for separators in ("\n", " \t"):
        cut = max(text.rfind(separator, middle, end) for separator in separators)
        if cut != -1:
            return cut + 1
    return end
