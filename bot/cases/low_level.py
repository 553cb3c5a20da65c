"""The low-level concerns' log (KCSIE 2025 part 4, section two).

A concern about an adult at school that does not meet the harm threshold is kept in its own
log, apart from the pupils' cases: never among the open cases, never on a pupil's record. The
headteacher lists it (and the DSL, where the school's policy sends low-level concerns there:
`allegations.low_level_concerns_to`), as do the chair and the named fallback, who take those
about the head. Each entry is shown only to someone it was routed to, never to the adult it
is about; opening one is the case's own View, checked and recorded as for any case.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.alerts import AlertDesk
from bot.cases.recipients import may_handle
from bot.delivery.messages import Card, CardField, Notice, Option, Outbound
from bot.record.refusals import record_refusal
from bot.reports import subjects
from bot.reports.allegation_kind import LOW_LEVEL, SELF_REPORT, is_low_level
from bot.school.config import Role, SchoolConfig
from bot.words import strings
from dialogs.datetimes import format_moment
from storage.models import Report

if TYPE_CHECKING:  # the cards show card_fields: imported there, so not here but for types
    from bot.cases.cards import CardMaker

ACTION = "low_level_log"  # what a refusal is recorded as
_SHOWN = 25  # the newest; the buttons for the first 20 (a chat message's limit on actions)


def may_list(school: SchoolConfig, email: str) -> bool:
    """Whether someone may list the log at all: who low-level concerns are routed to."""
    person = school.person(email)
    if person is None:
        return False
    chair = school.chair_of_governors
    return (
        person.has_role(Role.HEADTEACHER)
        or (chair is not None and chair.email == person.email)
        or person.email in school.allegations.fallback
        or (school.allegations.low_level_concerns_to == "dsl" and person.has_role(Role.DSL))
    )


async def list_log(
    session: AsyncSession, desk: AlertDesk, cards: CardMaker, email: str, now: datetime
) -> list[Outbound]:
    """The low-level concerns this person may handle, newest first, open and closed."""
    if not may_list(desk.school, email):
        await record_refusal(session, email=email, action=ACTION, report_id=None, now=now)
        return [Notice(strings.LOW_LEVEL_NOT_ALLOWED, "error")]
    found = await session.scalars(
        select(Report)
        .where(
            Report.allegation.is_(True),
            Report.allegation_kind == LOW_LEVEL,
            Report.case_status.is_not(None),
            Report.drill.is_(False),
        )
        .order_by(Report.created_at.desc(), Report.id.desc())
    )
    shown = []
    for report in found:
        if is_low_level(report) and may_handle(
            desk.school, email, report, await desk.plan(session, report)
        ):
            shown.append(report)
    if not shown:
        return [Notice(strings.NO_LOW_LEVEL, "success")]
    fields = tuple(CardField(r.reference or "", _line(desk, cards, r)) for r in shown[:_SHOWN])
    actions = tuple(Option(f"case:view:{r.id}", f"View {r.reference}") for r in shown[:20])
    title = strings.LOW_LEVEL_LOG.format(n=len(shown))
    text = strings.LOW_LEVEL_LOG_NOTE
    return [Card(card_id="low-level-log", title=title, text=text, fields=fields, actions=actions)]


def card_fields(report: Report) -> list[CardField]:
    """What a case's card says of a low-level concern or a self-report, for whoever has it."""
    if is_low_level(report):
        return [CardField(strings.LOW_LEVEL_CARD, strings.LOW_LEVEL_CARD_NOTE)]
    if report.allegation and report.allegation_kind == SELF_REPORT:
        return [CardField(strings.LOW_LEVEL_CARD, strings.SELF_REPORT_CARD_NOTE)]
    return []


def _line(desk: AlertDesk, cards: CardMaker, report: Report) -> str:
    found = subjects.stored(desk.cipher, report)
    about = ", ".join(cards.name(e) for e in found.left_out) if found else ""
    moment = report.submitted_at or report.created_at
    return strings.LOW_LEVEL_LINE.format(
        when=format_moment(moment, desk.school.tz),
        about=about or strings.LOW_LEVEL_NOBODY,
        status=cards.status_label(report),
    )
