"""Who is alerted about a report, at which level, and who must never be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.reports.allegation_kind import is_low_level
from bot.reports.subjects import Subjects
from bot.school.config import EscalationPlan, Role, SchoolConfig
from bot.school.rota import Cover, Duty, duty_at
from bot.school.terms import Closure
from storage.models import Report

# The level of the one card update that tells someone a case was passed on (updates that carry
# the case count from 1).
PASSED_ON_LEVEL = 0
# The level of the alert a trust's final level sends its safeguarding lead: below every level
# of the school's own chain and its reminders (which count up from 0), so the figures of a
# school's escalations (the highest level reached) are its own.
TRUST_LEVEL = -1


@dataclass(frozen=True)
class Level:
    level: int
    after: timedelta
    emails: tuple[str, ...]


@dataclass(frozen=True)
class FinalLevel:
    """A trust's final level: its safeguarding leads, alerted once a case has waited `after`
    unacknowledged (bot/cases/alerts.py AlertDesk._to_the_trust)."""

    after: timedelta
    emails: tuple[str, ...]


@dataclass(frozen=True)
class AlertPlan:
    """The levels in order, the repeat interval after the last, and who is kept out of it."""

    levels: tuple[Level, ...]
    repeat_every: timedelta
    excluded: frozenset[str]

    @property
    def everyone(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for level in self.levels:
            seen.update(dict.fromkeys(level.emails))
        return tuple(seen)


def plan_for(
    school: SchoolConfig,
    report: Report,
    subjects: Subjects,
    closures: Sequence[Closure] = (),
    covers: Sequence[Cover] = (),
) -> AlertPlan:
    """The escalation plan for a report: the school's chain, or the allegations route.
    `closures`: those recorded in chat for the day it was alerted, `covers`: the cover in
    force when it was alerted (both say who is on duty then)."""
    plan = school.alerts.urgent if report.urgent else school.alerts.normal
    excluded = subjects.emails
    if report.allegation:
        return _allegation_plan(school, plan, subjects, low_level=is_low_level(report))
    levels = tuple(
        Level(i, timedelta(minutes=step.after_minutes), _emails(school, step.roles, excluded))
        for i, step in enumerate(plan.levels)
    )
    repeat = timedelta(minutes=plan.repeat_every_minutes)
    duty = duty_for(school, report, closures, covers)
    if duty is not None:
        levels = _with_duty(levels, duty, excluded, repeat)
    return AlertPlan(_non_empty(levels), repeat, excluded)


def duty_for(
    school: SchoolConfig,
    report: Report,
    closures: Sequence[Closure] = (),
    covers: Sequence[Cover] = (),
) -> Duty | None:
    """Who was on duty when the report was alerted (fixed for the life of the case, so each
    escalation works from the same plan); None without a rota, and for an allegation, whose
    route KCSIE part 4 sets and a rota never changes."""
    if not follows_rota(school, report):
        return None
    moment: datetime | None = alerted_moment(report)
    if moment is None:  # not a report yet (a draft about to be purged): the levels as written
        return None
    return duty_at(school, moment, closures, covers)


def follows_rota(school: SchoolConfig, report: Report) -> bool:
    """Whether a rota decides who is on duty for this report: the school has one and it is not
    an allegation. Only then do the closures and cover recorded in chat change its plan."""
    return school.rota is not None and not report.allegation


def alerted_moment(report: Report) -> datetime:
    """When the report was alerted: the moment its duty and its out-of-hours lines go by."""
    return report.alerted_at or report.created_at


def _with_duty(
    levels: tuple[Level, ...], duty: Duty, excluded: frozenset[str], repeat: timedelta
) -> tuple[Level, ...]:
    """The configured levels with the people on duty first. In hours the person on duty joins
    the first level; out of hours the out-of-hours people are the first level and the rest of
    it joins the second (or follows after `repeat`). Nobody the levels name is ever dropped,
    and nobody excluded is ever added."""
    on_duty = tuple(e for e in duty.emails if e not in excluded)
    if not on_duty or not levels:
        return levels
    first, later = levels[0], list(levels[1:])
    if duty.in_hours:
        emails = tuple(dict.fromkeys((*on_duty, *first.emails)))
        return (Level(0, first.after, emails), *later)
    rest = tuple(e for e in first.emails if e not in on_duty)
    if rest and later:
        second = later[0]
        later[0] = Level(second.level, second.after, tuple(dict.fromkeys((*second.emails, *rest))))
    elif rest:
        later = [Level(1, first.after + repeat, rest)]
    return (Level(0, first.after, on_duty), *later)


def may_handle(school: SchoolConfig, email: str, report: Report, plan: AlertPlan) -> bool:
    """Whether this person may act on this case: checked on the server for every action.

    The DSL, deputies and headteacher handle cases; an allegation about an adult only those it
    is routed to (never the person it concerns).
    """
    person = school.person(email)
    if person is None or person.email in plan.excluded:
        return False
    if report.allegation:
        return person.email in plan.everyone
    return person.handles_cases


def kept_out(report: Report, plan: AlertPlan, email: str) -> bool:
    """Whether someone alerted about this report must hear no more of it than that it was
    passed on: whoever it may be about, and, for an allegation, anyone it is not routed to
    (the team alerted at once on an urgent report, before it was known to be one)."""
    email = email.strip().lower()
    return email in plan.excluded or (report.allegation and email not in plan.everyone)


def ict_contacts(school: SchoolConfig) -> tuple[str, ...]:
    return tuple(p.email for p in school.people_with(Role.ICT))


def _allegation_plan(
    school: SchoolConfig, plan: EscalationPlan, subjects: Subjects, *, low_level: bool
) -> AlertPlan:
    """KCSIE part 4: the headteacher, or the chair of governors when it may concern the head;
    then the school's named fallback. Whoever may be the subject is never among them, and an
    allegation whose subject was not identified goes to the first of them alone. A low-level
    concern goes first to the DSL where the school's policy says so (`low_level`), then the
    same way; one whose subject was not identified goes to the head alone, as it may be the
    DSL's."""
    excluded = subjects.emails
    heads = _emails(school, (Role.HEADTEACHER,), excluded)
    chair = school.chair_of_governors
    chairs = (chair.email,) if chair is not None and chair.email not in excluded else ()
    fallback = tuple(e for e in school.allegations.fallback if e not in excluded)
    tiers = [t for t in ((), chairs, fallback) if t]
    if not subjects.about_head and heads:
        tiers.insert(0, heads)
    to_dsl = low_level and school.allegations.low_level_concerns_to == "dsl"
    if to_dsl and subjects.resolved and tiers:
        dsl = tuple(e for e in _emails(school, (Role.DSL,), excluded) if e not in tiers[0])
        tiers = [dsl, *tiers] if dsl else tiers
    if not tiers:  # everyone at the top may be concerned: the team, never the person concerned
        tiers = [_emails(school, (Role.DSL, Role.DEPUTY_DSL), excluded)]
    if not subjects.resolved:
        tiers = tiers[:1]
    later = plan.levels[1].after_minutes if len(plan.levels) > 1 else 10
    levels = tuple(Level(i, timedelta(minutes=later * i), t) for i, t in enumerate(tiers))
    return AlertPlan(_non_empty(levels), timedelta(minutes=plan.repeat_every_minutes), excluded)


def _emails(
    school: SchoolConfig, roles: tuple[Role, ...], excluded: frozenset[str]
) -> tuple[str, ...]:
    return tuple(p.email for p in school.people_with(*roles) if p.email not in excluded)


def _non_empty(levels: tuple[Level, ...]) -> tuple[Level, ...]:
    kept = [level for level in levels if level.emails]
    return tuple(Level(i, level.after, level.emails) for i, level in enumerate(kept))
