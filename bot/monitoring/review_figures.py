"""The year's figures for the annual filtering and monitoring review, from the bot's own records:
numbers only, never a name, a reference or a report's words.

Each figure comes from a source in FIGURE_SOURCES: an async function given the session and the
review's period, returning its figures: the reports staff sent, the providers' alerts (by
provider and severity, grouped, urgent, marked false positives, how quickly acknowledged) and the
ICT lead's filtering checks (how many, how many found a category not blocked, which, the last).
A figure whose `section` is "checks" is shown with the checks' question, any other with the
reports' question (dialogs/flows/filtering_review.yaml); the document shows each section under
its own heading. Drills are never counted (`Report.drill`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.response_times import CaseTimes, Period, duration
from bot.monitoring.checks import category, checks_between
from bot.monitoring.false_positive import KIND as FALSE_POSITIVE
from bot.monitoring.provider_alert import Severity
from bot.school.config import SchoolConfig
from bot.words import strings
from storage.models import Event, MonitoringAlert, MonitoringGroup, Report

# The report kinds counted on their own (others are counted by kind id, below).
FILTERING = "filtering"
CONCERN = "concern"
MONITORING_ALERT = "monitoring_alert"  # the providers' alerts


@dataclass(frozen=True)
class ReviewPeriod:
    """The twelve months a review covers: from `start` up to (not including) `end`, school days
    in the school's timezone; `first`/`last` are the same as aware UTC moments."""

    school: SchoolConfig
    start: date
    end: date

    @property
    def first(self) -> datetime:
        return datetime.combine(self.start, time(0), self.school.tz).astimezone(UTC)

    @property
    def last(self) -> datetime:
        return datetime.combine(self.end, time(0), self.school.tz).astimezone(UTC)

    def label(self) -> str:
        return strings.REVIEW_PERIOD.format(
            start=self.start.strftime("%d/%m/%Y"),
            end=(self.end - timedelta(days=1)).strftime("%d/%m/%Y"),
        )


def review_period(school: SchoolConfig, year: int) -> ReviewPeriod:
    """The review of `year` covers the twelve months before the day it opens."""
    section = school.filtering_and_monitoring
    return ReviewPeriod(school, section.review_day(year - 1), section.review_day(year))


Section = Literal["reports", "alerts", "checks"]
SECTIONS: tuple[Section, ...] = ("reports", "alerts", "checks")


@dataclass(frozen=True)
class Figure:
    key: str  # stable: stored with the review
    label: str
    value: str
    section: Section = "reports"

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": self.value, "section": self.section}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        key, label, value = str(data["key"]), str(data["label"]), str(data["value"])
        for section in SECTIONS:
            if data.get("section") == section:
                return cls(key, label, value, section)
        return cls(key, label, value)


FigureSource = Callable[[AsyncSession, ReviewPeriod], Awaitable[list[Figure]]]


async def _reports_in(session: AsyncSession, period: ReviewPeriod) -> list[Report]:
    """The reports sent in the period (drafts and abandoned ones are not reports)."""
    found = await session.scalars(
        select(Report).where(
            Report.submitted_at.is_not(None),
            Report.drill.is_(False),
            Report.submitted_at >= period.first,
            Report.submitted_at < period.last,
        )
    )
    return list(found)


def _acknowledged(period: ReviewPeriod, reports: Sequence[Report]) -> str:
    """The median time to acknowledge, in school hours and out of them (the response-time
    record's way: from the alert, or the sending when there was none)."""
    times = Period(
        "",
        [
            CaseTimes(
                start=start,
                in_hours=period.school.is_school_hours(start),
                to_acknowledge=None if r.acknowledged_at is None else r.acknowledged_at - start,
                to_first_action=None,
                to_close=None,
                highest_level=0,
            )
            for r in reports
            for start in [r.alerted_at or r.submitted_at or r.created_at]
        ],
    )
    return strings.STATS_SPLIT.format(
        in_hours=duration(times.median("to_acknowledge", in_hours=True)),
        out_of_hours=duration(times.median("to_acknowledge", in_hours=False)),
    )


