"""Saying why a report is urgent, from the reason codes its flow gave."""

from __future__ import annotations

from collections.abc import Iterable

from bot.words import strings
from storage.models import Report


def reason_label(code: str) -> str:
    """The words for one reason; a school's own code reads as written, without underscores."""
    return strings.URGENT_REASONS.get(code, code.replace("_", " "))


def reasons_text(codes: Iterable[str]) -> str:
    return "; ".join(reason_label(code) for code in codes)


def urgency_label(report: Report) -> str:
    """The Urgency line of a card or record: urgent and why, or not urgent."""
    if not report.urgent:
        return strings.NORMAL_LABEL
    if not report.urgent_reasons:  # urgent before reasons were recorded
        return strings.URGENT_LABEL
    return strings.URGENT_BECAUSE.format(reasons=reasons_text(report.urgent_reasons))


def title_prefix(report: Report) -> str:
    """What a card's title starts with: the first reason, and how many more (titles are short)."""
    if not report.urgent:
        return ""
    reasons = report.urgent_reasons or []
    if not reasons:
        return "URGENT: "
    reason = reason_label(reasons[0])
    if len(reasons) > 1:
        reason = strings.URGENT_TITLE_MORE.format(reason=reason, n=len(reasons) - 1)
    return strings.URGENT_TITLE.format(reason=reason)
