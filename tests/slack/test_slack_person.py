"""The person picker in Slack, through signed HTTP against the real bolt adapter: the
external_select's block_suggestion (answered with options within the ack) and the pick.

Payload shapes from Slack's reference (docs.slack.dev): reference/interaction-payloads/
block_suggestion-payload (`type`, `user`, `team`, `api_app_id`, `action_id`, `block_id`,
`value`, `container`...), reference/interaction-payloads/block_actions-payload (an
`external_select` action carries `selected_option`), and the options answer
`{"options": [{"text": {"type": "plain_text", "text"}, "value"}]}`
(tools/bolt-python/concepts/select-menu-options).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.channels.slack.people import PERSON_PICK, step_of_block
from storage.models import Conversation
from tests.slack.conftest import PEOPLE, STAFF
from tests.slack.filing import walk_dm
from tests.slack.person_picker import ANSWERS, picker
from tests.slack.world import TEAM, SlackWorld, blocks_of, text_of
from tests.support.reports import answers_of, only_report

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def step_now(world: SlackWorld, user: str) -> str | None:
    async with world.bot.router.sessions() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.channel == "slack", Conversation.conversation_key == PEOPLE[user][0]
            )
        )
    if row is None or row.state_enc is None:
        return None
    dialog = world.bot.cipher.open(row, "state_enc")["dialog"]
    return None if dialog is None else (dialog["step"] or "summary")


async def walk_until(world: SlackWorld, user: str, stop: str) -> None:
    """Answer each question from ANSWERS, read from the DM, until `stop` is asked."""
    await walk_dm(world, user, dict(ANSWERS), until=stop, in_order=False)


def newest_picker(world: SlackWorld, user: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
    for message in reversed(world.api.posts_to(user)):
        if (found := picker(message)) is not None:
            return message, *found
    raise AssertionError("no person picker posted")


async def suggest(world: SlackWorld, user: str, block_id: str, typed: str) -> list[Any]:
    """What Slack sends as someone types in the menu; returns the options the bot answered."""
    message, _block, _element = newest_picker(world, user)
    payload = {
        "type": "block_suggestion",
        "user": {"id": user, "username": "tom", "name": "tom", "team_id": TEAM},
        "container": {"type": "message", "message_ts": message["_ts"], "channel_id": "D" + user},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "action_id": PERSON_PICK,
        "block_id": block_id,
        "value": typed,
        "team": {"id": TEAM, "domain": "example"},
        "channel": {"id": "D" + user, "name": "directmessage"},
        "message": {"type": "message", "ts": message["_ts"], "blocks": blocks_of(message)},
    }
    body = urlencode({"payload": json.dumps(payload)})
    response = await world.post(body, "application/x-www-form-urlencoded")
    assert response.status == 200, await response.text()
    options: list[Any] = (await response.json())["options"]
    return options


async def pick(world: SlackWorld, user: str, value: str, label: str) -> None:
    """Choose an option in the newest menu: a block_actions with `selected_option`."""
    message, block, element = newest_picker(world, user)
    payload = world._action_payload(user, message, block, element, state={})
    payload["actions"] = [
        {
            "type": "external_select",
            "action_id": element["action_id"],
            "block_id": block["block_id"],
            "selected_option": {"text": {"type": "plain_text", "text": label}, "value": value},
            "placeholder": element["placeholder"],
            "action_ts": f"{time.time():.6f}",
        }
    ]
    response = await world._interact(payload)
    assert response.status == 200
    await world.settle()


async def test_type_ahead_and_pick_in_slack(world: SlackWorld) -> None:
    await world.dm(STAFF, "report")
    await world.settle()
    await walk_until(world, STAFF, "adult_who")

    message, block, element = newest_picker(world, STAFF)
    assert step_of_block(block["block_id"]) == "adult_who"
    assert element["min_query_length"] == 1
    assert "Someone not on this list" in text_of(message)

    options = await suggest(world, STAFF, block["block_id"], "ose")
    assert options == [
        {
            "text": {"type": "plain_text", "text": "Daniel Osei"},
            "value": "person:d.osei@example.org",
        }
    ]
    options = await suggest(world, STAFF, block["block_id"], "p")
    assert [o["text"]["text"] for o in options] == ["Leo Petrakis", "Petra Lindqvist"]
    # The menu of another question, or a search with nothing typed, names nobody.
    assert await suggest(world, STAFF, "person:pupils", "ose") == []
    assert await suggest(world, STAFF, block["block_id"], "") == []

    # A forged value is refused, nothing stored, the question asked again.
    await pick(world, STAFF, "person:stranger@elsewhere.example", "Stranger")
    assert "not on the school" in text_of(world.api.posts_to(STAFF)[-1])
    assert await step_now(world, STAFF) == "adult_who"

    await pick(world, STAFF, "person:d.osei@example.org", "Daniel Osei")
    assert await step_now(world, STAFF) == "pupils"
    # The question has moved on: the old menu names nobody, and a pick on it answers nothing.
    assert await suggest(world, STAFF, block["block_id"], "ose") == []
    await pick(world, STAFF, "person:p.lindqvist@example.org", "Petra Lindqvist")
    assert await step_now(world, STAFF) == "pupils"

    await walk_until(world, STAFF, "summary")
    assert "Daniel Osei" in text_of(world.api.posts_to(STAFF)[-1])
    await world.click(STAFF, "__submit")
    await world.settle()
    answers = await answers_of(world.bot, await only_report(world.bot))
    assert answers["adult_who"] == {"email": "d.osei@example.org", "name": "Daniel Osei"}


async def test_someone_not_on_the_list_in_slack(world: SlackWorld) -> None:
    await world.dm(STAFF, "report")
    await world.settle()
    await walk_until(world, STAFF, "adult_who")
    await world.click(STAFF, "__someone_else")
    await world.settle()
    assert "type their name and role" in text_of(world.api.posts_to(STAFF)[-1])
    await world.dm(STAFF, "Mr Grey, visiting coach")
    await world.settle()
    assert await step_now(world, STAFF) == "pupils"
    await walk_until(world, STAFF, "summary")
    assert "Mr Grey, visiting coach" in text_of(world.api.posts_to(STAFF)[-1])
