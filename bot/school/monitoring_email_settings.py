"""The school file's `monitoring: email:` section: how the monitoring provider's alert e-mails
reach the bot (bot/channels/monitoring_email/) and how each provider's e-mail is read
(bot/monitoring/email_alerts.py).

The bot receives the e-mails by SMTP, behind the school's own mail relay: the relay forwards
what comes to a dedicated address (alerts@...) to the bot's port. Only the addresses named in
`recipients` are accepted, only from the relays named in `allowed_relays` (when given), and
nothing larger than `max_message_bytes`.

A template says how one provider's e-mail is recognised (its sender, its subject) and read
(labelled lines such as "Category: Suicide"). The built-in ones are in
bot/monitoring/email_templates.py; one here with the same name replaces it.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.school.contacts import checked_email
from bot.school.loading import FieldProblem

SeverityName = Literal["low", "medium", "high", "critical"]
# What a labelled line can fill in the alert (bot/monitoring/provider_alert.py names them).
AlertField = Literal[
    "alert_id",
    "severity",
    "category",
    "user",
    "device",
    "occurred_at",
    "description",
    "console_url",
]
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class EmailTemplate(_Model):
    """How to recognise and read one provider's alert e-mail.

    Attributes:
        name: the provider's name in the bot ("linewize"), lower case.
        senders: whose e-mail it is: whole addresses (redflag@linewize.com) or a domain with
            its @ (@senso.cloud); the From address must be one of them.
        subject: a regular expression the subject must contain (searched, case-insensitive);
            named groups (?P<user>...), (?P<category>...) fill those fields when the body
            does not.
        labels: for each field, the labels the provider writes before it ("Category:").
        severities: the provider's own words for its levels -> the bot's level; the
            provider's highest level should be critical (an urgent report).
        default_severity: for a provider whose e-mail names no level.
        critical_categories: categories that are critical whatever the level (for a
            provider with one level only: Linewize's red flags), matched as words.
        console_link_text: the text of the link to the alert in the provider's console
            ("View in School Manager"); the link is kept as text, never opened.
    """

    name: str
    senders: Annotated[tuple[str, ...], Field(min_length=1)]
    subject: str | None = None
    labels: dict[AlertField, tuple[str, ...]] = {}
    severities: dict[str, SeverityName] = {}
    default_severity: SeverityName | None = None
    critical_categories: tuple[str, ...] = ()
    console_link_text: str | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(f"{value!r}: use lower-case letters, digits, - or _ (e.g. senso)")
        return value

    @field_validator("senders")
    @classmethod
    def _check_senders(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        checked = []
        for sender in value:
            if sender.startswith("@"):
                try:
                    checked.append("@" + checked_email("x" + sender).split("@", 1)[1])
                except ValueError:
                    raise ValueError(
                        f"{sender!r} does not look like a domain with its @ (@example.org)"
                    ) from None
            else:
                checked.append(checked_email(sender))
        return tuple(checked)

    @field_validator("subject")
    @classmethod
    def _check_subject(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"{value!r} is not a regular expression: {error}") from None
        return value

    @field_validator("severities")
    @classmethod
    def _lower_words(cls, value: dict[str, SeverityName]) -> dict[str, SeverityName]:
        return {word.strip().lower(): level for word, level in value.items()}

    @model_validator(mode="after")
    def _some_severity(self) -> Self:
        if self.default_severity is None and not (self.severities and "severity" in self.labels):
            raise FieldProblem(
                ("severities",),
                "say how the provider's levels map (labels.severity and severities), or give "
                "default_severity for a provider whose e-mail names no level",
            )
        if "category" not in self.labels and not (self.subject and "(?P<category>" in self.subject):
            raise FieldProblem(
                ("labels",), "say where the category is: labels.category, e.g. [Category]"
            )
        return self


class ReceiverTls(_Model):
    """STARTTLS (RFC 3207): the receiver's certificate (with its chain) and key, PEM files. With
    them the receiver offers STARTTLS and accepts mail only after it."""

    cert_file: Path
    key_file: Path

    @field_validator("cert_file", "key_file")
    @classmethod
    def _exists(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError(f"{str(value)!r} is not a file; give the PEM file's path")
        return value


class MonitoringEmail(_Model):
    """Receiving the provider's alert e-mails by SMTP (docs/monitoring-email.md)."""

    # The relay reaches the bot here; 0.0.0.0 listens on every interface.
    listen_host: str = "127.0.0.1"
    listen_port: Annotated[int, Field(ge=1, le=65535)] = 2525
    # The addresses the relay forwards to the bot; anything else is refused (550).
    recipients: Annotated[tuple[str, ...], Field(min_length=1)]
    # The mail relays that may connect (addresses or networks); empty: any that reaches the port.
    allowed_relays: tuple[IPv4Network | IPv6Network, ...] = ()
    # Larger messages are refused (552): an alert is text, and captures stay with the provider.
    max_message_bytes: Annotated[int, Field(ge=10_000, le=50_000_000)] = 2_000_000
    templates: tuple[EmailTemplate, ...] = ()
    # For a relay that sends only encrypted (a connector set to always use TLS, for one).
    tls: ReceiverTls | None = None

    @field_validator("recipients")
    @classmethod
    def _check_recipients(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(checked_email(address) for address in value)

    @field_validator("allowed_relays", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if not isinstance(value, list | tuple):
            return value
        networks = []
        for item in value:
            try:
                networks.append(ip_network(str(item), strict=False))
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (192.0.2.25, 192.0.2.0/24)"
                ) from None
        return tuple(networks)

    @field_validator("templates")
    @classmethod
    def _one_per_name(cls, value: tuple[EmailTemplate, ...]) -> tuple[EmailTemplate, ...]:
        seen: set[str] = set()
        for index, template in enumerate(value):
            if template.name in seen:
                raise FieldProblem((index, "name"), f"{template.name!r} is already used above")
            seen.add(template.name)
        return value
