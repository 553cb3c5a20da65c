"""Filing reports: the urgent record from the first answer, and the finished report."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_object_session

from bot.record.bindings import BINDING, BOUND_KINDS, binding_of
from bot.record.events import record_event
from bot.reports import kinds
from bot.reports.links import file_linked_concern, link_to_source
from bot.reports.references import assign_reference
from bot.words import strings
from dialogs.model import FlowSpec
from dialogs.text import shown_text
from storage.crypto import Cipher, Misplaced
from storage.models import Event, MonitoringGroup, Report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerRow:
    """One answer as it was asked and shown, kept with the report so the record reads alone."""

    step: str
    question: str
    label: str
    answer: str


@dataclass(frozen=True)
class Filed:
    report: Report
    linked: Report | None = None


async def open_urgent_report(
    session: AsyncSession,
    *,
    cipher: Cipher,
    flow: FlowSpec,
    reporter_email: str,
    channel: str,
    answers: dict[str, Any],
    reasons: list[str],
    now: datetime,
) -> Report:
    """Store an urgent report the moment an answer makes it urgent (`reasons`: why)."""
    report = _new_report(flow=flow, reporter_email=reporter_email, channel=channel, now=now)
    report.urgent = True
    _add_reasons(report, reasons)
    await assign_reference(session, report)
    cipher.seal(report, "answers_enc", {"answers": answers, "rows": []})
    await record_event(
        session,
        kind="urgent_opened",
        at=now,
        actor_email=reporter_email,
        report_id=report.id,
        # codes from the flow, never the answers themselves
        detail={"reasons": list(reasons), BINDING: binding_of(report)},
    )
    return report


async def add_urgent_reasons(
    session: AsyncSession, *, report_id: int, reasons: list[str], actor_email: str, now: datetime
) -> Report | None:
    """Add the reasons a later answer gave to a report already stored as urgent."""
    report = await session.get(Report, report_id)
    if report is None:
        return None
    added = _add_reasons(report, reasons)
    if added:
        report.updated_at = now
        await record_event(
            session,
            kind="urgent_reason_added",
            at=now,
            actor_email=actor_email,
            report_id=report.id,
            detail={"reasons": added, BINDING: binding_of(report)},
        )
    return report


async def submit_report(
    session: AsyncSession,
    *,
    cipher: Cipher,
    flow: FlowSpec,
    reporter_email: str,
    channel: str,
    answers: dict[str, Any],
    rows: list[AnswerRow],
    signals: list[str],
    report_id: int | None,
    now: datetime,
    urgent_reasons: Sequence[str] = (),
    linked_to: str | None = None,
) -> Filed:
    """Write the finished report (completing the urgent one if there is one), in one go.

    Every urgent reason the answers gave is kept, also those already stored and those of an
    answer since changed: the report stays urgent once anyone was alerted (never un-urgent).
    """
    report = await session.get(Report, report_id) if report_id is not None else None
    created = report is None
    if report is None:
        report = _new_report(flow=flow, reporter_email=reporter_email, channel=channel, now=now)
    _apply_records(report, flow, answers)
    _add_reasons(report, urgent_reasons)
    report.urgent = report.urgent or "urgent" in signals
    report.status, report.submitted_at, report.updated_at = "submitted", now, now
    if report.id is None:
        await assign_reference(session, report)
    document = {"answers": answers, "rows": [row.__dict__ for row in rows]}
    cipher.seal(report, "answers_enc", document)
    detail: dict[str, object] = {"kind": report.kind, "category": report.category}
    source = await link_to_source(session, report, linked_to)
    if source is not None:
        detail["linked_to_report"] = source.id
    detail[BINDING] = binding_of(report)
    await record_event(
        session,
        kind="submitted",
        at=now,
        actor_email=reporter_email,
        report_id=report.id,
        detail=detail,
        # A report made now is seen by no one else until this commits: its reference and
        # sealed answers go in one UPDATE with its alert's changes, not one of their own.
        write_pending=not created or source is not None,
    )
    linked = None
    if "possibly_illegal" in signals:
        linked = await file_linked_concern(
            session, cipher=cipher, source=report, document=document, now=now
        )
    return Filed(report, linked)


async def abandon_report(
    session: AsyncSession, *, report_id: int, actor_email: str, now: datetime
) -> None:
    """Keep an urgent report whose reporter stopped: it is never silently deleted."""
    report = await session.get(Report, report_id)
    if report is None or report.status != "in_progress":
        return
    report.status, report.updated_at = "abandoned", now
    await record_event(
        session, kind="reporter_stopped", at=now, actor_email=actor_email, report_id=report.id
    )


async def read_answers(*, cipher: Cipher, report: Report) -> dict[str, Any]:
    """Decrypt a report's stored answers and rows.

    Stored answers that do not belong to this report (copied from another row or column, or
    altered) are not shown: one row says so instead, and no answers are given, so nothing is
    worked out from them (an allegation's subjects stay unresolved: only the head handles it).
    """
    if report.answers_enc is None:
        return {"answers": {}, "rows": []}
    try:
        document = cipher.open(report, "answers_enc")
    except Misplaced:
        log.warning("report id %s: its stored answers do not belong to it", report.id)
        return _unreadable(strings.STORED_ELSEWHERE)
    if not (isinstance(document, dict) and {"answers", "rows"} <= document.keys()):
        # An old token from another column (a note's) opens anywhere; it is not answers.
        log.warning("report id %s: its stored answers are not a report's answers", report.id)
        return _unreadable(strings.STORED_ELSEWHERE)
    # The rows are only ever shown: shown as typed text is shown (dialogs/text.py), also those
    # stored before every address was defanged and every direction control made visible.
    document["rows"] = [
        {**row, "answer": shown_text(str(row["answer"]))} for row in document["rows"]
    ]
    document["rows"] += await _grouped_alerts(report)
    return document


async def _grouped_alerts(report: Report) -> list[dict[str, str]]:
    """A monitoring alert's count of repeated alerts (bot/monitoring/filing.py), as a row, read
    as it is now: it grows after the report is sent, so it is kept beside it, not in it."""
    session = async_object_session(report)
    if report.kind != kinds.MONITORING_ALERT.id or session is None:
        return []
    grouped = await session.scalar(
        select(MonitoringGroup.count).where(MonitoringGroup.report_id == report.id)
    )
    if not grouped or grouped < 2:
        return []
    label = strings.MONITORING_GROUPED_LABEL
    answer = strings.MONITORING_GROUPED_COUNT.format(count=grouped)
    return [AnswerRow(step="grouped", question=label, label=label, answer=answer).__dict__]


def _unreadable(why: str) -> dict[str, Any]:
    row = AnswerRow(
        step="", question=strings.STORED_ANSWERS, label=strings.STORED_ANSWERS, answer=why
    )
    return {"answers": {}, "rows": [row.__dict__], "unreadable": True}


async def reports_by(session: AsyncSession, *, reporter_email: str) -> list[Report]:
    """A reporter's own reports, newest first."""
    result = await session.scalars(
        select(Report)
        .where(Report.reporter_email == reporter_email, Report.drill.is_(False))
        .order_by(Report.created_at.desc(), Report.id.desc())
    )
    return list(result)


def _new_report(*, flow: FlowSpec, reporter_email: str, channel: str, now: datetime) -> Report:
    return Report(
        kind=flow.report_kind,
        status="in_progress",
        reporter_email=reporter_email,
        channel=channel,
        flow_id=flow.id,
        flow_version=flow.version,
        urgent=False,
        allegation=False,
        allegation_about_head=False,
        created_at=now,
        updated_at=now,
    )


def _add_reasons(report: Report, reasons: Sequence[str]) -> list[str]:
    """Mark the report urgent with these reasons, keeping the ones it has; return the new."""
    known = list(report.urgent_reasons or [])
    added = [reason for reason in dict.fromkeys(reasons) if reason not in known]
    if added:
        report.urgent = True
        report.urgent_reasons = [*known, *added]  # a new list: the JSON column sees the change
    return added


def _apply_records(report: Report, flow: FlowSpec, answers: dict[str, Any]) -> None:
    for step in flow.steps:
        if step.records is None or step.id not in answers:
            continue
        value = answers[step.id]
        if step.records == "category":
            report.category = value
        elif step.records == "subcategory":
            report.subcategory = value
        elif step.records == "allegation":
            report.allegation = value == "yes"
        elif step.records == "allegation_about_head":
            report.allegation_about_head = value == "yes"
        elif step.records == "allegation_kind":
            report.allegation_kind = value


async def bind_reports_from_before(session: AsyncSession, *, now: datetime) -> int:
    """At the first start with bindings: a `report_bound` entry for every report stored
    before, so each is checked from then on. It vouches only for the report as it is now.

    Only when the latest entry that should carry a binding does not (the log was written by an
    older version), so a start costs one query, and a report put into the database behind the
    bot's back later is never bound by a restart: `verify-log` names it instead.
    """
    latest = await session.scalar(
        select(Event.detail)
        .where(Event.kind.in_(BOUND_KINDS), Event.seq.is_not(None))
        .order_by(Event.seq.desc())
        .limit(1)
    )
    if latest is None or BINDING in latest:
        return 0
    bound, after = 0, 0
    while True:
        batch = list(
            await session.scalars(
                select(Report).where(Report.id > after).order_by(Report.id).limit(500)
            )
        )
        if not batch:
            break
        known = await session.execute(
            select(Event.report_id, Event.detail).where(
                Event.report_id.in_([r.id for r in batch]), Event.kind.in_(BOUND_KINDS)
            )
        )
        has_binding = {rid for rid, detail in known if BINDING in (detail or {})}
        for report in batch:
            if report.id in has_binding:
                continue
            await record_event(
                session,
                kind="report_bound",
                at=now,
                actor_email=None,
                report_id=report.id,
                detail={BINDING: binding_of(report)},
            )
            bound += 1
        after = batch[-1].id
    log.info("bound %d report(s) from before into the event log", bound)
    return bound
