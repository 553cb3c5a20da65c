"""A bot with Slack on over Socket Mode: a fake Web API, a fake Socket Mode endpoint, and the
envelopes Slack would push (for the Socket Mode tests over plain turns and the person picker)."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot, build_bot
from bot.server import create_app
from bot.settings import Settings
from tests.conftest import EXAMPLE_CONFIG
from tests.slack.conftest import PEOPLE, STAFF
from tests.slack.fake_socket_mode import (
    WAIT,
    FakeSocketModeServer,
    SocketModeSlackApi,
    wait_until,
)
from tests.slack.filing import question_in
from tests.slack.world import blocks_of, text_of
from tests.support.clock import FakeClock
from tests.support.walk import Answer, step_of_token

PAYLOADS = Path(__file__).parent / "payloads"
APP_TOKEN = "xapp-1-A07QD1M4K2P-7881234567890-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
BOT_TOKEN = "xoxb-test-token"
REPORTER = "U07R2AB9C1D"  # the user in payloads/message_im.json
REPORTER_DM = "D07R3CD8E2F"  # and the DM it was typed in


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return loaded


@dataclass
class SocketWorld:
    api: SocketModeSlackApi
    socket: FakeSocketModeServer
    client: TestClient
    bot: Bot

    def posts(self) -> list[dict[str, Any]]:
        """Messages the bot posted in the reporter's DM, with the ts the fake Slack gave them."""
        return [
            c.args
            for c in self.api.calls
            if c.method == "chat.postMessage" and c.args.get("channel") == REPORTER_DM
        ]

    async def new_post(self, seen: int) -> dict[str, Any]:
        posts = await wait_until("a chat.postMessage to the DM", lambda: self.posts()[seen:])
        return posts[-1]

    async def acked(self, envelope_id: str) -> list[dict[str, Any]]:
        return await wait_until(
            f"the ack of envelope {envelope_id}", lambda: self.socket.acks_for(envelope_id)
        )

    async def settle(self) -> None:
        """Until every turn the bot was given has finished and the outbox rows they queued have
        been tried (a turn runs after its ack, and is counted from before it): an event, not a
        quiet spell, which a loaded machine can outlast."""
        slack = self.bot.slack
        assert slack is not None

        def idle() -> bool:
            return not (slack.in_flight or self.bot.dispatcher.busy)

        await wait_until("the bot's turns to finish", idle)


def dm_event(text: str, n: int) -> dict[str, Any]:
    """payloads/message_im.json, as Slack would send it now, with this text."""
    body = load("message_im.json")
    now = int(time.time())
    body["event_id"] = f"Ev0SOCKET{n:04d}"
    body["event_time"] = now
    event = body["event"]
    event["text"] = text
    event["ts"] = event["event_ts"] = f"{now}.{n:06d}"
    event["client_msg_id"] = f"5f0e3c8a-1b7d-4e52-9a61-{n:012d}"
    section = event["blocks"][0]["elements"][0]["elements"][0]
    section["text"] = text
    return body


def press(message: dict[str, Any], value: str) -> dict[str, Any]:
    """payloads/block_actions_button.json: the reporter presses `value` on this posted message."""
    found = [
        (block, element)
        for block in blocks_of(message)
        for element in block.get("elements", [])
        if element.get("type") == "button" and element.get("value") == value
    ]
    assert found, f"no button {value!r} in {text_of(message)[:300]}"
    block, element = found[0]
    body = load("block_actions_button.json")
    ts = message["_ts"]
    body["container"].update(message_ts=ts, channel_id=message["channel"])
    body["channel"]["id"] = message["channel"]
    body["message"].update(ts=ts, blocks=copy.deepcopy(blocks_of(message)))
    body["message"]["text"] = str(message.get("text", ""))
    body["actions"] = [
        {
            "action_id": element["action_id"],
            "block_id": block.get("block_id", ""),
            "text": element.get("text"),
            "value": value,
            "type": "button",
            "action_ts": f"{time.time():.6f}",
        }
    ]
    return body


@pytest.fixture
async def socket_world(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[SocketWorld]:
    people = {uid: who for uid, who in PEOPLE.items() if uid != STAFF}
    people[REPORTER] = PEOPLE[STAFF]  # t.brannigan@example.org
    api = SocketModeSlackApi(users=people)
    socket = FakeSocketModeServer()
    api_server = TestServer(api.app(), host="127.0.0.1")
    socket_server = TestServer(socket.app(), host="127.0.0.1")
    await api_server.start_server()
    await socket_server.start_server()
    api.socket_url = str(socket_server.make_url("/link")).replace("http://", "ws://", 1)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        school_config=EXAMPLE_CONFIG,
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_signing_secret=None,
        slack_api_url=str(api_server.make_url("/api/")),
    )
    bot = build_bot(settings, clock=clock)
    client = TestClient(TestServer(create_app(bot, run_scheduler=False), host="127.0.0.1"))
    try:
        async with asyncio.timeout(WAIT):  # the lifecycle connects Socket Mode before serving
            await client.start_server()
        yield SocketWorld(api=api, socket=socket, client=client, bot=bot)
    finally:
        await client.close()  # the lifecycle's end: SlackChannel.stop() closes the socket
        await socket_server.close()
        await api_server.close()
        await bot.engine.dispose()


@dataclass
class SocketDm:
    """The walker's view (tests/support/walk.py) of the reporter's DM over Socket Mode: the
    step asked is read from the newest question's block_id; an answer is that message's button
    pressed (an interactive envelope) or a DM typed (an events_api envelope)."""

    world: SocketWorld
    n: int = 100  # the number of the next DM event

    async def asked(self) -> str | None:
        found = question_in(self.world.posts())
        return None if found is None else step_of_token(found[1])

    async def answer(self, value: Answer) -> None:
        found = question_in(self.world.posts())
        assert found is not None and isinstance(value, str), (found, value)
        message, seen = found[0], len(self.world.posts())
        if f'"value": "{value}"' in json.dumps(blocks_of(message)):
            await self.world.socket.push("interactive", press(message, value))
        else:
            self.n += 1
            await self.world.socket.push("events_api", dm_event(value, self.n))
        await self.world.new_post(seen)
        await self.world.settle()
