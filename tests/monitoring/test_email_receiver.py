"""The bot's SMTP receiver for provider alert e-mails, on loopback, with aiosmtplib as the school's
mail relay: what it accepts reaches the sink before the relay is told 250, and what it refuses
it refuses with the code a relay acts on (RFC 5321 section 4.2: 4yz try again, 5yz do not)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import aiosmtplib
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.monitoring_email.receiver import MonitoringEmailReceiver
from bot.monitoring.provider_alert import ProviderAlert, Severity, UnreadableAlert
from bot.school.monitoring_email_settings import MonitoringEmail
from tests.monitoring.test_email_alerts import linewize_html, smoothwall_text
from tests.support.net import free_port

MAILBOX = "monitoring-alerts@school.example.org"
NOW = datetime(2026, 12, 5, 9, 20, tzinfo=UTC)
Alert = ProviderAlert | UnreadableAlert


class Sink:
    """The filing use case's stand-in: records each alert, or fails the next `failures` times."""

    def __init__(self) -> None:
        self.filed: list[Alert] = []
        self.failures = 0
        self.calls = 0

    async def __call__(self, alert: Alert) -> None:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database unavailable")
        self.filed.append(alert)


Start = Callable[..., Awaitable[MonitoringEmailReceiver]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    """Start a receiver on a free loopback port with the settings given."""
    running: list[MonitoringEmailReceiver] = []

    async def started(sink: Sink, **settings: Any) -> MonitoringEmailReceiver:
        values: dict[str, Any] = {
            "listen_host": "127.0.0.1",
            "listen_port": free_port(),
            "recipients": [MAILBOX],
        }
        values.update(settings)
        config = MonitoringEmail.model_validate(values)
        receiver = MonitoringEmailReceiver(
            config, sink=sink, tz=ZoneInfo("Europe/London"), clock=lambda: NOW
        )
        await receiver.start()
        running.append(receiver)
        return receiver

    yield started
    for receiver in running:
        await receiver.stop()


def alert_email(
    sender: str, subject: str, *, text: str | None = None, html: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = MAILBOX
    message["Subject"] = subject
    message["Message-ID"] = "<8812@provider.example>"
    message["Date"] = "Sat, 05 Dec 2026 09:13:00 +0000"
    if text is not None:
        message.set_content(text)
    else:
        message.set_content(html or "", subtype="html")
    return message


async def relay(
    receiver: MonitoringEmailReceiver, message: EmailMessage, *, to: str = MAILBOX
) -> str:
    """Hand `message` on as the school's relay would; the receiver's reply to DATA."""
    errors, reply = await aiosmtplib.send(
        message,
        hostname="127.0.0.1",
        port=receiver.port,
        sender="bounces@relay.school.example.org",
        recipients=[to],
        start_tls=False,
        timeout=30,
    )
    assert errors == {}
    return reply


async def refusal(receiver: MonitoringEmailReceiver, message: EmailMessage, **options: Any) -> int:
    """The code the receiver refused `message` with (fails if it accepted it)."""
    try:
        await relay(receiver, message, **options)
    except aiosmtplib.SMTPRecipientsRefused as refused:  # every recipient refused at RCPT
        [only] = refused.recipients
        return only.code
    except aiosmtplib.SMTPResponseException as refused:
        return refused.code
    raise AssertionError("the receiver accepted the message")


SMOOTHWALL_DANGER = alert_email(
    "Smoothwall <noreply@smoothwall.com>",
    "Safeguarding Alert: Danger - Suicide",
    text=smoothwall_text("Danger"),
)


async def test_a_providers_alert_reaches_the_sink_before_the_relay_is_told_250(
    start: Start,
) -> None:
    sink = Sink()
    receiver = await start(sink)

    reply = await relay(receiver, SMOOTHWALL_DANGER)

    assert reply.startswith("2.0.0 Alert received")
    [alert] = sink.filed  # filed by the time the relay had its 250
    assert isinstance(alert, ProviderAlert)
    assert (alert.provider, alert.severity, alert.category) == (
        "smoothwall",
        Severity.CRITICAL,
        "Suicide",
    )
    assert alert.alert_id == "<8812@provider.example>"


async def test_an_email_no_template_reads_reaches_the_sink_with_its_subject(start: Start) -> None:
    sink = Sink()
    receiver = await start(sink)

    await relay(
        receiver,
        alert_email("Monitoring <alerts@unknown-provider.example>", "Alert 4471", text="?"),
    )

    assert sink.filed == [
        UnreadableAlert(
            provider=None,
            message_id="<8812@provider.example>",
            subject="Alert 4471",
            received_at=NOW,
        )
    ]


async def test_a_failed_sink_gets_451_and_the_relays_retry_is_filed_once(start: Start) -> None:
    sink = Sink()
    sink.failures = 1
    receiver = await start(sink)

    code = await refusal(receiver, SMOOTHWALL_DANGER)
    assert code == 451
    assert sink.filed == []

    await relay(receiver, SMOOTHWALL_DANGER)  # the relay tries again later

    assert sink.calls == 2
    [alert] = sink.filed
    assert isinstance(alert, ProviderAlert)


async def test_an_unknown_recipient_is_refused_with_550(start: Start) -> None:
    sink = Sink()
    receiver = await start(sink)

    code = await refusal(receiver, SMOOTHWALL_DANGER, to="head@school.example.org")

    assert code == 550
    assert sink.calls == 0


async def test_the_recipient_is_matched_whatever_its_case(start: Start) -> None:
    sink = Sink()
    receiver = await start(sink)

    await relay(receiver, SMOOTHWALL_DANGER, to=MAILBOX.upper())

    assert len(sink.filed) == 1


async def test_an_oversize_message_is_refused_with_552(start: Start) -> None:
    sink = Sink()
    receiver = await start(sink, max_message_bytes=10_000)
    big = alert_email(
        "noreply@smoothwall.com", "Safeguarding Alert", text=smoothwall_text() + "x" * 20_000
    )

    code = await refusal(receiver, big)

    assert code == 552
    assert sink.calls == 0


async def test_a_host_that_is_not_the_relay_is_refused_with_550(start: Start) -> None:
    sink = Sink()
    receiver = await start(sink, allowed_relays=["192.0.2.0/24"])

    code = await refusal(receiver, SMOOTHWALL_DANGER)

    assert code == 550
    assert sink.calls == 0


async def test_the_named_relay_is_let_in(start: Start) -> None:
    sink = Sink()
    receiver = await start(sink, allowed_relays=["192.0.2.0/24", "127.0.0.1"])

    await relay(receiver, SMOOTHWALL_DANGER)

    assert len(sink.filed) == 1


@pytest.fixture
async def counting_server() -> AsyncIterator[tuple[str, list[str]]]:
    """A web server on loopback that counts every request made to it (none should be)."""
    requests: list[str] = []

    async def count(request: web.Request) -> web.Response:
        requests.append(request.path)
        return web.Response(body=b"GIF89a", content_type="image/gif")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", count)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield f"127.0.0.1:{server.port}", requests
    await server.close()


async def test_nothing_an_email_shows_or_links_to_is_fetched(
    start: Start, counting_server: tuple[str, list[str]]
) -> None:
    host, requests = counting_server
    sink = Sink()
    receiver = await start(sink)
    # Remote images (a logo, a tracking pixel), a style sheet, a background, and links, all
    # pointing at the counting server.
    message = alert_email(
        "redflag@linewize.com",
        "[REDFLAG ALERT] Jamie Example - Suicide",
        html=linewize_html("Suicide", host=host),
    )

    await relay(receiver, message)

    [alert] = sink.filed
    assert isinstance(alert, ProviderAlert)
    assert alert.console_url == f"http://{host}/alerts/8812"  # kept as text
    assert requests == []


async def test_a_message_for_the_mailbox_and_someone_else_is_filed_once(start: Start) -> None:
    sink = Sink()
    receiver = await start(sink)

    errors, _ = await aiosmtplib.send(
        SMOOTHWALL_DANGER,
        hostname="127.0.0.1",
        port=receiver.port,
        sender="bounces@relay.school.example.org",
        recipients=["head@school.example.org", MAILBOX],
        start_tls=False,
        timeout=30,
    )

    assert [(address, reply.code) for address, reply in errors.items()] == [
        ("head@school.example.org", 550)
    ]
    assert len(sink.filed) == 1


async def test_an_email_sent_again_carries_the_same_alert_id(start: Start) -> None:
    """A relay that lost the bot's 250 sends the e-mail again: the filing use case can tell."""
    sink = Sink()
    receiver = await start(sink)

    await relay(receiver, SMOOTHWALL_DANGER)
    await relay(receiver, SMOOTHWALL_DANGER)

    first, again = sink.filed
    assert isinstance(first, ProviderAlert) and isinstance(again, ProviderAlert)
    assert (first.provider, first.alert_id) == (again.provider, again.alert_id)


async def test_nothing_the_email_says_reaches_the_log_even_at_debug_level(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sink = Sink()
    receiver = await start(sink)

    await relay(receiver, SMOOTHWALL_DANGER)

    assert len(sink.filed) == 1
    assert "monitoring e-mail filed: provider=smoothwall" in caplog.text
    for said in ("ways to disappear", "jexample", "Suicide", "10.4.2.17"):
        assert said not in caplog.text


async def test_stopping_closes_a_relays_open_connection(start: Start) -> None:
    """A relay keeps its connection open between e-mails: the bot's shutdown does not wait for
    it (from Python 3.12 the server's wait_closed would), and the relay sees it closed."""
    receiver = await start(Sink())
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=receiver.port, start_tls=False)
    await client.connect()
    await client.ehlo()

    await receiver.stop()

    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await client.noop()
