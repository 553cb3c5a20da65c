"""Alerts: queued with the report, escalated until acknowledged, never twice per level."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.school import SchoolConfig
from bot.services.events import record_event
from bot.services.outbox import alerted_people, enqueue
from bot.services.recipients import AlertPlan, ict_contacts, plan_for
from bot.services.reports import read_answers
from storage.crypto import Cipher
from storage.models import Outbox, Report


@dataclass(frozen=True)
class AlertDesk:
    """What alerting needs to know: the school, the key, and the channels that can deliver."""

    school: SchoolConfig
    cipher: Cipher
    channels: tuple[str, ...]

    async def plan(self, report: Report) -> AlertPlan:
        answers: dict[str, Any] = {}
        if report.allegation:  # only an allegation's text decides who must not be told
            answers = (await read_answers(cipher=self.cipher, report=report))["answers"]
        return plan_for(self.school, report, answers)

    async def raise_alert(self, session: AsyncSession, *, report: Report, now: datetime) -> int:
        """Queue the first alert; for a case already alerted (urgent), refresh its cards."""
        if report.alerted_at is not None:
            queued = await self.refresh(session, report=report, now=now)
            return queued + await self._tell_ict(session, report=report, now=now)
        report.alerted_at, report.case_status = now, "open"
        plan = await self.plan(report)
        first = plan.levels[0].emails if plan.levels else ()
        queued = await enqueue(
            session,
            report_id=report.id,
            emails=first,
            channels=self.channels,
            kind="alert",
            level=0,
            now=now,
        )
        queued += await self._tell_ict(session, report=report, now=now)
        await record_event(
            session,
            kind="alert_raised",
            at=now,
            actor_email=None,
            report_id=report.id,
            detail={"level": 0, "recipients": len(first), "urgent": report.urgent},
        )
        return queued

    async def _tell_ict(self, session: AsyncSession, *, report: Report, now: datetime) -> int:
        """ICT's card about a filtering report, once it is complete: an urgent one is alerted
        before the address is known, and ICT's card is not refreshed (it is sent once)."""
        if report.kind != "filtering" or report.status == "in_progress":
            return 0
        return await enqueue(
            session,
            report_id=report.id,
            emails=ict_contacts(self.school),
            channels=self.channels,
            kind="ict",
            level=0,
            now=now,
        )

    async def refresh(self, session: AsyncSession, *, report: Report, now: datetime) -> int:
        """Queue an update of the alert card for everyone who was alerted about this report."""
        latest = await session.scalar(
            select(func.max(Outbox.level)).where(
                Outbox.report_id == report.id, Outbox.kind == "update"
            )
        )
        return await enqueue(
            session,
            report_id=report.id,
            emails=await alerted_people(session, report_id=report.id),
            channels=self.channels,
            kind="update",
            level=(latest or 0) + 1,
            now=now,
        )

    async def escalate_due(self, session: AsyncSession, *, now: datetime) -> int:
        """Queue every level, and the latest repeat, that is due for unacknowledged cases."""
        open_cases = await session.scalars(
            select(Report).where(Report.case_status == "open", Report.alerted_at.is_not(None))
        )
        queued = 0
        for report in list(open_cases):
            queued += await self._escalate(session, report=report, now=now)
        return queued

    async def _escalate(self, session: AsyncSession, *, report: Report, now: datetime) -> int:
        assert report.alerted_at is not None
        plan = await self.plan(report)
        if not plan.levels:
            return 0
        elapsed = now - report.alerted_at
        due = [(level.level, level.emails) for level in plan.levels if elapsed >= level.after]
        last = plan.levels[-1]
        if elapsed >= last.after + plan.repeat_every:
            repeats = int((elapsed - last.after) / plan.repeat_every)
            due.append((last.level + repeats, plan.everyone))  # only the latest repeat
        queued = 0
        for level, emails in due:
            added = await enqueue(
                session,
                report_id=report.id,
                emails=emails,
                channels=self.channels,
                kind="alert",
                level=level,
                now=now,
            )
            if added:
                await record_event(
                    session,
                    kind="escalated",
                    at=now,
                    actor_email=None,
                    report_id=report.id,
                    detail={"level": level, "recipients": len(emails)},
                )
            queued += added
        return queued
