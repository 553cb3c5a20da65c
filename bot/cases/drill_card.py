"""A drill's card, on every channel and at every level: marked DRILL_MARK in its title and its
text, carrying nothing of any report, and only the Acknowledge button the real alert has (a
drill has nothing to view, note or close)."""

from __future__ import annotations

from datetime import datetime

from bot.delivery.messages import Card, CardField, Option
from bot.school.config import SchoolConfig
from bot.words import strings
from dialogs.datetimes import format_moment
from storage.models import Report

SCHEDULER = "scheduler"  # the `started_by` of a drill the termly schedule sent


def drill_card(school: SchoolConfig, report: Report, *, level: int = 0) -> Card:
    """The drill's alert (level 0), reminder (`level` > 0) or updated card."""
    reference = report.reference or ""
    texts = [strings.DRILL_TEXT]
    if level > 0 and report.case_status == "open":
        texts.append(strings.DRILL_REMINDER.format(n=level))
    fields = (
        CardField(strings.CARD_REFERENCE, reference),
        CardField(strings.DRILL_STARTED_BY, started_by_name(school, report.reporter_email)),
        CardField(strings.DRILL_SENT_AT, when(school, report.alerted_at or report.created_at)),
        CardField(strings.DRILL_STATUS, status(school, report)),
    )
    actions: tuple[Option, ...] = ()
    if report.case_status == "open":
        actions = (Option(f"case:ack:{report.id}", strings.CASE_ACKNOWLEDGE, "primary"),)
    return Card(
        card_id=f"case-{report.id}",
        title=strings.DRILL_TITLE.format(reference=reference),
        tone="warning",
        text="\n\n".join(texts),
        fields=fields,
        actions=actions,
        footer=strings.DRILL_MARK,
    )


def status(school: SchoolConfig, report: Report) -> str:
    if report.case_status == "open":
        return strings.DRILL_WAITING
    who = name(school, report.acknowledged_by)
    return strings.DRILL_ACKNOWLEDGED_BY_ON.format(
        who=who, when=when(school, report.acknowledged_at)
    )


def started_by_name(school: SchoolConfig, email: str) -> str:
    return strings.DRILL_BY_SCHEDULE if email == SCHEDULER else name(school, email)


def name(school: SchoolConfig, email: str | None) -> str:
    person = school.person(email) if email else None
    return person.name if person else (email or strings.SOMEONE)


def when(school: SchoolConfig, moment: datetime | None) -> str:
    return format_moment(moment, school.tz) if moment else ""