async def staff_reports(session: AsyncSession, period: ReviewPeriod) -> list[Figure]:
    """Filtering reports by staff, the concerns filed with them, urgent ones, and how quickly the
    DSL acknowledged them (the response-time record's medians, in and out of school hours)."""
    reports = await _reports_in(session, period)
    filtering = [r for r in reports if r.kind == FILTERING]
    concerns = [r for r in reports if r.kind == CONCERN]
    acknowledged = _acknowledged(period, filtering)
    return [
        Figure("filtering_reports", strings.REVIEW_FIG_FILTERING, str(len(filtering))),
        Figure(
            "filtering_urgent",
            strings.REVIEW_FIG_URGENT,
            str(sum(1 for r in filtering if r.urgent)),
        ),
        Figure(
            "linked_concerns",
            strings.REVIEW_FIG_LINKED,
            str(sum(1 for r in filtering if r.linked_report_id is not None)),
        ),
        Figure("concerns", strings.REVIEW_FIG_CONCERNS, str(len(concerns))),
        Figure("filtering_acknowledge", strings.REVIEW_FIG_ACKNOWLEDGE, acknowledged),
    ]


async def other_kinds(session: AsyncSession, period: ReviewPeriod) -> list[Figure]:
    """Reports of any other kind, counted by kind id: a new kind shows here before anyone
    writes a figure for it (the providers' alerts have theirs, below)."""
    reports = await _reports_in(session, period)
    counts = Counter(
        r.kind for r in reports if r.kind not in {FILTERING, CONCERN, MONITORING_ALERT}
    )
    return [
        Figure(
            f"reports_{kind}",
            strings.REVIEW_FIG_KIND.format(kind=kind.replace("_", " ")),
            str(counts[kind]),
        )
        for kind in sorted(counts)
    ]


def _tally(counts: Counter[str]) -> str:
    """ "a 3, b 1", most first; the words for none when there is none."""
    found = [f"{name} {n}" for name, n in sorted(counts.items(), key=lambda i: (-i[1], i[0])) if n]
    return ", ".join(found) or strings.REVIEW_NO_FIGURES


