"""Alerts: queued with the report, escalated until acknowledged, never twice per level."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import closures, cover
from bot.cases.follow_ups import queue_follow_ups
from bot.cases.recipients import (
    PASSED_ON_LEVEL,
    TRUST_LEVEL,
    AlertPlan,
    FinalLevel,
    alerted_moment,
    follows_rota,
    ict_contacts,
    kept_out,
    plan_for,
)
from bot.delivery.outbox import alerted_people, enqueue, withdraw_unsent
from bot.record.events import record_event
from bot.reports import allegation_kind, kinds, subjects
from bot.reports.service import read_answers
from bot.reports.subjects import Subjects
from bot.school.config import SchoolConfig
from storage.crypto import Cipher
from storage.models import Outbox, Report
from storage.scope import in_address_book


@dataclass(frozen=True)
class AlertDesk:
    """What alerting needs to know: the school, the key, and the channels that can deliver."""

    school: SchoolConfig
    cipher: Cipher
    channels: tuple[str, ...]
    # In a trust's deployment with a final level: the trust's safeguarding lead, alerted once
    # when a case is still unacknowledged that long after its alert (None: no final level).
    final: FinalLevel | None = None

    async def subjects(self, session: AsyncSession, report: Report) -> Subjects:
        """Who the report may be about: kept with it once known (worked out now if not yet)."""
        if not report.allegation:
            return Subjects()
        known = subjects.stored(self.cipher, report)
        if known is None:
            document = await read_answers(cipher=self.cipher, report=report)
            known = await self.settle(session, report=report, answers=document["answers"])
        return known

    async def settle(
        self, session: AsyncSession, *, report: Report, answers: dict[str, Any]
    ) -> Subjects:
        """Work out who the allegation may be about and keep it with the report, for good."""
        rows = (await read_answers(cipher=self.cipher, report=report))["rows"]
        labels = {str(row["step"]): str(row["label"]) for row in rows}
        with in_address_book(session):  # who a Slack mention in the answers is: the trust's
            mentioned = await subjects.slack_ids(session, subjects.texts_of(answers).values())
        found = subjects.find_subjects(
            self.school,
            answers,
            about_head=report.allegation_about_head,
            labels=labels,
            slack=mentioned,
            reporter=report.reporter_email if allegation_kind.is_self_report(report) else None,
        )
        before = subjects.stored(self.cipher, report)
        if before is not None:  # once left out, always: a changed answer lets nobody back in
            found.left_out = {**before.left_out, **found.left_out}
            found.resolved = found.resolved or before.resolved
            found.about_head = found.about_head or before.about_head
        subjects.store(self.cipher, report, found)
        return found

    async def plan(self, session: AsyncSession, report: Report) -> AlertPlan:
        if not follows_rota(self.school, report):
            # What says who is on duty, below, would not change the plan: not read.
            return plan_for(self.school, report, await self.subjects(session, report))
        # A snow day recorded in chat: the rota's out-of-hours plan, as the card says; cover
        # accepted in chat by then: its acceptor is on duty.
        moment = alerted_moment(report)
        closed = await closures.on_day_of(session, self.school, moment)
        covers = await cover.in_force(session, moment)
        return plan_for(self.school, report, await self.subjects(session, report), closed, covers)

    async def raise_alert(self, session: AsyncSession, *, report: Report, now: datetime) -> int:
        """Queue the first alert; for a case already alerted (urgent), refresh its cards."""
        if report.allegation:  # the whole report is known now: everything it may name
            answers = (await read_answers(cipher=self.cipher, report=report))["answers"]
            await self.settle(session, report=report, answers=answers)
        if report.alerted_at is not None:
            queued = await self.refresh(session, report=report, now=now)
            return queued + await self._tell_ict(session, report=report, now=now)
        report.alerted_at, report.case_status = now, "open"
        queued = await self._alert_first_level(
            session, report=report, now=now, urgent=report.urgent
        )
        return queued + await self._tell_ict(session, report=report, now=now)

    async def _alert_first_level(
        self, session: AsyncSession, *, report: Report, now: datetime, **detail: object
    ) -> int:
        """Queue the plan's first level (rows that exist already are left) and record it."""
        plan = await self.plan(session, report)
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
        queued += await self._follow_ups(session, report=report, emails=first, now=now)
        await record_event(
            session,
            kind="alert_raised",
            at=now,
            actor_email=None,
            report_id=report.id,
            detail={"level": 0, "recipients": len(first), **detail},
        )
        return queued

    async def _tell_ict(self, session: AsyncSession, *, report: Report, now: datetime) -> int:
        """ICT's card about a report whose kind tells ICT (filtering), once it is complete: an
        urgent one is alerted before the address is known, and ICT's card is not refreshed (it
        is sent once)."""
        known = kinds.find(report.kind)
        if known is None or not known.tells_ict or report.status == "in_progress":
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
        """Queue an update of the alert card for everyone alerted who may handle the case; the
        others (the person concerned, a team the allegation is not for) are told once that it
        was passed on, and nothing more."""
        plan = await self.plan(session, report)
        alerted = await alerted_people(session, report_id=report.id)
        handlers = [e for e in alerted if not kept_out(report, plan, e)]
        others = [e for e in alerted if e not in handlers]
        queued = 0
        if others:
            await withdraw_unsent(
                session,
                report_id=report.id,
                emails=others,
                keep_update_level=PASSED_ON_LEVEL,
                now=now,
            )
            told = await alerted_people(session, report_id=report.id)
            queued += await enqueue(
                session,
                report_id=report.id,
                emails=[e for e in others if e in told],
                channels=self.channels,
                kind="update",
                level=PASSED_ON_LEVEL,
                now=now,
            )
        latest = await session.scalar(
            select(func.max(Outbox.level)).where(
                Outbox.report_id == report.id, Outbox.kind == "update"
            )
        )
        queued += await enqueue(
            session,
            report_id=report.id,
            emails=handlers,
            channels=self.channels,
            kind="update",
            level=max(latest or 0, PASSED_ON_LEVEL) + 1,
            now=now,
        )
        return queued

    async def allegation_known(
        self, session: AsyncSession, *, report_id: int, answers: dict[str, Any], now: datetime
    ) -> int:
        """An urgent report, already alerted, turned out to be about an adult at school: keep
        who it may be about, take it from anyone who may not handle it, and give it to whoever
        does."""
        report = await session.get(Report, report_id)
        if report is None or report.status != "in_progress" or report.alerted_at is None:
            return 0
        report.allegation = answers.get("about_adult") == "yes"
        report.allegation_about_head = answers.get("adult_is_head") == "yes"
        report.allegation_kind = answers.get(allegation_kind.STEP)
        if not report.allegation:
            report.excluded_enc = None
            return 0
        await self.settle(session, report=report, answers=answers)
        queued = await self.refresh(session, report=report, now=now)
        return queued + await self._alert_first_level(
            session, report=report, now=now, allegation=True
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
        plan = await self.plan(session, report)
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
            added = await self._escalated(session, report, emails, level=level, now=now)
            queued += added + await self._follow_ups(session, report=report, emails=emails, now=now)
        return queued + await self._to_the_trust(session, report, plan, elapsed=elapsed, now=now)

    async def _to_the_trust(
        self,
        session: AsyncSession,
        report: Report,
        plan: AlertPlan,
        *,
        elapsed: timedelta,
        now: datetime,
    ) -> int:
        """The trust's final level: its safeguarding lead, once, when the school's own chain
        has not placed the case by then. Beside the school's levels, not among them, so the
        school's own reminders keep their times; never to a lead the case may be about."""
        final = self.final
        if final is None or report.drill or elapsed < final.after:
            return 0  # a drill tests the school's own chain
        emails = tuple(e for e in final.emails if not kept_out(report, plan, e))
        return await self._escalated(
            session, report, emails, level=TRUST_LEVEL, now=now, recorded_as="trust"
        )

    async def _escalated(
        self,
        session: AsyncSession,
        report: Report,
        emails: tuple[str, ...],
        *,
        level: int,
        now: datetime,
        recorded_as: str | None = None,
    ) -> int:
        """Queue one level's alerts; the escalation is recorded when any of them is new (a
        level queued before is not again). `recorded_as`: the level's name in the log."""
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
                detail={
                    "level": level if recorded_as is None else recorded_as,
                    "recipients": len(emails),
                },
            )
        return added

    async def _follow_ups(
        self, session: AsyncSession, *, report: Report, emails: tuple[str, ...], now: datetime
    ) -> int:
        """The alert rules of those just alerted: an e-mail or a text message later, if still
        unacknowledged then (bot/cases/follow_ups.py)."""
        return await queue_follow_ups(
            session, school=self.school, report_id=report.id, emails=emails, now=now
        )
