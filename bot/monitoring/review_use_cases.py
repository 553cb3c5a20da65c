"""What the annual filtering and monitoring review offers the channels: its document as a file,
checked, made and recorded here (the web chat's download; a chat's completion card carries the
same files, made by bot/monitoring/review_chat.py).

Who may have the document: the people who answer the review (the senior leader responsible and
the DSL), the governor responsible and the chair of governors, for whom it is written. It holds
no pupil's name, only the year's figures and the school's answers; everyone else is refused on
the server, each time, and the refusal recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.messages import Attachment
from bot.monitoring import review
from bot.monitoring.review_document import review_html, review_pdf
from bot.monitoring.review_export import document_of
from bot.record.events import record_event
from bot.record.refusals import record_refusal
from bot.school.config import SchoolConfig
from bot.words import strings
from dialogs.model import FlowSpec
from storage.crypto import Cipher

FileName = Literal["review.pdf", "review.html"]
__all__ = ["FileName", "Refused", "ReviewUseCases", "document_files"]


@dataclass(frozen=True)
class Refused:
    """No file: `not_allowed`, or `no_such_review` (not opened for that year)."""

    reason: Literal["not_allowed", "no_such_review"]


def may_read(school: SchoolConfig, email: str) -> bool:
    section = school.filtering_and_monitoring
    readers = {*review.answerers(school), section.governor, school.chair_of_governors_email}
    return email.strip().lower() in readers


def document_files(html: str, year: int, *, links: bool = True) -> tuple[Attachment, ...]:
    """The document as a PDF and as a page (`links`: the web chat's download of each)."""
    from bot.delivery.messages import Link

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
        ),
        Attachment(
            f"{name}.html",
            "text/html; charset=utf-8",
            html.encode(),
            title,
            link=Link(strings.REVIEW_DOC_HTML_LINK, f"{path}.html") if links else None,
        ),
    )


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
    ) -> Attachment | Refused:
        """The year's document for `actor` if they may read it (a refusal is recorded), and the
        download recorded (`filtering_review_exported`)."""
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
        html = review_html(
            document_of(found, school=self.school, cipher=self.cipher, spec=self.spec)
        )
        pdf, page = document_files(html, found.year, links=False)
        detail: dict[str, object] = {"year": found.year, "file": file}
        if channel is not None:
            detail["channel"] = channel
        await record_event(
            session, kind="filtering_review_exported", at=now, actor_email=actor, detail=detail
        )
        return pdf if file == "review.pdf" else page
