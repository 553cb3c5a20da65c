"""Training records (policy §11): everyone's induction and annual online-safety refresher, and for
the DSL and deputies the two-yearly DSL training and the update at least once a year (KCSIE); the
self-audit adds its own date. What is overdue, and what falls due before this academic year ends,
is worked out from these. Governors are not staff here: their safeguarding training is the
governing board's, so someone whose only role is governor is not checked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.record.events import record_event
from bot.school.audit_settings import TrainingDates
from bot.school.calendar import academic_year
from bot.school.config import Person
from storage.models import TrainingRecord

# What a record may be (their names: strings.TRAINING_KINDS, which also names "audit").
KINDS = ("induction", "refresher", "dsl", "dsl_update")
DSL_TRAINING_EVERY_YEARS = 2  # §11: the DSL and deputies every two years
DSL_UPDATE_EVERY_YEARS = 1  # §11: and an update of their knowledge at least annually


@dataclass(frozen=True)
class PersonTraining:
    name: str
    email: str
    latest: dict[str, date]  # kind -> the most recent date (kinds: KINDS and "audit")
    # What is missing or out of date, by kind: "induction" (none recorded), "refresher" (none
    # this academic year or last), "dsl" (DSL training DSL_TRAINING_EVERY_YEARS or more ago),
    # "dsl_update" (neither an update nor DSL training in the last year).
    overdue: tuple[str, ...]
    academic_year: str
    # Not late yet, but due before `academic_year` ends: "refresher" (the last was last academic
    # year), "dsl" and "dsl_update" (their interval runs out by 31 August).
    due: tuple[str, ...] = ()


async def add_record(
    session: AsyncSession,
    *,
    email: str,
    kind: str,
    completed_on: date,
    source: str,
    recorded_by: str | None,
    now: datetime,
) -> bool:
    """Record one training; False if that very record is already there."""
    email = email.strip().lower()
    found = await session.scalar(
        select(TrainingRecord).where(
            TrainingRecord.email == email,
            TrainingRecord.kind == kind,
            TrainingRecord.completed_on == completed_on,
        )
    )
    if found is not None:
        return False
    session.add(
        TrainingRecord(
            email=email,
            kind=kind,
            completed_on=completed_on,
            source=source,
            recorded_by=recorded_by,
            recorded_at=now,
        )
    )
    if source == "dsl":
        await record_event(
            session,
            kind="training_recorded",
            at=now,
            actor_email=recorded_by,
            detail={"kind": kind, "on": completed_on.isoformat()},
        )
    return True


async def sync_from_config(
    session: AsyncSession, training: Sequence[TrainingDates], *, now: datetime
) -> int:
    """The dates the school's config holds, as records (once each; the config may only add)."""
    added = 0
    for entry in training:
        for kind in KINDS:
            day = getattr(entry, kind)
            if day is not None:
                added += await add_record(
                    session,
                    email=entry.email,
                    kind=kind,
                    completed_on=day,
                    source="config",
                    recorded_by=None,
                    now=now,
                )
    return added


async def overview(
    session: AsyncSession, people: Sequence[Person], *, today: date
) -> list[PersonTraining]:
    """Everyone in the config with their latest dates and what is overdue."""
    latest: dict[str, dict[str, date]] = {}
    for record in await session.scalars(select(TrainingRecord)):
        mine = latest.setdefault(record.email, {})
        if record.kind not in mine or record.completed_on > mine[record.kind]:
            mine[record.kind] = record.completed_on
    this_year = academic_year(today)
    last_year = academic_year(date(today.year - 1, today.month, min(today.day, 28)))
    year_ends = _end_of_academic_year(today)
    found = []
    for person in people:
        if not is_staff(person):
            continue
        dates = latest.get(person.email, {})
        overdue, due = [], []
        if "induction" not in dates:
            overdue.append("induction")
        refresher = dates.get("refresher")
        if refresher is None or academic_year(refresher) not in {this_year, last_year}:
            overdue.append("refresher")
        elif academic_year(refresher) == last_year:
            due.append("refresher")
        if person.is_safeguarding_lead:
            dsl = dates.get("dsl")
            updated = max(
                (d for d in (dsl, dates.get("dsl_update")) if d is not None), default=None
            )
            for kind, last, every in (
                ("dsl", dsl, DSL_TRAINING_EVERY_YEARS),
                ("dsl_update", updated, DSL_UPDATE_EVERY_YEARS),
            ):
                if last is None or _years_between(last, today) >= every:
                    overdue.append(kind)
                elif _years_between(last, year_ends) >= every:
                    due.append(kind)
        found.append(
            PersonTraining(person.name, person.email, dates, tuple(overdue), this_year, tuple(due))
        )
    return found


def is_staff(person: Person) -> bool:
    """Checked for staff training: anyone with a role besides governor."""
    return not person.governor_only


def _end_of_academic_year(today: date) -> date:
    """31 August at the end of today's academic year."""
    return date(today.year + (today.month >= 9), 8, 31)


def _years_between(earlier: date, later: date) -> int:
    years = later.year - earlier.year
    return years - ((later.month, later.day) < (earlier.month, earlier.day))
