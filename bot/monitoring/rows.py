"""A monitoring alert's report as it is read: rows of label and answer, as a flow's answers are
kept, so the card, "view", the record and the export show it like every other report.

The console link is kept as the provider sent it and shown defanged wherever it is read
(bot/reports/service.read_answers): the bot never fetches it, nor any capture it leads to.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.monitoring.provider_alert import ProviderAlert, UnreadableAlert
from bot.reports.service import AnswerRow
from bot.words import strings
from dialogs.datetimes import format_moment


def _row(step: str, label: str, answer: str) -> AnswerRow:
    return AnswerRow(step=step, question=label, label=label, answer=answer)


def alert_rows(alert: ProviderAlert, tz: ZoneInfo) -> list[AnswerRow]:
    """The rows of a provider's alert; its time in the school's time zone."""
    given = strings.MONITORING_NOT_GIVEN
    rows = [
        _row("provider", strings.MONITORING_PROVIDER, alert.provider),
        _row("severity", strings.MONITORING_SEVERITY, alert.provider_severity or given),
        _row("category", strings.MONITORING_CATEGORY, alert.category or given),
        _row("user", strings.MONITORING_USER, alert.user or given),
        _row("device", strings.MONITORING_DEVICE, alert.device or given),
        _row("occurred_at", strings.MONITORING_WHEN, format_moment(alert.occurred_at, tz)),
    ]
    if alert.description:
        rows.append(_row("description", strings.MONITORING_DESCRIPTION, alert.description))
    if alert.console_url:
        rows.append(_row("console_url", strings.MONITORING_CONSOLE, alert.console_url))
    return rows


def unreadable_rows(unreadable: UnreadableAlert) -> list[AnswerRow]:
    return [
        _row("provider", strings.MONITORING_PROVIDER, unreadable.provider or strings.SOMEONE),
        _row("subject", strings.MONITORING_SUBJECT, unreadable.subject),
        _row("unreadable", strings.MONITORING_UNREADABLE_LABEL, strings.MONITORING_UNREADABLE),
    ]
