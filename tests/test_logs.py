"""Log lines: JSON when asked, each with the request id of the request or websocket it is in."""

from __future__ import annotations

import io
import json
import logging

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_bot, prepare_storage
from bot.logs import JsonFormatter, _WithRequestId
from bot.server import create_app
from bot.settings import Settings
from tests.conftest import EXAMPLE_CONFIG

STAFF = "t.brannigan@example.org"


async def test_turn_logs_are_json_lines_carrying_the_request_id(sqlite_url, tmp_path, clock):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(_WithRequestId())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        settings = Settings(
            data_dir=tmp_path / "data", database_url=sqlite_url, school_config=EXAMPLE_CONFIG
        )
        bot = build_bot(settings, clock=clock)
        await prepare_storage(bot)
        async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
            login = await client.post("/api/web/login", json={"email": STAFF})
            assert login.status == 200
            assert len(login.headers["X-Request-Id"]) == 16  # made up when none was given
            ready = await client.get("/readyz", headers={"X-Request-Id": "proxy-7"})
            assert ready.headers["X-Request-Id"] == "proxy-7"
            socket = await client.ws_connect("/api/web/ws", headers={"X-Request-Id": "req-42"})
            await socket.receive_json()  # hello
            await socket.receive_json()  # the menu
            await socket.send_json({"type": "action", "value": "start:concern", "id": "a1"})
            await socket.receive_json()
            await socket.close()
        await bot.engine.dispose()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line]
    assert lines and all(
        {"time", "level", "logger", "message", "request_id"} <= set(e) for e in lines
    )
    turns = [e for e in lines if e["message"].startswith("turn channel=web")]
    assert turns and {e["request_id"] for e in turns} == {"req-42"}
