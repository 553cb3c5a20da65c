"""What every Teams activity the renderer makes must satisfy (`check_activity`: our closed
schema of Adaptive Cards 1.5, tests/teams/adaptive_card_1_5.schema.json, and the Agents SDK's
Activity model; see tests/teams/test_render.py), and that every button it draws comes back
through the parser as the option it shows (`check_round_trips`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from microsoft_agents.activity import Activity

from bot.channels.teams.cards import (
    MESSAGE_BYTES_MAX,
    json_size,
)
from bot.channels.teams.parse import CHANGE_INPUT, TICKED_INPUT, parse_activity, to_inbound
from bot.channels.teams.people import PERSON_INPUT
from bot.channels.teams.render import (
    SUMMARY_MAX,
    card_values,
    render_turn,
)
from bot.delivery.messages import (
    Card,
    Inbound,
    Outbound,
    Question,
    Summary,
    User,
)

HERE = Path(__file__).parent
SCHEMA = json.loads((HERE / "adaptive_card_1_5.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
ACTION = json.loads((HERE / "payloads" / "action_button.json").read_text(encoding="utf-8"))
PERSON = User("29:1abc", "t.brannigan@example.org", "Tom Brannigan")


def walk(node: Any) -> list[dict[str, Any]]:
    """Every object in a card (or an activity, or a list of them), in document order."""
    if isinstance(node, dict):
        return [node] + [found for value in node.values() for found in walk(value)]
    if isinstance(node, list):
        return [found for item in node for found in walk(item)]
    return []


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = activity["attachments"][0]["content"]
    return content


def runs(activities: list[dict[str, Any]]) -> list[str]:
    """Every TextRun's text, in order: all that a person reads in the cards."""
    return [node["text"] for node in walk(activities) if node.get("type") == "TextRun"]


def shown(activities: list[dict[str, Any]]) -> str:
    return "".join(runs(activities))


def check_activity(activity: dict[str, Any]) -> None:
    assert set(activity) == {"type", "summary", "attachments"}
    assert activity["type"] == "message"
    assert activity["summary"].strip() and len(activity["summary"]) <= SUMMARY_MAX
    (attachment,) = activity["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(card)]
    assert not errors, errors[:5]
    assert json_size(activity) <= MESSAGE_BYTES_MAX
    assert card["fallbackText"] == activity["summary"]
    nodes = walk(card)
    ids = [node["id"] for node in nodes if "id" in node]
    assert len(ids) == len(set(ids))
    choices = [node for node in nodes if node.get("type") == "Input.ChoiceSet"]
    ticks = [choice for choice in choices if choice["id"] == TICKED_INPUT]
    people = [choice for choice in choices if choice["id"] == PERSON_INPUT]
    lists = [choice for choice in choices if choice["id"] == CHANGE_INPUT]
    assert len(ticks) + len(people) + len(lists) == len(choices)
    changes = [data for data in card_values(card) if "change" in data]
    assert len(lists) == len(changes) <= 1  # a Change only with its list, in the same card
    dones = [data for data in card_values(card) if "multi" in data]
    assert len(ticks) == len(dones) <= 1  # a Done only with its boxes, in the same card
    chooses = [data for data in card_values(card) if "person" in data]
    assert len(people) == len(chooses) <= 1  # a Choose only with its picker, in the same card
    # The SDK's model, as the handler loads it, keeps the card whole.
    model = Activity.model_validate(activity)
    dumped = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["attachments"][0]["content"] == card
    assert dumped["summary"] == activity["summary"]


def check_turn(messages: list[Outbound]) -> list[dict[str, Any]]:
    activities = render_turn(messages)
    assert bool(activities) == bool(messages)
    for activity in activities:
        check_activity(activity)
    return activities


def press(data: dict[str, Any], ticked: tuple[str, ...] | None = None) -> Inbound:
    """What the router gets when the person presses the button with `data` (and ticked boxes)."""
    value = dict(data) if ticked is None else {**data, TICKED_INPUT: ",".join(ticked)}
    item = parse_activity(ACTION | {"value": value})
    assert item is not None and item.kind == "action"
    return to_inbound(item, PERSON)


def buttons_of(message: Outbound) -> list[str]:
    """The option values a message's buttons should send, in order."""
    if isinstance(message, Question):
        # A multi-choice's options are boxes, a person step's are in its picker: no buttons.
        options = message.options if message.input not in {"multi_choice", "person"} else ()
        return [o.value for o in (*options, *message.actions)]
    if isinstance(message, Summary):  # Change is one button with a list: see check_round_trips
        return [o.value for o in message.options]
    if isinstance(message, Card):
        return [o.value for o in message.actions]
    return []


def check_round_trips(message: Outbound) -> list[Inbound]:
    """Press every button of the message's cards; returns what the router would get."""
    activities = check_turn([message])
    datas = card_values(activities)
    assert [data["v"] for data in datas if "v" in data] == buttons_of(message)
    pressed = []
    for data in datas:
        if "v" in data:
            inbound = press(data)
            assert (inbound.value, inbound.values, inbound.text) == (data["v"], None, None)
            pressed.append(inbound)
            continue
        if "change" in data:  # the summary's Change sends the answer chosen in its list
            assert isinstance(message, Summary)
            for row in message.rows:
                inbound = press({**data, CHANGE_INPUT: f"edit:{row.step_id}"})
                assert (inbound.value, inbound.values) == (f"edit:{row.step_id}", None)
                pressed.append(inbound)
            continue
        if "person" in data:  # Choose sends what is chosen in the picker: each of its choices
            assert isinstance(message, Question) and message.input == "person"
            for option in message.options:
                inbound = press({**data, PERSON_INPUT: option.value})
                assert (inbound.value, inbound.values) == (option.value, None)
                pressed.append(inbound)
            continue
        assert isinstance(message, Question) and message.input == "multi_choice"
        options = tuple(o.value for o in message.options)
        for ticked in (options, options[::2], ()):
            inbound = press(data, ticked)
            assert (inbound.value, inbound.values) == (None, ticked)
            pressed.append(inbound)
    return pressed
