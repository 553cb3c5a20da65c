"""A report's reference (OS-2026-00042): its kind's prefix, the year and its row id."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.reports import kinds
from storage.models import Report

_UNKNOWN_KIND_PREFIX = "RP"


async def assign_reference(session: AsyncSession, report: Report) -> None:
    # The row id makes the reference unique on every database without a counter table.
    session.add(report)
    await session.flush()
    year = report.created_at.year
    known = kinds.find(report.kind)
    prefix = known.reference_prefix if known else _UNKNOWN_KIND_PREFIX
    # Written with the row's next change (a report's sealed answers come next): one UPDATE
    # fewer on every report filed. Nothing reads it from the database before then.
    report.reference = f"{prefix}-{year}-{report.id:05d}"
