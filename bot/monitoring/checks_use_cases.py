"""What the channels (and the annual review) use of the filtering checks: the spreadsheet of
every check, each person's role checked on the server every time (bot/monitoring/checks_chat.py),
and the CSV's bytes for a period, for the review pack."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.monitoring.checks import CheckRecord, checks_between, checks_csv
from bot.monitoring.checks_chat import CheckCommands
from bot.school.config import SchoolConfig
from dialogs.model import FlowSpec
from storage.crypto import Cipher

CheckUseCases = CheckCommands


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


__all__ = ["CheckRecord", "CheckUseCases", "check_labels", "checks_between", "checks_csv_bytes"]
