"""Retention: each closed case is flagged to the DSL for review when its kind's time comes,
once, and never deleted.

The rules (the school file's `retention:` sets the years):
- a child protection record (a concern): the child's date of birth + 25 years (IRMS
  Information Management Toolkit for Schools); the DSL gives the date of birth when closing
  the case and it is sealed with the closing entry; without it, the closing date + 25 years,
  and the review note says so;
- an allegation about an adult: 10 years from the allegation (KCSIE part 4: or until the
  person's normal retirement age, if later, which the bot cannot know, so the note asks), or
  the child's date of birth + 25 years if that is later; one found malicious or false is
  flagged at once (KCSIE: its details are removed from personnel records);
- a filtering report (no concern about a child): the school's own period, from the closing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.alerts import AlertDesk
from bot.delivery.outbox import enqueue
from bot.record.events import open_event, record_event
from bot.school.config import Role, SchoolConfig
from dialogs.datetimes import load_moment
from storage.crypto import CipherError
from storage.models import Event, Report

log = logging.getLogger(__name__)

# The close flow's steps read here: the child's date of birth (dialogs/flows/case_close.yaml)
# and, for an allegation, its KCSIE outcome.
BIRTH_DATE = "child_dob"
ALLEGATION_OUTCOME = "allegation_outcome"
# KCSIE part 4: details of allegations found malicious or false are removed from personnel
# records (unless the person agrees to their being kept).
REMOVED_OUTCOMES = {"malicious", "false"}


class Rule(IntEnum):
    """Which rule set a case's review; the review message's outbox row carries it as its
    `level` (a review has no escalation levels), so the message can say why it is due."""

    # 0: what every review meant before the rules by kind, so a review queued then still reads
    # right when it is sent.
    NO_BIRTH_DATE = 0  # from the closing: no date of birth was recorded
    CHILD_PROTECTION = 1  # from the child's date of birth
    ALLEGATION = 2
    REMOVAL = 3  # an allegation found malicious or false
    FILTERING = 4


@dataclass(frozen=True)
class Review:
    rule: Rule
    due: date
    years: int


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _birth_date(closing: Mapping[str, Any]) -> date | None:
    stored = closing.get(BIRTH_DATE)
    if not isinstance(stored, str) or not stored:
        return None
    try:
        moment = load_moment(stored)
    except ValueError:  # a school's own step that is not a date: counted from the closing
        return None
    return moment.date() if isinstance(moment, datetime) else moment


def review_for(school: SchoolConfig, report: Report, closing: Mapping[str, Any]) -> Review:
    """When a closed case is due for review, and by which rule. `closing`: what was recorded
    when it was closed (the plain detail and the sealed text, together)."""
    tz, settings = school.tz, school.retention
    assert report.closed_at is not None
    closed = report.closed_at.astimezone(tz).date()
    born = _birth_date(closing)
    child = settings.review_after_years
    if report.allegation:
        if closing.get(ALLEGATION_OUTCOME) in REMOVED_OUTCOMES:
            return Review(Rule.REMOVAL, closed, 0)
        reported = (report.submitted_at or report.created_at).astimezone(tz).date()
        due = _years_after(reported, settings.allegation_years)
        if born is not None:
            due = max(due, _years_after(born, child))
        return Review(Rule.ALLEGATION, due, settings.allegation_years)
    if report.kind == "filtering":
        years = settings.filtering_years
        return Review(Rule.FILTERING, _years_after(closed, years), years)
    if born is not None:
        return Review(Rule.CHILD_PROTECTION, _years_after(born, child), child)
    return Review(Rule.NO_BIRTH_DATE, _years_after(closed, child), child)


async def _closings(
    session: AsyncSession, desk: AlertDesk, report_ids: list[int]
) -> dict[int, dict[str, Any]]:
    """Each case's last closing entry: its plain detail and its sealed text, together."""
    found: dict[int, dict[str, Any]] = {}
    if not report_ids:
        return found
    events = await session.scalars(
        select(Event)
        .where(Event.kind == "closed", Event.report_id.in_(report_ids))
        .order_by(Event.at, Event.id)
    )
    for event in events:
        closing: dict[str, Any] = dict(event.detail or {})
        if event.detail_enc is not None:
            try:
                sealed = open_event(desk.cipher, event)
            except CipherError:  # reviewed from the closing date; the log says which entry
                log.warning("event id %s: its sealed text cannot be read", event.id)
            else:
                if isinstance(sealed, dict):
                    closing.update(sealed)
        assert event.report_id is not None
        found[event.report_id] = closing  # the later closing wins (closed, reopened, closed)
    return found


async def flag_due_for_review(session: AsyncSession, desk: AlertDesk, *, now: datetime) -> int:
    """Tell those who handle each closed case whose review date has come; once each. Nothing
    is deleted: the DSL decides, and records the decision as a note."""
    flagged = set(await session.scalars(select(Event.report_id).where(Event.kind == "review_due")))
    closed = [
        report
        for report in await session.scalars(
            select(Report).where(Report.case_status == "closed", Report.drill.is_(False))
        )
        if report.id not in flagged
    ]
    closings = await _closings(session, desk, [report.id for report in closed])
    today = now.astimezone(desk.school.tz).date()
    team = [p.email for p in desk.school.people_with(Role.DSL, Role.DEPUTY_DSL)]
    count = 0
    for report in closed:
        review = review_for(desk.school, report, closings.get(report.id, {}))
        if review.due > today:
            continue
        plan = await desk.plan(session, report)  # an allegation's, for those who handle it
        told = list(plan.everyone) if report.allegation else team
        await record_event(
            session,
            kind="review_due",
            at=now,
            actor_email=None,
            report_id=report.id,
            detail={"rule": review.rule.name.lower(), "after_years": review.years},
        )
        await enqueue(
            session,
            report_id=report.id,
            emails=[e for e in told if e not in plan.excluded],
            channels=desk.channels,
            kind="review",
            level=int(review.rule),
            now=now,
        )
        count += 1
    return count
