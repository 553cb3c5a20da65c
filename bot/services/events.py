"""The record of events. Entries are only ever added, and never carry report content."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Event


async def record_event(
    session: AsyncSession,
    *,
    kind: str,
    at: datetime,
    actor_email: str | None,
    report_id: int | None = None,
    detail: dict[str, object] | None = None,
) -> Event:
    """Add one entry to the event log (in the caller's transaction)."""
    event = Event(
        report_id=report_id, kind=kind, actor_email=actor_email, detail=detail or {}, at=at
    )
    session.add(event)
    await session.flush()
    return event


async def events_for_report(session: AsyncSession, *, report_id: int) -> list[Event]:
    """A report's events, oldest first."""
    result = await session.scalars(
        select(Event).where(Event.report_id == report_id).order_by(Event.at, Event.id)
    )
    return list(result)
