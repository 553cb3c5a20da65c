"""The person picker over Socket Mode: the block_suggestion arrives as an interactive envelope
that accepts a response payload, and the options go back in its ack, `{"envelope_id",
"payload"}` (the shape of slack_sdk.socket_mode.response.SocketModeResponse, which bolt sends)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.slack.people import PERSON_PICK
from tests.slack.conftest import PEOPLE, STAFF
from tests.slack.person_picker import ANSWERS, picker
from tests.slack.socket_world import (
    REPORTER,
    REPORTER_DM,
    SocketDm,
    SocketWorld,
    dm_event,
    socket_world,
)
from tests.slack.world import TEAM, text_of
from tests.support.walk import walk

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

__all__ = ["socket_world"]  # the fixture, shared with the other Socket Mode tests


async def step_now(world: SocketWorld) -> str | None:
    from sqlalchemy import select

    from storage.models import Conversation

    async with world.bot.router.sessions() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.channel == "slack", Conversation.conversation_key == PEOPLE[STAFF][0]
            )
        )
    if row is None or row.state_enc is None:
        return None
    dialog = world.bot.cipher.open(row, "state_enc")["dialog"]
    return None if dialog is None else (dialog["step"] or "summary")


async def walk_to(world: SocketWorld, stop: str) -> None:
    """Start a concern and answer each question from ANSWERS, as the DM asks it, until `stop`."""
    seen = len(world.posts())
    await world.socket.push("events_api", dm_event("report", 100))
    await world.new_post(seen)
    await world.settle()

    async def stored() -> str | None:
        return await step_now(world)

    await walk(SocketDm(world), dict(ANSWERS), until=stop, stored=stored, in_order=False)


def suggestion(message: dict[str, Any], typed: str) -> dict[str, Any]:
    found = picker(message)
    assert found is not None, text_of(message)[:300]
    block, _element = found
    return {
        "type": "block_suggestion",
        "user": {"id": REPORTER, "username": "tom", "name": "tom", "team_id": TEAM},
        "container": {"type": "message", "message_ts": message["_ts"], "channel_id": REPORTER_DM},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "action_id": PERSON_PICK,
        "block_id": block["block_id"],
        "value": typed,
        "team": {"id": TEAM, "domain": "example"},
        "channel": {"id": REPORTER_DM, "name": "directmessage"},
    }


async def test_type_ahead_over_socket_mode(socket_world: SocketWorld) -> None:
    world = socket_world
    await walk_to(world, "adult_who")
    question = world.posts()[-1]
    envelope_id = await world.socket.push(
        "interactive", suggestion(question, "har"), accepts_response_payload=True
    )
    (ack,) = await world.acked(envelope_id)
    assert ack == {
        "envelope_id": envelope_id,
        "payload": {
            "options": [
                {
                    "text": {"type": "plain_text", "text": "Alice Hartley"},
                    "value": "person:a.hartley@example.org",
                }
            ]
        },
    }
    envelope_id = await world.socket.push(
        "interactive", suggestion(question, "zzz"), accepts_response_payload=True
    )
    (ack,) = await world.acked(envelope_id)
    assert ack["payload"] == {"options": []}
