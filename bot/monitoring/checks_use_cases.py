"""What the channels (and the annual review) use of the filtering checks: the spreadsheet of
every check, each person's role checked on the server every time (bot/monitoring/checks_chat.py),
and the CSV's bytes for a period, for the review pack."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.monitoring.checks import CheckRecord, checks_between, checks_csv
from bot.monitoring.checks_chat import CheckCommands
from bot.school.config import SchoolConfig
from storage.crypto import Cipher

CheckUseCases = CheckCommands


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


__all__ = ["CheckRecord", "CheckUseCases", "checks_between", "checks_csv_bytes"]
