"""The provider's alert e-mails, end to end: the running bot (its own server and lifecycle)
receives them by SMTP where the school file says, files each as a monitoring alert report and
alerts the DSL team through the outbox; the relay is told 250 ("Alert received": aiosmtplib
raises on any refusal) only once it is filed, an e-mail
no template reads is filed with its subject only, and the relay's resend files nothing twice."""

from __future__ import annotations

from pathlib import Path

import aiosmtplib
from sqlalchemy import select

from bot.app import build_bot, prepare_storage
from bot.words import strings
from storage.models import Outbox, Report
from tests.conftest import example_config_with
from tests.monitoring.test_email_receiver import SMOOTHWALL_DANGER, alert_email
from tests.support.alerts import DSL
from tests.support.net import free_port
from tests.web.chat import serve, web_settings

MAILBOX = "monitoring-alerts@school.example.org"


async def _send(port: int, message) -> str:
    errors, reply = await aiosmtplib.send(
        message,
        hostname="127.0.0.1",
        port=port,
        sender="bounces@relay.school.example.org",
        recipients=[MAILBOX],
        start_tls=False,
        timeout=30,
    )
    assert errors == {}
    return reply


async def test_the_running_bot_files_a_providers_email_and_alerts_the_team(
    database_url: str, tmp_path: Path, clock
) -> None:
    port = free_port()
    school = example_config_with(
        tmp_path, monitoring__email={"listen_port": port, "recipients": [MAILBOX]}
    )
    bot = build_bot(web_settings(database_url, tmp_path, school_config=school), clock=clock)
    await prepare_storage(bot)
    unreadable = alert_email("alerts@unknown-provider.example", "Weekly digest", text="Hello")
    unreadable.replace_header("Message-ID", "<digest-1@unknown-provider.example>")
    async with serve(bot):  # the app's lifecycle starts (and stops) the receiver
        assert (await _send(port, SMOOTHWALL_DANGER)) == "2.0.0 Alert received"
        assert (
            await _send(port, SMOOTHWALL_DANGER)
        ) == "2.0.0 Alert received"  # the relay's resend
        assert (await _send(port, unreadable)) == "2.0.0 Alert received"
        # Read while the app runs: its lifecycle disposes of the engine when it stops.
        async with bot.router.sessions() as session:
            reports = list(await session.scalars(select(Report).order_by(Report.id)))
            rows = list(await session.scalars(select(Outbox).where(Outbox.kind == "alert")))
            answers = str(bot.cipher.open(reports[-1], "answers_enc"))
    assert [r.kind for r in reports] == ["monitoring_alert", "monitoring_alert"]
    danger, digest = reports
    assert danger.urgent  # Smoothwall's highest level, Danger
    assert not digest.urgent
    assert {row.report_id for row in rows if row.recipient_email == DSL} == {danger.id, digest.id}
    assert strings.MONITORING_UNREADABLE in answers and "Weekly digest" in answers
    assert "Hello" not in answers  # the subject only
