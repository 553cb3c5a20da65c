"""What every Slack payload the renderer makes must satisfy (`check_payload`, with Slack's
limits: see tests/slack/test_render.py), and the large sets of messages it is checked on: every
built-in flow's questions, and messages at and past Slack's sizes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from bot.channels.slack.blocks import size, text_size
from bot.channels.slack.people import step_of_block
from bot.channels.slack.render import (
    MESSAGE_TEXT_BUDGET,
    render_blocks,
    render_turn,
)
from bot.delivery.messages import (
    Notice,
    Outbound,
)
from dialogs.display import cancel_question, question_for
from dialogs.engine import Dialog, DialogState
from dialogs.loader import BUILTIN_FLOWS, load_flows
from dialogs.strings import HELP_COMMANDS
from tests.support import samples

TZ = ZoneInfo("Europe/London")


def text_objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every text object (plain_text or mrkdwn) anywhere in a block, a payload or a list."""
    if isinstance(value, dict):
        if value.get("type") in {"plain_text", "mrkdwn"} and isinstance(value.get("text"), str):
            yield value
        for item in value.values():
            yield from text_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from text_objects(item)


def mrkdwn_texts(payload: dict[str, Any]) -> list[str]:
    """What Slack parses as mrkdwn: the fallback text and every mrkdwn text object."""
    texts = [payload["text"]]
    return texts + [t["text"] for t in text_objects(payload["blocks"]) if t["type"] == "mrkdwn"]


def section_texts(payloads: list[dict[str, Any]]) -> str:
    """Every section's text and fields, in order, joined: what the reader sees as body text."""
    parts = []
    for payload in payloads:
        for block in payload["blocks"]:
            if block["type"] == "section":
                if "text" in block:
                    parts.append(block["text"]["text"])
                parts += [field["text"] for field in block.get("fields", [])]
    return "".join(parts)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def check_button(element: dict[str, Any]) -> None:
    assert 1 <= size(element["text"]["text"]) <= 75
    assert element["text"]["type"] == "plain_text"
    assert 1 <= size(element["value"]) <= 2000
    assert 1 <= len(element["action_id"]) <= 255
    assert element.get("style") in {None, "primary", "danger"}
    assert "url" not in element


def check_block(block: dict[str, Any]) -> None:
    rebuilt = Block.parse(block)
    assert rebuilt is not None, block["type"]
    assert rebuilt.to_dict() == block  # validates, and nothing was dropped or added
    kind = block["type"]
    assert kind in {"section", "header", "context", "actions"}, kind
    assert 1 <= len(block.get("block_id", "x")) <= 255
    for text in text_objects(block):
        assert 1 <= size(text["text"]) <= 3000 and text["text"].strip()
        if text["type"] == "mrkdwn":
            assert text.get("verbatim") is True
        else:
            assert text.get("emoji") is True
    if kind == "section":
        assert "text" in block or block.get("fields")
        if "text" in block:
            assert size(block["text"]["text"]) <= 3000
        assert len(block.get("fields", [])) <= 10
        assert all(size(f["text"]) <= 2000 for f in block.get("fields", []))
        if "accessory" in block:
            check_button(block["accessory"])
    elif kind == "header":
        assert block["text"]["type"] == "plain_text"
        assert size(block["text"]["text"]) <= 150
    elif kind == "context":
        assert 1 <= len(block["elements"]) <= 10
    else:
        elements = block["elements"]
        assert 1 <= len(elements) <= 25
        ids = [element["action_id"] for element in elements]
        assert len(ids) == len(set(ids))
        for element in elements:
            if element["type"] == "button":
                check_button(element)
                continue
            if element["type"] == "external_select":  # the person picker: names from the bot
                # docs.slack.dev/reference/block-kit/block-elements/select-menu-element
                # its block names the step: "person:<step>", or the click token's
                # "ask|<step>.<turn>|<n>" once the question carries one
                assert step_of_block(block["block_id"]) is not None
                assert element["action_id"] == "person_pick"
                assert element["min_query_length"] == 1
                assert 1 <= size(element["placeholder"]["text"]) <= 150
                continue
            assert element["type"] == "checkboxes"
            assert 1 <= len(element["options"]) <= 10
            for option in element["options"]:
                assert 1 <= size(option["text"]["text"]) <= 75
                assert 1 <= size(option["value"]) <= 150


def check_payload(payload: dict[str, Any]) -> None:
    assert set(payload) == {"text", "blocks", "unfurl_links", "unfurl_media"}
    assert payload["unfurl_links"] is False and payload["unfurl_media"] is False
    assert 1 <= size(payload["text"]) <= 3000 and payload["text"].strip()
    assert 1 <= len(payload["blocks"]) <= 50
    assert text_size(payload["blocks"]) <= MESSAGE_TEXT_BUDGET
    for block in payload["blocks"]:
        check_block(block)
    block_ids = [block["block_id"] for block in payload["blocks"] if "block_id" in block]
    assert len(block_ids) == len(set(block_ids)), block_ids  # unique within a message
    for text in mrkdwn_texts(payload):
        assert "<" not in text and ">" not in text
        assert re.fullmatch(r"([^&]|&amp;|&lt;|&gt;)*", text, re.DOTALL), text


def check_turn(messages: list[Outbound]) -> list[dict[str, Any]]:
    payloads = render_turn(messages)
    assert payloads or not messages
    for payload in payloads:
        check_payload(payload)
    for message in messages:
        ids = [
            element["action_id"]
            for block in render_blocks(message)
            for element in [*block.get("elements", []), block.get("accessory") or {}]
            if "action_id" in element
        ]
        assert len(ids) == len(set(ids)), ids
    return payloads


def long_answer(length: int) -> str:
    words = "AB said <stop> & ran off 😀 then CD wrote *it* in the group chat. \n"
    return (words * (length // len(words) + 1))[:length]


def builtin_messages() -> list[Outbound]:
    """The intro, help and every step's question of each built-in flow, also with a long
    current answer, and the cancel questions."""
    messages: list[Outbound] = [cancel_question(False), cancel_question(True)]
    for flow in load_flows(BUILTIN_FLOWS).values():
        dialog = Dialog(flow, tz=TZ, clock=lambda: datetime(2026, 3, 2, 10, tzinfo=UTC))
        context = {name: "yes" for name in flow.spec.context}
        messages += dialog.start(context).prompts
        messages.append(Notice(f"{flow.spec.help}\n\n{HELP_COMMANDS}", "guidance"))
        for step in flow.spec.steps:
            state = DialogState(flow.id, flow.spec.version, step.id, context=context)
            state.history = ["earlier"]
            question = question_for(dialog, state, step)
            messages += [question, replace(question, current_answer=long_answer(4000))]
    return messages


def large_messages() -> list[Outbound]:
    return samples.large_messages(long_answer)
