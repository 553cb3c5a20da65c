"""Handling a case: acknowledge, view, notes, actions, close and reopen; every step recorded."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.alerts import AlertDesk
from bot.cases.recipients import may_handle
from bot.delivery.outbox import enqueue
from bot.record.events import events_for_report, open_event, record_event
from bot.record.refusals import record_refusal
from bot.reports import kinds
from bot.words import strings
from dialogs.text import shown_text
from storage.crypto import Misplaced
from storage.models import Event, Report

log = logging.getLogger(__name__)


class NotAllowed(Exception):
    """The person may not act on this case; the attempt has been recorded."""


@dataclass(frozen=True)
class ChronologyEntry:
    at: datetime
    who: str | None
    what: str
    detail: dict[str, Any]
    text: dict[str, Any] | None


async def authorise(
    session: AsyncSession,
    desk: AlertDesk,
    *,
    report: Report,
    email: str,
    action: str,
    now: datetime,
) -> None:
    """Check on the server, every time, that this person may do this to this case."""
    plan = await desk.plan(session, report)
    if may_handle(desk.school, email, report, plan):
        return
    await record_refusal(session, email=email, action=action, report_id=report.id, now=now)
    raise NotAllowed(action)


async def acknowledge(
    session: AsyncSession, desk: AlertDesk, *, report: Report, email: str, now: datetime
) -> bool:
    """Stop the escalation for everyone, update their alerts, and tell the reporter."""
    if report.case_status != "open":
        return False
    # Taken in the database, not only read: two people pressing at once (each turn in its own
    # transaction) would both find it open. The second waits for the first's row, then finds
    # it acknowledged, and changes nothing.
    taken = await session.execute(
        update(Report)
        .where(Report.id == report.id, Report.case_status == "open")
        .values(case_status="acknowledged", acknowledged_by=email, acknowledged_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(report)
        return False
    report.case_status, report.acknowledged_by, report.acknowledged_at = "acknowledged", email, now
    report.updated_at = now
    await record_event(session, kind="acknowledged", at=now, actor_email=email, report_id=report.id)
    await desk.refresh(session, report=report, now=now)
    if report.drill:  # nobody reported it: nobody to tell it was seen (drills.py)
        return True
    kept_out = (await desk.subjects(session, report)).emails
    known = kinds.find(report.kind)
    told = [] if known is not None and not known.filed_from_chat else [report.reporter_email]
    await enqueue(
        session,
        report_id=report.id,
        emails=[e for e in told if e.lower() not in kept_out],  # nobody, for a provider's alert
        channels=desk.channels,
        kind="seen",
        level=0,
        now=now,
    )
    return True


async def record_view(
    session: AsyncSession,
    *,
    report: Report,
    email: str,
    now: datetime,
    what: str = "details",
    as_role: str | None = None,
) -> None:
    detail: dict[str, object] = {"of": what}
    if as_role is not None:
        detail["as"] = as_role
    await record_event(
        session, kind="viewed", at=now, actor_email=email, report_id=report.id, detail=detail
    )


async def record_export(
    session: AsyncSession,
    *,
    report_id: int,
    email: str,
    fmt: str,
    now: datetime,
    channel: str | None = None,
) -> None:
    """A copy of the chronology left the bot: `fmt` "csv" or "html"; `channel` when a chat
    delivered it (not the web chat's own download)."""
    detail: dict[str, object] = {"format": fmt}
    if channel is not None:
        detail["channel"] = channel
    await record_event(
        session, kind="exported", at=now, actor_email=email, report_id=report_id, detail=detail
    )


async def add_note(
    session: AsyncSession, desk: AlertDesk, *, report: Report, email: str, text: str, now: datetime
) -> None:
    await record_event(
        session,
        kind="note",
        at=now,
        actor_email=email,
        report_id=report.id,
        secret={"note": text},
        cipher=desk.cipher,
    )


async def record_action(
    session: AsyncSession,
    desk: AlertDesk,
    *,
    report: Report,
    email: str,
    action: str,
    details: str,
    done_at: str,
    now: datetime,
    follow_ups: Mapping[str, str] | None = None,
) -> None:
    """`follow_ups`: the answers some actions ask for besides the details (who authorised a
    device search, why parents were not told), sealed with them."""
    detail: dict[str, object] = {"action": action, "done_at": done_at}
    await record_event(
        session,
        kind="action",
        at=now,
        actor_email=email,
        report_id=report.id,
        detail=detail,
        secret={"details": details, **(follow_ups or {})},
        cipher=desk.cipher,
    )


async def close_case(
    session: AsyncSession,
    desk: AlertDesk,
    *,
    report: Report,
    email: str,
    decision: str | Sequence[str],
    outcome: str,
    reasons: str,
    criteria: list[str],
    now: datetime,
    answers: Mapping[str, str] | None = None,
    texts: Mapping[str, str] | None = None,
) -> None:
    """Close with the outcome, the decisions and their reasons (KCSIE's written record).

    `answers`: codes kept in the clear (the allegation's outcome, whether the reporter was
    told); `texts`: more that is sealed (the child's views, the support in place, why the UKCIS
    criteria did not lead to a referral: the challenge, also flagged `no_referral`)."""
    if report.case_status == "open":  # closing acknowledges too: the escalation must stop
        report.acknowledged_by, report.acknowledged_at = email, now
    report.case_status, report.closed_at, report.updated_at = "closed", now, now
    decisions = [decision] if isinstance(decision, str) else list(decision)
    detail: dict[str, object] = {"decision": decisions, "criteria": criteria, **(answers or {})}
    sealed = {"outcome": outcome, "reasons": reasons, **(texts or {})}
    if sealed.get("no_referral_reason"):
        detail["no_referral"] = True
    await record_event(
        session,
        kind="closed",
        at=now,
        actor_email=email,
        report_id=report.id,
        detail=detail,
        secret=sealed,
        cipher=desk.cipher,
    )
    await desk.refresh(session, report=report, now=now)


async def recategorise(
    session: AsyncSession,
    desk: AlertDesk,
    *,
    report: Report,
    email: str,
    category: str,
    reason: str,
    now: datetime,
) -> bool:
    """Change what the report is about, keeping the old and the new category (and the old
    subcategory, which belonged to the old category) in the record. False if unchanged."""
    if category == report.category:
        return False
    detail: dict[str, object] = {
        "from": report.category,
        "to": category,
        "from_subcategory": report.subcategory,
    }
    report.category, report.subcategory, report.updated_at = category, None, now
    await record_event(
        session,
        kind="recategorised",
        at=now,
        actor_email=email,
        report_id=report.id,
        detail=detail,
        secret={"reason": reason},
        cipher=desk.cipher,
    )
    await desk.refresh(session, report=report, now=now)
    return True


async def reopen_case(
    session: AsyncSession,
    desk: AlertDesk,
    *,
    report: Report,
    email: str,
    reason: str,
    now: datetime,
) -> None:
    report.case_status, report.closed_at, report.updated_at = "acknowledged", None, now
    await record_event(
        session,
        kind="reopened",
        at=now,
        actor_email=email,
        report_id=report.id,
        secret={"reason": reason},
        cipher=desk.cipher,
    )
    await desk.refresh(session, report=report, now=now)


async def open_cases(session: AsyncSession) -> list[Report]:
    """Cases not closed, urgent first, then oldest first."""
    result = await session.scalars(
        select(Report)
        .where(Report.case_status.in_(("open", "acknowledged")), Report.drill.is_(False))
        .order_by(Report.urgent.desc(), Report.alerted_at, Report.id)
    )
    return list(result)


async def find_case(session: AsyncSession, *, key: str) -> Report | None:
    """A case by its id (from a button) or its reference (typed)."""
    if key.isdecimal() and len(key) < 10:
        return await session.get(Report, int(key))
    return await session.scalar(select(Report).where(Report.reference == key.upper()))


async def chronology(
    session: AsyncSession, desk: AlertDesk, *, report: Report
) -> list[ChronologyEntry]:
    """Everything recorded about a case, oldest first, with notes and reasons decrypted."""
    events: list[Event] = await events_for_report(session, report_id=report.id)
    return [
        ChronologyEntry(
            at=event.at,
            who=event.actor_email,
            what=event.kind,
            detail=dict(event.detail or {}),
            text=_sealed_text(desk, event),
        )
        for event in events
    ]


def _sealed_text(desk: AlertDesk, event: Event) -> dict[str, Any] | None:
    """An entry's note or reason; a line saying so when what is stored is not its own."""
    if event.detail_enc is None:
        return None
    try:
        text = open_event(desk.cipher, event)
    except Misplaced:
        log.warning("event id %s: its sealed text does not belong to it", event.id)
        return {"unreadable": strings.STORED_ELSEWHERE}
    if not isinstance(text, dict) or "answers" in text or "rows" in text:
        # An old token from another column (a report's answers) opens anywhere: not a note.
        log.warning("event id %s: its sealed text is not an entry's", event.id)
        return {"unreadable": strings.STORED_ELSEWHERE}
    # Only ever shown (the case view, the export): as typed text is shown (dialogs/text.py).
    return {key: shown_text(v) if isinstance(v, str) else v for key, v in text.items()}
