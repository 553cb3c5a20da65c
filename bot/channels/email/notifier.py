"""Sending a follow-up by e-mail, through the school's SMTP server (`alert_email:`).

Every failure is left to the outbox to retry: a server that is not listening, one that refuses
for now (4xx) and one that refuses outright (5xx: a full mailbox, a relay rule the school has
yet to fix) alike, as the follow-up matters more than a wasted attempt. Nothing is counted as
sent until the server has accepted the message for its one recipient.

SMTP has no way to ask what was sent before: a row whose earlier attempt may have arrived
(`look_since`) is sent again, and a second copy of a message that says only "an alert is
waiting" is the lesser harm.
"""

from __future__ import annotations

import logging

import aiosmtplib

from bot.channels.email.message import alert_email
from bot.delivery.messages import Card
from bot.delivery.notifier import Delivery, RetryLater
from bot.school.alert_rules import AlertEmail
from bot.school.config import SchoolConfig

log = logging.getLogger(__name__)


class EmailNotifier:
    """The `email` channel of the outbox: the follow-up rows of people with an e-mail rule."""

    channel = "email"

    def __init__(self, *, school: SchoolConfig, server: AlertEmail, password: str | None) -> None:
        self.school = school
        self.server = server
        self._password = password

    def address_of(self, email: str) -> str:
        """Where this person's alert e-mails go: their rule's address, or their school one."""
        person = self.school.person(email)
        rule = person.alert_rule(self.channel) if person is not None else None
        if person is None or rule is None:
            raise RetryLater("no e-mail rule for this person in the school file")
        return rule.to or person.email

    async def deliver(self, delivery: Delivery) -> str | None:
        cards = [m for m in delivery.messages if isinstance(m, Card)]
        if len(cards) != 1:  # only a follow-up's card is ever e-mailed
            raise RetryLater(f"an e-mail carries one follow-up card, not {len(cards)}")
        to = self.address_of(delivery.recipient_email)
        server = self.server
        message = alert_email(cards[0], to=to, sender=server.from_address, bot_link=server.bot_link)
        try:
            refused, _reply = await aiosmtplib.send(
                message,
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=self._password if server.username else None,
                use_tls=server.security == "tls",
                start_tls=server.security == "starttls",
                timeout=server.timeout_seconds,
                cert_bundle=str(server.ca_file) if server.ca_file else None,
            )
        except aiosmtplib.SMTPRecipientsRefused as refusal:
            codes = ", ".join(str(r.code) for r in refusal.recipients)
            raise RetryLater(f"the SMTP server refused the recipient ({codes})") from None
        except aiosmtplib.SMTPResponseException as refusal:
            raise RetryLater(f"the SMTP server refused it ({refusal.code})") from None
        except (OSError, aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError) as failure:
            why = f"the SMTP server could not be reached ({type(failure).__name__})"
            raise RetryLater(why) from None
        except aiosmtplib.SMTPException as failure:  # e.g. no login offered before STARTTLS
            why = f"the SMTP server did not take it ({failure.message[:80]})"
            raise RetryLater(why) from None
        if refused:
            codes = ", ".join(str(r.code) for r in refused.values())
            raise RetryLater(f"the SMTP server refused the recipient ({codes})")
        return str(message["Message-ID"])
