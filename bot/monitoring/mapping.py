"""Reading a provider's JSON alert with the school file's mapping (`monitoring: providers:`).

A mapping names, for each part of a `ProviderAlert`, where it is in the provider's JSON
("$.alert.severity"). Values are read as the provider sent them and never followed: a URL is
kept as text (shown defanged), an image or capture is never fetched.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.monitoring.provider_alert import ProviderAlert, Severity
from bot.school.monitoring_settings import MonitoringProvider
from dialogs.text import clean_typed_text

# How much of each text is kept: enough for the DSL to know what happened, no more.
_LIMITS = {"alert_id": 200, "category": 40, "user": 200, "device": 200, "description": 2000}
_URL_LIMIT = 2000


class MappingError(ValueError):
    """The alert lacks something the mapping needs, or has it in a shape it cannot read."""


def read_alert(
    name: str, provider: MonitoringProvider, document: Any, *, received_at: datetime
) -> ProviderAlert:
    """The alert in `document` (the provider's parsed JSON), read by `provider`'s mapping."""
    if not isinstance(document, dict):
        raise MappingError("the body is not a JSON object")
    mapping = provider.mapping
    alert_id = _text(document, mapping.id, "id", required=True)
    said = _text(document, mapping.severity, "severity", required=True)
    assert alert_id is not None
    assert said is not None
    level = provider.severity_map.get(said.casefold(), "high")
    return ProviderAlert(
        provider=name,
        alert_id=alert_id[: _LIMITS["alert_id"]],
        severity=Severity[level.upper()],
        provider_severity=said[:40],
        category=(_text(document, mapping.category, "category") or "")[: _LIMITS["category"]],
        user=_cut(_text(document, mapping.user, "user"), "user"),
        device=_cut(_text(document, mapping.device, "device"), "device"),
        occurred_at=_moment(document, mapping.time) or received_at,
        description=_cut(_text(document, mapping.description, "description"), "description"),
        console_url=_url(_text(document, mapping.console_url, "console_url")),
    )


def _find(document: Any, path: str) -> Any:
    """The value at `path` ("$.a.b.0"), or None when any step is missing."""
    value = document
    for step in path[2:].split("."):
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def _text(document: Any, path: str | None, what: str, *, required: bool = False) -> str | None:
    value = None if path is None else _find(document, path)
    if isinstance(value, bool | dict | list):
        raise MappingError(f"{what} at {path} is not a text or a number")
    text = None if value is None else clean_typed_text(str(value))
    if required and not text:
        raise MappingError(f"{what} is missing (expected at {path})")
    return text or None


def _cut(text: str | None, what: str) -> str | None:
    return None if text is None else text[: _LIMITS[what]]


def _url(text: str | None) -> str | None:
    if text is None:
        return None
    if not text.lower().startswith(("https://", "http://")) or len(text) > _URL_LIMIT:
        raise MappingError("console_url is not an http(s) address")
    return text


def _moment(document: Any, path: str | None) -> datetime | None:
    value = None if path is None else _find(document, path)
    if value is None:
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = value / 1000 if value > 10**11 else value  # milliseconds, as some send
            return datetime.fromtimestamp(seconds, UTC)
        if isinstance(value, str):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise MappingError(f"time at {path} is not an ISO 8601 date and time or a number")
