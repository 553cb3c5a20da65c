"""Socket Mode starts against a fake Socket Mode endpoint: with SLACK_APP_TOKEN (and no signing
secret) the app's lifecycle opens a WebSocket through apps.connections.open on the configured
Web API, acks each envelope, answers DMs and button presses, and closes the socket at the end.
The HTTP endpoint must then not accept forged (unsigned) requests."""

from __future__ import annotations

import json
import time

import pytest

from tests.slack.fake_socket_mode import wait_until
from tests.slack.socket_world import (
    APP_TOKEN,
    REPORTER,
    dm_event,
    press,
    socket_world,
)
from tests.slack.world import blocks_of, text_of

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

__all__ = ["socket_world"]  # the fixture (tests/slack/socket_world.py)


async def test_socket_mode_starts_against_a_fake_endpoint_and_runs_turns(socket_world):
    world = socket_world
    assert world.bot.slack is not None and world.bot.settings.slack_signing_secret is None

    # The connection is made in the background (start-up never waits on Slack): it goes to the
    # configured (fake) Web API's apps.connections.open, with the app-level token.
    await wait_until("the Socket Mode connection", world.socket.open_sockets)
    assert world.api.called("apps.connections.open")
    assert ("apps.connections.open", f"Bearer {APP_TOKEN}") in world.api.auth_headers
    assert world.socket.connects == 1

    # a DM arrives as an events_api envelope: acked by envelope_id, then answered with the menu
    envelope_id = await world.socket.push("events_api", dm_event("hello", 1))
    assert await world.acked(envelope_id) == [{"envelope_id": envelope_id}]
    menu = await world.new_post(0)
    assert "What would you like to do?" in text_of(menu)
    assert '"value": "start:concern"' in json.dumps(blocks_of(menu))
    await world.settle()

    # a button press arrives as an interactive envelope: acked, then the next question
    seen = len(world.posts())
    envelope_id = await world.socket.push("interactive", press(menu, "start:concern"))
    assert await world.acked(envelope_id) == [{"envelope_id": envelope_id}]
    question = await world.new_post(seen)
    assert question["_ts"] != menu["_ts"]
    assert "immediate danger" in text_of(question).lower(), text_of(question)[:300]
    await world.settle()

    # the reporter was looked up by the Slack user id of the payloads
    assert {c.args["user"] for c in world.api.called("users.info")} == {REPORTER}
    assert world.socket.connects == 1  # no reconnects along the way
    assert len(world.socket.received) == 2  # exactly one ack per envelope

    # the lifecycle's end closes the WebSocket from the app's side
    await world.client.close()
    await wait_until("the app to close its socket", lambda: world.socket.closed_by_app == 1)
    assert world.socket.open_sockets() == []


async def test_without_a_signing_secret_forged_http_requests_start_no_turn(socket_world):
    world = socket_world
    forged = dm_event("report", 2)
    now = str(int(time.time()))
    for headers in (
        {},  # no signature at all
        {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + "0" * 64},
    ):
        sent = {"Content-Type": "application/json", **headers}
        response = await world.client.post("/slack/events", data=json.dumps(forged), headers=sent)
        response.release()  # whatever it answers, what counts is that no turn starts
    await world.settle()
    started = [c.method for c in world.api.calls if c.method != "apps.connections.open"]
    assert started == [], f"an unsigned HTTP request started a turn: {started}"
