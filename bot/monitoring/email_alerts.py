"""A monitoring provider's alert e-mail -> a `ProviderAlert`, or an `UnreadableAlert` (its subject
only) when no template reads it. Pure: bytes in, a value out; nothing is fetched or stored.

A template (bot/school/monitoring_email_settings.py) recognises the provider by the From address
and the subject, then reads labelled lines ("Category: Suicide", or a table row "Category |
Suicide") from the text/plain part, or from the text of the HTML part with its tags stripped.
An e-mail the provider's template cannot read (no category, a level it does not know) is kept
as unreadable rather than guessed at: the DSL is told to check the provider's console.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.monitoring.email_dates import provider_time
from bot.monitoring.email_templates import BUILT_IN
from bot.monitoring.html_text import Link, html_text
from bot.monitoring.provider_alert import ProviderAlert, Severity, UnreadableAlert
from bot.school.monitoring_email_settings import AlertField, EmailTemplate

# Lengths kept of what the provider wrote: enough to read, never a whole page.
_SHORT = 200
_DESCRIPTION = 2000
# What a subject's named groups may fill, when the body does not.
_FROM_SUBJECT: tuple[AlertField, ...] = ("user", "category", "device")


@dataclass(frozen=True)
class _Text:
    lines: list[str]
    links: list[Link]


def templates_for(school_templates: Iterable[EmailTemplate]) -> tuple[EmailTemplate, ...]:
    """The school's templates first, then the built-in ones it did not replace (by name)."""
    own = tuple(school_templates)
    names = {template.name for template in own}
    return own + tuple(template for template in BUILT_IN if template.name not in names)


def read_alert(
    raw: bytes,
    *,
    templates: Sequence[EmailTemplate],
    tz: ZoneInfo,
    received_at: datetime,
) -> ProviderAlert | UnreadableAlert:
    """Read one e-mail as received (RFC 5322 bytes). `tz`: the school's, for a provider's time
    written without a zone; `received_at`: when it arrived (aware)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    subject = _header(message, "Subject")
    message_id = _header(message, "Message-ID") or "sha256:" + hashlib.sha256(raw).hexdigest()
    sender = parseaddr(_header(message, "From"))[1].lower()
    known = [t for t in templates if _from_provider(t, sender)]
    template = next((t for t in known if _subject_fits(t, subject)), None)
    alert = None
    if template is not None:
        sent = provider_time(_header(message, "Date"), tz) or received_at
        alert = _read(template, subject, message_id, _text_of(message), tz=tz, sent=sent)
    if alert is not None:
        return alert
    provider = template.name if template is not None else (known[0].name if known else None)
    return UnreadableAlert(
        provider=provider,
        message_id=message_id,
        subject=subject[:_SHORT],
        received_at=received_at,
    )


def _read(
    template: EmailTemplate,
    subject: str,
    message_id: str,
    text: _Text,
    *,
    tz: ZoneInfo,
    sent: datetime,
) -> ProviderAlert | None:
    found = _labelled(template, text.lines)
    match = re.search(template.subject, subject, re.IGNORECASE) if template.subject else None
    groups = match.groupdict() if match else {}
    for name in _FROM_SUBJECT:
        value = groups.get(name)
        if value and name not in found:
            found[name] = " ".join(value.split())
    category = found.get("category")
    if not category:
        return None
    provider_severity = found.get("severity") or ""
    severity = _severity(template, provider_severity, category)
    if severity is None:
        return None
    occurred = found.get("occurred_at")
    return ProviderAlert(
        provider=template.name,
        alert_id=(found.get("alert_id") or message_id)[:_SHORT],
        severity=severity,
        provider_severity=provider_severity[:_SHORT],  # "" when the provider names no level
        category=category[:_SHORT],
        user=_short(found.get("user")),
        device=_short(found.get("device")),
        occurred_at=(provider_time(occurred, tz) if occurred else None) or sent,
        description=_short(found.get("description"), _DESCRIPTION),
        console_url=_console_url(template, found.get("console_url"), text.links),
    )


def _labelled(template: EmailTemplate, lines: list[str]) -> dict[AlertField, str]:
    """The first value written after each field's label: on the label's line ("Label: value",
    "Label<tab>value") or, for a label alone on its line, the next line if that is no label."""
    patterns = {
        field: re.compile(
            r"^\s*(?:"
            + "|".join(re.escape(label) for label in labels)
            + r")\s*(?::|\t|-\s|$)(.*)$",
            re.IGNORECASE,
        )
        for field, labels in template.labels.items()
    }
    found: dict[AlertField, str] = {}
    for field, pattern in patterns.items():
        for index, line in enumerate(lines):
            matched = pattern.match(line)
            if matched is None:
                continue
            value = matched.group(1).strip(" \t:")
            after = lines[index + 1] if index + 1 < len(lines) else ""
            if not value and not any(other.match(after) for other in patterns.values()):
                value = after
            if value:
                found[field] = " ".join(value.split())
                break
    return found


def _severity(template: EmailTemplate, word: str, category: str) -> Severity | None:
    if _any_word(template.critical_categories, category):
        return Severity.CRITICAL
    key = word.strip().lower()
    level = template.severities.get(key)
    if level is None and key:
        # "Danger (red)", "Level: Critical": the provider's word within what it wrote.
        words = sorted(template.severities, key=len, reverse=True)
        level = next((template.severities[w] for w in words if _any_word((w,), key)), None)
    if level is None and not key:
        level = template.default_severity
    return None if level is None else Severity[level.upper()]


def _any_word(words: Iterable[str], text: str) -> bool:
    return any(re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE) for w in words if w)


def _console_url(template: EmailTemplate, labelled: str | None, links: list[Link]) -> str | None:
    candidates = [labelled or ""]
    if template.console_link_text:
        wanted = template.console_link_text.casefold()
        candidates += [link.href for link in links if wanted in link.text.casefold()]
    for candidate in candidates:
        url = candidate.strip()
        if urlsplit(url).scheme in ("http", "https") and len(url) <= _DESCRIPTION:
            return url
    return None


def _text_of(message: EmailMessage) -> _Text:
    """The text/plain part's lines (or else the HTML part's text), and the HTML part's links."""
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    read = html_text(_content(html)) if html is not None else None
    if plain is not None:
        lines = [line.strip() for line in _content(plain).splitlines()]
    else:
        lines = read.lines if read is not None else []
    return _Text([line for line in lines if line], read.links if read is not None else [])


def _content(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset, a broken transfer encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError):  # a header the parser cannot make sense of
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _from_provider(template: EmailTemplate, sender: str) -> bool:
    domain = "@" + sender.rsplit("@", 1)[-1]
    return any(sender == s or domain == s for s in template.senders)


def _subject_fits(template: EmailTemplate, subject: str) -> bool:
    return (
        template.subject is None or re.search(template.subject, subject, re.IGNORECASE) is not None
    )


def _short(value: str | None, length: int = _SHORT) -> str | None:
    return value[:length] if value else None
