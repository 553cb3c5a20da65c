"""The person picker in Slack: an external_select whose options the bot serves as one types.

Slack's documented pieces (docs.slack.dev): the select menu of external data source
(reference/block-kit/block-elements/select-menu-element, "external_select": `action_id`,
`placeholder`, `min_query_length`) sends a `block_suggestion` payload
(reference/interaction-payloads/block_suggestion-payload: `user`, `team`, `block_id`,
`action_id`, `value` = what was typed) to the interactivity options load URL (the manifest's
`message_menu_options_url`, or the Socket Mode connection), which must be answered within 3
seconds with `{"options": [{"text": {"type": "plain_text", "text"}, "value"}]}` (at most 100).
The chosen option then comes in a `block_actions` payload as the action's
`selected_option.value`. The block is "person:<step id>", so a pick or a search on the message
of an old question is known for what it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import ExternalDataSelectElement, InteractiveElement

from bot.channels.slack.blocks import (
    ELLIPSIS,
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    Json,
    actions_blocks,
    button,
    plain,
    shorten,
    size,
    token_of,
)
from bot.delivery.messages import Option, Question
from bot.words import strings

PERSON_PICK = "person_pick"  # the external_select's action_id
BLOCK_PREFIX = "person:"  # its block_id: "person:<step id>"
MAX_QUERY_CHARS = 100


@dataclass(frozen=True)
class Suggestion:
    """A block_suggestion from our picker: who is typing, for which step, and what."""

    team_id: str
    user_id: str
    step_id: str | None
    query: str


def picker_blocks(question: Question) -> list[Json]:
    """The select and, beside it, the question's own options ("Someone not on this list")."""
    elements: list[InteractiveElement] = [
        ExternalDataSelectElement(
            action_id=PERSON_PICK,
            placeholder=plain(strings.PERSON_PICK_PLACEHOLDER),
            min_query_length=1,
        )
    ]
    elements += [button(option, f"opt:{i}") for i, option in enumerate(question.options)]
    blocks = actions_blocks(elements)
    blocks[0]["block_id"] = f"{BLOCK_PREFIX}{question.step_id or ''}"
    return blocks


def options_json(options: Sequence[Option]) -> list[Json]:
    """The matches as Slack options; one whose value Slack could not carry is left out."""
    return [
        {
            "text": {"type": "plain_text", "text": shorten(o.label, OPTION_TEXT_MAX) or ELLIPSIS},
            "value": o.value,
        }
        for o in options
        if size(o.value) <= OPTION_VALUE_MAX
    ][:100]


def step_of_block(block_id: object) -> str | None:
    """The step id a picker's block names; None if it is not one of ours.

    The renderer gives every block of a question the click token's block_id,
    `ask|<step>.<turn>|<n>` (blocks.with_token), in place of "person:<step id>".
    """
    if not isinstance(block_id, str):
        return None
    token = token_of(block_id)
    if token is not None:
        step, _, turn = token.rpartition(".")
        return step if step and turn.isdecimal() else None
    if not block_id.startswith(BLOCK_PREFIX):
        return None
    return block_id.removeprefix(BLOCK_PREFIX) or None


def parse_suggestion(body: Mapping[str, Any]) -> Suggestion | None:
    """A block_suggestion for our picker -> a Suggestion; anything else (or malformed): None."""
    user, team = body.get("user"), body.get("team")
    query = body.get("value")
    if body.get("type") != "block_suggestion" or body.get("action_id") != PERSON_PICK:
        return None
    if not isinstance(user, Mapping) or not isinstance(user.get("id"), str):
        return None
    team_id = team.get("id") if isinstance(team, Mapping) else user.get("team_id")
    if not isinstance(team_id, str) or not isinstance(query, str):
        return None
    if len(query) > MAX_QUERY_CHARS:
        return None
    return Suggestion(team_id, user["id"], step_of_block(body.get("block_id")), query)


def picked_value(action: Mapping[str, Any]) -> str | None:
    """The value of the option chosen in our picker (a block_actions action), if any."""
    selected = action.get("selected_option")
    value = selected.get("value") if isinstance(selected, Mapping) else None
    return value if isinstance(value, str) and value else None
