"""The bot starts receiving provider alert e-mails where its school file says, handing each alert
to the sink it is given (the filing use case, once wired)."""

from __future__ import annotations

from pathlib import Path

import aiosmtplib

from bot.monitoring.provider_alert import ProviderAlert, Severity, UnreadableAlert
from bot.server import start_monitoring_email
from tests.conftest import BotFactory, example_config_with
from tests.monitoring.test_email_receiver import SMOOTHWALL_DANGER
from tests.support.net import free_port

MAILBOX = "monitoring-alerts@school.example.org"


async def test_the_bot_receives_where_the_school_file_says(
    make_bot: BotFactory, tmp_path: Path
) -> None:
    port = free_port()
    school = example_config_with(
        tmp_path, monitoring__email={"listen_port": port, "recipients": [MAILBOX]}
    )
    bot = await make_bot(school_config=school)
    filed: list[ProviderAlert | UnreadableAlert] = []

    async def sink(alert: ProviderAlert | UnreadableAlert) -> None:
        filed.append(alert)

    receiver = await start_monitoring_email(bot, sink)
    assert receiver is not None
    try:
        await aiosmtplib.send(
            SMOOTHWALL_DANGER,
            hostname="127.0.0.1",
            port=port,
            sender="bounces@relay.school.example.org",
            recipients=[MAILBOX],
            start_tls=False,
            timeout=30,
        )
    finally:
        await receiver.stop()

    [alert] = filed
    assert isinstance(alert, ProviderAlert)
    assert (alert.provider, alert.severity) == ("smoothwall", Severity.CRITICAL)


async def test_without_the_section_nothing_listens(make_bot: BotFactory) -> None:
    bot = await make_bot()

    async def sink(alert: ProviderAlert | UnreadableAlert) -> None:
        raise AssertionError("nothing should reach the sink")

    assert await start_monitoring_email(bot, sink) is None
