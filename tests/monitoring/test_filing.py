"""Filing a provider's alert, whichever way it came in (the e-mail way calls the same
`AlertFiler`): an unreadable e-mail kept as its subject only and flagged; the case handled as
every case is (view, acknowledge), with no reporter to tell; never started from chat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.cases.scheduled import sweep_alerts
from bot.delivery.messages import Question
from bot.monitoring.filing import AlertFiler, Filed, Replay
from bot.monitoring.provider_alert import ProviderAlert, Severity, UnreadableAlert
from bot.reports.service import read_answers
from storage.models import Outbox, Report
from tests.monitoring.webhook import alert, post, served, stored
from tests.support.alerts import DSL, HEAD, TEAM
from tests.support.harness import Chat
from tests.support.reports import count, only_report
from tests.support.walk import STAFF


async def test_an_unreadable_email_is_kept_as_its_subject_flagged_and_the_team_alerted(
    make_bot, channel, clock
):
    bot = await make_bot(notifiers={"test": channel})
    filer = AlertFiler(bot.jobs.desk)
    unreadable = UnreadableAlert(
        provider="smoothwall",
        message_id="<capture-981@monitor.example>",
        subject="Monitor alert: risk level 5 for jsmith07",
        received_at=clock.now,
    )
    async with bot.router.sessions() as session, session.begin():
        filed = await filer.file_unreadable(session, unreadable=unreadable, now=clock.now)
    assert isinstance(filed, Filed) and filed.new
    await bot.dispatcher.deliver_due()
    assert channel.recipients() == TEAM
    report = await only_report(bot)
    assert (report.kind, report.category, report.urgent) == (
        "monitoring_alert",
        "unreadable",
        False,
    )
    assert b"jsmith07" not in bytes(report.answers_enc or b"")  # the subject is encrypted
    rows = (await read_answers(cipher=bot.cipher, report=report))["rows"]
    assert [(r["step"], r["answer"]) for r in rows] == [
        ("provider", "smoothwall"),
        ("subject", "Monitor alert: risk level 5 for jsmith07"),
        ("unreadable", "could not read: please check the provider's console"),
    ]
    before = await stored(bot)
    async with bot.router.sessions() as session, session.begin():
        again = await filer.file_unreadable(session, unreadable=unreadable, now=clock.now)
    assert again == Replay("smoothwall", "<capture-981@monitor.example>")
    assert await stored(bot) == before


async def test_a_provider_alert_filed_without_the_webhook_alerts_the_team(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    found = ProviderAlert(
        provider="senso",
        alert_id="9912",
        severity=Severity.CRITICAL,
        provider_severity="Critical",
        category="Violence",
        user="kpatel11",
        device=None,
        occurred_at=clock.now - timedelta(minutes=2),
    )
    async with bot.router.sessions() as session, session.begin():
        filed = await AlertFiler(bot.jobs.desk).file_provider_alert(
            session, alert=found, now=clock.now
        )
    assert isinstance(filed, Filed)
    await bot.dispatcher.deliver_due()
    assert channel.recipients() == TEAM
    assert (await only_report(bot)).urgent is True


async def test_the_dsl_views_and_acknowledges_it_and_no_reporter_is_told(
    make_bot, channel, monitored_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    async with served(bot) as client:
        assert (await post(client, alert("A-1", at=clock.now), now=clock.now)).status == 201
    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    shown = await dsl.click(f"case:view:{report.id}")
    text = repr(shown)
    assert "jsmith07" in text  # the DSL reads the account on "View"
    assert "hxxps://console[.]monitor[.]example/captures/123" in text  # defanged, not a link
    assert "https://console.monitor.example" not in text
    await dsl.click(f"case:ack:{report.id}")
    dsl.assert_reply("escalation has stopped")
    async with bot.router.sessions() as session:
        seen = list(await session.scalars(select(Outbox).where(Outbox.kind == "seen")))
    assert seen == []  # a provider is no reporter: there is nobody to tell
    clock.advance(hours=3)
    await sweep_alerts(bot.jobs)
    assert HEAD not in channel.recipients()  # acknowledged: no escalation


async def test_nobody_can_start_a_monitoring_alert_from_chat(make_bot):
    bot = await make_bot()
    staff = Chat(bot, STAFF)
    for typed in ("start:monitoring_alert", "monitoring alert"):
        replies = await staff.send(typed)
        asked = [m for m in replies if isinstance(m, Question) and m.step_id is not None]
        assert asked == [], typed
    menu = [m for m in await staff.send("hi") if isinstance(m, Question)]
    assert all("monitoring_alert" not in o.value for q in menu for o in q.options)
    assert await count(bot, Report) == 0


async def test_the_teams_lists_and_figures_take_a_monitoring_alert_in(
    make_bot, channel, monitored_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    async with served(bot) as client:
        assert (await post(client, alert("A-1", at=clock.now), now=clock.now)).status == 201
    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    listed = repr(await dsl.send("cases"))
    assert report.reference in listed
    assert "jsmith07" not in listed  # the list names the case, never the pupil's account
    for typed in ("stats", "governors summary", "my reports"):
        replies = await dsl.send(typed)
        assert replies, typed
        assert "jsmith07" not in repr(replies), typed
