"""The response-time record: for each real case, how long until it was acknowledged, until the
first thing was done about it and until it was closed; and the `stats` command, which shows the
medians per term (per academic year where the school file lists no terms), in and out of school
hours, and how many cases' alerts went on to the second or third level.

Numbers only: no reference, no category, no name is ever part of it. "First action" is the first
note or recorded action (a close is its own column): what `nothing_done` also counts as done.
Low-level concerns are kept out, as they are kept out of the cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import closures
from bot.delivery.messages import Card, CardField, Notice, Outbound
from bot.record.refusals import record_refusal
from bot.reports.allegation_kind import is_low_level
from bot.school.calendar import academic_year
from bot.school.config import SchoolConfig
from bot.school.terms import Closure
from bot.words import strings
from storage.models import Event, Outbox, Report

ACTION = "stats"  # what a refusal is recorded as
DONE_KINDS = ("note", "action")  # what counts as the first action
_PERIODS_SHOWN = 6  # the latest: a card stays readable in a chat


@dataclass(frozen=True)
class CaseTimes:
    """One case's times from its alert; None where it has not happened yet."""

    start: datetime
    in_hours: bool
    to_acknowledge: timedelta | None
    to_first_action: timedelta | None
    to_close: timedelta | None
    highest_level: int  # of its alerts: 0 the first level, 1 the second, 2+ the third or a repeat


@dataclass
class Period:
    """The cases of one term (or academic year), in the order they were alerted."""

    label: str
    cases: list[CaseTimes] = field(default_factory=list)

    def median(self, what: str, *, in_hours: bool) -> timedelta | None:
        found = [
            getattr(case, what)
            for case in self.cases
            if case.in_hours == in_hours and getattr(case, what) is not None
        ]
        if not found:
            return None
        return timedelta(seconds=median(t.total_seconds() for t in found))

    def reached(self, level: int) -> int:
        return sum(1 for case in self.cases if case.highest_level >= level)


def period_of(school: SchoolConfig, day: date) -> tuple[date, str]:
    """(sort key, label): the term `day` falls in where the school lists terms, else its
    academic year (a day between terms, a holiday, also goes to its academic year)."""
    for term in school.calendar.terms:
        if term.start <= day <= term.end:
            return term.start, strings.STATS_TERM.format(start=_day(term.start), end=_day(term.end))
    year = academic_year(day)
    return date(int(year[:4]), 9, 1), strings.STATS_YEAR.format(year=year)


def group(school: SchoolConfig, cases: Iterable[CaseTimes]) -> list[Period]:
    """The cases by period, oldest period first."""
    periods: dict[date, Period] = {}
    for case in sorted(cases, key=lambda c: c.start):
        key, label = period_of(school, case.start.astimezone(school.tz).date())
        periods.setdefault(key, Period(label)).cases.append(case)
    return [periods[key] for key in sorted(periods)]


async def case_times(
    session: AsyncSession, school: SchoolConfig, *, extra: Sequence[Closure] | None = None
) -> list[CaseTimes]:
    """Every real case's times (`extra`: closures recorded in chat; read here when None)."""
    reports = [
        r
        for r in await session.scalars(
            select(Report)
            .where(Report.case_status.is_not(None), Report.drill.is_(False))
            .order_by(Report.id)
        )
        if not is_low_level(r)
    ]
    if not reports:
        return []
    ids = [r.id for r in reports]
    done_rows = await session.execute(
        select(Event.report_id, func.min(Event.at))
        .where(Event.report_id.in_(ids), Event.kind.in_(DONE_KINDS))
        .group_by(Event.report_id)
    )
    first_done = {report_id: at for report_id, at in done_rows}
    level_rows = await session.execute(
        select(Outbox.report_id, func.max(Outbox.level))
        .where(Outbox.report_id.in_(ids), Outbox.kind == "alert")
        .group_by(Outbox.report_id)
    )
    highest = {report_id: level for report_id, level in level_rows}
    starts = {r.id: _start(r) for r in reports}
    if extra is None:
        days = [moment.astimezone(school.tz).date() for moment in starts.values()]
        extra = await closures.recorded(session, first=min(days), last=max(days))
    return [
        CaseTimes(
            start=starts[r.id],
            in_hours=school.is_school_hours(starts[r.id], closures=extra),
            to_acknowledge=_since(starts[r.id], r.acknowledged_at),
            to_first_action=_since(starts[r.id], first_done.get(r.id)),
            to_close=_since(starts[r.id], r.closed_at),
            highest_level=highest.get(r.id) or 0,
        )
        for r in reports
    ]


async def answer(
    session: AsyncSession, school: SchoolConfig, email: str, now: datetime
) -> list[Outbound]:
    """The response times for the DSL, a deputy or the head; refused (and recorded) for anyone
    else, on every ask."""
    if not school.handles_cases(email):
        await record_refusal(session, email=email, action=ACTION, report_id=None, now=now)
        return [Notice(strings.STATS_NOT_ALLOWED, "error")]
    periods = group(school, await case_times(session, school))
    if not periods:
        return [Notice(strings.STATS_NO_CASES, "info")]
    fields: list[CardField] = []
    for period in periods[-_PERIODS_SHOWN:]:
        fields.extend(
            CardField(f"{period.label}: {label}", value) for label, value in lines(period)
        )
    title = strings.STATS_TITLE.format(school=school.name)
    return [Card(card_id="stats", title=title, text=strings.STATS_NOTE, fields=tuple(fields))]


def lines(period: Period) -> list[tuple[str, str]]:
    """(label, value) for one period, in words and numbers only."""
    in_hours = sum(1 for case in period.cases if case.in_hours)
    counted = strings.STATS_CASES_VALUE.format(
        n=len(period.cases), in_hours=in_hours, out_of_hours=len(period.cases) - in_hours
    )
    return [
        (strings.STATS_CASES, counted),
        (strings.STATS_ACKNOWLEDGE, _medians(period, "to_acknowledge")),
        (strings.STATS_FIRST_ACTION, _medians(period, "to_first_action")),
        (strings.STATS_CLOSE, _medians(period, "to_close")),
        (
            strings.STATS_ESCALATED,
            strings.STATS_ESCALATED_VALUE.format(second=period.reached(1), third=period.reached(2)),
        ),
    ]


def duration(span: timedelta | None) -> str:
    """A duration in words, to the minute: "4 min", "2 h 5 min", "3 days 1 h"; "—" for none."""
    if span is None:
        return strings.STATS_NONE
    minutes = round(span.total_seconds() / 60)
    if minutes < 1:
        return strings.STATS_UNDER_A_MINUTE
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def _medians(period: Period, what: str) -> str:
    return strings.STATS_SPLIT.format(
        in_hours=duration(period.median(what, in_hours=True)),
        out_of_hours=duration(period.median(what, in_hours=False)),
    )


def _start(report: Report) -> datetime:
    """When the clock started: the alert (the escalation's own start), else when it was sent."""
    return report.alerted_at or report.submitted_at or report.created_at


def _since(start: datetime, then: datetime | None) -> timedelta | None:
    return None if then is None else max(then - start, timedelta(0))


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"
