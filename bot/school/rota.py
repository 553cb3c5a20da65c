"""The safeguarding team's rota (the school file's `rota:`): who is the first contact when.

In school hours the first contact is one DSL or deputy: by date range (`overrides`), else by
A/B week (`week_b`, counted from `week_a_starts`), else by weekday (`weekdays`). Outside school
hours (as `SchoolConfig.is_school_hours` says: term dates and closures count there) it is the
`out_of_hours` plan's people. Cover accepted in chat (`cover me`, bot/cases/cover.py) comes
first for exactly its range: in hours its acceptor is the first contact; out of hours its
acceptor stands in for whoever asked among the out-of-hours people. The rota only ever adds
the person on duty to the first level of the school's `alerts:` levels; it never takes anyone
out of the chain (bot/cases/recipients.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.school.contacts import checked_email
from bot.school.loading import FieldProblem
from bot.school.terms import Closure

if TYPE_CHECKING:  # config.py holds the rota: imported there, so here for types only
    from bot.school.config import SchoolConfig

RotaDay = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_DAYS: tuple[RotaDay, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Override(_Model):
    """Someone else is first contact from `start` to `end`, both days included."""

    start: date
    end: date
    person: str

    @field_validator("person")
    @classmethod
    def _check_email(cls, value: str) -> str:
        return checked_email(value)

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Self:
        if self.end < self.start:
            raise FieldProblem(("end",), f"{self.end} is before the start ({self.start})")
        return self


class OutOfHours(_Model):
    """Who is alerted first outside school hours (and outside term, once term dates are kept)."""

    people: Annotated[tuple[str, ...], Field(min_length=1)]

    @field_validator("people")
    @classmethod
    def _check_emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(checked_email(email) for email in value)


class Week(_Model):
    """Who is on duty on each day of a week (an e-mail, or nobody)."""

    mon: str | None = None
    tue: str | None = None
    wed: str | None = None
    thu: str | None = None
    fri: str | None = None
    sat: str | None = None
    sun: str | None = None

    @field_validator("*")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        return None if value is None else checked_email(value)

    def named(self) -> dict[RotaDay, str]:
        """The days that name someone, in order."""
        found = ((day, getattr(self, day)) for day in _DAYS)
        return {day: email for day, email in found if email is not None}


class Rota(_Model):
    weekdays: Week = Week()
    week_a_starts: date | None = None
    week_b: Week | None = None
    overrides: tuple[Override, ...] = ()
    out_of_hours: OutOfHours | None = None
    # How long the others have to accept a `cover me` before the head is told.
    cover_wait_minutes: Annotated[float, Field(gt=0)] = 60

    @model_validator(mode="after")
    def _weeks_and_ranges(self) -> Self:
        if self.week_b is not None and self.week_a_starts is None:
            raise FieldProblem(
                ("week_a_starts",),
                "week_b needs week_a_starts: a date in the first week A (weeks alternate from it)",
            )
        ranges = sorted(enumerate(self.overrides), key=lambda pair: pair[1].start)
        for (_, earlier), (index, later) in pairwise(ranges):
            if later.start <= earlier.end:
                raise FieldProblem(
                    ("overrides", index, "start"),
                    f"{later.start} falls in another override ({earlier.start} to {earlier.end}); "
                    "overrides may not overlap",
                )
        return self

    def first_contact(self, day: date) -> str | None:
        """The e-mail of the person on duty in school hours on `day`, if the rota names one."""
        for override in self.overrides:
            if override.start <= day <= override.end:
                return override.person
        name = _DAYS[day.weekday()]
        on_b: str | None = getattr(self.week_b, name) if self.week_b is not None else None
        if on_b is not None and self.is_week_b(day):
            return on_b
        found: str | None = getattr(self.weekdays, name)
        return found

    def is_week_b(self, day: date) -> bool:
        """Weeks alternate A, B, A, ... from the Monday of the week of `week_a_starts`."""
        if self.week_a_starts is None:
            return False
        monday = self.week_a_starts - timedelta(days=self.week_a_starts.weekday())
        return ((day - monday).days // 7) % 2 == 1


def check_people(school: SchoolConfig) -> None:
    """Everyone the rota names must be in the file: a DSL or deputy as first contact, and the
    DSL, a deputy or the head out of hours (people who may act on cases)."""
    rota = school.rota
    if rota is None:
        return
    week_b = rota.week_b.named() if rota.week_b is not None else {}
    named: list[tuple[tuple[str | int, ...], str, bool]] = [
        *((("weekdays", day), email, False) for day, email in rota.weekdays.named().items()),
        *((("week_b", day), email, False) for day, email in week_b.items()),
        *((("overrides", i, "person"), o.person, False) for i, o in enumerate(rota.overrides)),
    ]
    if rota.out_of_hours is not None:
        people = rota.out_of_hours.people
        named += [(("out_of_hours", "people", i), email, True) for i, email in enumerate(people)]
    for where, email, head_too in named:
        person = school.person(email)
        if person is None:
            raise FieldProblem(
                ("rota", *where), f"{email!r} is not one of the people above; add them to people"
            )
        allowed = person.handles_cases if head_too else person.is_safeguarding_lead
        if not allowed:
            who = "dsl, deputy_dsl or headteacher" if head_too else "dsl or deputy_dsl"
            raise FieldProblem(
                ("rota", *where),
                f"{email!r} ({person.name}) cannot be on duty: only people with the role {who} can",
            )


@dataclass(frozen=True)
class Cover:
    """Accepted cover: `acceptor` takes `requester`'s first-contact place from `start` up to
    (not including) `end`."""

    start: datetime
    end: datetime
    requester: str
    acceptor: str

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Duty:
    """Who is on duty at a moment: in hours the rota's first contact (none on a day it leaves
    empty), out of hours the out-of-hours plan's people (none without a plan)."""

    in_hours: bool
    emails: tuple[str, ...]


def duty_at(
    school: SchoolConfig,
    moment: datetime,
    closures: Sequence[Closure] = (),
    covers: Sequence[Cover] = (),
) -> Duty | None:
    """Who is on duty at an aware `moment`; None for a school with no rota (alerts as before).
    `closures`: those recorded in chat for that day (the school file's are in `school`);
    `covers`: cover accepted in chat, in the order it was accepted (the latest wins)."""
    rota = school.rota
    if rota is None:
        return None
    standing = [cover for cover in covers if cover.covers(moment)]
    if not school.is_school_hours(moment, closures=closures):
        plan = rota.out_of_hours
        people = plan.people if plan is not None else ()
        for cover in standing:
            people = tuple(cover.acceptor if e == cover.requester else e for e in people)
        return Duty(False, tuple(dict.fromkeys(people)))
    first = rota.first_contact(moment.astimezone(school.tz).date())
    if standing:
        first = standing[-1].acceptor
    return Duty(True, (first,) if first is not None else ())


def school_day_moment(school: SchoolConfig, day: date) -> datetime:
    """A moment in the middle of `day`'s school hours, in the school's timezone: asking
    `is_school_hours` of it says whether the school is open that day."""
    hours = school.school_hours
    start = datetime.combine(day, hours.start, school.tz)
    end = datetime.combine(day, hours.end, school.tz)
    return start + (end - start) / 2
