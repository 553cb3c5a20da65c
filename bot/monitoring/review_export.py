"""The review document made from what is stored: a completed (or open) review's figures and
answers, or, for a year not opened yet, a draft from the records as they are now (nothing is
stored). Used by the chat and by `python -m bot review --year YEAR PATH`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.monitoring import review
from bot.monitoring.review_document import ReviewDocument
from bot.monitoring.review_figures import FigureSource, review_period, year_figures
from bot.school.config import SchoolConfig
from bot.school.filtering_standard import filtering_provider_name
from bot.words import strings
from dialogs.model import FlowSpec
from storage.crypto import Cipher
from storage.models import FilteringReview


def named_roles(school: SchoolConfig) -> list[tuple[str, str]]:
    """(role, who) for the document and the questions: names, never only an address."""
    section = school.filtering_and_monitoring

    def who(email: str | None) -> str:
        person = None if email is None else school.person(email)
        return person.name if person is not None else (email or strings.REVIEW_NOT_NAMED)

    dsl = ", ".join(p.name for p in school.people_with("dsl"))
    return [
        (strings.REVIEW_ROLE_LEADER, who(section.senior_leader)),
        (strings.REVIEW_ROLE_GOVERNOR, who(section.governor)),
        (strings.REVIEW_ROLE_DSL, dsl),
        (strings.REVIEW_ROLE_FILTERING, filtering_provider_name(school)),
        (strings.REVIEW_ROLE_MONITORING, section.monitoring_provider or strings.REVIEW_NOT_NAMED),
    ]


def document_of(
    found: FilteringReview, *, school: SchoolConfig, cipher: Cipher, spec: FlowSpec
) -> ReviewDocument:
    """The document of a stored review: its figures as they were when it opened."""
    completed_by = None if found.completed_by is None else school.person(found.completed_by)
    return ReviewDocument(
        school=school.name,
        year=found.year,
        period=review.period_of(school, found).label(),
        roles=named_roles(school),
        figures=review.figures_of(found),
        spec=spec,
        answers=review.saved_answers(cipher, found),
        completed_by=completed_by.name if completed_by is not None else found.completed_by,
        completed_at=found.completed_at,
        tz=school.tz,
    )


async def document_for_year(
    session: AsyncSession,
    *,
    school: SchoolConfig,
    cipher: Cipher,
    spec: FlowSpec,
    year: int,
    sources: Sequence[FigureSource] | None = None,
) -> ReviewDocument:
    """The year's review document; a draft with today's figures when it was not opened yet."""
    found = await review.review_for(session, year)
    if found is not None:
        return document_of(found, school=school, cipher=cipher, spec=spec)
    period = review_period(school, year)
    return ReviewDocument(
        school=school.name,
        year=year,
        period=period.label(),
        roles=named_roles(school),
        figures=await year_figures(session, period, sources=sources),
        spec=spec,
        answers={},
        completed_by=None,
        completed_at=None,
        tz=school.tz,
    )
