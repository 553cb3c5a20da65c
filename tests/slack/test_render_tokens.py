"""Click tokens in Slack messages: in the block_id of each block with a question's buttons, read
back by the parser, within Slack's limits; and the update that takes them away once answered."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.channels.slack.blocks import token_of
from bot.channels.slack.parse import parse_action
from bot.channels.slack.render import answered_update, render_turn
from bot.delivery.messages import Answered, Outbound, Question, Summary
from bot.words import strings
from tests.slack.render_checks import builtin_messages, check_turn, large_messages
from tests.support.samples import CHOICE_QUESTION, MULTI_QUESTION, SUMMARY

# The longest a token can be: a step id of 48 characters and a turn in the billions.
LONG = "a" * 48 + ".9999999999"


def _tokened(message: Outbound, token: str = LONG) -> Outbound:
    return replace(message, token=token) if isinstance(message, Question | Summary) else message


def _interactive(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for p in payloads for b in p["blocks"] if b["type"] == "actions" or "accessory" in b]


@pytest.mark.parametrize("message", [CHOICE_QUESTION, MULTI_QUESTION, SUMMARY])
def test_every_block_with_buttons_carries_the_token_and_nothing_else_does(message) -> None:
    payloads = check_turn([_tokened(message, "category.12")])
    interactive = _interactive(payloads)
    assert interactive
    assert {token_of(b["block_id"]) for b in interactive} == {"category.12"}
    others = [b for p in payloads for b in p["blocks"] if b not in interactive]
    assert all(token_of(b.get("block_id")) is None for b in others)


def test_the_menu_and_a_question_without_a_token_have_no_block_ids() -> None:
    menu = Question(step_id=None, input="menu", text="Anything else?", options=())
    for payload in render_turn([CHOICE_QUESTION, menu]):
        assert all("block_id" not in b for b in payload["blocks"])


def test_every_builtin_question_with_the_longest_token_is_within_the_limits() -> None:
    # check_turn asserts Slack's limits on every block; here, that the token survived them.
    for message in [*builtin_messages(), *large_messages()]:
        interactive = _interactive(check_turn([_tokened(message)]))
        if isinstance(message, Question | Summary):  # a case card's buttons carry no token
            assert interactive and all(token_of(b["block_id"]) == LONG for b in interactive)
    several = builtin_messages()[:12]  # several questions in one message, each its own
    tokens = [f"{'a' * 48}.{i}" for i in range(len(several))]
    payloads = check_turn([_tokened(m, t) for m, t in zip(several, tokens, strict=True)])
    found = {token_of(b.get("block_id")) for b in _interactive(payloads)} - {None}
    asked = {t for m, t in zip(several, tokens, strict=True) if isinstance(m, Question | Summary)}
    assert found == asked


def test_the_parser_reads_the_token_of_the_pressed_buttons_block() -> None:
    (payload,) = render_turn([_tokened(CHOICE_QUESTION, "category.3")])
    block = _interactive([payload])[0]
    button = block["elements"][0]
    body = {
        "type": "block_actions",
        "user": {"id": "U1", "team_id": "T1"},
        "team": {"id": "T1"},
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "D1"},
        "channel": {"id": "D1"},
        "message": {"ts": "1.2", "text": payload["text"], "blocks": payload["blocks"]},
        "actions": [{**button, "block_id": block["block_id"], "action_ts": "3.4"}],
    }
    item = parse_action(body)
    assert item is not None and item.token == "category.3" and item.value == button["value"]
    assert item.message_blocks == tuple(payload["blocks"])
    body["actions"][0]["block_id"] = "b1-0"  # a block of a message from before tokens
    assert (parse_action(body) or item).token is None


@pytest.mark.parametrize("block_id", [None, "", "ask|", "ask|x", "ask|x|y", "b123-4"])
def test_block_ids_that_are_not_ours_give_no_token(block_id) -> None:
    assert token_of(block_id) is None


def test_an_answered_question_keeps_its_text_and_shows_the_answer_instead_of_buttons() -> None:
    (payload,) = render_turn([_tokened(CHOICE_QUESTION, "category.3")])
    answered = Answered("category.3", CHOICE_QUESTION, "Cyber-bullying <@U1>")
    update = answered_update(answered, payload["blocks"], payload["text"])
    assert update is not None and update["text"] == payload["text"]
    kinds = [b["type"] for b in update["blocks"]]
    assert "actions" not in kinds and kinds[-1] == "context"
    note = update["blocks"][-1]["elements"][0]["text"]
    assert note == "Your answer: Cyber-bullying &lt;@U1&gt;"  # escaped: no mention
    texts = [b for b in update["blocks"] if b["type"] == "section"]
    assert texts == [b for b in payload["blocks"] if b["type"] == "section"]


def test_an_old_click_says_only_that_it_was_answered() -> None:
    (payload,) = render_turn([_tokened(CHOICE_QUESTION, "category.3")])
    update = answered_update(Answered("category.3", None, None), payload["blocks"], None)
    assert update is not None
    assert update["blocks"][-1]["elements"][0]["text"] == strings.ANSWERED_EARLIER


def test_a_message_without_that_questions_buttons_is_left_alone() -> None:
    (payload,) = render_turn([_tokened(CHOICE_QUESTION, "category.3")])
    assert answered_update(Answered("category.4", None, None), payload["blocks"], None) is None
    assert render_turn([Answered("category.3", None, "x")]) == []  # never a message of its own
