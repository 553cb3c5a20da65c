"""Hostile input at everything a user can reach in the web chat: every frame of the websocket
and every HTTP route of the web chat, the downloads, health and metrics. Seeded and bounded
(tests/security/fuzz.py), so a failure names a case that comes back on the next run.

Whatever is sent, the answer is never a 500 and nothing is logged with a traceback: bad input
gets a 4xx or a clear error frame, and the socket keeps working.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from aiohttp import WSMsgType

from tests.security import fuzz
from tests.security.web_client import (
    DSL,
    Client,
    Socket,
    open_chat,
    origin_of,
    serve,
    sign_in,
    tracebacks,
    web_bot,
)

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

FRAMES = 150  # websocket frames per database
SEGMENTS = 24  # hostile values per path parameter
HEADERS = 12  # requests with hostile headers per route
# The frames the page sends (app.js), each mutated in turn.
VALID_FRAMES: tuple[dict[str, Any], ...] = (
    {"type": "text", "id": "f", "text": "cases"},
    {"type": "action", "id": "f", "value": "case:view:1", "token": "x.1"},
    {"type": "multi", "id": "f", "values": ["a", "b"], "token": "x.1"},
    {"type": "search", "step": "subject", "query": "Ali"},
    {"type": "file", "id": "f"},
)
ANSWERS = {"messages", "error", "search_results"}


async def answer_to(socket: Socket, raw: str) -> dict[str, Any]:
    await socket.ws.send_str(raw)
    message = await socket.ws.receive(timeout=20)
    assert message.type == WSMsgType.TEXT, f"{raw[:80]!r} closed the socket: {message!r}"
    frame: dict[str, Any] = json.loads(message.data)
    return frame


async def test_fuzz_the_websocket(make_bot: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    rng = fuzz.seeded()
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (socket, _, _):
            sent = 0
            for raw in fuzz.raw_bodies(rng, VALID_FRAMES[0], 11):
                frame = await answer_to(socket, raw)
                assert frame["type"] == "error", (raw[:80], frame)
                sent += 1
            while sent < FRAMES:
                valid = VALID_FRAMES[sent % len(VALID_FRAMES)]
                raw = json.dumps(fuzz.mutations(valid, rng), allow_nan=True)
                frame = await answer_to(socket, raw)
                assert frame["type"] in ANSWERS, (raw[:200], frame)
                assert "Sorry, something went wrong" not in json.dumps(frame), raw[:200]
                sent += 1
            # Still the same socket, still answering.
            frame = await socket.send({"type": "action", "value": "help"})
            assert frame["type"] == "messages"
    assert tracebacks(caplog.records) == []


def _routes(client: Client) -> list[tuple[str, str]]:
    """(method, path pattern) of every route the application serves, HEAD and static aside."""
    found = set()
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        pattern = info.get("formatter") or info.get("path") or info.get("prefix")
        if route.method != "HEAD" and pattern:
            found.add((route.method, pattern))
    return sorted(found)


def _fill(pattern: str, value: str) -> str:
    """The path with every {parameter} replaced by `value`; the download's own file name kept."""
    return re.sub(r"\{(\w+)\}", lambda m: "results.csv" if m[1] == "file" else value, pattern)


async def test_fuzz_every_http_route(make_bot: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    rng = fuzz.seeded()
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        routes = _routes(client)
        paths = {pattern for _, pattern in routes}
        # The routes the issue names are all here, so none is skipped without notice.
        for expected in (
            "/",
            "/api/web/login",
            "/api/web/logout",
            "/api/web/me",
            "/api/web/people",
            "/api/web/ws",
            "/api/web/cases/{case_id}/chronology.csv",
            "/api/web/cases/{case_id}/chronology.html",
            "/healthz",
            "/readyz",
            "/metrics",
        ):
            assert expected in paths, f"{expected} is not served: {sorted(paths)}"
        assert any(p.startswith("/api/audit/") for p in paths)

        async def request(method: str, path: str, **kwargs: Any) -> None:
            response = await client.request(method, path, **kwargs)
            body = await response.read()
            assert response.status < 500, (method, path, kwargs, response.status, body[:200])
            assert b"Traceback" not in body, (method, path)

        origin = origin_of(client)
        for method, pattern in routes:
            if pattern == "/api/web/logout":
                continue  # last: it ends the session the others need
            targets = (
                [_fill(pattern, s) for s in fuzz.segments(rng, SEGMENTS)]
                if "{" in pattern
                else [pattern]
            )
            if pattern.startswith("/static"):
                targets = [f"/static/{s}" for s in fuzz.segments(rng, SEGMENTS)]
            for path in targets:
                await request(method, path)
            for value in fuzz.header_values(rng, HEADERS):
                header = rng.choice(("Origin", "Host", "Cookie", "Sec-Fetch-Site", "Content-Type"))
                await request(method, targets[0], headers={header: value})
            if method == "POST":
                for body in fuzz.raw_bodies(rng, {"email": DSL}, 30):
                    json_body = {"Content-Type": "application/json", "Origin": origin}
                    await request(
                        method,
                        targets[0],
                        data=body.encode("utf-8", "surrogatepass"),
                        headers=json_body,
                    )
        for body in fuzz.raw_bodies(rng, {}, 12):
            await request("POST", "/api/web/logout", data=body.encode("utf-8", "surrogatepass"))
    assert tracebacks(caplog.records) == []
