"""The web chat never counts an alert as delivered unless it reached a tab: with none open the
row stays pending, and opening the chat delivers it, once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Outbox
from tests.support.walk import cyberbullying_concern, walk
from tests.web.chat import (
    DSL,
    REFERENCE,
    STAFF,
    WebTab,
    items,
    notices,
    open_chat,
    serve,
    sign_in,
)

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def dsl_alert(bot: Any) -> Outbox:
    async with bot.router.sessions() as session:
        row = await session.scalar(
            select(Outbox).where(Outbox.kind == "alert", Outbox.recipient_email == DSL)
        )
    assert row is not None
    return row


async def recorded_sent(bot: Any, seconds: float = 10.0) -> bool:
    """Whether the DSL's alert row is recorded sent (the push comes first, then the record)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if (await dsl_alert(bot)).status == "sent":
            return True
        await asyncio.sleep(0.02)
    return False


async def test_an_alert_with_no_tab_open_waits_then_is_shown_once(make_bot: Any, clock) -> None:
    # The clock jumps hours ahead below with the DSL's tab open: keep the sign-in alive.
    bot = await make_bot(web_idle_minutes_dsl=24 * 60)
    answers = cyberbullying_concern("Name-calling in the class chat.", "today 09:00")
    async with serve(bot) as staff, serve(bot) as dsl:
        await sign_in(staff, STAFF)
        async with open_chat(staff) as (chat, _hello, _first):
            # Each answer to the question the page asks, checked by its click token.
            await walk(WebTab(chat, await chat.action("start:concern")), answers)
            assert items(await chat.action("__submit")) == []  # it comes through the outbox
            frame = await chat.push()
            found = REFERENCE.search(json.dumps(notices(frame, "success")))
            assert found, frame
        await bot.dispatcher.deliver_due()  # whatever the wake-up after the commit has not

        row = await dsl_alert(bot)  # the DSL has no tab open
        assert (row.status, row.sent_at) == ("pending", None)
        assert row.attempts >= 1 and row.last_error

        await sign_in(dsl, DSL)
        async with open_chat(dsl) as (tab, _hello, _first):
            shown = []
            while not shown:  # opening the chat delivers what waited, on this socket
                frame = await tab.next()
                shown = [i for i in items(frame) if found.group() in json.dumps(i)]
            assert len(shown) == 1
            assert await recorded_sent(bot), "shown but never recorded as sent"
            clock.advance(hours=3)
            assert await bot.dispatcher.deliver_due() == 0  # nothing is shown twice
            frame = await tab.action("help")  # the next frame answers this, not an alert
            assert found.group() not in json.dumps(items(frame))
