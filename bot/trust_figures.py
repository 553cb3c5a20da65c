"""The trust's figures for its safeguarding lead: the schools side by side, this academic year,
numbers only (never a reference, a name or anything a report says), with a chart.

For each school, read in its own records (its part's sessions):
- reports (concerns and filtering reports, drills and low-level concerns apart), and per 100
  pupils where the trust file gives the school's pupils;
- the median time from a case's alert to its acknowledgement (bot/cases/response_times.py);
- the self-audit: how many of those asked have answered;
- staff whose training is overdue (bot/training/service.py);
- drills sent, and how many were acknowledged.

Each look is recorded in every school's log (a "viewed" entry about no report, `of` the
trust's figures), as the lead's looks at cases are.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.drills import drill_results
from bot.cases.response_times import case_times, duration
from bot.cases.trust_lead import AS_TRUST_LEAD
from bot.channels.web.summary_routes import TRUST_CHART_PATH
from bot.delivery.messages import Attachment, Card, CardField, Link
from bot.drawing import font, write
from bot.record.events import record_event
from bot.reports.allegation_kind import is_low_level
from bot.school.calendar import academic_year
from bot.school_parts import SchoolParts
from bot.training.service import overview
from bot.words import strings
from storage.models import AuditCampaign, AuditParticipant, Report

CHART_PATH = TRUST_CHART_PATH  # the web chat's link: made afresh for the lead


@dataclass(frozen=True)
class SchoolFigures:
    name: str
    reports: int
    per_100: float | None  # reports per 100 pupils, where the pupils are given
    to_acknowledge: timedelta | None  # the median
    audit_answered: int
    audit_asked: int
    training_overdue: int
    staff: int
    drills: int
    drills_acknowledged: int

    def line(self) -> str:
        per_100 = "" if self.per_100 is None else f" ({self.per_100:.1f} per 100 pupils)"
        audit = (
            strings.TRUST_FIGURES_AUDIT.format(n=self.audit_answered, of=self.audit_asked)
            if self.audit_asked
            else strings.TRUST_FIGURES_NO_AUDIT
        )
        return strings.TRUST_FIGURES_LINE.format(
            reports=self.reports,
            per_100=per_100,
            acknowledge=duration(self.to_acknowledge),
            audit=audit,
            overdue=self.training_overdue,
            staff=self.staff,
            drills=self.drills,
            acknowledged=self.drills_acknowledged,
        )


async def figures(
    parts: Mapping[str, SchoolParts],
    pupils: Mapping[str, int],
    *,
    email: str,
    clock: Callable[[], datetime],
) -> list[SchoolFigures]:
    """Every school's figures this academic year, each look recorded in its log."""
    now = clock()
    found = []
    for key, part in parts.items():
        today = now.astimezone(part.school.tz).date()
        first = date(int(academic_year(today)[:4]), 9, 1)
        async with part.sessions() as session, session.begin():
            found.append(await _school(session, part, pupils.get(key), first, today, now))
            await record_event(
                session,
                kind="viewed",
                at=now,
                actor_email=email,
                report_id=None,
                detail={"of": "trust figures", "as": AS_TRUST_LEAD},
            )
    return found


async def _school(
    session: AsyncSession,
    part: SchoolParts,
    pupils: int | None,
    first: date,
    today: date,
    now: datetime,
) -> SchoolFigures:
    school = part.school
    start = datetime.combine(first, datetime.min.time(), school.tz)
    reports = [
        r
        for r in await session.scalars(
            select(Report).where(
                Report.case_status.is_not(None),
                Report.drill.is_(False),
                Report.created_at >= start,
            )
        )
        if not is_low_level(r)
    ]
    times = [t for t in await case_times(session, school) if t.start >= start]
    waits = [t.to_acknowledge.total_seconds() for t in times if t.to_acknowledge is not None]
    year = academic_year(today)
    campaign = await session.scalar(
        select(AuditCampaign.id)
        .where(AuditCampaign.kind == "audit", AuditCampaign.academic_year == year)
        .order_by(AuditCampaign.id.desc())
        .limit(1)
    )
    asked = answered = 0
    if campaign is not None:
        counted = select(func.count()).select_from(AuditParticipant)
        counted = counted.where(AuditParticipant.campaign_id == campaign)
        asked = int(await session.scalar(counted) or 0)
        done = counted.where(AuditParticipant.status == "finished")
        answered = int(await session.scalar(done) or 0)
    staff = await overview(session, school.people, today=today)
    drills = await drill_results(session, first=first, last=today)
    return SchoolFigures(
        name=school.name,
        reports=len(reports),
        per_100=None if not pupils else 100 * len(reports) / pupils,
        to_acknowledge=timedelta(seconds=median(waits)) if waits else None,
        audit_answered=answered,
        audit_asked=asked,
        training_overdue=sum(1 for p in staff if p.overdue),
        staff=len(staff),
        drills=len(drills),
        drills_acknowledged=sum(1 for d in drills if d.took is not None),
    )


