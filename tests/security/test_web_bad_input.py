"""Issue 13, point 4: hostile ids and bodies got tracebacks and 500s instead of clear errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.words import strings
from tests.security import fuzz
from tests.security.web_client import DSL, open_chat, serve, sign_in, tracebacks, web_bot
from tests.web.chat import assert_friendly, notices

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

SORRY = "Sorry, something went wrong"


async def test_a_deeply_nested_frame_gets_a_clear_error(
    make_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (tab, _, _):
            for raw in (fuzz.deep_list(200_000), fuzz.deep_object(50_000)):
                frame = await tab.raw(raw)
                assert frame["type"] == "error"
                assert "could not be read" in frame["text"]
                assert_friendly(frame)
            # The socket is still there and still works.
            assert notices(await tab.action("help"), "guidance")
    assert tracebacks(caplog.records) == []


# Under the 256 KiB a request may carry, so the nesting itself is what is refused.
@pytest.mark.parametrize("body", [fuzz.deep_list(100_000), fuzz.deep_object(30_000)])
async def test_deeply_nested_json_at_sign_in_is_a_400(
    make_bot: Any, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        response = await client.post(
            "/api/web/login", data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status == 400
        assert await response.json() == {"error": "Please choose a person from the list."}
    assert tracebacks(caplog.records) == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/audit/99999999999999999999999/results.csv",
        "/api/audit/99999999999999999999999/chart.png",
        "/api/audit/-1/results.csv",
        "/api/audit/%00/results.csv",
        "/api/audit/%ED%A0%80/results.csv",
        "/api/web/cases/%00/chronology.csv",
        "/api/web/cases/%00/chronology.html",
        "/api/web/cases/%ED%A0%80/chronology.csv",
        "/api/web/cases/99999999999999999999999/chronology.csv",
        "/api/web/cases/OS-2026-%00/chronology.csv",
    ],
)
async def test_hostile_ids_in_download_paths_are_refused_clearly(
    make_bot: Any, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        response = await client.get(path)
        assert response.status in {400, 404}, await response.text()
        assert response.content_type == "text/plain"
        text = await response.text()
        assert text and "Traceback" not in text and "Error" not in text
    assert tracebacks(caplog.records) == []


@pytest.mark.parametrize(
    "value",
    [
        "case:view:\ud800",
        "case:view:\u0000",
        "case:ack:\u0000",
        "case:export:OS-2026-\u0000",
        "case:view:" + "9" * 40,
        "case:view:99999999999999999999999",
        "case:view:" + "x" * 5000,
        "case:\ud800:1",
    ],
)
async def test_hostile_case_ids_get_a_clear_answer(
    make_bot: Any, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (tab, _, _):
            frame = await tab.send({"type": "action", "value": value})
            assert frame["type"] == "messages", frame
            shown = json.dumps(frame)
            assert SORRY not in shown
            assert [n["text"] for n in notices(frame, "error")] == [strings.NO_SUCH_CASE]
    assert tracebacks(caplog.records) == []
