"""Filing reports: the urgent record from the first answer, and the finished report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.events import record_event
from dialogs.model import FlowSpec
from storage.crypto import Cipher
from storage.models import Report

_PREFIX = {"concern": "OS", "filtering": "FF"}


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
    report.answers_enc = cipher.encrypt_json({"answers": answers, "rows": []})
    await _assign_reference(session, report)
    await record_event(
        session,
        kind="urgent_opened",
        at=now,
        actor_email=reporter_email,
        report_id=report.id,
        detail={"reasons": list(reasons)},  # codes from the flow, never the answers themselves
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
            detail={"reasons": added},
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
) -> Filed:
    """Write the finished report (completing the urgent one if there is one), in one go.

    Every urgent reason the answers gave is kept, also those already stored and those of an
    answer since changed: the report stays urgent once anyone was alerted (never un-urgent).
    """
    report = await session.get(Report, report_id) if report_id is not None else None
    if report is None:
        report = _new_report(flow=flow, reporter_email=reporter_email, channel=channel, now=now)
    _apply_records(report, flow, answers)
    _add_reasons(report, urgent_reasons)
    report.urgent = report.urgent or "urgent" in signals
    report.status, report.submitted_at, report.updated_at = "submitted", now, now
    report.answers_enc = cipher.encrypt_json(
        {"answers": answers, "rows": [row.__dict__ for row in rows]}
    )
    if report.id is None:
        await _assign_reference(session, report)
    detail: dict[str, object] = {"kind": report.kind, "category": report.category}
    await record_event(
        session,
        kind="submitted",
        at=now,
        actor_email=reporter_email,
        report_id=report.id,
        detail=detail,
    )
    linked = None
    if "possibly_illegal" in signals and report.kind == "filtering":
        linked = await _file_linked_concern(session, cipher=cipher, source=report, now=now)
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
    """Decrypt a report's stored answers and rows."""
    if report.answers_enc is None:
        return {"answers": {}, "rows": []}
    document: dict[str, Any] = cipher.decrypt_json(report.answers_enc)
    return document


async def reports_by(session: AsyncSession, *, reporter_email: str) -> list[Report]:
    """A reporter's own reports, newest first."""
    result = await session.scalars(
        select(Report)
        .where(Report.reporter_email == reporter_email)
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


async def _assign_reference(session: AsyncSession, report: Report) -> None:
    # The row id makes the reference unique on every database without a counter table.
    session.add(report)
    await session.flush()
    year = report.created_at.year
    report.reference = f"{_PREFIX.get(report.kind, 'RP')}-{year}-{report.id:05d}"
    await session.flush()


async def _file_linked_concern(
    session: AsyncSession, *, cipher: Cipher, source: Report, now: datetime
) -> Report:
    """Possibly illegal material behind a filtering failure is a safeguarding concern too."""
    concern = Report(
        kind="concern",
        category="content",
        subcategory="possibly_illegal",
        status="submitted",
        reporter_email=source.reporter_email,
        channel=source.channel,
        flow_id=source.flow_id,
        flow_version=source.flow_version,
        urgent=True,
        urgent_reasons=["possibly_illegal"],
        allegation=False,
        allegation_about_head=False,
        answers_enc=source.answers_enc,
        linked_report_id=source.id,
        created_at=now,
        updated_at=now,
        submitted_at=now,
    )
    await _assign_reference(session, concern)
    source.linked_report_id = concern.id
    await record_event(
        session,
        kind="submitted",
        at=now,
        actor_email=source.reporter_email,
        report_id=concern.id,
        detail={"kind": "concern", "from_filtering_report": source.id},
    )
    return concern
