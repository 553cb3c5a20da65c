"""Old buttons in Slack: a click on a message whose question was answered changes nothing, says
so and shows where the person is; the clicked message loses its buttons (chat.update).

Each test keeps a copy of a message as the person's Slack client first showed it, and clicks it
later, as someone scrolling up, or a client that had not yet redrawn the message, would.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.words import strings
from storage.models import Report
from tests.slack.conftest import DSL, STAFF
from tests.slack.world import SlackWorld, blocks_of, text_of
from tests.support.walk import cyberbullying_concern

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

CONCERN = cyberbullying_concern("Names called in the class group chat.", "today 09:00")


def step_of(message: dict[str, Any]) -> str | None:
    """The step a message asks, from its buttons' block_id (`ask|<step>.<turn>|<n>`)."""
    for block in blocks_of(message):
        block_id = str(block.get("block_id", ""))
        if block_id.startswith("ask|"):
            return block_id.removeprefix("ask|").rpartition("|")[0].rpartition(".")[0]
    return None


def asking(world: SlackWorld, user: str) -> dict[str, Any]:
    """The newest message to `user` with a question's buttons."""
    for message in reversed(world.api.posts_to(user)):
        if step_of(message) is not None:
            return message
    raise AssertionError(f"no question for {user}")


def has_buttons(message: dict[str, Any]) -> bool:
    return any(block.get("type") == "actions" for block in blocks_of(message))


def ended(messages: list[dict[str, Any]]) -> bool:
    """A turn's replies are all out once a question, or the menu, has been posted."""
    return any(step_of(m) or "start:concern" in text_of(m) for m in messages)


async def until(done: Callable[[], bool]) -> None:
    """Wait for something the bot does after the turn (the dispatcher's alerts)."""
    deadline = time.monotonic() + 10
    while not done():
        assert time.monotonic() < deadline, "waited 10 s"
        await asyncio.sleep(0.01)


async def turn(world: SlackWorld, user: str, act: Callable[[], Awaitable[Any]]) -> str:
    """Do something and wait until the bot has answered it (the question or menu that ends its
    replies is posted); the replies' text."""
    before = len(world.api.posts_to(user))
    response = await act()
    assert response.status == 200
    await until(lambda: ended(world.api.posts_to(user)[before:]))
    return " ".join(text_of(m) for m in world.api.posts_to(user)[before:])


async def answer(world: SlackWorld, user: str, value: str) -> str:
    """Press the button on the newest question if it has one for `value`, or type it."""
    newest = asking(world, user)
    if f'"value": "{value}"' in json.dumps(blocks_of(newest)):
        return await turn(world, user, lambda: world.click(user, value, message=newest))
    return await turn(world, user, lambda: world.dm(user, value))


async def click(world: SlackWorld, user: str, value: str, message: dict[str, Any]) -> str:
    return await turn(world, user, lambda: world.click(user, value, message=message))


async def dm(world: SlackWorld, user: str, text: str) -> str:
    return await turn(world, user, lambda: world.dm(user, text))


async def reports(world: SlackWorld) -> list[Report]:
    async with world.bot.router.sessions() as session:
        return list(await session.scalars(select(Report)))


async def walk_until(world: SlackWorld, step: str) -> None:
    for _ in range(20):
        asked = step_of(asking(world, STAFF))
        if asked == step:
            return
        assert asked in CONCERN, f"unexpected question {asked!r}"
        await answer(world, STAFF, str(CONCERN[asked]))
    raise AssertionError(f"{step} never asked")


async def file_report(world: SlackWorld) -> None:
    await walk_until(world, "_summary")
    await answer(world, STAFF, "__submit")


async def start_report(world: SlackWorld) -> dict[str, Any]:
    """Start a concern; a copy of its first message as the client showed it."""
    await dm(world, STAFF, "report")
    first = asking(world, STAFF)
    assert step_of(first) == "immediate_danger"
    return copy.deepcopy(first)


