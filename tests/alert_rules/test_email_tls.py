"""The school's SMTP server as schools run them: STARTTLS (587) or TLS from the start (465), a
login whose password comes from SMTP_PASSWORD, and a certificate from the school's own
authority (`ca_file`). Nothing goes in clear, to a server whose certificate does not check
out, or without the login: each is retried through the outbox, never counted as sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot.cases.follow_ups import KIND
from bot.cases.scheduled import sweep_alerts
from tests.alert_rules.certificates import ServerCertificate, make_certificate
from tests.alert_rules.conftest import SENDER
from tests.alert_rules.smtp_server import SmtpServer
from tests.support.alerts import DSL, file_concern, outbox
from tests.support.net import free_port

LOGIN, PASSWORD = "safeguarding-bot@example.org", "correct horse battery staple"


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login.decode() == LOGIN
        and data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 itself


@pytest.fixture
def certificate(tmp_path: Path) -> ServerCertificate:
    return make_certificate(tmp_path)


def tls_server(security: str, certificate: ServerCertificate) -> SmtpServer:
    context = certificate.server_context()
    login = {"authenticator": check_login, "auth_required": True}
    if security == "tls":
        return SmtpServer(free_port(), ssl_context=context, **login)
    return SmtpServer(free_port(), tls_context=context, require_starttls=True, **login)


def school(school_with_rules, server: SmtpServer, security: str, **more: Any):
    return school_with_rules(
        {DSL: [{"channel": "email", "after_minutes": 0}]},
        alert_email={
            "host": "127.0.0.1",
            "port": server.port,
            "security": security,
            "username": LOGIN,
            "from_address": SENDER,
            "timeout_seconds": 5,
            **more,
        },
    )


async def the_follow_up(bot):
    (row,) = [row for row in await outbox(bot) if row.kind == KIND]
    return row


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_an_email_goes_encrypted_with_the_login(
    make_bot, channel, security, certificate, school_with_rules
):
    server = tls_server(security, certificate)
    server.start()
    try:
        config = school(school_with_rules, server, security, ca_file=str(certificate.ca_file))
        bot = await make_bot(
            notifiers={"test": channel}, school_config=config, smtp_password=PASSWORD
        )
        await file_concern(bot)
        await sweep_alerts(bot.jobs)
        assert [m.rcpt_tos for m in server.inbox.received] == [[DSL]]
        assert (await the_follow_up(bot)).status == "sent"
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("security", "password", "trusted", "why"),
    [
        ("starttls", "wrong", True, "(535)"),  # the login refused
        # In clear: the server offers no login before STARTTLS, so nothing is sent.
        ("none", PASSWORD, True, "AUTH extension is not supported"),
        ("starttls", PASSWORD, False, "could not be reached"),  # a certificate not trusted
        ("tls", PASSWORD, False, "could not be reached"),
    ],
    ids=["wrong-password", "no-starttls", "untrusted-starttls", "untrusted-tls"],
)
async def test_what_the_server_refuses_stays_pending(
    make_bot, channel, certificate, school_with_rules, security, password, trusted, why
):
    server = tls_server("tls" if security == "tls" else "starttls", certificate)
    server.start()
    try:
        ca = {"ca_file": str(certificate.ca_file)} if trusted else {}
        config = school(school_with_rules, server, security, **ca)
        bot = await make_bot(
            notifiers={"test": channel}, school_config=config, smtp_password=password
        )
        await file_concern(bot)
        await sweep_alerts(bot.jobs)
        assert server.inbox.received == []
        row = await the_follow_up(bot)
        assert (row.status, row.attempts) == ("pending", 1)
        assert why in (row.last_error or "")
        assert PASSWORD not in (row.last_error or "")
    finally:
        server.stop()
