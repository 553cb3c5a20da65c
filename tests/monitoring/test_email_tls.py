"""STARTTLS on the receiver (RFC 3207), for a relay that sends only encrypted (a connector set
to always use TLS, for one): with a certificate in the school file the receiver
offers STARTTLS and refuses mail sent without it (530 at MAIL, RFC 3207 section 4)."""

from __future__ import annotations

from pathlib import Path

import aiosmtplib
import pytest

from bot.monitoring.provider_alert import ProviderAlert
from tests.alert_rules.certificates import ServerCertificate, make_certificate
from tests.monitoring.test_email_receiver import MAILBOX, SMOOTHWALL_DANGER, Sink, Start, start

__all__ = ["start"]  # the fixture


@pytest.fixture
def certificate(tmp_path: Path) -> ServerCertificate:
    return make_certificate(tmp_path)


async def test_a_relay_that_starts_tls_is_accepted(
    start: Start, certificate: ServerCertificate
) -> None:
    sink = Sink()
    receiver = await start(
        sink, tls={"cert_file": str(certificate.cert_file), "key_file": str(certificate.key_file)}
    )

    await aiosmtplib.send(
        SMOOTHWALL_DANGER,
        hostname="127.0.0.1",
        port=receiver.port,
        sender="bounces@relay.school.example.org",
        recipients=[MAILBOX],
        start_tls=True,
        cert_bundle=str(certificate.ca_file),
        timeout=30,
    )

    [alert] = sink.filed
    assert isinstance(alert, ProviderAlert)


async def test_a_relay_that_does_not_start_tls_is_refused(
    start: Start, certificate: ServerCertificate
) -> None:
    sink = Sink()
    receiver = await start(
        sink, tls={"cert_file": str(certificate.cert_file), "key_file": str(certificate.key_file)}
    )

    with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
        await aiosmtplib.send(
            SMOOTHWALL_DANGER,
            hostname="127.0.0.1",
            port=receiver.port,
            sender="bounces@relay.school.example.org",
            recipients=[MAILBOX],
            start_tls=False,
            timeout=30,
        )

    assert refused.value.code == 530
    assert sink.calls == 0
