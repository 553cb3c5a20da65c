"""The school file's `monitoring:` section: the monitoring providers that send the bot their
alerts by signed webhook (bot/monitoring), and how to read each one's JSON; with its parts for
the providers' alert e-mails (`email:`, bot/school/monitoring_email_settings.py) and the ICT
lead's regular checks (`checks:`, bot/school/check_settings.py).

Each provider's shared secret is an environment variable, named here (`secret_env`), never the
secret itself: the school file is often kept in a repository or shown to others.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.school.check_settings import CheckSettings
from bot.school.monitoring_email_settings import MonitoringEmail

SeverityName = Literal["low", "medium", "high", "critical"]
# "$.field" or "$.nested.field" or "$.list.0.field": the small part of JSONPath a mapping needs.
JsonPath = Annotated[str, Field(pattern=r"^\$(\.[A-Za-z0-9_\-]+)+$", max_length=200)]
ProviderName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
EnvName = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]{0,99}$")]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class AlertMapping(_Model):
    """Where each part of an alert is in the provider's JSON. `id` and `severity` are needed;
    the rest is read when present."""

    id: JsonPath
    severity: JsonPath
    category: JsonPath | None = None
    user: JsonPath | None = None
    device: JsonPath | None = None
    time: JsonPath | None = None  # ISO 8601, or seconds since 1970
    description: JsonPath | None = None
    console_url: JsonPath | None = None


class MonitoringProvider(_Model):
    """One provider that calls the bot's webhook, POST /api/monitoring/<name>."""

    mapping: AlertMapping
    # The provider's own words (or numbers, as text) for each level -> the bot's scale; the
    # provider's highest level should map to critical, which files the report as urgent. A
    # level not listed is read as high, so an unknown word is never taken lightly.
    severity_map: dict[str, SeverityName]
    # The environment variable holding the shared secret (default MONITORING_<NAME>_SECRET).
    secret_env: EnvName | None = None

    @field_validator("severity_map")
    @classmethod
    def _some_levels(cls, value: dict[str, SeverityName]) -> dict[str, SeverityName]:
        if not value:
            raise ValueError("name at least one of the provider's levels")
        return {key.strip().casefold(): level for key, level in value.items()}

    def secret_variable(self, name: str) -> str:
        return self.secret_env or f"MONITORING_{name.upper().replace('-', '_')}_SECRET"


class MonitoringDigest(_Model):
    """Alerts graded below `below` are filed and counted but not sent to the team one by one:
    the team gets one digest of them a week, on `weekday` at `at` (school time)."""

    below: SeverityName = "medium"  # the default digests the provider's lowest level only
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    at: time = time(8, 0)


class Monitoring(_Model):
    checks: CheckSettings = CheckSettings()
    # None (the default): every alert alerts the team at once, whatever its grade.
    digest: MonitoringDigest | None = None
    email: MonitoringEmail | None = None  # none unless the school sets where
    providers: dict[ProviderName, MonitoringProvider] = {}
    # A webhook body larger than this is refused unread (413).
    max_body_bytes: Annotated[int, Field(ge=1024, le=1024 * 1024)] = 64 * 1024
    # A signed request older (or further ahead) than this is refused as a possible replay.
    max_age_seconds: Annotated[int, Field(ge=30, le=3600)] = 300
