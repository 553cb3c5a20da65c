"""Per-person alert rules: a second way to reach someone when an alert waits.

The chat platforms carry every alert at once. A person in the school file may add rules such as
"if not acknowledged in 3 minutes, also e-mail me" or "after 10 minutes, a text message": each
rule is one channel (`email`, or `sms` where the school configures a provider) and a delay. The
rules only add channels for the people an alert is already for; they never add people.

The e-mail goes through the school's own SMTP server (`alert_email:`), the text message through
the school's SMS provider (`alert_sms:`); their secrets are environment variables
(SMTP_PASSWORD, NOTIFY_API_KEY), never the file. Neither carries anything of the report.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.school.contacts import checked_email, quoted_phone
from bot.school.loading import FieldProblem

if TYPE_CHECKING:
    from bot.school.config import SchoolConfig

RuleChannel = Literal["email", "sms"]
# Digits, spaces and ( ) - as people write numbers; an optional + for international.
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{6,22}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class AlertRule(_Model):
    """One more channel for one person, `after_minutes` after their alert if still not
    acknowledged. `to`: for e-mail another address (their school address if left out); for a
    text message the mobile number, in quotes."""

    channel: RuleChannel
    after_minutes: Annotated[float, Field(ge=0, le=24 * 60)]
    to: str | None = None

    @field_validator("to", mode="before")
    @classmethod
    def _phone_is_text(cls, value: object) -> object:
        return quoted_phone(value)

    @field_validator("to")
    @classmethod
    def _email_address(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("channel") == "email":
            return checked_email(value)
        return value

    @model_validator(mode="after")
    def _sms_has_a_number(self) -> Self:
        if self.channel != "sms":
            return self
        if not self.to:
            raise FieldProblem(
                ("to",), 'a text message needs the mobile number, e.g. to: "07700 900123"'
            )
        if not _PHONE.fullmatch(self.to):
            raise FieldProblem(
                ("to",), f"{self.to!r} does not look like a phone number (07700 900123)"
            )
        return self

    @property
    def after(self) -> timedelta:
        return timedelta(minutes=self.after_minutes)


def one_rule_per_channel(rules: tuple[AlertRule, ...]) -> tuple[AlertRule, ...]:
    """A person's rules, refused when two are for one channel (which would be meant?)."""
    first: dict[str, int] = {}
    for index, rule in enumerate(rules):
        if rule.channel in first:
            raise FieldProblem(
                (index, "channel"),
                f"alert_rules[{first[rule.channel]}] is already for {rule.channel}; "
                "give each channel one rule",
            )
        first[rule.channel] = index
    return rules


AlertRules = Annotated[tuple[AlertRule, ...], AfterValidator(one_rule_per_channel)]


def https_link(value: str | None) -> str | None:
    if value is not None and not value.startswith("https://"):
        raise ValueError(f"{value!r} must be an https:// address")
    return value


class AlertEmail(_Model):
    """The school's SMTP server, which the alert e-mails go through."""

    host: Annotated[str, Field(min_length=1)]
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    # starttls: plain connection upgraded (port 587); tls: TLS from the start (port 465);
    # none: no encryption (a relay on the school's own network only).
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None  # the password is the SMTP_PASSWORD environment variable
    from_address: str
    # Where the bot is, for the e-mail's link (the web chat, or the Teams/Slack app's page);
    # without it the e-mail says to open the bot in Teams or Slack.
    bot_link: str | None = None
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10
    # A school's own relay may have a certificate from the school's own authority: its
    # certificate (PEM) to trust (instead of the public authorities), to check the server by.
    ca_file: Path | None = None

    @field_validator("ca_file")
    @classmethod
    def _ca_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{str(value)!r} is not a file; give the certificate's path")
        return value

    @field_validator("from_address")
    @classmethod
    def _check_from(cls, value: str) -> str:
        return checked_email(value)

    @field_validator("bot_link")
    @classmethod
    def _check_link(cls, value: str | None) -> str | None:
        return https_link(value)


class AlertSms(_Model):
    """The school's SMS provider. GOV.UK Notify (its API key is the NOTIFY_API_KEY environment
    variable) sends a text template, which the school makes in Notify with the body
    ((message)); the bot fills it in."""

    provider: Literal["govuk_notify"] = "govuk_notify"
    template_id: str
    base_url: str = "https://api.notifications.service.gov.uk"
    bot_link: str | None = None  # as alert_email's, for the text (short is best)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        local = parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}
        if parts.scheme != "https" and not local:  # the token must not cross a network in clear
            raise ValueError(f"{value!r} must be an https:// address")
        return value

    @field_validator("bot_link")
    @classmethod
    def _check_link(cls, value: str | None) -> str | None:
        return https_link(value)

    @field_validator("template_id")
    @classmethod
    def _check_template(cls, value: str) -> str:
        if not _UUID.fullmatch(value.lower()):
            raise ValueError(
                f"{value!r} is not a Notify template ID (copy it from the template's page: "
                "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
            )
        return value.lower()


def check_alert_rules(school: SchoolConfig) -> None:
    """Every rule's channel is configured: an e-mail rule needs `alert_email:`, a text message
    rule `alert_sms:`."""
    needs = {"email": ("alert_email", school.alert_email), "sms": ("alert_sms", school.alert_sms)}
    for index, person in enumerate(school.people):
        for number, rule in enumerate(person.alert_rules):
            section, configured = needs[rule.channel]
            if configured is None:
                raise FieldProblem(
                    ("people", index, "alert_rules", number, "channel"),
                    f"{rule.channel} needs the school's {section}: section; add it, or remove "
                    "this rule",
                )
