"""Receiving the monitoring provider's alert e-mails by SMTP, behind the school's mail relay.

Why SMTP and not a mailbox read by IMAP: the school's relay already knows how to hand mail on
(a transport or redirect rule for one address), and SMTP gives the relay a receipt. The bot says
250 only once the alert is filed (the sink returned), and 451 when filing failed, so the relay
keeps the e-mail and tries again: nothing is lost and no mailbox with pupils' data sits
anywhere, with no password for the bot to hold and no polling. IMAP would need a mailbox, its
credentials, a poll or IDLE loop, and the bot's own record of what it had read.

aiosmtpd (an independent implementation of RFC 5321) speaks the protocol; it runs on the bot's
own event loop, so the sink (the filing use case) runs where the database is. What the bot
refuses, and how:
- a recipient not in `recipients`: 550 5.1.1 at RCPT (the relay should send nothing else);
- a relay not in `allowed_relays` (when given): 550 5.7.1 at MAIL;
- a message over `max_message_bytes`: 552, from aiosmtpd (at MAIL for a declared SIZE, or
  during DATA);
- the sink failed: 451 4.3.0, so the relay retries;
- with `tls` configured, mail before STARTTLS: 530, from aiosmtpd (RFC 3207).
Nothing an e-mail links to or shows (images, style sheets, the console link) is ever fetched.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime
from ipaddress import ip_address
from typing import Any
from zoneinfo import ZoneInfo

from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.monitoring.email_alerts import read_alert, templates_for
from bot.monitoring.provider_alert import ProviderAlert, UnreadableAlert
from bot.school.monitoring_email_settings import MonitoringEmail

log = logging.getLogger(__name__)
# aiosmtpd logs every line of DATA at debug level: a pupil's search terms would reach the log.
logging.getLogger("mail.log").setLevel(logging.WARNING)

AlertSink = Callable[[ProviderAlert | UnreadableAlert], Awaitable[None]]
Clock = Callable[[], datetime]

ACCEPTED = "250 2.0.0 Alert received"
TRY_AGAIN = "451 4.3.0 Could not file the alert now, try again later"
UNKNOWN_RECIPIENT = "550 5.1.1 No such recipient here"
RELAY_REFUSED = "550 5.7.1 Not accepted from this host"


class AlertHandler:
    """aiosmtpd's handler: checks the relay and the recipients, reads each message, and hands
    the alert to `sink`, answering only once the sink has returned."""

    def __init__(
        self, settings: MonitoringEmail, *, sink: AlertSink, tz: ZoneInfo, clock: Clock
    ) -> None:
        self._settings = settings
        self._recipients = frozenset(settings.recipients)
        self._templates = templates_for(settings.templates)
        self._sink = sink
        self._tz = tz
        self._clock = clock

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if not self._relay_allowed(session.peer):
            log.warning("monitoring e-mail refused: a connection from a host not allowed")
            return RELAY_REFUSED
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.strip().lower() not in self._recipients:
            return UNKNOWN_RECIPIENT
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        alert = read_alert(raw, templates=self._templates, tz=self._tz, received_at=self._clock())
        try:
            await self._sink(alert)
        except Exception as error:
            # The relay keeps the e-mail and sends it again; what failed, never what it said.
            log.error(
                "monitoring e-mail not filed (%s); asked the relay to retry", type(error).__name__
            )
            return TRY_AGAIN
        log.info(
            "monitoring e-mail filed: provider=%s readable=%s",
            alert.provider,
            isinstance(alert, ProviderAlert),
        )
        return ACCEPTED

    def _relay_allowed(self, peer: Any) -> bool:
        networks = self._settings.allowed_relays
        if not networks:
            return True
        try:
            address = ip_address(peer[0])
        except (TypeError, ValueError, IndexError):
            return False
        return any(address in network for network in networks)


class MonitoringEmailReceiver:
    """The SMTP server on the bot's event loop, at the school file's listen_host:listen_port."""

    def __init__(
        self, settings: MonitoringEmail, *, sink: AlertSink, tz: ZoneInfo, clock: Clock
    ) -> None:
        self._settings = settings
        self.handler = AlertHandler(settings, sink=sink, tz=tz, clock=clock)
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()
        self._tls: ssl.SSLContext | None = None
        if settings.tls is not None:  # read at start-up: a bad key stops the bot, not a relay
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls.load_cert_chain(settings.tls.cert_file, settings.tls.key_file)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, self._settings.listen_host, self._settings.listen_port
        )
        log.info(
            "receiving monitoring alert e-mails on %s:%s",
            self._settings.listen_host,
            self._settings.listen_port,
        )

    @property
    def port(self) -> int:
        """The port it listens on (once started)."""
        if self._server is None:
            raise RuntimeError("the receiver is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            # From Python 3.12, wait_closed waits for every connection: a relay keeping one
            # open would hold the bot's shutdown, so they are closed too.
            for session in list(self._sessions):
                if session.transport is not None:
                    session.transport.close()
            await self._server.wait_closed()
            self._server = None

    def _protocol(self) -> SMTP:
        session = SMTP(
            self.handler,
            data_size_limit=self._settings.max_message_bytes,
            hostname="online-safety-bot",
            ident="online-safety-bot monitoring alerts",
            timeout=120,  # a relay that stops talking mid-message is dropped
            tls_context=self._tls,
            require_starttls=self._tls is not None,
            loop=asyncio.get_running_loop(),
        )
        self._sessions.add(session)
        return session
