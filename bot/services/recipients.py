"""Who is alerted about a report, at which level, and who must never be."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.school import EscalationPlan, Role, SchoolConfig
from storage.models import Report

HANDLER_ROLES = (Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER)


@dataclass(frozen=True)
class Level:
    level: int
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


def plan_for(school: SchoolConfig, report: Report, answers: dict[str, Any]) -> AlertPlan:
    """The escalation plan for a report: the school's chain, or the allegations route."""
    plan = school.alerts.urgent if report.urgent else school.alerts.normal
    excluded = people_concerned(school, report, answers)
    if report.allegation:
        return _allegation_plan(school, plan, report, excluded)
    levels = tuple(
        Level(i, timedelta(minutes=step.after_minutes), _emails(school, step.roles, excluded))
        for i, step in enumerate(plan.levels)
    )
    return AlertPlan(_non_empty(levels), timedelta(minutes=plan.repeat_every_minutes), excluded)


def people_concerned(
    school: SchoolConfig, report: Report, answers: dict[str, Any]
) -> frozenset[str]:
    """The adults an allegation is about, by name or e-mail in the report; they get nothing."""
    if not report.allegation:
        return frozenset()
    named = str(answers.get("adult_who") or "").casefold()
    concerned = {
        person.email
        for person in school.people
        if person.email in named or _names_match(person.name.casefold(), named)
    }
    if report.allegation_about_head:
        concerned.update(p.email for p in school.people_with(Role.HEADTEACHER))
    return frozenset(concerned)


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
    return any(person.has_role(role) for role in HANDLER_ROLES)


def ict_contacts(school: SchoolConfig) -> tuple[str, ...]:
    return tuple(p.email for p in school.people_with(Role.ICT))


def _allegation_plan(
    school: SchoolConfig, plan: EscalationPlan, report: Report, excluded: frozenset[str]
) -> AlertPlan:
    """KCSIE part 4: the headteacher, or the chair of governors when it concerns the head."""
    heads = _emails(school, (Role.HEADTEACHER,), excluded)
    chair = school.chair_of_governors
    chairs = (chair.email,) if chair is not None and chair.email not in excluded else ()
    first, then = (heads, chairs) if heads and not report.allegation_about_head else (chairs, ())
    if not first:  # nobody at the top to tell: the safeguarding team, never the person concerned
        first = _emails(school, (Role.DSL, Role.DEPUTY_DSL), excluded)
    later = timedelta(minutes=plan.levels[1].after_minutes if len(plan.levels) > 1 else 10)
    levels = (Level(0, timedelta(0), first), Level(1, later, then))
    return AlertPlan(_non_empty(levels), timedelta(minutes=plan.repeat_every_minutes), excluded)


def _emails(
    school: SchoolConfig, roles: tuple[Role, ...], excluded: frozenset[str]
) -> tuple[str, ...]:
    return tuple(p.email for p in school.people_with(*roles) if p.email not in excluded)


def _non_empty(levels: tuple[Level, ...]) -> tuple[Level, ...]:
    kept = [level for level in levels if level.emails]
    return tuple(Level(i, level.after, level.emails) for i, level in enumerate(kept))


def _names_match(name: str, text: str) -> bool:
    # A full name, or a surname with a title ("Mr Fenwick"), counts as naming the person.
    if name in text:
        return True
    surname = name.split()[-1] if name.split() else ""
    titles = ("mr ", "mrs ", "ms ", "miss ", "dr ", "mx ")
    return bool(surname) and any(f"{title}{surname}" in text for title in titles)
