"""An allegation typed in Slack names the adult with a mention: Slack sends it as `<@U…>`
(docs.slack.dev/messaging/formatting-message-text, "Mentioning users"), never as the name shown."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storage.models import Outbox, Report
from tests.slack.conftest import HEAD, STAFF
from tests.slack.filing import walk_dm
from tests.slack.world import TEAM, SlackWorld, text_of
from tests.support.walk import CONCERN_TAIL, Answer

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

ANSWERS = {
    "immediate_danger": "no",
    "category": "commerce",
    "commerce_kind": "scam",
    **CONCERN_TAIL,
    "about_adult": "yes",
    "adult_concern_kind": "harm",
    "adult_is_head": "no",
    "adult_who": f"<@{HEAD}>",
}


async def open_home(world: SlackWorld, user: str) -> str:
    """What the Home tab says once opened (the app_home_opened event, as Slack sends it:
    docs.slack.dev/reference/events/app_home_opened)."""
    event = {"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"}
    envelope = {
        "type": "event_callback",
        "team_id": TEAM,
        "api_app_id": "A0APP",
        "event_id": f"EvHome{len(world.api.calls)}",
        "event_time": 1,
        "event": event,
    }
    assert (await world.post(json.dumps(envelope), "application/json")).status == 200
    await world.settle()
    (*_, published) = [c for c in world.api.called("views.publish") if c.args["user_id"] == user]
    return json.dumps(published.args["view"])


async def walk(world: SlackWorld, answers: dict[str, Answer]) -> list[str]:
    """Start a concern and answer each question from `answers` until the summary."""
    await world.dm(STAFF, "report")
    await world.settle()
    return await walk_dm(world, STAFF, answers, in_order=False)


async def test_a_mentioned_head_is_left_out_though_they_never_used_the_bot(world):
    asked = await walk(world, ANSWERS)
    assert "adult_who" in asked
    await world.click(STAFF, "__submit")
    await world.settle()
    async with world.bot.router.sessions() as session:
        (report,) = await session.scalars(select(Report))
        rows = list(await session.scalars(select(Outbox)))
    assert report.allegation
    to = {(r.recipient_email, r.kind) for r in rows}
    assert not {k for e, k in to if e == "m.fenwick@example.org"}
    assert ("j.whitcombe@example.org", "alert") in to  # the chair takes it instead
    assert not [m for m in world.api.posts_to(HEAD) if (report.reference or "?") in text_of(m)]
    assert any(c.args.get("user") == HEAD for c in world.api.called("users.info"))


async def test_the_home_tab_counts_only_the_cases_the_head_may_handle(world):
    """Two allegations wait: one names the head by mention, the other nobody known."""
    await walk(world, ANSWERS)
    await world.click(STAFF, "__submit")
    await world.settle()
    await walk(world, {**ANSWERS, "adult_who": "someone on supply"})
    await world.click(STAFF, "__submit")
    await world.settle()
    home = await open_home(world, HEAD)
    assert "1 case(s) are waiting" in home
