"""Filing a report in the Slack DM, step by step: each answer is given to the question the
conversation is at (read from its stored state), and each waits for the bot's answer."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.channels.slack.blocks import token_of
from storage.models import Conversation, Outbox, Report
from tests.slack.conftest import PEOPLE, STAFF
from tests.slack.world import SlackWorld, blocks_of, text_of
from tests.support.walk import SUMMARY, Answer, cyberbullying_concern, step_of_token, walk


async def reports(world: SlackWorld) -> list[Report]:
    async with world.bot.router.sessions() as session:
        return list(await session.scalars(select(Report)))


async def outbox_rows(world: SlackWorld, kind: str) -> list[Outbox]:
    async with world.bot.router.sessions() as session:
        found = await session.scalars(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id))
        return list(found)


async def current_step(world: SlackWorld, user: str) -> str | None:
    """The step this person's Slack conversation is at; "summary" at the summary."""
    async with world.bot.router.sessions() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.channel == "slack", Conversation.user_email == PEOPLE[user][0]
            )
        )
    assert row is not None and row.state_enc is not None, "no conversation yet"
    dialog = world.bot.cipher.open(row, "state_enc")["dialog"]
    assert dialog is not None, "no report under way"
    step: str | None = dialog["step"]
    return step or "summary"


async def say(world: SlackWorld, user: str, value: str) -> None:
    """Press the button with this value on the newest message, or type it; wait for a reply."""
    posts = world.api.posts_to(user)
    newest = posts[-1] if posts else None
    if newest is not None and f'"value": "{value}"' in json.dumps(blocks_of(newest)):
        response = await world.click(user, value, message=newest)
    else:
        response = await world.dm(user, value)
    assert response.status == 200
    await world.until(f"the reply to {value!r}", lambda: len(world.api.posts_to(user)) > len(posts))


def newest_question(world: SlackWorld, user: str) -> tuple[dict[str, Any], str] | None:
    """The newest message in this person's DM that asks a question (or shows a summary), and
    the click token its buttons carry in their blocks' block_id; None if there is none."""
    return question_in(world.api.posts_to(user))


def question_in(messages: list[dict[str, Any]]) -> tuple[dict[str, Any], str] | None:
    """The newest of these messages that asks a question (or shows a summary), and its token."""
    for message in reversed(messages):
        tokens = [token_of(block.get("block_id")) for block in blocks_of(message)]
        found = [token for token in tokens if token is not None]
        if found:
            return message, found[-1]
    return None


@dataclass
class SlackDm:
    """The walker's view of one person's DM with the bot (tests/support/walk.py): the step asked
    is read from the newest question's block_id; an answer presses that message's button with
    the value, ticks its boxes, or is typed, and waits for the bot's reply."""

    world: SlackWorld
    user: str

    async def asked(self) -> str | None:
        found = newest_question(self.world, self.user)
        return None if found is None else step_of_token(found[1])

    async def answer(self, value: Answer) -> None:
        found = newest_question(self.world, self.user)
        assert found is not None, f"no question in the DM of {self.user}"
        message = found[0]
        before = len(self.world.api.posts_to(self.user))
        if isinstance(value, tuple):
            response = await self.world.tick(self.user, *value)
        elif f'"value": "{value}"' in json.dumps(blocks_of(message)):
            response = await self.world.click(self.user, value, message=message)
        else:
            response = await self.world.dm(self.user, value)
        assert response.status == 200

        def replied() -> bool:
            return len(self.world.api.posts_to(self.user)) > before

        await self.world.until(f"the reply to {value!r}", replied)
        await self.world.settle()


async def walk_dm(
    world: SlackWorld,
    user: str,
    answers: dict[str, Answer],
    *,
    until: str = SUMMARY,
    in_order: bool = True,
) -> list[str]:
    """Answer `answers` in the DM, each to its own question (tests/support/walk.py), in order
    unless `in_order` is False,
    the step shown checked against the stored conversation's at every answer."""

    async def stored() -> str | None:
        return await current_step(world, user)

    return await walk(SlackDm(world, user), answers, until=until, stored=stored, in_order=in_order)


async def to_summary(world: SlackWorld, user: str, answers: dict[str, Answer]) -> dict[str, Any]:
    """Start a concern and answer until its summary; returns the summary's message."""
    await say(world, user, "report")
    await walk_dm(world, user, answers)
    summary = world.api.posts_to(user)[-1]
    assert "__submit" in json.dumps(blocks_of(summary)), text_of(summary)[:300]
    return summary


def with_reference(world: SlackWorld, user: str, reference: str) -> list[dict[str, Any]]:
    """The messages in this person's DM that show this reference."""
    return [m for m in world.api.posts_to(user) if reference in text_of(m)]


async def eventually(what: str, check: Callable[[], Awaitable[Any]], within: float = 20.0) -> Any:
    """Wait for something the bot does that shows in the database; its truthy result."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def submitted(world: SlackWorld) -> Report:
    """The one report, once it is filed."""

    async def filed() -> list[Report]:
        return [r for r in await reports(world) if r.status == "submitted"]

    (report,) = await eventually("the report to be filed", filed)
    return report


REFERENCE = re.compile(r"OS-2026-\d{5}")


async def answer(world: SlackWorld, user: str, value: str) -> None:
    """Press the button if the newest question offers it, otherwise type it as a DM."""
    newest = world.api.posts_to(user)[-1]
    if f'"value": "{value}"' in json.dumps(blocks_of(newest)):
        response = await world.click(user, value, message=newest)
    else:
        response = await world.dm(user, value)
    assert response.status == 200
    await world.settle()


async def file_concern(world: SlackWorld, what_happened: str) -> str:
    # Each answer to the question the conversation is at, read from its stored state.
    summary = await to_summary(world, STAFF, cyberbullying_concern(what_happened, "today 09:00"))
    before = len(world.api.posts_to(STAFF))
    await world.click(STAFF, "__submit", message=summary)

    def receipt() -> re.Match[str] | None:  # it comes through the outbox, after the turn
        return REFERENCE.search(" ".join(text_of(m) for m in world.api.posts_to(STAFF)[before:]))

    found = await world.until("the confirmation with the reference", receipt)
    await world.settle()
    return str(found.group())


async def until(condition, seconds: float = 30.0) -> None:
    """Wait for `condition` (the bot's turn runs after the ack, and may wait out a 429)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the bot never got there"
        await asyncio.sleep(0.02)
