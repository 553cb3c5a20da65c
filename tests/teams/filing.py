"""Filing a concern through the Teams adapter, step by step: before each answer, the question
being asked is read from the card (its buttons' click token) and must be the one expected, and
the one the reporter's stored dialog state is at (tests/support/walk.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.channels.teams.parse import CLICK_KEY
from bot.channels.teams.render import card_values
from tests.support import steps
from tests.support.steps import SUMMARY
from tests.support.walk import Answer, cyberbullying_concern, step_of_token, walk
from tests.teams.connector import Sent
from tests.teams.world import PEOPLE, STAFF, TeamsWorld, offered, settle

REFERENCE = re.compile(r"OS-2026-\d{5}")


async def current_step(world: TeamsWorld, user: str) -> str | None:
    return await steps.current_step(world.bot, "teams", PEOPLE[user][0])


async def answer(world: TeamsWorld, user: str, value: Answer) -> None:
    """Tick, press or type `value`, as the newest card allows."""
    if isinstance(value, tuple):
        response = await world.tick(user, *value)
    elif world.offers(user, value):
        response = await world.click(user, value)
    else:
        response = await world.say(user, value)
    assert response.status in (200, 201, 202), await response.text()


def newest_question(world: TeamsWorld, user: str) -> tuple[Sent, str] | None:
    """The newest card in this person's chat (as it is now: an answered question's card has
    lost its buttons) whose buttons carry a click token in their data; and that token."""
    for sent in reversed(world.posted_to(user)):
        found = [str(data[CLICK_KEY]) for data in _buttons(sent) if data.get(CLICK_KEY)]
        if found:
            return sent, found[-1]
    return None


@dataclass
class TeamsChat:
    """The walker's view of one person's chat with the bot (tests/support/walk.py): the step
    asked is read from the click token in the newest question card's buttons; an answer
    presses that card's button with the value, ticks its boxes, or is typed."""

    world: TeamsWorld
    user: str

    async def asked(self) -> str | None:
        found = newest_question(self.world, self.user)
        return None if found is None else step_of_token(found[1])

    async def answer(self, value: Answer) -> None:
        found = newest_question(self.world, self.user)
        assert found is not None, f"no question in the chat of {self.user}"
        sent = found[0]
        if isinstance(value, tuple):
            response = await self.world.tick(self.user, *value)
        elif value in offered(sent.body):
            response = await self.world.click(self.user, value, sent=sent)
        else:
            response = await self.world.say(self.user, value)
        assert response.status in (200, 201, 202), await response.text()


def _buttons(sent: Sent) -> list[dict[str, Any]]:
    """The data of every button of an activity's cards."""
    return [
        data
        for attachment in sent.body.get("attachments") or []
        for data in card_values(attachment.get("content") or {})
    ]


async def walk_chat(
    world: TeamsWorld,
    user: str,
    answers: dict[str, Answer],
    *,
    until: str = SUMMARY,
    in_order: bool = True,
) -> list[str]:
    """Answer `answers` in the chat, each to its own question (tests/support/walk.py), in order
    unless `in_order` is False,
    the step shown checked against the stored conversation's at every answer."""

    async def stored() -> str | None:
        return await current_step(world, user)

    return await walk(
        TeamsChat(world, user), answers, until=until, stored=stored, in_order=in_order
    )


async def file_concern(world: TeamsWorld, what_happened: str, user: str = STAFF) -> str:
    """A whole cyberbullying concern, each answer given to the question it belongs to."""
    await world.say(user, "report")
    await walk_chat(world, user, cyberbullying_concern(what_happened, "today 09:00"))
    await answer(world, user, "__submit")
    # The confirmation comes through the outbox (kind "receipt"), not as the turn's reply.
    await settle(world)
    found = [m.group() for text in world.reads(user) for m in REFERENCE.finditer(text)]
    assert found, [t[:200] for t in world.reads(user)[-3:]]
    return found[-1]
