"""The year's figures for the annual filtering and monitoring review, from the bot's own records:
numbers only, never a name, a reference or a report's words.

Each figure comes from a source in FIGURE_SOURCES: an async function given the session and the
review's period, returning its figures. Sources not on main yet (the providers' alerts by
provider and severity, the ICT lead's filtering checks and their failed categories) are added to
that list; a figure whose `section` is "checks" is shown with the checks' question, any other
with the reports' question (dialogs/flows/filtering_review.yaml).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.response_times import CaseTimes, Period, duration
from bot.school.config import SchoolConfig
from bot.words import strings
from storage.models import Report

# The report kinds counted on their own (others are counted by kind id, below).
FILTERING = "filtering"
CONCERN = "concern"
MONITORING_ALERT = "monitoring_alert"  # the providers' alerts (issue 18), when they come in


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


@dataclass(frozen=True)
class Figure:
    key: str  # stable: stored with the review
    label: str
    value: str
    section: Literal["reports", "checks"] = "reports"

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": self.value, "section": self.section}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        key, label, value = str(data["key"]), str(data["label"]), str(data["value"])
        if data.get("section") == "checks":
            return cls(key, label, value, "checks")
        return cls(key, label, value)


FigureSource = Callable[[AsyncSession, ReviewPeriod], Awaitable[list[Figure]]]


async def _reports_in(session: AsyncSession, period: ReviewPeriod) -> list[Report]:
    """The reports sent in the period (drafts and abandoned ones are not reports)."""
    found = await session.scalars(
        select(Report).where(
            Report.submitted_at.is_not(None),
            Report.submitted_at >= period.first,
            Report.submitted_at < period.last,
        )
    )
    return list(found)


async def staff_reports(session: AsyncSession, period: ReviewPeriod) -> list[Figure]:
    """Filtering reports by staff, the concerns filed with them, urgent ones, and how quickly the
    DSL acknowledged them (the response-time record's medians, in and out of school hours)."""
    reports = await _reports_in(session, period)
    filtering = [r for r in reports if r.kind == FILTERING]
    concerns = [r for r in reports if r.kind == CONCERN]
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
            for r in filtering
            for start in [r.alerted_at or r.submitted_at or r.created_at]
        ],
    )
    acknowledged = strings.STATS_SPLIT.format(
        in_hours=duration(times.median("to_acknowledge", in_hours=True)),
        out_of_hours=duration(times.median("to_acknowledge", in_hours=False)),
    )
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
    """Reports of any other kind (the providers' alerts, `monitoring_alert`, among them), counted
    by kind id: a new kind shows here before anyone writes a figure for it."""
    reports = await _reports_in(session, period)
    counts = Counter(r.kind for r in reports if r.kind not in {FILTERING, CONCERN})
    counts.setdefault(MONITORING_ALERT, 0)
    return [
        Figure(
            f"reports_{kind}",
            strings.REVIEW_FIG_KIND.format(kind=kind.replace("_", " ")),
            str(counts[kind]),
        )
        for kind in sorted(counts)
    ]


# Where the review's figures come from, in the order shown. Extend it (or pass `sources`) with
# the providers' alerts by provider and severity and the filtering checks (`checks_between`).
FIGURE_SOURCES: list[FigureSource] = [staff_reports, other_kinds]


async def year_figures(
    session: AsyncSession, period: ReviewPeriod, *, sources: Sequence[FigureSource] | None = None
) -> list[Figure]:
    """Every source's figures for the period, in order."""
    figures: list[Figure] = []
    for source in FIGURE_SOURCES if sources is None else sources:
        figures.extend(await source(session, period))
    return figures