async def provider_alerts(session: AsyncSession, period: ReviewPeriod) -> list[Figure]:
    """The monitoring providers' alerts of the year: every alert received, by provider and by
    severity; the reports they were filed as (repeats for one account, category and hour grouped
    into one), the urgent ones, those marked a false positive, and how quickly the DSL
    acknowledged them."""
    received = Counter[tuple[str, int]]()
    for provider, severity, n in await session.execute(
        select(MonitoringAlert.provider, MonitoringAlert.severity, func.count())
        .outerjoin(MonitoringGroup, MonitoringGroup.id == MonitoringAlert.group_id)
        .outerjoin(Report, Report.id == MonitoringGroup.report_id)
        .where(or_(Report.drill.is_(None), Report.drill.is_(False)))
        .where(MonitoringAlert.received_at >= period.first)
        .where(MonitoringAlert.received_at < period.last)
        .group_by(MonitoringAlert.provider, MonitoringAlert.severity)
    ):
        received[(provider, severity)] += n
    by_provider = Counter[str]()
    by_severity = Counter[str]()
    for (provider, severity), n in received.items():
        by_provider[provider] += n
        by_severity[_severity_name(severity)] += n
    severities = ", ".join(
        f"{name} {by_severity[name]}"
        for name in map(_severity_name, _HIGHEST_FIRST)
        if by_severity[name]
    )
    alerts = [r for r in await _reports_in(session, period) if r.kind == MONITORING_ALERT]
    in_period = (
        Report.kind == MONITORING_ALERT,
        Report.drill.is_(False),
        Report.submitted_at >= period.first,
        Report.submitted_at < period.last,
    )
    groups, grouped = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(MonitoringGroup.count), 0))
            .join(Report, Report.id == MonitoringGroup.report_id)
            .where(MonitoringGroup.count > 1, *in_period)
        )
    ).one()
    false_positives = await session.scalar(
        select(func.count(distinct(Event.report_id)))
        .join(Report, Report.id == Event.report_id)
        .where(Event.kind == FALSE_POSITIVE, *in_period)
    )
    return [
        Figure("alerts_received", strings.REVIEW_FIG_ALERTS, str(sum(received.values())), "alerts"),
        Figure(
            "alerts_by_provider", strings.REVIEW_FIG_ALERTS_PROVIDER, _tally(by_provider), "alerts"
        ),
        Figure(
            "alerts_by_severity",
            strings.REVIEW_FIG_ALERTS_SEVERITY,
            severities or strings.REVIEW_NO_FIGURES,
            "alerts",
        ),
        Figure(
            f"reports_{MONITORING_ALERT}",
            strings.REVIEW_FIG_KIND.format(kind=MONITORING_ALERT.replace("_", " ")),
            str(len(alerts)),
            "alerts",
        ),
        Figure(
            "alerts_grouped",
            strings.REVIEW_FIG_ALERTS_GROUPED,
            strings.REVIEW_FIG_ALERTS_GROUPED_VALUE.format(reports=groups, alerts=grouped),
            "alerts",
        ),
        Figure(
            "alerts_urgent",
            strings.REVIEW_FIG_ALERTS_URGENT,
            str(sum(1 for r in alerts if r.urgent)),
            "alerts",
        ),
        Figure(
            "alerts_false_positive",
            strings.REVIEW_FIG_ALERTS_FALSE_POSITIVE,
            str(false_positives or 0),
            "alerts",
        ),
        Figure(
            "alerts_acknowledge",
            strings.REVIEW_FIG_ALERTS_ACKNOWLEDGE,
            _acknowledged(period, alerts),
            "alerts",
        ),
    ]


_HIGHEST_FIRST = sorted(Severity, reverse=True)


def _severity_name(level: int) -> str:
    try:
        return str(getattr(strings, f"REVIEW_FIG_SEVERITY_{Severity(level).name}"))
    except ValueError:
        return str(level)


async def filtering_checks(session: AsyncSession, period: ReviewPeriod) -> list[Figure]:
    """The ICT lead's filtering checks of the year (days in the school's timezone): how many,
    how many found a category not blocked, which categories and how often, the last one."""
    found = await checks_between(
        session,
        first=period.start,
        last=period.end - timedelta(days=1),
        tz=period.school.tz,
    )
    failed = Counter[str]()
    for record in found:
        for category_id in record.failed:
            known = category(category_id)
            failed[known.name if known is not None else category_id] += 1
    last = (
        found[-1].checked_at.astimezone(period.school.tz).strftime("%d/%m/%Y")
        if found
        else strings.REVIEW_NO_FIGURES
    )
    return [
        Figure("checks", strings.REVIEW_FIG_CHECKS, str(len(found)), "checks"),
        Figure(
            "checks_failed",
            strings.REVIEW_FIG_CHECKS_FAILED,
            str(sum(1 for record in found if record.failed)),
            "checks",
        ),
        Figure(
            "checks_failed_categories",
            strings.REVIEW_FIG_CHECKS_CATEGORIES,
            _tally(failed),
            "checks",
        ),
        Figure("checks_last", strings.REVIEW_FIG_CHECKS_LAST, last, "checks"),
    ]


# Where the review's figures come from, in the order shown (a school's own source may be added,
# or `sources` passed).
FIGURE_SOURCES: list[FigureSource] = [
    staff_reports,
    other_kinds,
    provider_alerts,
    filtering_checks,
]


async def year_figures(
    session: AsyncSession, period: ReviewPeriod, *, sources: Sequence[FigureSource] | None = None
) -> list[Figure]:
    """Every source's figures for the period, in order."""
    figures: list[Figure] = []
    for source in FIGURE_SOURCES if sources is None else sources:
        figures.extend(await source(session, period))
    return figures
