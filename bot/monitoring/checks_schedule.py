"""When the ICT lead is asked to run a filtering check: once a period (a half term by default,
each term of the school calendar being a half term; or a term, or a month; every six weeks when
the calendar has no term dates), at the set time on the period's first school day, and once
more a week later if no check has been recorded since.

Each ask is a `filtering_check_requests` row whose `period` is unique, and its messages are
outbox rows keyed by that row: two schedulers running at once ask once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.messages import Card, Option, Outbound
from bot.delivery.outbox import enqueue
from bot.record.events import record_event
from bot.school.config import Role, SchoolConfig
from bot.school.terms import Term
from bot.words import strings
from storage.models import FilteringCheck, FilteringCheckRequest, Outbox

log = logging.getLogger(__name__)
ASK = "check_ask"  # outbox kinds
ASK_AGAIN = "check_again"
KINDS = frozenset({ASK, ASK_AGAIN})
START = "check:start"  # the ask's button (and the value the router answers)
REMIND_AFTER = timedelta(days=7)
SIX_WEEKS = timedelta(weeks=6)
_TERM_OF_MONTH = {9: "autumn", 10: "autumn", 11: "autumn", 12: "autumn", 1: "spring", 2: "spring"}


@dataclass(frozen=True)
class Period:
    key: str  # unique: "half_term:2026-11-02", "term:2026-27:autumn", "month:2026-11", ...
    first: date
    last: date


def period_of(school: SchoolConfig, day: date) -> Period | None:
    """The period `day` falls in; None in a holiday between terms."""
    every = school.monitoring.checks.every
    if every == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(f"month:{first:%Y-%m}", first, following - timedelta(days=1))
    calendar = school.calendar
    if not calendar.terms or not calendar.first_day <= day <= calendar.last_day:
        return _six_weeks(day)
    terms = calendar.terms
    if every == "half_term":
        term = next((t for t in terms if t.start <= day <= t.end), None)
        return None if term is None else Period(f"half_term:{term.start}", term.start, term.end)
    groups: dict[str, list[Term]] = {}
    for term in terms:
        year = term.start.year if term.start.month >= 9 else term.start.year - 1
        name = _TERM_OF_MONTH.get(term.start.month, "spring" if term.start.month == 3 else "summer")
        groups.setdefault(f"term:{year}:{name}", []).append(term)
    for key, group in groups.items():
        if group[0].start <= day <= group[-1].end:
            return Period(key, group[0].start, group[-1].end)
    return None


def _six_weeks(day: date) -> Period:
    """Six-week blocks from 1 September, for a calendar without term dates."""
    september = date(day.year if day.month >= 9 else day.year - 1, 9, 1)
    n = (day - september) // SIX_WEEKS
    first = september + n * SIX_WEEKS
    return Period(f"six_weeks:{september.year}:{n + 1}", first, first + SIX_WEEKS - timedelta(1))


def ask_moment(school: SchoolConfig, period: Period) -> datetime | None:
    """The set time on the period's first school day; None if it has no school day."""
    day = period.first
    while day <= period.last:
        if school.is_school_day(day):
            return datetime.combine(day, school.monitoring.checks.at, tzinfo=school.tz)
        day += timedelta(days=1)
    return None


def ict_people(school: SchoolConfig) -> list[str]:
    return [person.email for person in school.people_with(Role.ICT)]


def warn_if_nobody_to_ask(school: SchoolConfig) -> bool:
    """At start: without anyone with the role ict, no check is asked for; say so."""
    if ict_people(school):
        return False
    log.warning(
        "FILTERING CHECKS: nobody in the school file has the role ict, so nobody is asked to "
        "run the regular filtering checks; give the ICT lead the role ict"
    )
    return True


async def _checked_since(session: AsyncSession, day: date, school: SchoolConfig) -> bool:
    since = datetime.combine(day, datetime.min.time(), tzinfo=school.tz)
    found = await session.scalar(
        select(func.count()).select_from(FilteringCheck).where(FilteringCheck.checked_at >= since)
    )
    return bool(found)


async def ask_due(
    session: AsyncSession, *, school: SchoolConfig, channels: tuple[str, ...], now: datetime
) -> int:
    """Queue this period's ask and any reminder that is due; returns the outbox rows queued."""
    people = ict_people(school)
    if not people:
        return 0
    queued = 0
    period = period_of(school, now.astimezone(school.tz).date())
    moment = ask_moment(school, period) if period is not None else None
    due = period is not None and moment is not None and now >= moment
    if due and period is not None and not await _checked_since(session, period.first, school):
        queued += await _ask(session, period, people, channels, now)
    queued += await _remind(session, school, people, channels, now)
    return queued


async def _ask(
    session: AsyncSession,
    period: Period,
    people: list[str],
    channels: tuple[str, ...],
    now: datetime,
) -> int:
    values = {"period": period.key, "period_start": period.first, "asked_at": now}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = await session.execute(
        insert(FilteringCheckRequest).values(values).on_conflict_do_nothing()
    )
    if not added.rowcount:  # type: ignore[attr-defined]
        return 0  # asked already (by this scheduler earlier, or another one now)
    request_id = await session.scalar(
        select(FilteringCheckRequest.id).where(FilteringCheckRequest.period == period.key)
    )
    await record_event(
        session,
        kind="filtering_check_asked",
        at=now,
        actor_email=None,
        detail={"period": period.key, "people": len(people)},
    )
    log.info("filtering check asked period=%s people=%d", period.key, len(people))
    return await _queue(session, request_id, people, channels, ASK, now)


async def _remind(
    session: AsyncSession,
    school: SchoolConfig,
    people: list[str],
    channels: tuple[str, ...],
    now: datetime,
) -> int:
    queued = 0
    due = await session.scalars(
        select(FilteringCheckRequest).where(
            FilteringCheckRequest.reminded_at.is_(None),
            FilteringCheckRequest.asked_at <= now - REMIND_AFTER,
            FilteringCheckRequest.asked_at > now - 2 * REMIND_AFTER,  # not a long-past period
        )
    )
    for request in list(due):
        if await _checked_since(session, request.period_start, school):
            continue
        taken = await session.execute(
            update(FilteringCheckRequest)
            .where(
                FilteringCheckRequest.id == request.id, FilteringCheckRequest.reminded_at.is_(None)
            )
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount:  # type: ignore[attr-defined]
            queued += await _queue(session, request.id, people, channels, ASK_AGAIN, now)
    return queued


async def _queue(
    session: AsyncSession,
    request_id: int | None,
    people: list[str],
    channels: tuple[str, ...],
    kind: str,
    now: datetime,
) -> int:
    # Keyed by the request (in the conversation id's place: it names no report), so one ask
    # and one reminder per person, channel and period, whoever queues them.
    return await enqueue(
        session,
        report_id=None,
        conversation_id=request_id,
        emails=people,
        channels=channels,
        kind=kind,
        level=1 if kind == ASK_AGAIN else 0,
        now=now,
        about={"check_request": request_id},
    )


def ask_messages(row: Outbox) -> list[Outbound]:
    """The ask (or its reminder) with the button that starts the check."""
    again = row.kind == ASK_AGAIN
    return [
        Card(
            card_id=f"check-ask-{row.conversation_id}-{row.level}",
            title=strings.CHECK_ASK_TITLE,
            text=strings.CHECK_ASK_AGAIN if again else strings.CHECK_ASK,
            actions=(Option(START, strings.CHECK_START_OPTION, "primary"),),
        )
    ]
