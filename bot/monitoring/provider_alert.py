"""One alert from a school's monitoring provider, as the bot reads it, whichever way it came in
(a signed webhook, or the provider's e-mail). Both ways in produce a `ProviderAlert` (or an
`UnreadableAlert` for an e-mail the bot could not read), and one use case files it.

Only what identifies and grades the alert is kept: never the provider's screenshot or capture,
which stays in the provider's console (`console_url` points there, shown defanged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum


class Severity(IntEnum):
    """The provider's grading, on one scale. A provider's highest level maps to CRITICAL, which
    files the report as urgent; each provider mapping says how its own levels map."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


@dataclass(frozen=True)
class ProviderAlert:
    """An alert read from a provider.

    Attributes:
        provider: the school file's name for the provider ("smoothwall", "senso", or a generic
            mapping's name).
        alert_id: the provider's own id for the alert (replay protection and grouping read it);
            for an e-mail without one, the Message-ID.
        severity: on the bot's scale (above).
        provider_severity: the provider's own word for it, shown to the DSL as the provider said.
        category: the provider's category ("self-harm", "adult content"), as it says it.
        user: the account the provider saw (a pupil's login: personal data, stored encrypted).
        device: the device or machine name, if given.
        occurred_at: when the provider says it happened (aware datetime, UTC).
        description: the provider's short text about what was captured (encrypted; never an
            image).
        console_url: where the DSL reads the capture in the provider's console (shown defanged,
            never fetched).
    """

    provider: str
    alert_id: str
    severity: Severity
    provider_severity: str
    category: str
    user: str | None
    device: str | None
    occurred_at: datetime
    description: str | None = None
    console_url: str | None = None


@dataclass(frozen=True)
class UnreadableAlert:
    """An e-mail from a provider the bot could not read: kept (subject only, encrypted) as a
    report flagged "could not read: please check the provider's console"."""

    provider: str | None
    message_id: str
    subject: str
    received_at: datetime
