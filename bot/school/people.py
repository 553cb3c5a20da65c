"""People and roles: the school configuration mirrored into the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.record.events import record_event
from bot.school.config import SchoolConfig
from storage.models import Person


async def sync_people(session: AsyncSession, *, school: SchoolConfig, now: datetime) -> int:
    """Make the people table match the configuration; people who left are kept, inactive.

    Returns how many rows changed. Role changes are recorded in the event log, because who
    could see safeguarding records, and when, is itself part of the record.
    """
    existing = {p.email: p for p in await session.scalars(select(Person))}
    configured = {p.email: p for p in school.people}
    changed = 0
    for email, person in configured.items():
        roles = sorted(str(role) for role in person.roles)
        row = existing.get(email)
        if row is None:
            session.add(Person(email=email, display_name=person.name, roles=roles, updated_at=now))
        elif row.display_name == person.name and row.roles == roles and row.active:
            continue
        else:
            if row.roles != roles:
                detail: dict[str, object] = {"email": email, "from": row.roles, "to": roles}
                await record_event(
                    session, kind="roles_changed", at=now, actor_email=None, detail=detail
                )
            row.display_name, row.roles, row.active, row.updated_at = person.name, roles, True, now
        changed += 1
    for email, row in existing.items():
        if email not in configured and row.active:
            row.active, row.updated_at = False, now
            changed += 1
    await session.flush()
    return changed
