"""`monitoring stats`: the monitoring providers' alerts of the last twelve months in numbers, for
the DSL, the deputies and the headteacher (checked here, on the server, on every ask; a refusal
is recorded), with a chart (bot/monitoring/stats_chart.py).

The last twelve calendar months (this one so far), not the academic year: a September ask would
otherwise show one month, and twelve months always compare like with like. Numbers only: no
pupil's account, no reference, nothing an alert says. Drills are never counted.

- alerts by provider, by severity, by category and by month: each alert the provider sent,
  repeats within the hour included (they are one report with a count);
- the median time to acknowledge, from the alert to the team (the response-time record's
  measure and its in/out of school hours split); alerts held for the weekly digest were never
  sent one by one, so they have no time to acknowledge;
- the false-positive rate: reports filed from alerts that the DSL marked a false positive, of
  all reports filed from alerts (a mark is made on a report, so reports are what is divided);
- filtering failures reported by staff (filtering reports not filed by a check) against those
  found by the ICT lead's checks (checks with a category not blocked).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.response_times import CaseTimes, Period, duration
from bot.delivery.messages import Attachment, Card, CardField, Link, Notice, Outbound
from bot.monitoring import false_positive
from bot.monitoring.checks import checks_between
from bot.monitoring.provider_alert import Severity
from bot.monitoring.stats_chart import stats_chart_png
from bot.record.refusals import record_refusal
from bot.reports import kinds
from bot.school.config import SchoolConfig
from bot.words import strings
from storage.models import Event, FilteringCheck, MonitoringAlert, MonitoringGroup, Report

ACTION = "monitoring_stats"  # what a refusal is recorded as
CHART_PATH = "/api/web/monitoring/stats/chart.png"  # the web chat's link: made afresh
MONTHS = 12
SEVERITIES = tuple(reversed(Severity))  # critical first, as the team reads them


@dataclass
class MonitoringStats:
    """The twelve months' numbers: `months` are each month's first day, oldest first."""

    months: list[date]
    alerts: int = 0
    reports: int = 0
    by_provider: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[Severity] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    by_month: dict[date, Counter[Severity]] = field(default_factory=dict)
    acknowledge: Period = field(default_factory=lambda: Period(""))
    not_acknowledged: int = 0
    false_positives: int = 0
    staff_failures: int = 0
    checks: int = 0
    failed_checks: int = 0
    categories_not_blocked: int = 0

    @property
    def first(self) -> date:
        return self.months[0]


def twelve_months(today: date) -> list[date]:
    """The first days of the twelve months up to and including `today`'s, oldest first."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - MONTHS + 1, index + 1)]


def _utc(school: SchoolConfig, day: date) -> datetime:
    return datetime.combine(day, time(0), school.tz).astimezone(UTC)


async def collect(session: AsyncSession, school: SchoolConfig, now: datetime) -> MonitoringStats:
    """The numbers of the twelve months up to `now`."""
    stats = MonitoringStats(twelve_months(now.astimezone(school.tz).date()))
    stats.by_month = {month: Counter() for month in stats.months}
    start, end = _utc(school, stats.first), now
    alerts = await session.execute(
        select(MonitoringAlert.provider, MonitoringAlert.severity, MonitoringAlert.received_at)
        .add_columns(Report.category)
        .join(MonitoringGroup, MonitoringGroup.id == MonitoringAlert.group_id)
        .join(Report, Report.id == MonitoringGroup.report_id)
        .where(
            Report.drill.is_(False),
            MonitoringAlert.received_at >= start,
            MonitoringAlert.received_at <= end,
        )
    )
    for provider, level, received_at, category in alerts:
        severity = Severity(level)
        local = received_at.astimezone(school.tz).date()
        stats.alerts += 1
        stats.by_provider[provider] += 1
        stats.by_severity[severity] += 1
        stats.by_category[category or strings.MONITORING_STATS_NO_CATEGORY] += 1
        month = local.replace(day=1)
        if month in stats.by_month:
            stats.by_month[month][severity] += 1
    await _acknowledged(session, school, stats, start, end)
    stats.staff_failures = await _staff_failures(session, start, end)
    last = now.astimezone(school.tz).date()
    for check in await checks_between(session, first=stats.first, last=last, tz=school.tz):
        stats.checks += 1
        missed = sum(1 for result in check.results.values() if result == "not_blocked")
        stats.failed_checks += 1 if missed else 0
        stats.categories_not_blocked += missed
    return stats


async def _acknowledged(
    session: AsyncSession,
    school: SchoolConfig,
    stats: MonitoringStats,
    start: datetime,
    end: datetime,
) -> None:
    """The reports filed from alerts: how many, how soon the team acknowledged each alert, and
    how many the DSL marked a false positive."""
    reports = list(
        await session.scalars(
            select(Report).where(
                Report.kind == kinds.MONITORING_ALERT.id,
                Report.drill.is_(False),
                Report.submitted_at >= start,
                Report.submitted_at <= end,
            )
        )
    )
    stats.reports = len(reports)
    alerted = [r for r in reports if r.alerted_at is not None]
    stats.acknowledge = Period(
        "",
        [
            CaseTimes(
                start=r.alerted_at,
                in_hours=school.is_school_hours(r.alerted_at),
                to_acknowledge=None
                if r.acknowledged_at is None
                else max(r.acknowledged_at - r.alerted_at, timedelta(0)),
                to_first_action=None,
                to_close=None,
                highest_level=0,
            )
            for r in alerted
            if r.alerted_at is not None
        ],
    )
    stats.not_acknowledged = sum(1 for r in alerted if r.acknowledged_at is None)
    if reports:
        stats.false_positives = (
            await session.scalar(
                select(func.count(func.distinct(Event.report_id))).where(
                    Event.kind == false_positive.KIND,
                    Event.report_id.in_([r.id for r in reports]),
                )
            )
            or 0
        )


