"""A drill in Slack, signed requests in and a fake Web API on loopback: the DSL types `drill`
in the bot's DM (or `/online-safety drill`), each of the chain gets a DM marked DRILL within
Slack's limits, the head is alerted when nobody acknowledges in time, the head's Acknowledge
is recorded with its time, and an old or second press changes nothing."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.cases.drills import drill_results
from bot.cases.scheduled import sweep_alerts
from storage.models import Event, Report
from tests.slack.conftest import DEPUTY_1, DEPUTY_2, DSL, HEAD, PEOPLE, STAFF
from tests.slack.render_checks import check_payload
from tests.slack.world import SlackWorld, text_of
from tests.support.clock import FakeClock

MARK = "DRILL: no child involved"


def drill_posts(world: SlackWorld, user: str) -> list[dict[str, Any]]:
    return [m for m in world.api.posts_to(user) if "Test alert DRILL-" in text_of(m)]


def checked(message: dict[str, Any]) -> None:
    """Slack's limits, on what the bot posted or updated (the fields of the call it made)."""
    check_payload({k: message[k] for k in ("text", "blocks", "unfurl_links", "unfurl_media")})


async def acknowledged(world: SlackWorld) -> list[str]:
    async with world.bot.router.sessions() as session:
        found = await session.scalars(select(Event.kind).where(Event.kind == "acknowledged"))
        return list(found)


async def test_a_drill_goes_through_slack_escalates_and_records_who_acknowledged(
    world: SlackWorld, clock: FakeClock
):
    sent_at = clock.now
    await world.dm(DSL, "drill")
    await world.settle()
    assert "on its way through the alert chain" in text_of(world.api.posts_to(DSL)[-2])
    for user in (DSL, DEPUTY_1, DEPUTY_2):
        (alert,) = drill_posts(world, user)
        checked(alert)
        assert MARK in alert["text"]  # the notification's text too
        assert text_of(alert).count(MARK) >= 2  # the title, and the words under it
    assert drill_posts(world, HEAD) == []

    clock.advance(minutes=10)
    await sweep_alerts(world.bot.jobs)
    await world.settle()
    (head_alert,) = drill_posts(world, HEAD)
    checked(head_alert)
    report_id = (await _drill(world)).id

    # As a phone that has not caught up shows them: with their buttons.
    old_dsl, old_head = copy.deepcopy(drill_posts(world, DSL)[0]), copy.deepcopy(head_alert)
    clock.advance(seconds=95)
    await world.click(HEAD, f"case:ack:{report_id}", message=head_alert)
    await world.settle()
    updates = [u.args for u in world.api.called("chat.update") if MARK in text_of(u.args)]
    assert {u["channel"] for u in updates} >= {"D" + u for u in (DSL, DEPUTY_1, DEPUTY_2, HEAD)}
    for update in updates:
        assert "Acknowledged by Martin Fenwick" in text_of(update)
        assert f"case:ack:{report_id}" not in str(update["blocks"])

    # The DSL's old alert, and the head's second press: nothing changes.
    await world.click(DSL, f"case:ack:{report_id}", message=old_dsl)
    await world.click(HEAD, f"case:ack:{report_id}", message=old_head)
    await world.settle()
    assert "already acknowledged by Martin Fenwick" in text_of(world.api.posts_to(HEAD)[-1])
    assert await acknowledged(world) == ["acknowledged"]

    async with world.bot.router.sessions() as session:
        (result,) = await drill_results(session, first=sent_at.date(), last=sent_at.date())
    people = {p.email: p for p in result.people}
    head = people[PEOPLE[HEAD][0]]
    assert head.level == 1 and head.delivered == (("slack", sent_at + timedelta(minutes=10)),)
    assert head.took == timedelta(seconds=95)
    assert result.took == timedelta(minutes=11, seconds=35)
    assert {c for p in people.values() for c, _ in p.delivered} == {"slack"}

    before = len(world.api.posts_to(DSL))
    response = await world.command(DSL, "drill results")
    assert response.status == 200
    await world.settle()
    shown = " ".join(text_of(m) for m in world.api.posts_to(DSL)[before:])
    assert "Acknowledged by Martin Fenwick 11 min 35 s after it was sent" in shown
    assert "Slack: delivered 10:40:00" in shown


async def test_staff_typing_drill_in_slack_are_refused(world: SlackWorld):
    response = await world.command(STAFF, "drill")
    assert response.status == 200
    await world.settle()
    assert "Only the DSL, the deputy DSLs and the headteacher" in " ".join(
        text_of(m) for m in world.api.posts_to(STAFF)
    )
    assert await _drills(world) == []


async def _drills(world: SlackWorld) -> list[Report]:
    async with world.bot.router.sessions() as session:
        return list(await session.scalars(select(Report).where(Report.drill.is_(True))))


async def _drill(world: SlackWorld) -> Report:
    (report,) = await _drills(world)
    return report
