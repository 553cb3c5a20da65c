"""What the annual filtering and monitoring review offers the channels: its pack (the document as
a PDF and a page, and the spreadsheet of the year's filtering checks) as files, checked, made and
recorded here (the web chat's download, a Teams file once its consent is given; a chat's
completion card carries the same files, made by bot/monitoring/review_chat.py).

Who may have the document: the people who answer the review (the senior leader responsible and
the DSL), the governor responsible and the chair of governors, for whom it is written. It holds
no pupil's name, only the year's figures and the school's answers; everyone else is refused on
the server, each time, and the refusal recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.messages import Attachment, FileSource, Link
from bot.monitoring import review
from bot.monitoring.checks import CSV_MEDIA_TYPE
from bot.monitoring.checks_use_cases import checks_csv_bytes
from bot.monitoring.review_document import review_html, review_pdf
from bot.monitoring.review_export import document_of
from bot.record.events import record_event
from bot.record.refusals import record_refusal
from bot.school.config import SchoolConfig
from bot.words import strings
from dialogs.model import FlowSpec
from storage.crypto import Cipher
from storage.models import FilteringReview

FileName = Literal["review.pdf", "review.html", "checks.csv"]
__all__ = ["FileName", "Refused", "ReviewUseCases", "document_files", "pack_files"]


@dataclass(frozen=True)
class Refused:
    """No file: `not_allowed`, or `no_such_review` (not opened for that year)."""

    reason: Literal["not_allowed", "no_such_review"]


def may_read(school: SchoolConfig, email: str) -> bool:
    section = school.filtering_and_monitoring
    readers = {*review.answerers(school), section.governor, school.chair_of_governors_email}
    return email.strip().lower() in readers


def document_files(html: str, year: int, *, links: bool = True) -> tuple[Attachment, ...]:
    """The document as a PDF and as a page (`links`: the web chat's download of each); the
    PDF can be made again for Teams, which offers it once the person allows it."""
    name = f"filtering-review-{year}"
    title = strings.REVIEW_DOC_TITLE.format(year=year)
    path = f"/api/web/filtering-review/{year}/review"
    return (
        Attachment(
            f"{name}.pdf",
            "application/pdf",
            review_pdf(html),
            title,
            link=Link(strings.REVIEW_DOC_PDF_LINK, f"{path}.pdf") if links else None,
            source=FileSource("review_pdf", year),
        ),
        Attachment(
            f"{name}.html",
            "text/html; charset=utf-8",
            html.encode(),
            title,
            link=Link(strings.REVIEW_DOC_HTML_LINK, f"{path}.html") if links else None,
        ),
    )


async def checks_file(
    session: AsyncSession,
    *,
    school: SchoolConfig,
    cipher: Cipher,
    found: FilteringReview,
    labels: Mapping[str, str] | None,
    links: bool = True,
) -> Attachment:
    """The spreadsheet of the filtering checks of the review's twelve months, as `checks`
    writes it (bot/monitoring/checks.py): the review pack's record of the checks."""
    period = review.period_of(school, found)
    data = await checks_csv_bytes(
        session,
        school=school,
        cipher=cipher,
        first=period.start,
        last=period.end - timedelta(days=1),
        labels=labels,
    )
    path = f"/api/web/filtering-review/{found.year}/checks.csv"
    return Attachment(
        f"filtering-checks-{found.year}.csv",
        CSV_MEDIA_TYPE,
        data,
        strings.REVIEW_CHECKS_CSV_TITLE.format(period=period.label()),
        link=Link(strings.REVIEW_CHECKS_CSV_LINK, path) if links else None,
        source=FileSource("review_checks_csv", found.year),
    )


async def pack_files(
    session: AsyncSession,
    *,
    school: SchoolConfig,
    cipher: Cipher,
    found: FilteringReview,
    html: str,
    labels: Mapping[str, str] | None,
    links: bool = True,
) -> tuple[Attachment, ...]:
    """The review pack: the document (PDF, page) and the year's checks (CSV)."""
    checks = await checks_file(
        session, school=school, cipher=cipher, found=found, labels=labels, links=links
    )
    return (*document_files(html, found.year, links=links), checks)


class ReviewUseCases:
    def __init__(self, *, school: SchoolConfig, cipher: Cipher, spec: FlowSpec | None) -> None:
        self.school = school
        self.cipher = cipher
        self.spec = spec  # the review flow: its steps' labels are the document's headings

    async def document_file(
        self,
        session: AsyncSession,
        *,
        year: str | int,
        actor: str,
        file: FileName,
        channel: str | None,
        now: datetime,
        labels: Mapping[str, str] | None = None,
        record: bool = True,
    ) -> Attachment | Refused:
        """A file of the year's pack for `actor` if they may read it (a refusal is recorded),
        and the download recorded (`filtering_review_exported`) unless `record` is False (Teams
        records it once the file reached the person: `record_export`). `labels`: the check
        flow's words for the checks' spreadsheet (CheckCommands.labels())."""
        if not may_read(self.school, actor):
            await record_refusal(
                session, email=actor, action=review.ACTION, report_id=None, now=now
            )
            return Refused("not_allowed")
        text = str(year)
        if not (text.isascii() and text.isdigit() and len(text) == 4) or self.spec is None:
            return Refused("no_such_review")
        found = await review.review_for(session, int(text))
        if found is None:
            return Refused("no_such_review")
        if file == "checks.csv":
            made = await checks_file(
                session,
                school=self.school,
                cipher=self.cipher,
                found=found,
                labels=labels,
                links=False,
            )
        else:
            html = review_html(
                document_of(found, school=self.school, cipher=self.cipher, spec=self.spec)
            )
            pdf, page = document_files(html, found.year, links=False)
            made = pdf if file == "review.pdf" else page
        if record:
            await self.record_export(
                session, year=found.year, actor=actor, file=file, channel=channel, now=now
            )
        return made

    async def record_export(
        self,
        session: AsyncSession,
        *,
        year: int,
        actor: str,
        file: FileName,
        channel: str | None,
        now: datetime,
    ) -> None:
        """A file of the pack left by `channel` (None: the web chat's own download)."""
        detail: dict[str, object] = {"year": year, "file": file}
        if channel is not None:
            detail["channel"] = channel
        await record_event(
            session, kind="filtering_review_exported", at=now, actor_email=actor, detail=detail
        )