async def _staff_failures(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Filtering reports sent by staff: those a check filed are the checks' own."""
    from_checks = select(FilteringCheck.report_id).where(FilteringCheck.report_id.is_not(None))
    found = await session.scalar(
        select(func.count(Report.id)).where(
            Report.kind == kinds.FILTERING.id,
            Report.drill.is_(False),
            Report.submitted_at.is_not(None),
            Report.submitted_at >= start,
            Report.submitted_at <= end,
            Report.id.not_in(from_checks),
        )
    )
    return found or 0


def fields(stats: MonitoringStats) -> list[CardField]:
    """The card's rows, in words and numbers only."""

    def counted(counts: Counter[str]) -> str:
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return "\n".join(f"{name}: {n}" for name, n in ordered) or strings.STATS_NONE

    severities = "\n".join(
        f"{strings.MONITORING_SEVERITY_NAMES[s.name.lower()]}: {stats.by_severity[s]}"
        for s in SEVERITIES
    )
    months = "\n".join(
        f"{month:%b %Y}: {sum(stats.by_month[month].values())}" for month in stats.months
    )
    rate = 100 * stats.false_positives / stats.reports if stats.reports else 0.0
    acknowledged = strings.STATS_SPLIT.format(
        in_hours=duration(stats.acknowledge.median("to_acknowledge", in_hours=True)),
        out_of_hours=duration(stats.acknowledge.median("to_acknowledge", in_hours=False)),
    )
    return [
        CardField(
            strings.MONITORING_STATS_ALERTS,
            strings.MONITORING_STATS_ALERTS_VALUE.format(n=stats.alerts, reports=stats.reports),
        ),
        CardField(strings.MONITORING_STATS_BY_PROVIDER, counted(stats.by_provider)),
        CardField(strings.MONITORING_STATS_BY_SEVERITY, severities),
        CardField(strings.MONITORING_STATS_BY_CATEGORY, counted(stats.by_category)),
        CardField(strings.MONITORING_STATS_BY_MONTH, months),
        CardField(
            strings.MONITORING_STATS_ACKNOWLEDGE,
            strings.MONITORING_STATS_ACKNOWLEDGE_VALUE.format(
                split=acknowledged, waiting=stats.not_acknowledged
            ),
        ),
        CardField(
            strings.MONITORING_STATS_FALSE_POSITIVES,
            strings.MONITORING_STATS_FALSE_POSITIVES_VALUE.format(
                n=stats.false_positives, reports=stats.reports, rate=f"{rate:.1f}"
            ),
        ),
        CardField(
            strings.MONITORING_STATS_FILTERING,
            strings.MONITORING_STATS_FILTERING_VALUE.format(
                staff=stats.staff_failures,
                failed=stats.failed_checks,
                checks=stats.checks,
                categories=stats.categories_not_blocked,
            ),
        ),
    ]


async def answer(
    session: AsyncSession, school: SchoolConfig, email: str, now: datetime
) -> list[Outbound]:
    """The card with its chart for the team; refused (and recorded) for anyone else."""
    if not school.handles_cases(email):
        await record_refusal(session, email=email, action=ACTION, report_id=None, now=now)
        return [Notice(strings.MONITORING_STATS_NOT_ALLOWED, "error")]
    stats = await collect(session, school, now)
    last = stats.months[-1]
    title = strings.MONITORING_STATS_TITLE.format(school=school.name)
    note = strings.MONITORING_STATS_NOTE.format(first=f"{stats.first:%B %Y}", last=f"{last:%B %Y}")
    day = now.astimezone(school.tz).date()
    chart = Attachment(
        filename=f"monitoring-stats-{day.isoformat()}.png",
        media_type="image/png",
        data=stats_chart_png(school.name, stats),
        title=strings.MONITORING_STATS_CHART_TITLE.format(school=school.name),
        alt_text=strings.MONITORING_STATS_CHART_ALT,
        link=Link(strings.MONITORING_STATS_CHART_LINK, CHART_PATH),
    )
    return [
        Card(
            card_id="monitoring-stats",
            title=title,
            text=note,
            fields=tuple(fields(stats)),
            attachments=(chart,),
        )
    ]


async def chart(
    session: AsyncSession, school: SchoolConfig, email: str, now: datetime
) -> bytes | None:
    """The chart alone (the web chat's link) for the team; None, the refusal recorded, else."""
    if not school.handles_cases(email):
        await record_refusal(session, email=email, action=ACTION, report_id=None, now=now)
        return None
    return stats_chart_png(school.name, await collect(session, school, now))
