"""The DSL marks a monitoring alert a false positive, with the reason: "false positive
MA-2026-00042 <the reason>". The mark is an entry of the event log (the reason sealed in it, as
a note's text is), once per alert; the role is checked here, on the server, every time, and a
refusal is recorded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.alerts import AlertDesk
from bot.cases.closures import words_after
from bot.cases.recipients import may_handle
from bot.delivery.messages import Notice, Outbound
from bot.record.events import record_event
from bot.record.refusals import record_refusal
from bot.reports import kinds
from bot.words import strings
from storage.models import Event, Report

KIND = "monitoring_false_positive"
ACTION = "false_positive"
_REASON_LENGTH = 500


async def command(
    session: AsyncSession, *, desk: AlertDesk, text: str, email: str, now: datetime
) -> Sequence[Outbound] | None:
    """Handle `false positive <reference> <reason>`; None when `text` is not the command."""
    words = words_after(text, {strings.MONITORING_FALSE_POSITIVE_COMMAND})
    if words is None:
        return None
    person = desk.school.person(email)
    if person is None or not person.handles_cases:
        await record_refusal(session, email=email, action=ACTION, report_id=None, now=now)
        return [Notice(strings.MONITORING_FALSE_POSITIVE_REFUSED, "error")]
    reason = " ".join(words[1:])[:_REASON_LENGTH]
    if not reason:
        return [Notice(strings.MONITORING_FALSE_POSITIVE_HOW, "guidance")]
    reference = words[0].upper()
    # The row locked: two marks at once (a double send) record one entry, not two.
    report = await session.scalar(
        select(Report)
        .where(Report.reference == reference, Report.kind == kinds.MONITORING_ALERT.id)
        .where(Report.drill.is_(False))  # a drill is no alert to mark
        .with_for_update()
    )
    if report is None:
        missing = strings.MONITORING_FALSE_POSITIVE_NOT_FOUND.format(reference=reference)
        return [Notice(missing, "error")]
    if not may_handle(desk.school, person.email, report, await desk.plan(session, report)):
        await record_refusal(session, email=email, action=ACTION, report_id=report.id, now=now)
        return [Notice(strings.MONITORING_FALSE_POSITIVE_REFUSED, "error")]
    marked_by = await session.scalar(
        select(Event.actor_email).where(Event.report_id == report.id, Event.kind == KIND)
    )
    if marked_by is not None:
        who = desk.school.person(marked_by)
        already = strings.MONITORING_FALSE_POSITIVE_ALREADY.format(
            reference=reference, who=who.name if who else marked_by
        )
        return [Notice(already, "info")]
    await record_event(
        session,
        kind=KIND,
        at=now,
        actor_email=person.email,
        report_id=report.id,
        detail={"provider": report.reporter_email.split(" ")[0]},
        secret={"reason": reason},  # typed by a person: sealed, as a note's text is
        cipher=desk.cipher,
    )
    return [
        Notice(strings.MONITORING_FALSE_POSITIVE_RECORDED.format(reference=reference), "success")
    ]
