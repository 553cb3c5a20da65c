"""`monitoring stats`, through the real router with a clock the tests move: alerts posted to the
provider's webhook over loopback, acknowledged and marked in chat, a filtering report filed by
staff, and the checks, a drill and an alert from before the twelve months written as rows; the
numbers on the card are worked out here by hand. Numbers only, for the team only."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from PIL import Image
from sqlalchemy import select

from bot.delivery.messages import Card, Notice
from bot.monitoring.stats_chart import HEIGHT, STYLE, WIDTH
from storage.models import (
    Event,
    FilteringCheck,
    MonitoringAlert,
    MonitoringGroup,
    RefusalTally,
    Report,
)
from tests.monitoring.webhook import alert, post, served
from tests.support.alerts import DSL, HEAD, file_filtering_report
from tests.support.harness import Chat
from tests.support.reports import count
from tests.support.walk import STAFF

OCTOBER = datetime(2026, 10, 14, 10, 0, tzinfo=UTC)  # a Wednesday: 11:00 in London, in hours
NOVEMBER = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)  # a Tuesday, in hours


async def _report_of(bot, alert_id: str) -> Report:
    async with bot.router.sessions() as session:
        received = await session.scalar(
            select(MonitoringAlert).where(MonitoringAlert.alert_id == alert_id)
        )
        assert received is not None
        group = await session.get(MonitoringGroup, received.group_id)
        report = await session.get(Report, group.report_id)
        assert report is not None
        return report


async def _rows(bot) -> None:
    """What the webhook and chat cannot make: two checks (one with two categories not
    blocked, and the filtering report it filed), drills of both kinds, and an alert of
    thirteen months ago."""
    async with bot.router.sessions() as session, session.begin():
        reports = []
        for kind, drill, at in (
            ("filtering", False, NOVEMBER),  # the failed check's own report: not staff's
            ("filtering", True, NOVEMBER),  # a drill: never counted
            ("monitoring_alert", True, NOVEMBER),
            ("monitoring_alert", False, NOVEMBER - timedelta(days=400)),
        ):
            report = Report(
                kind=kind,
                status="submitted",
                reporter_email="r.adeyemi@example.org",
                channel="test",
                flow_id=kind,
                flow_version=1,
                category="gambling",
                drill=drill,
                created_at=at,
                updated_at=at,
                submitted_at=at,
            )
            session.add(report)
            await session.flush()
            reports.append(report)
        for report, provider in ((reports[2], "drill-monitor"), (reports[3], "old-monitor")):
            group = MonitoringGroup(
                group_key=f"key-{report.id}",
                provider=provider,
                hour=report.submitted_at,
                report_id=report.id,
                count=1,
                first_at=report.submitted_at,
                last_at=report.submitted_at,
            )
            session.add(group)
            await session.flush()
            session.add(
                MonitoringAlert(
                    provider=provider,
                    alert_id=f"x-{report.id}",
                    severity=4,
                    group_id=group.id,
                    received_at=report.submitted_at,
                )
            )
        for results, report_id in (
            (
                {"csam": "blocked", "adult": "not_blocked", "terrorism": "not_blocked"},
                reports[0].id,
            ),
            ({"csam": "blocked", "adult": "blocked", "terrorism": "not_tested"}, None),
        ):
            session.add(
                FilteringCheck(
                    checked_at=NOVEMBER - timedelta(days=3),
                    checked_by="r.adeyemi@example.org",
                    channel="test",
                    flow_version=1,
                    user_group="pupils",
                    test="testfiltering",
                    results=results,
                    failed=report_id is not None,
                    report_id=report_id,
                )
            )


async def _known(make_bot, channel, monitored_school, clock):
    """Four alerts in three reports (two months), two acknowledged, one marked a false
    positive; one filtering report by staff."""
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    dsl = Chat(bot, DSL)
    async with served(bot) as client:
        clock.now = OCTOBER
        for alert_id in ("A-1", "A-2"):  # one account, category and hour: one report
            sent = alert(alert_id, level=4, user="u1", category="self-harm", at=clock.now)
            assert (await post(client, sent, now=clock.now)).status in (200, 201)
        clock.now = OCTOBER + timedelta(minutes=30)
        await dsl.click(f"case:ack:{(await _report_of(bot, 'A-1')).id}")
        clock.now = NOVEMBER
        sent = alert("A-3", level=3, user="u2", category="violence", at=clock.now)
        assert (await post(client, sent, now=clock.now)).status == 201
        sent = alert("A-4", level=1, user="u3", category="gambling", at=clock.now)
        assert (await post(client, sent, now=clock.now)).status == 201
    clock.now = NOVEMBER + timedelta(minutes=10)
    await dsl.click(f"case:ack:{(await _report_of(bot, 'A-3')).id}")
    await dsl.send(f"false positive {(await _report_of(bot, 'A-4')).reference} a game site")
    await file_filtering_report(bot)
    await _rows(bot)
    clock.now = NOVEMBER + timedelta(hours=1)
    return bot


def _card(replies) -> Card:
    (card,) = [r for r in replies if isinstance(r, Card) and r.card_id == "monitoring-stats"]
    return card


async def test_the_numbers_from_known_rows(make_bot, channel, monitored_school, clock):
    bot = await _known(make_bot, channel, monitored_school, clock)
    card = _card(await Chat(bot, HEAD).send("monitoring stats"))
    shown = {f.label: f.value for f in card.fields}
    assert "December 2025 to November 2026" in (card.text or "")
    assert shown["Alerts received"].startswith("4 alerts from the providers, filed as 3 reports")
    assert shown["By provider"] == "school-monitor: 4"  # no drill, nothing of 2025
    assert shown["By severity"] == "Critical: 2\nHigh: 1\nMedium: 0\nLow: 1"
    assert shown["By category"] == "self-harm: 2\ngambling: 1\nviolence: 1"
    months = shown["By month"].split("\n")
    assert len(months) == 12 and months[0] == "Dec 2025: 0"
    assert months[-2:] == ["Oct 2026: 2", "Nov 2026: 2"]
    # In hours: 30 min and 10 min; the low alert was alerted and is not acknowledged.
    acknowledged = shown["Time to acknowledge (median, from the alert)"]
    assert acknowledged == "20 min (in hours), — (out of hours); 1 alerted and not yet acknowledged"
    assert shown["False positives"] == "1 of 3 reports from alerts marked a false positive (33.3%)"
    assert shown["Filtering failures"] == (
        "Reported by staff: 1. Found by the ICT lead's checks: 1 of 2 checks had a category not "
        "blocked (2 categories in all)."
    )
    text = repr(card)
    for secret in ("u1", "u2", "u3", "jsmith07", "MA-", "Searched for"):
        assert secret not in text  # no account, no reference, nothing the alert says


async def test_the_chart_has_its_size_and_is_drawn(make_bot, channel, monitored_school, clock):
    bot = await _known(make_bot, channel, monitored_school, clock)
    (chart,) = _card(await Chat(bot, DSL).send("monitoring stats")).attachments
    assert chart.media_type == "image/png" and chart.alt_text
    image = Image.open(io.BytesIO(chart.data)).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    colours = {colour for _, colour in image.getcolors(WIDTH * HEIGHT) or []}
    assert len(colours) > 10  # not blank
    for severity in STYLE:  # each severity's fill is on it (the legend's keys at least)
        assert STYLE[severity][0] in colours


async def test_anyone_outside_the_team_is_refused_and_the_refusal_recorded(
    make_bot, channel, monitored_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    for email in (STAFF, "j.whitcombe@example.org"):  # staff, and a governor
        replies = await Chat(bot, email).send("monitoring stats")
        assert not [r for r in replies if isinstance(r, Card) and r.card_id == "monitoring-stats"]
        (notice,) = [r for r in replies if isinstance(r, Notice) and r.tone == "error"]
        assert "Only the DSL, a deputy or the headteacher" in notice.text
        refused = await count(bot, Event, Event.kind == "refused", Event.actor_email == email)
        tallied = await count(bot, RefusalTally, RefusalTally.actor_email == email)
        assert refused + tallied >= 1, email


async def test_with_no_alerts_every_number_is_zero(make_bot, channel, monitored_school, clock):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    card = _card(await Chat(bot, DSL).send("monitoring stats"))
    shown = {f.label: f.value for f in card.fields}
    assert shown["False positives"] == "0 of 0 reports from alerts marked a false positive (0.0%)"
    (chart,) = card.attachments
    assert Image.open(io.BytesIO(chart.data)).size == (WIDTH, HEIGHT)
