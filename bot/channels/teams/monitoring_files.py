"""The filtering and monitoring files a Teams user allows to be saved to their OneDrive
(bot/channels/teams/file_consent.py): made afresh when Allow is pressed, for the person pressing
it, checked on the server as things are then, by the same use cases as the web chat's downloads.

- every filtering check (`checks_csv`): the `checks` command's spreadsheet, for whoever may see
  the checks now (the ICT lead, the DSL, deputies, headteacher: bot/monitoring/checks_chat.py);
  a refusal recorded; the export recorded as `filtering_checks_exported`, with the channel;
- the review's document (`review_pdf`) and the checks of its year (`review_checks_csv`): for
  whoever may read the review now (the senior leader and the governor responsible, the DSL,
  the chair of governors: bot/monitoring/review_use_cases.py); a refusal recorded by it; the
  export recorded as `filtering_review_exported`, with the channel.

Each export is recorded only after OneDrive took the file (`record`).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.services import Services
from bot.delivery.messages import Attachment, FileSource
from bot.monitoring.checks_use_cases import record_spreadsheet, spreadsheet_for
from bot.monitoring.review_use_cases import FileName, Refused
from bot.words import strings

log = logging.getLogger(__name__)
KINDS = frozenset({"checks_csv", "review_pdf", "review_checks_csv"})
_REVIEW_FILES: dict[str, FileName] = {"review_pdf": "review.pdf", "review_checks_csv": "checks.csv"}


class NotAllowed(str):
    """What to tell someone who may not have the file (the refusal is recorded)."""


async def made(
    services: Services, session: AsyncSession, source: FileSource, email: str, channel: str
) -> Attachment | NotAllowed | None:
    """The file `source` names, for `email` if they may have it now; None if it is gone."""
    now = services.clock()
    if source.kind == "checks_csv":
        if services.checks is None:
            return None
        sheet = await spreadsheet_for(services.checks, session, email=email, now=now)
        if sheet is None:
            log.warning("Teams file consent refused: may not see the filtering checks")
            return NotAllowed(strings.TEAMS_CHECKS_FILE_NOT_ALLOWED)
        return sheet
    if services.reviews is None:
        return None
    found = await services.reviews.document_file(
        session,
        year=source.id,
        actor=email,
        file=_REVIEW_FILES[source.kind],
        channel=channel,
        now=now,
        labels=services.checks.labels() if services.checks is not None else None,
        record=False,
    )
    if not isinstance(found, Refused):
        return found
    if found.reason == "no_such_review":
        return None
    log.warning("Teams file consent refused: not one of the review's readers")
    return NotAllowed(strings.TEAMS_REVIEW_FILE_NOT_ALLOWED)


async def record(
    services: Services,
    session: AsyncSession,
    source: FileSource,
    email: str,
    channel: str,
    filename: str,
) -> None:
    """The file reached the person's OneDrive: recorded as its download is."""
    now = services.clock()
    if source.kind == "checks_csv":
        await record_spreadsheet(session, email=email, channel=channel, filename=filename, now=now)
    elif services.reviews is not None:
        await services.reviews.record_export(
            session,
            year=source.id,
            actor=email,
            file=_REVIEW_FILES[source.kind],
            channel=channel,
            now=now,
        )
