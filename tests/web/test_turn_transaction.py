"""A web chat turn and the check of its sign-in are one transaction (issue 21): the check used to
be a transaction of its own before every frame, a second BEGIN .. COMMIT on the one SQLite
connection for every turn. Folding it into the turn also leaves no moment between checking the
session and acting on the frame; a session that has ended writes nothing of the turn."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlalchemy import event, func, select, update

from storage.models import Conversation, InboundMessage, WebSession
from tests.security.test_web_sessions import ended
from tests.security.web_client import DSL, open_chat, serve, sign_in, web_bot
from tests.web.chat import step_of


def _count_transactions(bot: Any) -> Counter[int]:
    """Transactions begun, by the asyncio task that began them (a tab's frames all run in its
    websocket handler's task; the dispatcher and sweeps run in their own)."""
    begun: Counter[int] = Counter()

    def on_begin(_connection: Any) -> None:
        task = asyncio.current_task()
        begun[id(task)] += 1

    event.listen(bot.engine.sync_engine, "begin", on_begin)
    return begun


async def test_a_turn_and_its_session_check_are_one_transaction(make_bot: Any) -> None:
    bot = await web_bot(make_bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (tab, _, _):
            begun = _count_transactions(bot)
            for _ in range(5):
                reply = await tab.action("help")
                assert reply["type"] == "messages"
            # The tab's task began one transaction per frame (it was two: check, then turn).
            assert max(begun.values()) == 5, begun


async def test_a_frame_after_the_session_ended_writes_nothing(make_bot: Any) -> None:
    bot = await web_bot(make_bot)

    async def written() -> tuple[int, int]:
        async with bot.router.sessions() as session:
            version = await session.scalar(select(func.sum(Conversation.version)))
            inbound = await session.scalar(select(func.count()).select_from(InboundMessage))
            return int(version or 0), int(inbound or 0)

    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (tab, _, _):
            asked = await tab.action("start:concern")
            assert step_of(asked) == "immediate_danger"
            before = await written()
            async with bot.router.sessions() as session, session.begin():
                # Signed out in another process: only the row says so.
                await session.execute(update(WebSession).values(revoked_at=bot.router.clock()))
            await tab.ws.send_json({"id": "after-the-end", "type": "action", "value": "no"})
            await ended(tab.ws)
            assert await written() == before
