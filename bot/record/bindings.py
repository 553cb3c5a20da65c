"""Binding each report's stored content into the event log, and checking it still matches.

Every entry that fixes or changes what a report says (`submitted`, `urgent_opened`, ...) carries
in its detail a `binding`: the report's reference, kind, category and urgency as they are, and
SHA-256 digests of its reporter and of its encrypted answers exactly as stored. The detail is
hashed into the chain, so the binding is too: changing the row (answers swapped with another
report's, the reporter or category edited) leaves it out of step with its latest binding, and a
report the log knows but whose row is gone is a deleted report. No key is needed to check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Event, Report

# The entries that may carry a binding; the latest of them for a report is what it must match.
BOUND_KINDS = (
    "urgent_opened",
    "urgent_reason_added",
    "submitted",
    "answers_completed",  # the report a linked concern was filed from was finished
    "report_bound",  # a report stored before bindings, vouched for as it was then
    "report_resealed",  # rotate-key sealed its answers again under a new key
    "drill_started",  # a drill (bot/cases/drills.py): a report row, about no child
)
BINDING = "binding"


def binding_of(report: Any) -> dict[str, object]:
    """The binding of a report (a Report, or a row read with the same columns)."""
    answers = report.answers_enc
    return {
        "reference": report.reference,
        "kind": report.kind,
        "category": report.category,
        "urgent": bool(report.urgent),
        "reporter": _digest(str(report.reporter_email).encode()),
        "answers": None if answers is None else _digest(bytes(answers)),
        # The flag that keeps a row out of every list of real reports: bound, so a real report
        # made a "drill" in the database is found. Bindings from before drills have none: false.
        "drill": bool(getattr(report, "drill", False)),
    }


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def differences(recorded: Mapping[str, object], current: Mapping[str, object]) -> list[str]:
    """What no longer matches, in words: empty when the report is as the log recorded it."""
    found = []
    if recorded.get("reference") != current["reference"]:
        found.append(f"its reference (now {current['reference']})")
    if recorded.get("answers") != current["answers"]:
        found.append("its answers")
    if recorded.get("reporter") != current["reporter"]:
        found.append("its reporter")
    if (recorded.get("kind"), recorded.get("category")) != (current["kind"], current["category"]):
        found.append("its kind or category")
    if recorded.get("urgent") != current["urgent"]:
        found.append("its urgency")
    if bool(recorded.get("drill", False)) != current["drill"]:
        found.append("whether it is a drill")
    return found


_REPORT_COLUMNS = (
    Report.id,
    Report.reference,
    Report.kind,
    Report.category,
    Report.urgent,
    Report.reporter_email,
    Report.answers_enc,
    Report.drill,
)


async def check_reports(session: AsyncSession, *, batch_size: int) -> tuple[int, str | None]:
    """Every report against its latest binding, a batch at a time: (reports checked, the
    first problem in words, or None)."""
    deleted = await _first_deleted(session)
    if deleted is not None:
        return 0, deleted
    checked, after = 0, 0
    while True:
        # Each row with its latest binding in one statement: one snapshot, so a report changed
        # (with its new entry) while this runs is read consistently.
        latest = (
            select(func.max(Event.seq))
            .where(Event.report_id == Report.id, Event.kind.in_(BOUND_KINDS))
            .correlate(Report)
            .scalar_subquery()
        )
        query = (
            select(*_REPORT_COLUMNS, Event.detail)
            .outerjoin(Event, Event.seq == latest)
            .where(Report.id > after)
            .order_by(Report.id)
            .limit(batch_size)
        )
        rows = (await session.execute(query)).all()
        if not rows:
            return checked, None
        for row in rows:
            recorded = (row.detail or {}).get(BINDING)
            if not isinstance(recorded, Mapping):
                name = row.reference or f"id {row.id}"
                return checked, (
                    f"report {name} (id {row.id}) is not in the event log: it was added to the "
                    "database without the bot"
                )
            changed = differences(recorded, binding_of(row))
            if changed:
                name = recorded.get("reference") or f"id {row.id}"
                return checked, (
                    f"report {name} no longer matches the event log: "
                    f"{', '.join(changed)} changed since it was recorded"
                )
            checked += 1
        after = rows[-1].id


async def _first_deleted(session: AsyncSession) -> str | None:
    """The first report the log has entries about whose row is gone."""
    gone = await session.scalar(
        select(Event.report_id)
        .outerjoin(Report, Report.id == Event.report_id)
        .where(Event.report_id.is_not(None), Report.id.is_(None))
        .order_by(Event.seq)
        .limit(1)
    )
    if gone is None:
        return None
    details = await session.scalars(
        select(Event.detail)
        .where(Event.report_id == gone, Event.kind.in_(BOUND_KINDS))
        .order_by(Event.seq.desc())
    )
    name: object = None
    for detail in details:
        binding = detail.get(BINDING)
        if isinstance(binding, Mapping):
            name = binding.get("reference")
            break
    name = name or "without a reference"
    return f"report {name} (id {gone}) was deleted: the event log has entries about it"