def now(world: SlackWorld, user: str, message: dict[str, Any]) -> dict[str, Any]:
    """The message as it is now in the person's DM (after any chat.update)."""
    return next(m for m in world.api.posts_to(user) if m["_ts"] == message["_ts"])


async def without_buttons(world: SlackWorld, user: str, message: dict[str, Any]) -> str:
    """Wait for the chat.update (it follows the turn's replies) that takes a message's buttons
    away; the message's text then."""
    await until(lambda: not has_buttons(now(world, user, message)))
    return text_of(now(world, user, message))


async def test_an_old_yes_at_about_adult_changes_nothing(world: SlackWorld):
    first = await start_report(world)
    await click(world, STAFF, "no", first)

    answered = await without_buttons(world, STAFF, first)  # chat.update took them away
    assert "Is anyone in immediate danger" in answered and "Your answer: No" in answered
    updates = [c.args for c in world.api.called("chat.update") if c.args["ts"] == first["_ts"]]
    assert [u["channel"] for u in updates] == ["D" + STAFF]

    await walk_until(world, "about_adult")
    replies = await click(world, STAFF, "yes", first)  # the first question's Yes, from the copy
    assert strings.STALE_CLICK in replies
    assert step_of(asking(world, STAFF)) == "about_adult"  # shown again, still to answer
    assert await reports(world) == []  # nothing urgent opened, nobody alerted
    assert world.api.posts_to(DSL) == []
    await walk_until(world, "pupils")  # about_adult answered by its own button, "no"


async def test_a_double_click_counts_once(world: SlackWorld):
    first = await start_report(world)
    await click(world, STAFF, "no", first)
    replies = await click(world, STAFF, "yes", first)  # another button of the same old message
    assert strings.STALE_CLICK in replies
    assert step_of(asking(world, STAFF)) == "category"
    assert await reports(world) == []  # the Yes counted for nothing: no urgent report


async def test_a_finished_reports_button_does_nothing_to_the_next(world: SlackWorld):
    first = await start_report(world)
    await dm(world, STAFF, "no")  # typed: its message keeps its buttons, never clicked
    await file_report(world)
    assert len(await reports(world)) == 1

    await start_report(world)
    replies = await click(world, STAFF, "yes", first)  # the finished report's never-clicked Yes
    assert strings.STALE_CLICK in replies
    assert step_of(asking(world, STAFF)) == "immediate_danger"
    assert [r.urgent for r in await reports(world)] == [False]  # no new, urgent report
    assert strings.ANSWERED_EARLIER in await without_buttons(world, STAFF, first)


async def test_a_case_forms_old_button_changes_nothing(world: SlackWorld):
    await start_report(world)
    await file_report(world)
    (report,) = await reports(world)

    await until(lambda: f"case:action:{report.id}" in str(world.api.posts_to(DSL)))
    alert = world.newest_with(DSL, f"case:action:{report.id}")
    await click(world, DSL, f"case:action:{report.id}", alert)
    form = copy.deepcopy(asking(world, DSL))
    assert step_of(form) == "action"
    await click(world, DSL, "police", form)
    assert step_of(asking(world, DSL)) == "details"
    assert "Referred to the police" in await without_buttons(world, DSL, form)
    replies = await click(world, DSL, "informed_parents", form)
    assert strings.STALE_CLICK in replies
    assert step_of(asking(world, DSL)) == "details"
    assert "Referred to the police" in text_of(now(world, DSL, form))  # not overwritten
    # The alert card's buttons are actions on the case, not questions: they stay.
    assert has_buttons(now(world, DSL, alert))


async def test_the_self_audits_old_button_changes_nothing(world: SlackWorld):
    await dm(world, DSL, "audit start")
    await dm(world, STAFF, "audit")
    first = copy.deepcopy(asking(world, STAFF))
    assert step_of(first) == "knows_lead"
    await click(world, STAFF, "yes", first)
    assert step_of(asking(world, STAFF)) == "knows_lead_comment"
    replies = await click(world, STAFF, "no", first)
    assert strings.STALE_CLICK in replies
    assert step_of(asking(world, STAFF)) == "knows_lead_comment"
