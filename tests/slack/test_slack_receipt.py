"""The reporter's confirmation in Slack: the reference arrives once, through the outbox, whatever
Slack answers; pressing Send again files nothing and shows the same reference."""

from __future__ import annotations

import asyncio
import copy
import re

import pytest

from tests.slack.conftest import STAFF
from tests.slack.filing import (
    current_step,
    eventually,
    outbox_rows,
    reports,
    to_summary,
    with_reference,
)
from tests.slack.world import PostFailure, SlackWorld, text_of
from tests.support.walk import cyberbullying_concern

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

REFERENCE = re.compile(r"OS-2026-\d{5}")
ANSWERS = cyberbullying_concern("Name-calling in the class group chat.", "today 09:00")


def shown_references(world: SlackWorld) -> list[str]:
    """Each message's reference, one a message (its blocks and its fallback text both hold it)."""
    shown = [REFERENCE.search(text_of(p)) for p in world.api.posts_to(STAFF)]
    return [found.group() for found in shown if found]


def told_to_try_again(world: SlackWorld) -> list[str]:
    return [text_of(p) for p in world.api.posts_to(STAFF) if "try again" in text_of(p).lower()]


@pytest.mark.parametrize("kept", [False, True], ids=["message-lost", "message-kept"])
async def test_a_500_on_the_confirmation_gives_the_reference_once_and_never_try_again(
    world, clock, kept
):
    # Slack's documented error body for a failure on its side; with internal_error "it's
    # possible some aspect of the operation succeeded", so the message may be there or not.
    world.api.post_failures.append(PostFailure("Your reference is", stored=kept))
    summary = await to_summary(world, STAFF, ANSWERS)

    await world.click(STAFF, "__submit", message=summary)

    def refused() -> bool:
        return any(c.args.get("_failed") for c in world.api.called("chat.postMessage"))

    await world.until("Slack's 500 on the confirmation", refused)

    async def recorded_or_apologised() -> bool:
        rows = await outbox_rows(world, "receipt")
        return any(r.attempts for r in rows) or bool(told_to_try_again(world))

    await eventually("the failed attempt to be recorded", recorded_or_apologised)
    assert told_to_try_again(world) == []  # the report is filed: nothing to try again
    clock.advance(minutes=1)  # past the first back-off
    await world.bot.dispatcher.deliver_due()

    (report,) = await reports(world)  # filed once
    assert report.reference is not None
    (receipt,) = with_reference(world, STAFF, report.reference)
    assert "Sent. Your reference is" in text_of(receipt)
    assert shown_references(world) == [report.reference]  # exactly once
    assert told_to_try_again(world) == []
    (row,) = await outbox_rows(world, "receipt")
    assert (row.status, row.recipient_email, row.channel) == (
        "sent",
        report.reporter_email,
        "slack",
    )
    assert row.platform_ref == f"{receipt['channel']}:{receipt['_ts']}"
    if kept:  # looked in the DM, found it, and posted nothing more
        assert world.api.called("conversations.history")
    assert "Is there anything else?" in text_of(world.api.posts_to(STAFF)[-1])  # then the menu


async def test_send_pressed_again_on_the_summary_files_nothing_and_shows_the_reference(world):
    summary = await to_summary(world, STAFF, ANSWERS)
    # As the client showed it when Send was first pressed (the bot's chat.update then takes its
    # buttons away): a retried request, or a client that had not redrawn yet, sends this again.
    summary = copy.deepcopy(summary)

    await world.click(STAFF, "__submit", message=summary)
    receipt = await world.until("the confirmation", lambda: _with_text(world, "Sent. Your ref"))
    found = REFERENCE.search(text_of(receipt))
    assert found is not None
    reference = found.group()

    await world.click(STAFF, "__submit", message=summary)  # the same button, pressed again
    again = await world.until("the answer to Send again", lambda: _with_text(world, "Already"))

    assert reference in text_of(again)
    assert "Nothing new has been filed" in text_of(again)
    assert len(await reports(world)) == 1
    assert len(await outbox_rows(world, "receipt")) == 1
    assert told_to_try_again(world) == []


async def test_a_double_click_on_send_files_one_report(world):
    summary = copy.deepcopy(await to_summary(world, STAFF, ANSWERS))

    first, second = await asyncio.gather(
        world.click(STAFF, "__submit", message=summary),
        world.click(STAFF, "__submit", message=summary),
    )

    assert (first.status, second.status) == (200, 200)
    again = await world.until("the answer to the second click", lambda: _with_text(world, "Alre"))
    await world.until("the confirmation", lambda: _with_text(world, "Sent. Your reference"))
    (report,) = await reports(world)
    assert report.reference is not None
    assert report.reference in text_of(again)
    assert len(with_reference(world, STAFF, report.reference)) == 2  # the receipt, and "Already"


def _with_text(world: SlackWorld, fragment: str) -> dict[str, object] | None:
    found = [p for p in world.api.posts_to(STAFF) if fragment in text_of(p)]
    return found[-1] if found else None


async def test_a_reply_slack_refuses_after_the_answer_was_saved_is_not_called_a_failure(world):
    await world.dm(STAFF, "report")
    await world.until("the first question", lambda: _with_text(world, "immediate danger"))
    world.api.post_failures.append(PostFailure("What is the concern about"))

    await world.click(STAFF, "no")  # saved; Slack then refuses the next question

    told = await world.until("what the reporter is told", lambda: _with_text(world, "saved"))
    assert "no need to send it again" in text_of(told)
    assert told_to_try_again(world) == []  # sent again, "no" would answer the next question
    assert await current_step(world, STAFF) == "category"
    await world.dm(STAFF, "help")
    await world.until("the question again", lambda: _with_text(world, "What is the concern about"))
