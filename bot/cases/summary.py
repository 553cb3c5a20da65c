"""The governors' summary: per term (per academic year where the school file lists no terms),
how many real reports there were of each kind and category, the response-time medians in and
out of school hours (to acknowledge, to the first action, to close) and how many cases' alerts
reached the second and third level; with a chart of the medians (bot/cases/summary_chart.py).

Numbers only: never a reference, a name or anything a report says (policy §3.1, §12: governors
read an anonymised summary). The DSL, the deputies, the head and the governors may ask; anyone
else is refused, and the refusal recorded, on every ask. The cases counted and their times are
the response-time record's (bot/cases/response_times.py): low-level concerns are kept out, as
they are kept out of the cases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.briefings.summary_section import briefing_days, briefing_section
from bot.cases.drill_summary import drill_section
from bot.cases.response_times import Period, case_times, group, lines, period_of
from bot.cases.summary_chart import summary_chart_png
from bot.delivery.messages import Attachment, Card, CardField, Link, Notice, Outbound
from bot.record.refusals import record_refusal
from bot.reports.allegation_kind import is_low_level
from bot.school.config import SchoolConfig
from bot.school.roles import Role
from bot.words import strings
from storage.models import Drill, Report

ACTION = "governors_summary"  # what a refusal is recorded as
CHART_PATH = "/api/web/summary/chart.png"  # the web chat's link: made afresh, role checked
PERIODS_SHOWN = 6  # the latest: two school years of three terms, or six years

KindLabel = Callable[[Report], str]  # "Online-safety concern: Cyber-bullying" (CardMaker's)
# More numbers for one period, as (label, value) pairs, from its first to its last day: the
# drills' (a drill is never a report, so it is counted nowhere else here).
SectionBuilder = Callable[[AsyncSession, date, date], Awaitable[Sequence[tuple[str, str]]]]
EXTRA_SECTIONS: tuple[SectionBuilder, ...] = (drill_section, briefing_section)


@dataclass
class TermSummary:
    """One term's (or academic year's) numbers."""

    label: str
    first: date
    last: date
    times: Period
    by_kind: Counter[str] = field(default_factory=Counter)
    extra: list[tuple[str, str]] = field(default_factory=list)

    def fields(self) -> list[tuple[str, str]]:
        """(label, value) in words and numbers only: the reports, then the response times."""
        in_hours = sum(1 for case in self.times.cases if case.in_hours)
        total = len(self.times.cases)
        counted = strings.SUMMARY_REPORTS_VALUE.format(
            n=total, in_hours=in_hours, out_of_hours=total - in_hours
        )
        kinds = "\n".join(
            strings.SUMMARY_KIND_LINE.format(label=label, n=n)
            for label, n in sorted(self.by_kind.items(), key=lambda item: (-item[1], item[0]))
        )
        kinds = kinds or strings.STATS_NONE  # a term with drills only: never an empty field
        # The response-time record's own lines, without its count of cases (counted above).
        times = lines(self.times)[1:]
        return [
            (strings.SUMMARY_REPORTS, counted),
            (strings.SUMMARY_BY_KIND, kinds),
            *times,
            *self.extra,
        ]


def may_see(school: SchoolConfig, email: str) -> bool:
    """The DSL, a deputy, the head or a governor."""
    person = school.person(email)
    return person is not None and (person.handles_cases or person.has_role(Role.GOVERNOR))


def bounds(school: SchoolConfig, day: date) -> tuple[date, date]:
    """The first and last day of the period `day` is counted in (as `period_of` groups)."""
    key, _ = period_of(school, day)
    for term in school.calendar.terms:
        if term.start == key:
            return term.start, term.end
    return key, date(key.year + 1, 8, 31)


async def build(
    session: AsyncSession,
    school: SchoolConfig,
    *,
    kind_label: KindLabel,
    sections: Sequence[SectionBuilder] = EXTRA_SECTIONS,
) -> list[TermSummary]:
    """Every period with a real case or a drill, oldest first."""
    periods = group(school, await case_times(session, school))
    reports = [
        r
        for r in await session.scalars(
            select(Report).where(Report.case_status.is_not(None), Report.drill.is_(False))
        )
        if not is_low_level(r)
    ]
    found: list[TermSummary] = []
    by_key: dict[date, TermSummary] = {}
    for period in periods:
        first, last = bounds(school, period.cases[0].start.astimezone(school.tz).date())
        term = TermSummary(label=period.label, first=first, last=last, times=period)
        found.append(term)
        by_key[first] = term
    for report in reports:
        start = report.alerted_at or report.submitted_at or report.created_at
        first, _ = bounds(school, start.astimezone(school.tz).date())
        counted = by_key.get(first)
        if counted is not None:  # always, as the cases timed are these reports
            counted.by_kind[kind_label(report)] += 1
    # A term with drills (or staff briefings) and no report still has its line: they are
    # counted there.
    drilled = list(await session.scalars(select(Drill.started_at)))
    for started in [*drilled, *await briefing_days(session)]:
        day = started.astimezone(school.tz).date()
        first, last = bounds(school, day)
        if first not in by_key:
            label = period_of(school, day)[1]
            by_key[first] = TermSummary(label=label, first=first, last=last, times=Period(label))
            found.append(by_key[first])
    found.sort(key=lambda term: term.first)
    for term in found:  # the drills' numbers, and any other section's
        for section in sections:
            term.extra.extend(await section(session, term.first, term.last))
    return found


async def answer(
    session: AsyncSession,
    school: SchoolConfig,
    kind_label: KindLabel,
    email: str,
    now: datetime,
    *,
    sections: Sequence[SectionBuilder] = EXTRA_SECTIONS,
) -> list[Outbound]:
    """The summary card with its chart, for those who may see it; refused (and recorded) for
    anyone else, on every ask."""
    if not may_see(school, email):
        await record_refusal(session, email=email, action=ACTION, report_id=None, now=now)
        return [Notice(strings.SUMMARY_NOT_ALLOWED, "error")]
    terms = (await build(session, school, kind_label=kind_label, sections=sections))[
        -PERIODS_SHOWN:
    ]
    if not terms:
        return [Notice(strings.SUMMARY_NO_CASES, "info")]
    fields = [
        CardField(f"{term.label}: {label}", value)
        for term in terms
        for label, value in term.fields()
    ]
    return [
        Card(
            card_id="governors-summary",
            title=strings.SUMMARY_TITLE.format(school=school.name),
            text=strings.SUMMARY_NOTE,
            fields=tuple(fields),
            attachments=(chart_attachment(school, terms, now),),
        )
    ]


def as_text(school: str, terms: Sequence[TermSummary]) -> str:
    """The summary as plain text (`python -m bot summary`)."""
    if not terms:
        return strings.SUMMARY_NO_CASES
    out = [strings.SUMMARY_TITLE.format(school=school), strings.SUMMARY_NOTE]
    for term in terms:
        out.append("")
        out.append(term.label)
        for label, value in term.fields():
            indented = value.replace("\n", "\n    ")
            out.append(f"  {label}:" + (f"\n    {indented}" if "\n" in value else f" {value}"))
    return "\n".join(out)


async def chart(
    session: AsyncSession, school: SchoolConfig, kind_label: KindLabel, email: str, now: datetime
) -> bytes | None:
    """The chart alone (the web chat's link), for those who may see it; None, and the refusal
    recorded, for anyone else."""
    if not may_see(school, email):
        await record_refusal(session, email=email, action=ACTION, report_id=None, now=now)
        return None
    terms = await build(session, school, kind_label=kind_label)
    return summary_chart_png(school.name, [t.times for t in terms[-PERIODS_SHOWN:]])


def chart_attachment(
    school: SchoolConfig, terms: Sequence[TermSummary], now: datetime
) -> Attachment:
    """The chart as a PNG: medians and period labels only, so for governors too."""
    day = now.astimezone(school.tz).date()
    return Attachment(
        filename=f"governors-summary-{day.isoformat()}.png",
        media_type="image/png",
        data=summary_chart_png(school.name, [t.times for t in terms]),
        title=strings.SUMMARY_CHART_TITLE.format(school=school.name),
        alt_text=strings.SUMMARY_CHART_ALT,
        link=Link(strings.SUMMARY_CHART_LINK, CHART_PATH),
    )
