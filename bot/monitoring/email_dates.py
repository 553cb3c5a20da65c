"""When a provider's e-mail says the alert happened, as an aware UTC datetime.

Providers write times many ways: ISO 8601, the e-mail Date header's form (RFC 5322), or a UK
style "05/12/2026 14:03". Day-first, since the school file's schools are in the UK; a time
without a zone is the school's local time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %I:%M:%S %p",
    "%d/%m/%Y %I:%M %p",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d %B %Y %H:%M:%S",
    "%d %B %Y %H:%M",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%B %d, %Y %I:%M %p",
    "%b %d, %Y %I:%M %p",
    "%H:%M %d/%m/%Y",
    "%H:%M:%S %d/%m/%Y",
)
_UTC_SUFFIX = re.compile(r"\s*(?:UTC|GMT|Z)$", re.IGNORECASE)
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+", re.IGNORECASE)


def provider_time(text: str, tz: ZoneInfo) -> datetime | None:
    """`text` as a moment (UTC), or None when it is not a time the bot can read."""
    text = " ".join(text.split())
    if not text:
        return None
    moment = _iso(text) or _rfc5322(text) or _written(text, tz)
    return None if moment is None else moment.astimezone(UTC)


def _iso(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _rfc5322(text: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


def _written(text: str, tz: ZoneInfo) -> datetime | None:
    bare = _WEEKDAY.sub("", text)
    zone = ZoneInfo("UTC") if _UTC_SUFFIX.search(bare) else tz
    bare = _UTC_SUFFIX.sub("", bare)
    for form in _FORMATS:
        try:
            return datetime.strptime(bare, form).replace(tzinfo=zone)
        except ValueError:
            continue
    try:  # ISO without a zone: local
        return datetime.fromisoformat(bare).replace(tzinfo=zone)
    except ValueError:
        return None
