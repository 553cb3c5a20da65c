"""The web chat over its real websocket, as the tests drive it: the bot served, a person signed
in (the demo sign-in), a `Socket` that sends frames and reads the page's JSON, and readers of
that JSON (what is asked, the notices)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot
from bot.server import create_app
from bot.settings import PROJECT_ROOT, Settings
from tests.support.walk import Answer, step_of_token

EXAMPLE_CONFIG = PROJECT_ROOT / "config" / "school.example.yaml"
STAFF = "t.brannigan@example.org"
DSL = "a.hartley@example.org"
REFERENCE = re.compile(r"\bOS-2026-\d{5}\b")  # the fake clock is in November 2026


# What a friendly message never shows: the insides of the program.
INTERNALS = ("Traceback", "Error:", "Exception", 'File "', "FrameError", "AnswerError", "None")


def web_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "school_config": EXAMPLE_CONFIG,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def serve(bot: Bot) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """The real application on a loopback port, and a client that keeps its cookies."""
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        yield client


async def sign_in(client: TestClient[web.Request, web.Application], email: str = STAFF) -> None:
    response = await client.post("/api/web/login", json={"email": email})
    assert response.status == 200, await response.text()


class Socket:
    """One open tab's websocket: send a frame, read the server's answer to it. Pushes (an
    alert, a report's confirmation) may come between; they wait in `pushed` for `push`."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.token: str | None = None  # the newest question's, sent with clicks as app.js does
        self.pushed: list[dict[str, Any]] = []

    async def next(self) -> dict[str, Any]:
        message = await self.ws.receive(timeout=30)
        assert message.type == WSMsgType.TEXT, f"expected a text frame, got {message!r}"
        frame: dict[str, Any] = json.loads(message.data)
        shown = [i for i in frame.get("items") or [] if i.get("kind") in {"question", "summary"}]
        if shown:
            self.token = shown[-1].get("token")
        return frame

    async def raw(self, data: str) -> dict[str, Any]:
        await self.ws.send_str(data)
        return await self.next()

    async def send(self, frame: dict[str, Any]) -> dict[str, Any]:
        # Ids must be unique across reconnections, as the page's are (crypto.randomUUID).
        frame = {"id": uuid.uuid4().hex, **frame}
        answer = await self.raw(json.dumps(frame))
        while answer.get("type") == "messages" and answer.get("reply_to") is None:
            self.pushed.append(answer)
            answer = await self.next()
        return answer

    async def push(self) -> dict[str, Any]:
        """The next frame the server pushed (not a reply), waiting for it if need be."""
        if self.pushed:
            return self.pushed.pop(0)
        frame = await self.next()
        assert frame.get("reply_to") is None, f"a reply, not a push: {frame}"
        return frame

    async def action(self, value: str, *, token: str | bool | None = True) -> dict[str, Any]:
        """Press a button of the newest question (with its token), or, given `token`, of an
        older one whose token that was (None: a page from before tokens, which sent none)."""
        return await self.send({"type": "action", "value": value, **self._token(token)})

    async def text(self, typed: str) -> dict[str, Any]:
        return await self.send({"type": "text", "text": typed})

    async def multi(self, *values: str, token: str | bool | None = True) -> dict[str, Any]:
        return await self.send({"type": "multi", "values": list(values), **self._token(token)})

    def _token(self, token: str | bool | None) -> dict[str, Any]:
        chosen = self.token if token is True else token
        return {} if chosen is None or chosen is False else {"token": chosen}


@asynccontextmanager
async def open_chat(
    client: TestClient[web.Request, web.Application],
) -> AsyncIterator[tuple[Socket, dict[str, Any], dict[str, Any]]]:
    """Connect a tab; yields the socket, the `hello` frame and the first `messages` frame."""
    async with client.ws_connect("/api/web/ws") as ws:
        socket = Socket(ws)
        hello = await socket.next()
        first = await socket.next()
        yield socket, hello, first


def items(frame: dict[str, Any]) -> list[dict[str, Any]]:
    assert frame["type"] == "messages", f"expected a messages frame, got {frame}"
    found: list[dict[str, Any]] = frame["items"]
    return found


def asked(frame: dict[str, Any]) -> dict[str, Any]:
    """The question (or summary) the user is being asked now."""
    questions = [i for i in items(frame) if i["kind"] in {"question", "summary"}]
    assert questions, f"no question in {frame}"
    return questions[-1]


def step_of(frame: dict[str, Any]) -> str | None:
    question = asked(frame)
    return question["step_id"] if question["kind"] == "question" else "summary"


def notices(frame: dict[str, Any], tone: str | None = None) -> list[dict[str, Any]]:
    return [i for i in items(frame) if i["kind"] == "notice" and tone in {None, i["tone"]}]


def assert_friendly(frame: dict[str, Any]) -> None:
    shown = json.dumps(frame)
    for word in INTERNALS:
        assert word not in shown, f"{word!r} shown to the user: {frame}"


class WebTab:
    """The walker's view (tests/support/walk.py) of a web chat tab: the step asked is read from
    the click token of the newest question in the page's JSON; an answer is a button pressed
    (with that token, as app.js sends it), boxes ticked, or text typed. `frame` is the reply."""

    def __init__(self, socket: Socket, frame: dict[str, Any]) -> None:
        self.socket, self.frame = socket, frame

    async def asked(self) -> str | None:
        question = asked(self.frame)
        step = step_of_token(question.get("token"))
        assert step == step_of(self.frame), f"token {question.get('token')!r} on {question}"
        return step

    async def answer(self, value: Answer) -> None:
        question = asked(self.frame)
        if isinstance(value, tuple):
            self.frame = await self.socket.multi(*value, token=question.get("token"))
        elif any(option["value"] == value for option in question.get("options") or []):
            self.frame = await self.socket.action(value, token=question.get("token"))
        else:
            self.frame = await self.socket.text(value)
