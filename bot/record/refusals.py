"""Refusals, all recorded, without flooding the event log.

The first refusal of a person and an action is a `refused` entry at once. Their repeats in the
next WINDOW are only counted (one `refusal_tallies` row, locked while it is counted), then
written as ONE `refused` entry with the count, `repeats`, and when they began and ended: by
the next refusal after the window, or by the scheduled sweep (`flush_due`). So a probe of 200
requests leaves two entries, and the counts still add up to every refusal. The tally belongs
to the database, not to a process: every replica counts into the same row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.record.events import record_event
from storage.models import EventChain, RefusalTally

WINDOW = timedelta(minutes=10)
SEVERAL = -1  # `report_id` of a tally whose repeats were about more than one case


async def record_refusal(
    session: AsyncSession, *, email: str, action: str, report_id: int | None, now: datetime
) -> None:
    """Record that `email` was refused `action` (on the case `report_id`, if any)."""
    await _lock_the_log(session)
    tally = await _locked(session, email, action)
    if tally is not None and now - tally.first_at < WINDOW:
        about = report_id
        if tally.repeats and tally.report_id != report_id:
            about = SEVERAL
        await session.execute(
            update(RefusalTally)
            .where(RefusalTally.id == tally.id)
            .values(repeats=RefusalTally.repeats + 1, last_at=now, report_id=about)
            .execution_options(synchronize_session=False)
        )
        return
    if tally is not None:  # the window closed: its count first, then this one opens another
        await _flush(session, tally, now=now)
    if not await _open(session, email=email, action=action, report_id=report_id, now=now):
        # Another transaction opened the window first: this is one of its repeats.
        await record_refusal(session, email=email, action=action, report_id=report_id, now=now)
        return
    await record_event(
        session,
        kind="refused",
        at=now,
        actor_email=email,
        report_id=report_id,
        detail={"action": action},
    )


async def flush_due(session: AsyncSession, *, now: datetime) -> int:
    """Write the count of every tally whose window has closed; the number of entries written."""
    await _lock_the_log(session)
    due = await session.scalars(
        select(RefusalTally)
        .where(RefusalTally.first_at <= now - WINDOW)
        .order_by(RefusalTally.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    written = 0
    for tally in list(due):
        written += await _flush(session, tally, now=now)
    return written


async def _lock_the_log(session: AsyncSession) -> None:
    """Take the event log's head before any tally: every writer of the log takes it first, so
    a refusal and another entry can never wait on each other in opposite orders (and two
    refusals never both open a window). Not created if missing: `record_event` notes that."""
    await session.execute(select(EventChain.id).with_for_update())  # the school's (storage.scope)


async def _locked(session: AsyncSession, email: str, action: str) -> RefusalTally | None:
    return await session.scalar(
        select(RefusalTally)
        .where(RefusalTally.actor_email == email, RefusalTally.action == action)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _open(
    session: AsyncSession, *, email: str, action: str, report_id: int | None, now: datetime
) -> bool:
    """Start a window for this person and action; False if one was started meanwhile (on a
    database the head lock does not serialise)."""
    values = {
        "actor_email": email,
        "action": action,
        "first_at": now,
        "last_at": now,
        "repeats": 0,
        "report_id": report_id,
    }
    dialect = (await session.connection()).dialect.name
    statement: Any
    if dialect == "postgresql":
        statement = postgresql_insert(RefusalTally).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite_insert(RefusalTally).values(values).on_conflict_do_nothing()
    else:
        statement = insert(RefusalTally).values(values)
    result = await session.execute(statement)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def _flush(session: AsyncSession, tally: RefusalTally, *, now: datetime) -> int:
    """One `refused` entry with the tally's count (if it counted any); the tally is removed."""
    await session.execute(
        delete(RefusalTally)
        .where(RefusalTally.id == tally.id)
        .execution_options(synchronize_session=False)
    )
    if tally.repeats == 0:
        return 0
    report_id = None if tally.report_id == SEVERAL else tally.report_id
    detail: dict[str, object] = {
        "action": tally.action,
        "repeats": tally.repeats,
        "first_at": _iso(tally.first_at),
        "last_at": _iso(tally.last_at),
    }
    if tally.report_id == SEVERAL:
        detail["cases"] = "several"
    await record_event(
        session,
        kind="refused",
        at=now,
        actor_email=tally.actor_email,
        report_id=report_id,
        detail=detail,
    )
    return 1


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
