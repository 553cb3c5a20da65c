"""/metrics: Prometheus text format, served without login, and its numbers move with a flow."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.cases.scheduled import sweep_alerts
from bot.server import create_app
from tests.support.alerts import file_concern, outbox
from tests.support.harness import Chat
from tests.support.notifiers import RecordingChannel
from tests.support.reports import all_reports

DSL = "a.hartley@example.org"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: TestClient[Any, Any]) -> Samples:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = await response.text()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include the given ones."""
    return sum(
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and labels.items() <= dict(sample_labels).items()
    )


async def test_metrics_parse_and_move_with_a_flow(make_bot, clock):
    channel = RecordingChannel()
    bot = await make_bot(notifiers={"test": channel})
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        before = await scrape(client)
        assert total(before, "osbot_turn_seconds_count") == 0
        assert total(before, "osbot_reports") == 0
        assert total(before, "osbot_escalations_total") == 0
        assert total(before, "osbot_acknowledgement_seconds_count") == 0

        await file_concern(bot)
        await bot.dispatcher.deliver_due()
        acknowledged = (await all_reports(bot))[0]
        clock.advance(minutes=3)
        dsl = Chat(bot, DSL)
        await dsl.click(f"case:ack:{acknowledged.id}")
        await bot.dispatcher.deliver_due()

        after_ack = await scrape(client)
        assert total(after_ack, "osbot_reports", kind="concern", status="submitted") == 1
        assert total(after_ack, "osbot_acknowledgement_seconds_count") == 1
        assert total(after_ack, "osbot_acknowledgement_seconds_sum") == 180
        assert total(after_ack, "osbot_escalations_total") == 0

        await file_concern(bot)  # a second case, left unacknowledged: it escalates
        await bot.dispatcher.deliver_due()
        clock.advance(minutes=30)
        await sweep_alerts(bot.jobs)

        after = await scrape(client)
        assert total(after, "osbot_turn_seconds_count") > total(
            after_ack, "osbot_turn_seconds_count"
        )
        assert total(after, "osbot_turn_seconds_count") > 0
        assert total(after, "osbot_reports", kind="concern", status="submitted") == 2
        assert total(after, "osbot_escalations_total") >= 1
        assert total(after, "osbot_acknowledgement_seconds_count") == 1  # each case counted once
        delivered = total(after, "osbot_alert_delivery_seconds_count", channel="test")
        assert delivered == len(channel.deliveries) > 0
        assert total(after, "osbot_alert_delivery_seconds_count") >= delivered  # web too
        rows = await outbox(bot)
        assert total(after, "osbot_alerts_pending") > 0  # the web chat's: nobody is connected
        for name in {row.channel for row in rows}:
            waiting = sum(row.channel == name and row.status == "pending" for row in rows)
            assert total(after, "osbot_alerts_pending", channel=name) == waiting
            sent = sum(row.channel == name and row.status == "sent" for row in rows)
            assert total(after, "osbot_alert_delivery_seconds_count", channel=name) == sent

        labels = {name for (_, sample_labels) in after for name, _ in sample_labels}
        assert labels <= {"kind", "status", "channel", "le"}  # nothing personal in a label


async def test_audit_invitations_sent_and_finished_are_counted(make_bot, clock):
    from sqlalchemy import update

    from storage.models import AuditParticipant
    from tests.support.invitations import PEOPLE, sender_for, start_campaign

    bot = await make_bot()
    channel = RecordingChannel()
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        before = await scrape(client)
        assert total(before, "osbot_audit_messages_sent_total") == 0
        assert total(before, "osbot_audit_participants") == 0
        assert total(before, "osbot_scheduler_leader") == 0  # no jobs in this server

        ids = await start_campaign(bot, clock, PEOPLE)
        await sender_for(bot, clock, channel).run_until_idle()
        async with bot.router.sessions() as session, session.begin():
            await session.execute(
                update(AuditParticipant)
                .where(AuditParticipant.id == ids[0])
                .values(status="finished", finished_at=clock.now)
            )

        after = await scrape(client)
        sent = total(after, "osbot_audit_messages_sent_total", kind="invite", channel="test")
        assert sent == len(PEOPLE) == len(channel.deliveries)
        year = {"academic_year": "2026-27"}
        assert total(after, "osbot_audit_participants", status="finished", **year) == 1
        assert total(after, "osbot_audit_participants", **year) == len(PEOPLE)


async def test_a_server_that_may_run_the_jobs_says_whether_it_leads(make_bot):
    bot = await make_bot()
    async with TestClient(TestServer(create_app(bot))) as client:  # role all, SQLite: it leads
        for _ in range(100):
            if total(await scrape(client), "osbot_scheduler_leader") == 1:
                break
            await asyncio.sleep(0.05)
        assert total(await scrape(client), "osbot_scheduler_leader") == 1