def card(found: Sequence[SchoolFigures], *, year: str, chart: bytes) -> Card:
    """The figures, a field per school, and the chart (the web chat links to it)."""
    attachment = Attachment(
        filename="trust-figures.png",
        media_type="image/png",
        data=chart,
        title=strings.TRUST_FIGURES_CHART,
        alt_text=strings.TRUST_FIGURES_CHART_ALT,
        link=Link(strings.TRUST_FIGURES_CHART, CHART_PATH),
    )
    return Card(
        card_id="trust-figures",
        title=strings.TRUST_FIGURES_TITLE.format(year=year),
        fields=tuple(CardField(school.name, school.line()) for school in found),
        attachments=(attachment,),
    )


# --- the chart: two panels of bars, a row per school

_WIDTH, _ROW, _LEFT, _TOP, _GAP = 900, 26, 260, 60, 40
_BAR = (37, 99, 235)
_INK = (17, 24, 39)


def chart_png(found: Sequence[SchoolFigures], *, title: str) -> bytes:
    """Reports (per 100 pupils where known) and the median minutes to acknowledge, by school.
    A school with no acknowledged case has no bar, and says so, rather than a bar of nought."""
    per_pupil = all(school.per_100 is not None for school in found)
    reports: list[tuple[float | None, str]] = [
        (s.per_100, f"{s.per_100:.1f}")
        if per_pupil and s.per_100 is not None
        else (float(s.reports), str(s.reports))
        for s in found
    ]
    waits: list[tuple[float | None, str]] = [
        (s.to_acknowledge.total_seconds() / 60, f"{s.to_acknowledge.total_seconds() / 60:.0f}")
        if s.to_acknowledge is not None
        else (None, strings.STATS_NONE)
        for s in found
    ]
    panels = (
        (
            strings.TRUST_FIGURES_CHART_REPORTS_100
            if per_pupil
            else strings.TRUST_FIGURES_CHART_REPORTS,
            reports,
        ),
        (strings.TRUST_FIGURES_CHART_ACKNOWLEDGE, waits),
    )
    panel_height = _TOP + _ROW * len(found)
    image = Image.new("RGB", (_WIDTH, 50 + (panel_height + _GAP) * len(panels)), "white")
    draw = ImageDraw.Draw(image)
    write(draw, (20, 22), title, font(20, bold=True), _INK)
    for n, (heading, values) in enumerate(panels):
        top = 50 + n * (panel_height + _GAP)
        write(draw, (20, top + 14), heading, font(15, bold=True), _INK)
        highest = max((v for v, _ in values if v is not None), default=0.0) or 1.0
        for row, (school, (value, shown)) in enumerate(zip(found, values, strict=True)):
            middle = top + _TOP - 6 + row * _ROW  # the row's middle: its name, bar and figure
            write(draw, (20, middle), school.name[:30], font(13), _INK)
            length = 0 if value is None else int((_WIDTH - _LEFT - 90) * value / highest)
            if value is not None:
                draw.rectangle((_LEFT, middle - 8, _LEFT + max(length, 1), middle + 8), fill=_BAR)
            write(draw, (_LEFT + length + 8, middle), shown, font(13), _INK)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
