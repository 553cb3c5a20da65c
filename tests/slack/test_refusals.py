"""Slack never counts an alert as delivered unless chat.postMessage said ok: an error answer,
or an HTTP 500, leaves the row pending with its error, and it goes out once when Slack accepts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storage.models import Outbox
from tests.slack.conftest import DSL, PEOPLE, STAFF
from tests.slack.filing import walk_dm
from tests.slack.world import SlackWorld, text_of
from tests.support.walk import cyberbullying_concern

REFERENCE = re.compile(r"OS-2026-\d{5}")


async def file_concern(world: SlackWorld, what_happened: str) -> str:
    """A whole concern, each answer given to the question it belongs to."""
    await world.dm(STAFF, "report")
    await world.settle()
    # Each answer to the question the DM asks, checked against the stored step.
    await walk_dm(world, STAFF, cyberbullying_concern(what_happened, "today 09:00"))
    await world.click(STAFF, "__submit", message=world.api.posts_to(STAFF)[-1])
    await world.settle()
    found = REFERENCE.search(" ".join(text_of(m) for m in world.api.posts_to(STAFF)[-3:]))
    assert found
    return found.group()


async def dsl_alert(world: SlackWorld) -> Outbox:
    async with world.bot.router.sessions() as session:
        row = await session.scalar(
            select(Outbox).where(Outbox.kind == "alert", Outbox.recipient_email == PEOPLE[DSL][0])
        )
    assert row is not None
    return row


@pytest.mark.parametrize(("status", "error"), [(200, "fatal_error"), (500, "internal_error")])
async def test_a_refused_alert_stays_pending_then_goes_once(world, clock, status, error):
    world.api.refuse_in["D" + DSL] = (status, error)
    reference = await file_concern(world, "Name-calling in the class chat.")
    await world.bot.dispatcher.deliver_due()

    row = await dsl_alert(world)
    assert (row.status, row.sent_at, row.platform_ref) == ("pending", None, None)
    assert row.attempts >= 1 and row.last_error
    assert [c.args["channel"] for c in world.api.refused] and not [
        m for m in world.api.posts_to(DSL) if reference in text_of(m)
    ]

    del world.api.refuse_in["D" + DSL]
    clock.advance(hours=3)
    await world.bot.dispatcher.deliver_due()
    row = await dsl_alert(world)
    assert row.status == "sent"
    (alert,) = [m for m in world.api.posts_to(DSL) if reference in text_of(m)]
    assert row.platform_ref == f"D{DSL}:{alert['_ts']}"

    clock.advance(hours=3)
    assert await world.bot.dispatcher.deliver_due() == 0
    assert len([m for m in world.api.posts_to(DSL) if reference in text_of(m)]) == 1
