"""Filing a concern in Teams and waiting for its confirmation (a new message with its
reference), installing the app for the handlers, and reading the reports: for the tests of the
bot in Teams (tests/teams/filing.py files one where a refused confirmation is the point)."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select

from storage.models import Report
from tests.support.walk import cyberbullying_concern
from tests.teams.filing import walk_chat
from tests.teams.world import (
    DEPUTY_1,
    DEPUTY_2,
    DSL,
    HEAD,
    STAFF,
    TeamsWorld,
    settle,
)

REFERENCE = re.compile(r"OS-2026-\d{5}")
HANDLERS = (DSL, DEPUTY_1, DEPUTY_2, HEAD)


async def reports(world: TeamsWorld) -> list[Report]:
    async with world.bot.router.sessions() as session:
        return list(await session.scalars(select(Report)))


async def answer(world: TeamsWorld, user: str, value: str) -> None:
    """Press the button if the newest card offers it, otherwise type it as a message."""
    if world.offers(user, value):
        response = await world.click(user, value)
    else:
        response = await world.say(user, value)
    assert response.status in (200, 201, 202), await response.text()


async def install_for_handlers(world: TeamsWorld) -> None:
    for user in HANDLERS:
        assert (await world.install(user)).status in (200, 202)
    await settle(world)


async def file_concern(world: TeamsWorld, what_happened: str, user: str = STAFF) -> str:
    await world.say(user, "report")
    # Each answer to its own question, read from the card and checked against the stored state.
    await walk_chat(world, user, cyberbullying_concern(what_happened, "today 09:00"))
    before = len(world.sent_to(user))
    await answer(world, user, "__submit")
    # The confirmation comes proactively, through the outbox, after the turn.
    for _ in range(1000):
        found = REFERENCE.search(" ".join(world.texts_to(user)[before:]))
        if found:
            return found.group()
        await asyncio.sleep(0.02)
    raise AssertionError([t[:200] for t in world.texts_to(user)[-3:]])
