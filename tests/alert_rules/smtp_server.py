"""A real SMTP server on loopback (aiosmtpd), which keeps what it accepts and refuses on cue.

aiosmtpd is an independent implementation of the protocol (RFC 5321): the bot's client talks
to it as it would to a school's server. A refusal is a reply code at the stage a server gives
it: 550 at RCPT (the recipient is refused outright, as a relay rule does), 451 at DATA (try
again later, as greylisting or a full queue does).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

REPLIES = {
    ("rcpt", 550): "550 5.7.1 Relaying denied",
    ("data", 451): "451 4.3.0 Temporary failure, try again later",
    ("data", 554): "554 5.6.0 Message refused",
}


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def text(self) -> str:
        """Every header and the decoded body, for checking what the message says."""
        message = self.message
        body = message.get_body(preferencelist=("plain",))
        content = body.get_content() if body is not None else ""
        headers = "\n".join(f"{k}: {v}" for k, v in message.items())
        return f"{headers}\n\n{content}"


@dataclass
class Inbox:
    """The server's handler: the messages accepted, and the refusals still to give, in order."""

    received: list[Received] = field(default_factory=list)
    refusals: list[tuple[str, int]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _refusal(self, stage: str) -> str | None:
        with self._lock:
            if self.refusals and self.refusals[0][0] == stage:
                code = self.refusals.pop(0)
                self.refused.append(code[1])
                return REPLIES[code]
        return None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self._refusal("rcpt")
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        refusal = self._refusal("data")
        if refusal is not None:
            return refusal
        raw = envelope.original_content or envelope.content
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw))
        return "250 2.0.0 Message accepted for delivery"


class _TlsFromTheStart(SMTP):
    """aiosmtpd counts a connection as encrypted only once it ran STARTTLS itself, so on one
    that is TLS from the start (port 465) it would refuse the login: it is encrypted, so the
    login is allowed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._auth_require_tls = False


class _Controller(Controller):
    def factory(self) -> SMTP:
        if self.ssl_context is not None:
            return _TlsFromTheStart(self.handler, **self.SMTP_kwargs)
        return super().factory()


class SmtpServer:
    """aiosmtpd's Controller (its own thread and event loop) on 127.0.0.1:`port`; `options`
    go to it (ssl_context: TLS from the start; tls_context and require_starttls: STARTTLS;
    authenticator and auth_required: a login)."""

    def __init__(self, port: int, inbox: Inbox | None = None, **options: Any) -> None:
        self.port = port
        self.inbox = inbox or Inbox()
        self.options = options
        self._controller: _Controller | None = None

    def start(self) -> None:
        self._controller = _Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=self.port,
            ready_timeout=30,  # a loaded machine may take longer than the default second
            **self.options,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
