"""Training records (policy §11): everyone's induction and annual online-safety refresher, and the
two-yearly DSL training for the DSL and deputies; the self-audit adds its own date. Who is
overdue is worked out from these, against the academic year."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.record.events import record_event
from bot.school.audit_settings import TrainingDates
from bot.school.calendar import academic_year
from bot.school.config import Person, Role
from storage.models import TrainingRecord

# What a record may be (their names: strings.TRAINING_KINDS, which also names "audit").
KINDS = ("induction", "refresher", "dsl")
DSL_TRAINING_EVERY_YEARS = 2  # §11: the DSL and deputies every two years


@dataclass(frozen=True)
class PersonTraining:
    name: str
    email: str
    latest: dict[str, date]  # kind -> the most recent date (kinds: KINDS and "audit")
    # What is missing or out of date, by kind: "induction" (none recorded), "refresher" (none
    # in `academic_year`), "dsl" (DSL training more than DSL_TRAINING_EVERY_YEARS ago).
    overdue: tuple[str, ...]
    academic_year: str


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
    found = []
    for person in people:
        dates = latest.get(person.email, {})
        overdue = []
        if "induction" not in dates:
            overdue.append("induction")
        refresher = dates.get("refresher")
        if refresher is None or academic_year(refresher) != this_year:
            overdue.append("refresher")
        if person.has_role(Role.DSL) or person.has_role(Role.DEPUTY_DSL):
            dsl = dates.get("dsl")
            if dsl is None or _years_between(dsl, today) >= DSL_TRAINING_EVERY_YEARS:
                overdue.append("dsl")
        found.append(PersonTraining(person.name, person.email, dates, tuple(overdue), this_year))
    return found


def _years_between(earlier: date, later: date) -> int:
    years = later.year - earlier.year
    return years - ((later.month, later.day) < (earlier.month, earlier.day))
