"""Slack's side of Socket Mode on loopback: `apps.connections.open` on the fake Web API hands out
a ws:// URL, and a WebSocket server there says hello, pushes envelopes and records the acks.

The shapes are Slack's (docs.slack.dev/apis/events-api/using-socket-mode): on connect
{"type": "hello", "connection_info": {"app_id": ...}, "num_connections": 1, "debug_info": ...};
then envelopes {"envelope_id", "type": "events_api" | "interactive" | "slash_commands",
"payload", "accepts_response_payload"}; the app acks with {"envelope_id"[, "payload"]}."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.slack.world import FakeSlackApi

APP_ID = "A07QD1M4K2P"
WAIT = 10.0  # seconds: every wait in these tests is bounded by this


async def wait_until(what: str, check: Callable[[], Any]) -> Any:
    """Poll until check() gives something truthy; fail (never hang) after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {WAIT:.0f}s waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class SocketModeSlackApi(FakeSlackApi):
    """The fake Web API, plus apps.connections.open (which takes the app-level token)."""

    socket_url: str = ""
    auth_headers: list[tuple[str, str]] = field(default_factory=list)  # (method, Authorization)

    async def handle(self, request: web.Request) -> web.Response:
        self.auth_headers.append(
            (request.match_info["method"], request.headers.get("Authorization", ""))
        )
        return await super().handle(request)

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        return super().answer(method, args)


@dataclass
class FakeSocketModeServer:
    """One Socket Mode endpoint: every connection is greeted with hello; what the app sends
    back (acks) is kept in `received`."""

    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    connects: int = 0
    closed_by_app: int = 0
    _n: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/link", self.link)
        return app

    async def link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connects += 1
        self.sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {
                    "host": "applink-fake-1",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": APP_ID},
            }
        )
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self.received.append(json.loads(message.data))
        finally:
            self.sockets.remove(ws)
            self.closed_by_app += 1
        return ws

    def open_sockets(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self.sockets if not ws.closed]

    async def push(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = False
    ) -> str:
        """Send an envelope down the open connection; returns its envelope_id."""
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        (ws,) = await wait_until("one open Socket Mode connection", self.open_sockets)
        await ws.send_json(envelope)
        return envelope_id

    def acks_for(self, envelope_id: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("envelope_id") == envelope_id]
