"""What the cases offer the layers above (the channels, the app): the one place they call.

A channel exports a chronology, records a file it delivered later and asks how many cases wait
for someone through `CaseUseCases`, never through the service, the alert desk or the chat's
commands. (A module, not the package's `__init__`: importing any of bot.cases' modules runs
its `__init__`, and one that imported every use case would load the whole package, and its
cycles, for a test that wants only the CSV's cells.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import export, summary
from bot.cases.alerts import AlertDesk
from bot.cases.cards import CardMaker
from bot.cases.export import (
    CaseRecord,
    Chronology,
    Format,
    Refused,
    chronology_attachment,
    filename,
    to_csv,
    to_html,
)
from bot.cases.keys import case_key
from bot.cases.recipients import FinalLevel, may_handle
from bot.cases.trust_lead import Listed, TrustLeadCases, open_cases_where
from bot.school.config import HANDLER_ROLES, Person
from storage.models import Report

__all__ = [
    "HANDLER_ROLES",
    "CaseRecord",
    "CaseUseCases",
    "Chronology",
    "FinalLevel",
    "Format",
    "Listed",
    "Refused",
    "TrustLeadCases",
    "case_key",
    "chronology_attachment",
    "filename",
    "to_csv",
    "to_html",
    "visible_open_cases",
]


@dataclass(frozen=True)
class CaseUseCases:
    desk: AlertDesk
    cards: CardMaker

    @property
    def trust_lead(self) -> TrustLeadCases:
        """What the trust's safeguarding lead may see of this school's cases (read-only)."""
        return TrustLeadCases(self.desk, self.cards)

    async def export_chronology(
        self,
        session: AsyncSession,
        *,
        case_id: str | int,
        actor: str,
        channel: str | None,
        fmt: Format,
        now: datetime,
        record: bool = True,
    ) -> Chronology | Refused:
        """See bot.cases.export.export_chronology: the one export of a case's chronology."""
        return await export.export_chronology(
            session,
            desk=self.desk,
            cards=self.cards,
            case_id=case_id,
            actor=actor,
            channel=channel,
            fmt=fmt,
            now=now,
            record=record,
        )

    async def record_chronology_export(
        self,
        session: AsyncSession,
        *,
        case_id: int,
        actor: str,
        channel: str,
        fmt: Format,
        now: datetime,
    ) -> None:
        await export.record_chronology_export(
            session, case_id=case_id, actor=actor, channel=channel, fmt=fmt, now=now
        )

    def handles_cases(self, email: str) -> bool:
        return self.desk.school.handles_cases(email)

    async def governors_chart(
        self, session: AsyncSession, *, actor: str, now: datetime
    ) -> bytes | None:
        """The governors' summary chart (PNG) for someone who may see it; None, the refusal
        recorded, for anyone else."""
        return await summary.chart(session, self.desk.school, self.cards.kind_label, actor, now)

    def handlers(self) -> list[Person]:
        """The DSL, deputies and headteacher: who is alerted and handles cases."""
        return list(self.desk.school.people_with(*HANDLER_ROLES))

    async def waiting_count(self, session: AsyncSession, email: str) -> int:
        """The open cases this person may handle that nobody has acknowledged: never one they
        may be the subject of."""
        if not self.handles_cases(email):
            return 0
        visible = await visible_open_cases(session, self.desk, email)
        return sum(1 for r in visible if r.case_status == "open")


async def visible_open_cases(session: AsyncSession, desk: AlertDesk, email: str) -> list[Report]:
    """The open cases `email` may handle (never one they may be the subject of). A low-level
    concern about an adult is not a pupil's case: it is listed in its own log (low_level.py)."""
    return await open_cases_where(
        session, desk, lambda report, plan: may_handle(desk.school, email, report, plan)
    )
