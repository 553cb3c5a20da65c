"""The reporter's confirmation in the web chat: pushed to their tab through the outbox, once;
Send pressed again on the summary files nothing and shows the same reference."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Outbox
from tests.support.reports import all_reports
from tests.support.walk import cyberbullying_concern, walk
from tests.web.chat import Socket, WebTab, asked, items, notices, open_chat, serve, sign_in

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

REFERENCE = re.compile(r"\bOS-2026-\d{5}\b")
ANSWERS = cyberbullying_concern("Name-calling in the class group chat.", "today 09:00")


async def to_summary(chat: Socket) -> dict[str, Any]:
    """Answer each question, as the page asks it, until the summary; the summary's frame."""
    tab = WebTab(chat, await chat.action("start:concern"))
    await walk(tab, ANSWERS)
    return tab.frame


async def test_the_confirmation_is_pushed_once_and_send_again_shows_the_reference(make_bot):
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (chat, _hello, _menu):
            await to_summary(chat)

            sent = await chat.action("__submit")
            assert items(sent) == []  # nothing to lose on the way: it is in the outbox
            receipt = await chat.push()
            (success,) = notices(receipt, "success")
            found = REFERENCE.search(success["text"])
            assert found is not None
            assert asked(receipt)["input"] == "menu"

            again = await chat.action("__submit")  # a double click, or a retry

            (notice,) = notices(again)
            assert notice["text"].startswith(f"Already sent: your reference is {found.group()}.")
            assert asked(again)["input"] == "menu"

    assert len(await all_reports(bot)) == 1
    async with bot.router.sessions() as session:
        (row,) = await session.scalars(select(Outbox).where(Outbox.kind == "receipt"))
    assert (row.channel, row.status, row.attempts) == ("web", "sent", 1)
