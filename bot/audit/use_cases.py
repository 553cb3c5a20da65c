"""What the self-audit offers the layers above (the channels, the app): the one place they call.

The results file (everyone's answers as CSV, and the chart) is checked, read and recorded here
for the web chat's download and Teams' file consent alike; the "audit results" chat command
shows the same results through bot/audit/chat.py. (A module, not the package's `__init__`, which
every import of one of bot.audit's modules would run.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import exports, present, results
from bot.audit.chart import results_chart_png
from bot.audit.results import AuditResults
from bot.audit.start import AuditStarter, NoAuditFlow, StaffSource, Started, staff_audience
from bot.briefings import exports as briefing_exports
from bot.briefings.chart import briefing_chart_png
from bot.delivery.messages import Attachment
from bot.record.events import record_event
from bot.school.config import Role, SchoolConfig
from storage.crypto import Cipher

__all__ = [
    "AUDIT_ROLES",
    "RESULT_ROLES",
    "AuditStarter",
    "AuditUseCases",
    "BriefingFile",
    "FileName",
    "NoAuditFlow",
    "Refused",
    "ResultsFile",
    "StaffSource",
    "Started",
    "staff_audience",
]

AUDIT_ROLES = (Role.DSL, Role.DEPUTY_DSL)
# Who may read everyone's answers (they name people): the DSL, deputies and headteacher.
RESULT_ROLES = (Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER)
FileName = Literal["results.csv", "chart.png"]


@dataclass(frozen=True)
class ResultsFile:
    """A campaign's results, read now for someone allowed them, as one of its files."""

    results: AuditResults
    tz: ZoneInfo

    def csv_filename(self) -> str:
        return exports.results_filename(self.results, "csv")

    def csv_bytes(self) -> bytes:
        return exports.results_csv(self.results, tz=self.tz).encode("utf-8")

    def chart_png(self) -> bytes:
        return results_chart_png(self.results)

    def csv_attachment(self) -> Attachment:
        return present.csv_attachment(self.results, tz=self.tz)


@dataclass(frozen=True)
class BriefingFile:
    """A staff briefing's confirmations and answers (bot/briefings/exports.py), read now for
    someone allowed them: its CSV, offered where the self-audit's is."""

    results: briefing_exports.BriefingResults
    tz: ZoneInfo

    def csv_filename(self) -> str:
        return briefing_exports.results_filename(self.results)

    def csv_bytes(self) -> bytes:
        return briefing_exports.results_csv(self.results, tz=self.tz).encode("utf-8")

    def chart_png(self) -> bytes:
        return briefing_chart_png(self.results)

    def csv_attachment(self) -> Attachment:
        return briefing_exports.csv_attachment(self.results, tz=self.tz)


@dataclass(frozen=True)
class Refused:
    """No file: `not_allowed` (not one of RESULT_ROLES), or `no_such_campaign`."""

    reason: Literal["not_allowed", "no_such_campaign"]


class AuditUseCases:
    def __init__(self, *, school: SchoolConfig, cipher: Cipher) -> None:
        self.school = school
        self.cipher = cipher

    def allowed(self, email: str, roles: Sequence[Role] = RESULT_ROLES) -> bool:
        person = self.school.person(email)
        return person is not None and any(person.has_role(role) for role in roles)

    async def results_file(
        self,
        session: AsyncSession,
        *,
        campaign_id: str | int,
        actor: str,
        file: FileName,
        channel: str | None,
        now: datetime,
        record: bool = True,
    ) -> ResultsFile | BriefingFile | Refused:
        """Check that `actor` may read everyone's answers, read the campaign's results and
        record the download (`audit_exported`; `channel` when a chat delivered it, None for
        the web chat's own download). `record=False` when the file leaves later: Teams
        records it with `record_results_export` once OneDrive took it."""
        if not self.allowed(actor):
            return Refused("not_allowed")
        # Digits that fit the column: a 23-digit id would fail in the database, not be "none".
        text = str(campaign_id)
        if not (text.isascii() and text.isdigit() and len(text) <= 9):
            return Refused("no_such_campaign")
        made: ResultsFile | BriefingFile
        try:
            made = ResultsFile(
                await results.campaign_results(session, self.cipher, int(text)), self.school.tz
            )
        except results.CampaignNotFound:
            # A staff briefing shares the campaigns, and these downloads (its CSV and chart).
            briefing = await briefing_exports.briefing_results(session, self.cipher, int(text))
            if briefing is None:
                return Refused("no_such_campaign")
            made = BriefingFile(briefing, self.school.tz)
        if record:
            await self.record_results_export(
                session, campaign_id=int(text), actor=actor, file=file, channel=channel, now=now
            )
        return made

    async def record_results_export(
        self,
        session: AsyncSession,
        *,
        campaign_id: int,
        actor: str,
        file: FileName,
        channel: str | None,
        now: datetime,
    ) -> None:
        detail: dict[str, object] = {"campaign_id": campaign_id, "file": file}
        if channel is not None:
            detail["channel"] = channel
        await record_event(session, kind="audit_exported", at=now, actor_email=actor, detail=detail)
