"""A drill in Teams, Teams-shaped activities in and a fake Bot Connector on loopback: the DSL
types `drill`, each of the chain gets a proactive Adaptive Card marked DRILL (checked against
the card schema and Teams' sizes), the head is alerted when nobody acknowledges in time, and a
deputy whose chat Teams refuses is named in the results as unreachable on Teams."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.cases.drills import drill_results
from bot.cases.scheduled import sweep_alerts
from storage.models import Event, Report
from tests.support.clock import FakeClock
from tests.teams.concerns import install_for_handlers
from tests.teams.connector import Sent, text_of
from tests.teams.render_checks import check_activity
from tests.teams.world import (
    DEPUTY_1,
    DEPUTY_2,
    DSL,
    HEAD,
    PEOPLE,
    STAFF,
    TeamsWorld,
    conversation_of,
    settle,
)

MARK = "DRILL: no child involved"


def drill_posts(world: TeamsWorld, user: str) -> list[Sent]:
    return [
        s
        for s in world.sent_to(user)
        if s.method == "POST" and s.reply_to is None and "Test alert DRILL-" in text_of(s.body)
    ]


def checked(body: dict[str, Any]) -> None:
    check_activity({k: body[k] for k in ("type", "summary", "attachments")})


async def test_a_drill_goes_through_teams_and_names_who_was_unreachable(
    world: TeamsWorld, clock: FakeClock
):
    await install_for_handlers(world)
    world.connector.refuse(conversation_of(DEPUTY_2), 403)  # the app blocked: Teams says 403
    sent_at = clock.now
    await world.say(DSL, "drill")
    await settle(world)
    assert any("on its way through the alert chain" in t for t in world.texts_to(DSL))
    alerts = {}
    for user in (DSL, DEPUTY_1):
        (alert,) = drill_posts(world, user)
        checked(alert.body)
        assert MARK in alert.body["summary"]  # the notification's words too
        assert text_of(alert.body).count(MARK) >= 2
        alerts[user] = alert
    assert drill_posts(world, DEPUTY_2) == [] and drill_posts(world, HEAD) == []

    clock.advance(minutes=10)
    await sweep_alerts(world.bot.jobs)
    await settle(world)
    (head_alert,) = drill_posts(world, HEAD)
    checked(head_alert.body)
    async with world.bot.router.sessions() as session:
        drill = await session.scalar(select(Report).where(Report.drill.is_(True)))
    assert drill is not None

    clock.advance(seconds=40)
    await world.click(DEPUTY_1, f"case:ack:{drill.id}", sent=alerts[DEPUTY_1])
    await settle(world)
    updates = [s for s in world.connector.sent if s.method == "PUT" and MARK in text_of(s.body)]
    assert {u.conversation_id for u in updates} >= {
        conversation_of(user) for user in (DSL, DEPUTY_1, HEAD)
    }
    for update in updates:
        checked(update.body)
        assert "Acknowledged by Daniel Osei" in text_of(update.body)
        assert f"case:ack:{drill.id}" not in text_of(update.body)

    # Old cards' buttons, pressed again: nothing changes.
    await world.click(DSL, f"case:ack:{drill.id}", sent=alerts[DSL])
    await world.click(DEPUTY_1, f"case:ack:{drill.id}", sent=alerts[DEPUTY_1])
    await settle(world)
    assert "already acknowledged by Daniel Osei" in world.texts_to(DEPUTY_1)[-1]
    async with world.bot.router.sessions() as session:
        kinds = list(await session.scalars(select(Event.kind).where(Event.report_id == drill.id)))
        (result,) = await drill_results(session, first=sent_at.date(), last=sent_at.date())
    assert kinds.count("acknowledged") == 1

    people = {p.email: p for p in result.people}
    deputy = people[PEOPLE[DEPUTY_1][0]]
    assert deputy.delivered == (("teams", sent_at),)
    assert deputy.acknowledged_at == sent_at + timedelta(minutes=10, seconds=40)
    assert deputy.took == timedelta(minutes=10, seconds=40)
    blocked = people[PEOPLE[DEPUTY_2][0]]
    assert blocked.delivered == () and "teams" in dict(blocked.unreachable)
    assert people[PEOPLE[HEAD][0]].level == 1

    await world.say(HEAD, "drill results")
    await settle(world)
    shown = world.texts_to(HEAD)[-2]
    assert "Acknowledged by Daniel Osei 10 min 40 s after it was sent" in shown
    assert "Teams: NOT reached (" in shown


async def test_staff_typing_drill_in_teams_are_refused(world: TeamsWorld):
    await install_for_handlers(world)
    await world.say(STAFF, "drill")
    await settle(world)
    assert any("Only the DSL, the deputy DSLs" in t for t in world.texts_to(STAFF))
    async with world.bot.router.sessions() as session:
        assert list(await session.scalars(select(Report))) == []
