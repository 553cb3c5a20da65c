"""Term dates, closures and bank holidays: which days the school is open (the `calendar:`
section of the school file). A school day is a day in term, on one of the school's open
weekdays, that is neither a bank holiday of the school's region nor a closure."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Annotated, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.school.loading import FieldProblem

log = logging.getLogger(__name__)


class Region(StrEnum):
    """Where the school is: the UK's three lists of bank holidays differ."""

    ENGLAND_AND_WALES = "england_and_wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern_ireland"


_Date = date  # Closure has a field called `date`


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Term(_Model):
    """A term, first and last day included. Half terms are the gaps between terms (or closures)."""

    start: date
    end: date

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Self:
        if self.end < self.start:
            raise FieldProblem(("end",), f"{self.end} is before the term's start ({self.start})")
        return self


class Closure(_Model):
    """A day (`date`) or days (`start` to `end`, included) the school is shut: an INSET day, a
    snow day, a polling day."""

    date: _Date | None = None
    start: _Date | None = None
    end: _Date | None = None
    reason: Annotated[str, Field(min_length=1)]

    @model_validator(mode="after")
    def _one_day_or_a_range(self) -> Self:
        if self.date is not None:
            if self.start is not None or self.end is not None:
                raise FieldProblem(("date",), "give either date, or start and end, not both")
        elif self.start is None or self.end is None:
            missing = "end" if self.start is not None else "start"
            raise FieldProblem((missing,), "missing; give date, or both start and end")
        elif self.end < self.start:
            raise FieldProblem(("end",), f"{self.end} is before the closure's start ({self.start})")
        return self

    @property
    def first(self) -> _Date:
        return self.date or self.start or date.min

    @property
    def last(self) -> _Date:
        return self.date or self.end or date.max

    def covers(self, day: _Date) -> bool:
        return self.first <= day <= self.last


class BankHolidays:
    """The shipped list (bank_holidays.yaml) for one region, and how far it reaches."""

    def __init__(self, days: Mapping[date, str], *, covers_from: date, covers_until: date) -> None:
        self.days, self.covers_from, self.covers_until = dict(days), covers_from, covers_until

    def name(self, day: date) -> str | None:
        return self.days.get(day)

    def covers(self, day: date) -> bool:
        return self.covers_from <= day <= self.covers_until


@cache
def bank_holidays(region: Region) -> BankHolidays:
    """The shipped bank holidays of `region`; read once, from the package's data file."""
    text = resources.files("bot.school").joinpath("bank_holidays.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    days = {entry["date"]: entry["name"] for entry in data[region.value]}
    return BankHolidays(days, covers_from=data["covers_from"], covers_until=data["covers_until"])


class SchoolCalendar(_Model):
    region: Region = Region.ENGLAND_AND_WALES
    terms: tuple[Term, ...] = ()
    closures: tuple[Closure, ...] = ()

    @model_validator(mode="after")
    def _terms_in_order(self) -> Self:
        for index in range(1, len(self.terms)):
            if self.terms[index].start <= self.terms[index - 1].end:
                raise FieldProblem(
                    ("terms", index, "start"),
                    f"{self.terms[index].start} is not after the end of the term before it "
                    f"({self.terms[index - 1].end}); list terms in order, without overlaps",
                )
        return self

    def closed_because(self, day: date, *, extra: Collection[Closure] = ()) -> str | None:
        """Why the school is shut on `day` (outside term, a bank holiday, a closure), if it is.
        Weekdays are the school hours' business. `extra`: closures recorded in chat."""
        if not self.in_term(day):
            return "outside term"
        holiday = bank_holidays(self.region).name(day)
        if holiday is not None:
            return holiday
        for closure in (*self.closures, *extra):
            if closure.covers(day):
                return closure.reason
        return None

    def in_term(self, day: date) -> bool:
        """Whether `day` falls in a term. With no terms, or outside the academic years (1
        September to 31 August) the terms listed reach, the calendar cannot tell: every day
        counts as in term, as before terms were kept, so a school whose dates ran out is not
        treated as on holiday for ever."""
        if not self.terms or not self.first_day <= day <= self.last_day:
            return True
        return any(term.start <= day <= term.end for term in self.terms)

    @property
    def first_day(self) -> date:
        """1 September of the first academic year with terms listed."""
        start = self.terms[0].start if self.terms else date.min
        return date(start.year if start.month >= 9 else start.year - 1, 9, 1)

    @property
    def last_day(self) -> date:
        """31 August of the last academic year with terms listed."""
        end = self.terms[-1].end if self.terms else date.max
        return date(end.year + 1 if end.month >= 9 else end.year, 8, 31)

    def warn_if_out_of_date(self, today: date) -> list[str]:
        """What a school should renew, said at start-up: the shipped bank holidays, its terms."""
        problems = []
        holidays = bank_holidays(self.region)
        if not holidays.covers(today):
            problems.append(
                f"the bot's bank holiday dates run from {holidays.covers_from} to "
                f"{holidays.covers_until}; today ({today}) is beyond them, so bank holidays are "
                "not known and count as school days: update the bot (bot/school/bank_holidays.yaml)"
            )
        if self.terms and today > self.last_day:
            problems.append(
                f"calendar.terms: the terms listed end with the school year to {self.last_day}; "
                "add this year's term dates, until then every weekday counts as a school day"
            )
        for problem in problems:
            log.warning("SCHOOL CALENDAR OUT OF DATE: %s", problem)
        return problems
