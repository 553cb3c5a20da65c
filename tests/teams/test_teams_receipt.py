"""The reporter's confirmation in Teams: a proactive message in their own chat, through the
outbox, once; Send pressed again on the summary card files nothing and shows the reference."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from storage.models import Outbox
from tests.support.walk import cyberbullying_concern
from tests.teams.concerns import REFERENCE, answer, reports
from tests.teams.connector import text_of
from tests.teams.world import STAFF, TeamsWorld, conversation_of, settle

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def until(what: str, check, within: float = 20.0):
    for _ in range(int(within / 0.02)):
        if found := check():
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def said(world: TeamsWorld, fragment: str) -> list:
    return [s for s in world.sent_to(STAFF) if fragment in text_of(s.body)]


async def test_the_confirmation_comes_once_in_their_chat_and_send_again_shows_it(world):
    await world.say(STAFF, "report")
    for value in cyberbullying_concern("Name-calling in the class group chat.", "now").values():
        await answer(world, STAFF, value)
    summary = world.newest_with(STAFF, "__submit")

    await world.click(STAFF, "__submit", sent=summary)
    (receipt,) = await until("the confirmation", lambda: said(world, "Sent. Your reference is"))
    found = REFERENCE.search(text_of(receipt.body))
    assert found is not None
    assert receipt.conversation_id == conversation_of(STAFF)  # their own chat with the bot
    assert receipt.reply_to is None  # a proactive message, not a reply to the Send turn

    await world.click(STAFF, "__submit", sent=summary)  # pressed again
    (again,) = await until("the answer to Send again", lambda: said(world, "Already sent"))

    assert found.group() in text_of(again.body)
    assert len(await reports(world)) == 1
    assert len(said(world, "Sent. Your reference is")) == 1
    # The connector has the message before the dispatcher records it: wait for the record.
    await settle(world)
    async with world.bot.router.sessions() as session:
        (row,) = await session.scalars(select(Outbox).where(Outbox.kind == "receipt"))
    assert (row.channel, row.status, row.platform_ref) == ("teams", "sent", receipt.activity_id)
