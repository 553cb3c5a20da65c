"""Filing a concern through the Teams adapter, step by step: before each answer, the question
being asked is read from the reporter's stored dialog state and must be the one expected."""

from __future__ import annotations

import re

from tests.support import steps
from tests.support.steps import SUMMARY
from tests.support.walk import Answer, cyberbullying_concern
from tests.teams.world import PEOPLE, STAFF, TeamsWorld, settle

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


async def file_concern(world: TeamsWorld, what_happened: str, user: str = STAFF) -> str:
    """A whole cyberbullying concern, each answer given to the question it belongs to."""
    await world.say(user, "report")
    answers = cyberbullying_concern(what_happened, "today 09:00")
    asked: list[str] = []
    for _ in range(40):
        step = await current_step(world, user)
        if step == SUMMARY:
            break
        assert step in answers, f"unexpected question {step!r}; asked so far: {asked}"
        asked.append(step)
        await answer(world, user, answers[step])
    else:
        raise AssertionError(f"no summary after {asked}")
    await answer(world, user, "__submit")
    # The confirmation comes through the outbox (kind "receipt"), not as the turn's reply.
    await settle(world)
    found = [m.group() for text in world.reads(user) for m in REFERENCE.finditer(text)]
    assert found, [t[:200] for t in world.reads(user)[-3:]]
    return found[-1]
