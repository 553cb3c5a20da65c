"""Retention: closed cases are flagged to the DSL for review when due, never deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.alerts import AlertDesk
from bot.delivery.outbox import enqueue
from bot.record.events import record_event
from bot.school.config import Role
from storage.models import Event, Report


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


async def flag_due_for_review(session: AsyncSession, desk: AlertDesk, *, now: datetime) -> int:
    """Tell the DSL and deputies about each closed case whose review date has come; once each."""
    cutoff = _years_before(now, desk.school.retention.review_after_years)
    flagged = set(await session.scalars(select(Event.report_id).where(Event.kind == "review_due")))
    due = await session.scalars(
        select(Report).where(Report.case_status == "closed", Report.closed_at <= cutoff)
    )
    team = [p.email for p in desk.school.people_with(Role.DSL, Role.DEPUTY_DSL)]
    count = 0
    for report in due:
        if report.id in flagged:
            continue
        plan = await desk.plan(session, report)  # an allegation's, for those who handle it
        told = list(plan.everyone) if report.allegation else team
        years = desk.school.retention.review_after_years
        await record_event(
            session,
            kind="review_due",
            at=now,
            actor_email=None,
            report_id=report.id,
            detail={"after_years": years},
        )
        await enqueue(
            session,
            report_id=report.id,
            emails=[e for e in told if e not in plan.excluded],
            channels=desk.channels,
            kind="review",
            level=0,
            now=now,
        )
        count += 1
    return count
