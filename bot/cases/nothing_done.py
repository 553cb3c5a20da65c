"""Acknowledged but nothing done: an acknowledged case with no note, action (a referral is one)
or close recorded by a time the school sets reminds whoever acknowledged it, then the DSL, then
the head ("re-escalation", as incident tools call it). Each reminder is an outbox row keyed by
its level, so however often the sweep runs each person is reminded once per level; the first
thing recorded stops the rest."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import closures
from bot.cases.alerts import AlertDesk
from bot.cases.recipients import kept_out
from bot.delivery.messages import Notice
from bot.delivery.outbox import enqueue
from bot.record.events import record_event
from bot.school.calendar import next_school_day
from bot.school.config import Role, SchoolConfig
from bot.school.terms import Closure
from bot.words import strings
from storage.models import Event, Report

KIND = "nothing_done"  # the outbox rows' kind; their level is the step, 1 to 3
REMINDED = "nothing_done_reminded"  # the event recorded when a step is queued
# What counts as something done: a note, an action (a referral is recorded as one), a close.
DONE = ("note", "action", "closed")
# Longer than any holiday: the closures recorded in chat that may push the first reminder on.
_LOOK_AHEAD = timedelta(days=130)


def reminder_times(
    report: Report, *, school: SchoolConfig, closed: list[Closure] | tuple[Closure, ...] = ()
) -> tuple[datetime, datetime, datetime]:
    """When the acknowledger, the DSL and the head are reminded: an urgent case a set time
    after it was acknowledged, any other at a set time of the next school day (school time,
    `closed`: the closures recorded in chat); then one interval apart."""
    assert report.acknowledged_at is not None
    settings = school.alerts.nothing_done
    if report.urgent:
        first = report.acknowledged_at + timedelta(minutes=settings.urgent_after_minutes)
    else:
        acknowledged = report.acknowledged_at.astimezone(school.tz).date()
        day = next_school_day(acknowledged, school=school, closures=closed)
        first = datetime.combine(day, settings.normal_by, tzinfo=school.tz)
    every = timedelta(minutes=settings.then_every_minutes)
    return first, first + every, first + 2 * every


async def remind_due(session: AsyncSession, desk: AlertDesk, *, now: datetime) -> int:
    """Queue every reminder due now for acknowledged cases with nothing recorded; returns how
    many outbox rows were queued."""
    cases = await session.scalars(
        select(Report).where(
            Report.case_status == "acknowledged",
            Report.acknowledged_at.is_not(None),
            Report.drill.is_(False),  # a drill's acknowledgement is all it asks
        )
    )
    queued = 0
    for report in list(cases):
        queued += await _remind(session, desk, report=report, now=now)
    return queued


async def _remind(session: AsyncSession, desk: AlertDesk, *, report: Report, now: datetime) -> int:
    assert report.acknowledged_at is not None
    school = desk.school
    day = report.acknowledged_at.astimezone(school.tz).date()
    closed = await closures.recorded(session, first=day, last=day + _LOOK_AHEAD)
    times = reminder_times(report, school=school, closed=closed)
    if now < times[0] or await _something_done(session, report):
        return 0
    plan = await desk.plan(session, report)
    steps = (
        [report.acknowledged_by or ""],
        [p.email for p in school.people_with(Role.DSL)],
        [p.email for p in school.people_with(Role.HEADTEACHER)],
    )
    queued = 0
    for level, (at, emails) in enumerate(zip(times, steps, strict=True), start=1):
        if now < at:
            break
        # Never anyone the case may be about, nor, for an allegation, anyone it is not for.
        allowed = [e for e in emails if e and not kept_out(report, plan, e)]
        added = await enqueue(
            session,
            report_id=report.id,
            emails=allowed,
            channels=desk.channels,
            kind=KIND,
            level=level,
            now=now,
        )
        if added:
            await record_event(
                session,
                kind=REMINDED,
                at=now,
                actor_email=None,
                report_id=report.id,
                detail={"level": level, "recipients": len(allowed)},
            )
        queued += added
    return queued


async def _something_done(session: AsyncSession, report: Report) -> bool:
    count = await session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.report_id == report.id, Event.kind.in_(DONE))
    )
    return bool(count)


def notice(report: Report, level: int, *, who: str, at: str) -> Notice:
    """The reminder one outbox row delivers: `who` acknowledged the case `at` (as shown)."""
    template = strings.NOTHING_DONE_YOURS if level == 1 else strings.NOTHING_DONE_TEAM
    text = template.format(reference=report.reference or "", who=who, at=at, n=level)
    return Notice(text, "warning")
