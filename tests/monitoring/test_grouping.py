"""Repeated alerts for one account, category and hour are one report with a count and one
alert to the team, also when they arrive at once (over loopback, 50 concurrent requests; on
PostgreSQL each on its own connection, so the unique key and the row lock are what decide)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.delivery.messages import Card
from bot.record.events import verify_log
from storage.models import MonitoringAlert, MonitoringGroup, Outbox, Report
from tests.monitoring.webhook import alert, post, served
from tests.support.alerts import DSL, TEAM
from tests.support.harness import Chat
from tests.support.reports import count, event_kinds


async def test_fifty_alerts_at_once_for_one_account_and_category_are_one_report_counted_fifty(
    make_bot, channel, monitored_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    async with served(bot) as client:
        responses = await asyncio.gather(
            *(
                post(client, alert(f"A-{n}", at=clock.now + timedelta(seconds=n)), now=clock.now)
                for n in range(50)
            )
        )
        answers = [await r.json() for r in responses]
        await channel.until("the team alerted", lambda: channel.recipients() == TEAM)
    assert sorted(r.status for r in responses) == [200] * 49 + [201], answers
    assert len({a["reference"] for a in answers}) == 1
    assert sorted(a["count"] for a in answers) == list(range(1, 51))
    assert await count(bot, Report) == 1
    assert await count(bot, MonitoringAlert) == 50
    async with bot.router.sessions() as session:
        (group,) = await session.scalars(select(MonitoringGroup))
        report = await session.get(Report, group.report_id)
        alerts = list(await session.scalars(select(Outbox).where(Outbox.kind == "alert")))
    assert group.count == 50
    assert report is not None and report.reference == answers[0]["reference"]
    # One alert per member of the team and channel, at the first level: not fifty.
    assert sorted((r.recipient_email, r.channel) for r in alerts) == sorted(
        (email, name) for email in TEAM for name in ("web", "test")
    )
    assert len(channel.cards(DSL)) == 1
    assert (await event_kinds(bot, report)).count("submitted") == 1
    # The DSL reads the count on "View", as it is now (it grew after the alert was sent).
    shown = await Chat(bot, DSL).click(f"case:view:{report.id}")
    assert "Alerts in this report" in repr(shown)
    assert "50 alerts from the provider for this account and category" in repr(shown)


async def test_another_account_category_or_hour_is_a_report_of_its_own(
    make_bot, channel, monitored_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    later = clock.now + timedelta(hours=1)
    async with served(bot) as client:
        for body in (
            alert("A-1", at=clock.now),
            alert("A-2", at=clock.now),  # grouped with A-1
            alert("A-3", user="kpatel11", at=clock.now),
            alert("A-4", category="violence", at=clock.now),
            alert("A-5", at=later),
        ):
            response = await post(client, body, now=clock.now)
            assert response.status in {200, 201}, await response.text()
    assert await count(bot, Report) == 4
    async with bot.router.sessions() as session:
        counts = sorted(g.count for g in await session.scalars(select(MonitoringGroup)))
    assert counts == [1, 1, 1, 2]


async def test_a_later_alert_of_the_group_at_the_highest_level_makes_the_report_urgent(
    make_bot, channel, monitored_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    async with served(bot) as client:
        assert (
            await post(client, alert("A-1", level=2, at=clock.now), now=clock.now)
        ).status == 201
        await channel.until("the team alerted", lambda: channel.recipients() == TEAM)
        response = await post(client, alert("A-2", level=5, at=clock.now), now=clock.now)
        assert response.status == 200
        await channel.until(
            "the cards made urgent",
            lambda: any(isinstance(c, Card) and c.tone == "urgent" for c in channel.cards(DSL)),
        )
    async with bot.router.sessions() as session:
        (report,) = await session.scalars(select(Report))
    assert report.urgent is True
    assert report.urgent_reasons == ["highest_provider_severity"]
    assert "urgent_reason_added" in await event_kinds(bot, report)
    async with bot.router.sessions() as session:
        check = await verify_log(session)
    assert check.ok, check  # the report is as the event log recorded it, urgency included
    assert check.reports == 1
