"""The trust's safeguarding lead looking at one school's cases (a deployment serving a trust:
bot/school/trust.py `TrustRole.SAFEGUARDING_LEAD`): read-only, every look recorded.

The lead is in no school's file, so no school's case commands let them act on a case: they see
each school's open cases and a case's details and chronology, with no buttons. Each look is an
entry in the school's own event log, as a DSL's view is ("viewed", by the lead's address, `as`
the trust's lead): listing records one for each case listed, opening a case one for its
details. A case the lead may be the subject of (an allegation about them) is never shown to
them, as it is never shown to a DSL it is about (bot/cases/recipients.py `kept_out`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import service as cases
from bot.cases.alerts import AlertDesk
from bot.cases.cards import CardMaker
from bot.cases.chat import CaseCommands
from bot.cases.recipients import AlertPlan, kept_out
from bot.delivery.messages import Card, Outbound
from bot.reports.allegation_kind import is_low_level
from storage.models import Report

AS_TRUST_LEAD = "trust_safeguarding_lead"


@dataclass(frozen=True)
class Listed:
    """One open case as the lead's list shows it: no content, its reference and state."""

    case_id: int
    reference: str
    line: str


@dataclass
class TrustLeadCases:
    desk: AlertDesk
    cards: CardMaker

    async def open_cases(self, session: AsyncSession, *, email: str, now: datetime) -> list[Listed]:
        """The school's open cases the lead may see, each look recorded."""
        commands = CaseCommands(self.desk, self.cards, {})
        listed = []
        for report in await self._visible(session, email):
            await cases.record_view(
                session, report=report, email=email, now=now, what="list", as_role=AS_TRUST_LEAD
            )
            listed.append(
                Listed(report.id, report.reference or "", commands.summary_line(report, now))
            )
        return listed

    async def view(
        self, session: AsyncSession, *, case_id: int, email: str, now: datetime
    ) -> list[Outbound] | None:
        """A case's details and chronology, without its buttons, the look recorded; None when
        the school has no such case the lead may see."""
        report = await session.get(Report, case_id)
        if report is None or report.case_status is None or is_low_level(report):
            return None
        plan = await self.desk.plan(session, report)
        if kept_out(report, plan, email):
            return None
        shown = await CaseCommands(self.desk, self.cards, {}).view(
            session, report, email, now, recorded_as=AS_TRUST_LEAD
        )
        return [replace(card, actions=()) if isinstance(card, Card) else card for card in shown]

    async def _visible(self, session: AsyncSession, email: str) -> list[Report]:
        return await open_cases_where(
            session, self.desk, lambda report, plan: not kept_out(report, plan, email)
        )


async def open_cases_where(
    session: AsyncSession, desk: AlertDesk, allowed: Callable[[Report, AlertPlan], bool]
) -> list[Report]:
    """The open cases (never a low-level concern about an adult: it is listed in its own log)
    that `allowed` lets someone see, given each case's alert plan."""
    visible = []
    for report in await cases.open_cases(session):
        if is_low_level(report):
            continue
        if allowed(report, await desk.plan(session, report)):
            visible.append(report)
    return visible
