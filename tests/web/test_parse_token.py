"""The web chat's click frames carry the question's token (dialogs/prompts.py) into Inbound."""

from __future__ import annotations

import json

import pytest

from bot.channels.web.parse import FrameError, parse_frame
from bot.delivery.messages import User

USER = User("t.brannigan@example.org", "t.brannigan@example.org", "Tom Brannigan")


def test_a_click_and_a_multi_carry_their_token() -> None:
    action = parse_frame(json.dumps({"type": "action", "value": "no", "token": "x.3"}), user=USER)
    assert (action.value, action.token, action.is_click) == ("no", "x.3", True)
    ticked = {"type": "multi", "values": ["a"], "token": "y.4"}
    assert parse_frame(json.dumps(ticked), user=USER).token == "y.4"


def test_a_frame_without_a_token_is_an_old_pages_and_text_has_none() -> None:
    assert parse_frame(json.dumps({"type": "action", "value": "no"}), user=USER).token is None
    typed = parse_frame(json.dumps({"type": "text", "text": "no", "token": "x.3"}), user=USER)
    assert typed.token is None and not typed.is_click


@pytest.mark.parametrize("token", [3, ["x.3"], "x" * 101])
def test_a_token_that_is_not_a_short_string_is_refused(token: object) -> None:
    with pytest.raises(FrameError):
        parse_frame(json.dumps({"type": "action", "value": "no", "token": token}), user=USER)
