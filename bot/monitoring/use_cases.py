"""What the monitoring package offers the channels: a provider's signed webhook request in,
checked, read and filed (or refused, storing nothing), in one transaction.

The order of the checks is deliberate: nothing of the body is parsed until its signature and
timestamp are good, so a stranger's request costs one HMAC and stores nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.monitoring.filing import AlertFiler, Filed, Replay
from bot.monitoring.mapping import MappingError, read_alert
from bot.monitoring.provider_alert import ProviderAlert, UnreadableAlert
from bot.monitoring.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_matches,
    timestamp_fresh,
)
from bot.school.config import SchoolConfig, SchoolConfigError
from bot.school.monitoring_settings import MonitoringProvider
from bot.settings import environment_secret

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Accepted",
    "EmailAlerts",
    "Refused",
    "Webhooks",
    "webhooks_for",
]

log = logging.getLogger(__name__)

Refusal = Literal[
    "unknown_provider", "bad_timestamp", "bad_signature", "bad_json", "bad_alert", "replay"
]


@dataclass(frozen=True)
class Accepted:
    reference: str
    count: int
    new: bool


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    problem: str = ""  # what the mapping could not read (bad_alert): names a field, no value


@dataclass(frozen=True)
class _Provider:
    settings: MonitoringProvider
    secret: str


@dataclass(frozen=True)
class Webhooks:
    filer: AlertFiler
    providers: Mapping[str, _Provider]
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    wake: Callable[[], None]  # the dispatcher: an alert was queued
    max_body_bytes: int
    max_age_seconds: int

    def knows(self, provider: str) -> bool:
        return provider in self.providers

    async def receive(
        self, provider: str, *, body: bytes, timestamp: str | None, signature: str | None
    ) -> Accepted | Refused:
        """Check, read and file one request's alert; a refusal stores nothing."""
        found = self.providers.get(provider)
        if found is None:
            return Refused("unknown_provider")
        now = self.clock()
        if not timestamp_fresh(timestamp, now=now, max_age_seconds=self.max_age_seconds):
            return Refused("bad_timestamp")
        assert timestamp is not None
        if not signature_matches(found.secret, timestamp.strip(), body, signature):
            return Refused("bad_signature")
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return Refused("bad_json")
        if not isinstance(document, dict):
            return Refused("bad_json")
        try:
            alert = read_alert(provider, found.settings, document, received_at=now)
        except MappingError as error:
            return Refused("bad_alert", str(error))
        async with self.sessions() as session, session.begin():
            outcome: Filed | Replay = await self.filer.file_provider_alert(
                session, alert=alert, now=now
            )
        if isinstance(outcome, Replay):
            return Refused("replay")
        if outcome.alerted:  # a repeat only counted queues nothing: no need to look
            self.wake()
        log.info(
            "monitoring alert from %s filed in %s (%d in it)",
            provider,
            outcome.reference,
            outcome.count,
        )
        return Accepted(outcome.reference, outcome.count, outcome.new)


def webhooks_for(
    school: SchoolConfig,
    *,
    school_file: Path,
    filer: AlertFiler,
    sessions: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime],
    wake: Callable[[], None],
) -> Webhooks:
    """The webhooks of the providers the school file names, each with its secret from the
    environment; a provider whose secret is not set stops the bot at start, naming it."""
    providers: dict[str, _Provider] = {}
    missing = []
    for name, settings in school.monitoring.providers.items():
        variable = settings.secret_variable(name)
        secret = environment_secret(variable)
        if secret is None:
            missing.append(
                f"monitoring: providers: {name}: its webhook secret is not set: set the "
                f"environment variable {variable}"
            )
            continue
        providers[name] = _Provider(settings, secret.get_secret_value())
    if missing:
        raise SchoolConfigError(school_file, missing)
    return Webhooks(
        filer=filer,
        providers=providers,
        sessions=sessions,
        clock=clock,
        wake=wake,
        max_body_bytes=school.monitoring.max_body_bytes,
        max_age_seconds=school.monitoring.max_age_seconds,
    )


@dataclass(frozen=True)
class EmailAlerts:
    """The provider's alert e-mails, as the SMTP receiver hands them on: each filed (or added
    to its group) in a transaction of its own, committed before `file` returns, so the relay is
    told 250 only for what is stored; an error raises (the relay is told 451 and tries again).
    The relay's resend of an e-mail already filed is a replay: stored once, still accepted."""

    filer: AlertFiler
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    wake: Callable[[], None]  # the dispatcher: an alert was queued

    async def file(self, alert: ProviderAlert | UnreadableAlert) -> None:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            if isinstance(alert, UnreadableAlert):
                outcome = await self.filer.file_unreadable(session, unreadable=alert, now=now)
            else:
                outcome = await self.filer.file_provider_alert(session, alert=alert, now=now)
        if isinstance(outcome, Replay):
            log.info("monitoring e-mail from %s already filed", outcome.provider)
            return
        if outcome.alerted:
            self.wake()
        log.info("monitoring e-mail filed in %s (%d in it)", outcome.reference, outcome.count)
