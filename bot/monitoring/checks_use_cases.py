"""What the channels (and the annual review) use of the filtering checks: the spreadsheet of
every check, each person's role checked on the server every time (bot/monitoring/checks_chat.py),
and the CSV's bytes for a period, for the review pack."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.messages import Attachment
from bot.monitoring.checks import CheckRecord, checks_between, checks_csv
from bot.monitoring.checks_chat import EVER, CheckCommands
from bot.record.events import record_event
from bot.record.refusals import record_refusal
from bot.school.config import SchoolConfig
from dialogs.model import FlowSpec
from storage.crypto import Cipher
from storage.models import FilteringCheck

CheckUseCases = CheckCommands


async def spreadsheet_for(
    checks: CheckCommands, session: AsyncSession, *, email: str, now: datetime
) -> Attachment | None:
    """The CSV of every check for `email` if they may have it now (checked on the server; a
    refusal recorded: None). Not recorded as an export: Teams records it once the file reached
    the person (`record_spreadsheet`), so a failed upload leaves no false entry."""
    if not checks.allowed(email):
        await record_refusal(session, email=email, action="checks file", report_id=None, now=now)
        return None
    tz = checks.school.tz
    every = await checks_between(
        session, first=EVER, last=now.astimezone(tz).date(), cipher=checks.cipher, tz=tz
    )
    return checks.csv_attachment(every, now)


async def record_spreadsheet(
    session: AsyncSession, *, email: str, channel: str, filename: str, now: datetime
) -> None:
    """The CSV of every check left by `channel`: recorded as `checks` records it."""
    counted = await session.scalar(
        select(func.count()).select_from(FilteringCheck).where(FilteringCheck.checked_at <= now)
    )
    await record_event(
        session,
        kind="filtering_checks_exported",
        at=now,
        actor_email=email,
        detail={"channel": channel, "checks": counted or 0, "file": filename},
    )


def check_labels(specs: Iterable[FlowSpec]) -> dict[str, str]:
    """Option value -> words of the check flow among `specs` (as CheckCommands.labels()), for
    a spreadsheet made where only the flows are at hand (the review pack)."""
    found: dict[str, str] = {}
    for spec in specs:
        if spec.purpose == "check":
            for step in spec.steps:
                found.update({o.value: o.label for o in step.options})
            break
    return found


async def checks_csv_bytes(
    session: AsyncSession,
    *,
    school: SchoolConfig,
    cipher: Cipher,
    first: date,
    last: date,
    labels: Mapping[str, str] | None = None,
) -> bytes:
    """The CSV of the checks recorded from `first` to `last` (both included), as `checks`
    sends it: for the review pack. `labels`: option value -> words (CheckCommands.labels();
    without them the codes are written)."""
    tz: tzinfo = school.tz
    found = await checks_between(session, first=first, last=last, cipher=cipher, tz=tz)
    names = {person.email: person.name for person in school.people}
    return checks_csv(found, labels=labels or {}, names=names, tz=tz)


__all__ = [
    "CheckRecord",
    "CheckUseCases",
    "check_labels",
    "checks_between",
    "checks_csv_bytes",
    "record_spreadsheet",
    "spreadsheet_for",
]
