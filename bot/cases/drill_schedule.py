"""When the schedule sends a drill (the school file's `drills:`): on a school day, in school
hours, from the set time of day, from the term's second week (not in the rush of the first days
back), `per_term` times a term spread over it; a drill the team sent in chat that term counts.

Once only, even with two schedulers: the drill's `drills.term` is "<term's first day>#<n>",
unique in the database, so the second insert of the same n fails and sends nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.school.config import SchoolConfig
from bot.school.terms import Closure
from storage.models import Drill

FIRST_WEEK = timedelta(days=7)


def term_of(school: SchoolConfig, day: date) -> tuple[date, date] | None:
    """The first and last day of the term `day` is in: the school's own terms, or, where it
    lists none for that school year, the usual three (autumn, spring, summer). None between
    terms."""
    calendar = school.calendar
    for term in calendar.terms:
        if term.start <= day <= term.end:
            return term.start, term.end
    if calendar.terms and calendar.first_day <= day <= calendar.last_day:
        return None
    if day.month >= 9:
        return date(day.year, 9, 1), date(day.year, 12, 31)
    if day.month <= 3:
        return date(day.year, 1, 1), date(day.year, 3, 31)
    if day.month <= 7:
        return date(day.year, 4, 1), date(day.year, 7, 31)
    return None  # August: the summer holiday


def wanted_by(first: date, last: date, day: date, per_term: int) -> int:
    """How many drills the term should have had by `day`: the first from its second week, the
    others evenly over the rest of it."""
    begin = first + FIRST_WEEK
    if per_term <= 0 or day < begin:
        return 0
    span = max((last - begin).days + 1, 1)
    return min(per_term, 1 + (day - begin).days * per_term // span)


async def due(
    session: AsyncSession, school: SchoolConfig, now: datetime, closed: list[Closure]
) -> str | None:
    """The `drills.term` key of the drill to send now, or None when none is due."""
    settings = school.drills
    local = now.astimezone(school.tz)
    if settings.per_term == 0 or local.time() < settings.at:
        return None
    if not school.is_school_hours(now, closures=closed):
        return None
    term = term_of(school, local.date())
    if term is None:
        return None
    wanted = wanted_by(*term, local.date(), settings.per_term)
    start = datetime.combine(term[0], time(), school.tz)
    end = datetime.combine(term[1] + timedelta(days=1), time(), school.tz)
    sent = await session.scalar(
        select(func.count())
        .select_from(Drill)
        .where(Drill.started_at >= start, Drill.started_at < end)
    )
    if (sent or 0) >= wanted:
        return None
    return f"{term[0].isoformat()}#{(sent or 0) + 1}"
