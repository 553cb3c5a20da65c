"""Opening the chat delivers what waited for the person (an alert queued while nobody had the
chat open), but must not hold up the tab: with 200 people connecting at once, each connect's
delivery ran before that tab's first message was read, one at a time under the dispatcher's
lock, so a burst queued for seconds (issue 21). The delivery now runs beside the tab."""

from __future__ import annotations

from typing import Any

from tests.security.web_client import DSL, open_chat, serve, sign_in, web_bot
from tests.support.alerts import file_concern
from tests.web.chat import items


async def test_a_busy_dispatcher_does_not_hold_up_a_newly_opened_tab(make_bot: Any) -> None:
    bot = await web_bot(make_bot)
    await file_concern(bot)  # the DSL's web alert waits: nobody has the chat open
    async with serve(bot) as client:
        await sign_in(client, DSL)
        # The dispatcher is busy (another delivery holds its lock) while the DSL opens the chat.
        await bot.dispatcher._lock.acquire()
        try:
            async with open_chat(client) as (tab, hello, _):
                assert hello["user"]["email"] == DSL
                answered = await tab.send({"id": "first", "type": "action", "value": "__mine"})
                assert answered["reply_to"] == "first"  # answered while delivery waits
                bot.dispatcher._lock.release()
                pushed = await tab.next()
                while pushed.get("reply_to") is not None:
                    pushed = await tab.next()
                assert any(i["kind"] == "card" for i in items(pushed))  # the alert, delivered
        finally:
            if bot.dispatcher._lock.locked():
                bot.dispatcher._lock.release()
