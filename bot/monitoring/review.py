"""The annual review of filtering and monitoring (DfE filtering and monitoring standards: "review
your filtering and monitoring provision at least annually").

On the day the school file names (`filtering_and_monitoring.review_date`) the bot opens the
year's review: it takes the year's figures from its own records, keeps them with the review, and
invites the people who answer it through the outbox. One review per year: the year is unique in
`filtering_reviews`, so a second scheduler (or a restart) opening the same year finds it there
and queues nothing.

Who answers: the senior leader the school file names as responsible, and the DSL (the `dsl`
role). The standard names these two; a deputy DSL does not answer (a school that wants a deputy to
lead the review names them as the senior leader). Every other person is refused, and the refusal
recorded, on every action: the invitation's button, the typed command, each answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import enqueue
from bot.monitoring.review_figures import (
    Figure,
    FigureSource,
    ReviewPeriod,
    review_period,
    year_figures,
)
from bot.record.events import record_event
from bot.school.config import Role, SchoolConfig
from storage.crypto import Cipher, where
from storage.models import FilteringReview

log = logging.getLogger(__name__)
INVITE = "fmreview_invite"  # the outbox row that asks someone to answer
DONE = "fmreview_done"  # the outbox row that tells the others it is complete
OUTBOX_KINDS = (INVITE, DONE)
OPENS_FOR = timedelta(days=30)  # a scheduler down on the day still opens it this long after
ACTION = "filtering_review"  # what a refusal is recorded as


def answerers(school: SchoolConfig) -> list[str]:
    """Who answers the review: the senior leader responsible, then every DSL (e-mails)."""
    leader = school.filtering_and_monitoring.senior_leader
    found = [leader] if leader is not None and school.person(leader) is not None else []
    found += [person.email for person in school.people_with(Role.DSL)]
    return list(dict.fromkeys(found))


def may_answer(school: SchoolConfig, email: str) -> bool:
    return email.strip().lower() in answerers(school)


def review_year(school: SchoolConfig, today: date) -> int:
    """The latest year whose review day has come (its review may be opened now)."""
    section = school.filtering_and_monitoring
    return today.year if section.review_day(today.year) <= today else today.year - 1


async def review_for(session: AsyncSession, year: int) -> FilteringReview | None:
    return await session.scalar(select(FilteringReview).where(FilteringReview.year == year))


def period_of(school: SchoolConfig, review: FilteringReview) -> ReviewPeriod:
    return ReviewPeriod(school, review.period_start, review.period_end)


def figures_of(review: FilteringReview) -> list[Figure]:
    return [Figure.from_json(item) for item in review.figures]


async def open_review(
    session: AsyncSession,
    *,
    school: SchoolConfig,
    year: int,
    channels: Iterable[str],
    now: datetime,
    opened_by: str | None = None,
    sources: Sequence[FigureSource] | None = None,
) -> tuple[FilteringReview, bool]:
    """The year's review, opened now if it was not yet (figures taken, invitations queued);
    (review, whether this call opened it)."""
    existing = await review_for(session, year)
    if existing is not None:
        return existing, False
    period = review_period(school, year)
    figures = await year_figures(session, period, sources=sources)
    row = {
        "year": year,
        "period_start": period.start,
        "period_end": period.end,
        "opened_at": now,
        "figures": [figure.as_json() for figure in figures],
        "status": "open",
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The unique year decides between two schedulers opening it at once: the loser inserts
    # nothing and queues nothing.
    result = await session.execute(insert(FilteringReview).values(row).on_conflict_do_nothing())
    review = await review_for(session, year)
    assert review is not None
    if not result.rowcount:  # type: ignore[attr-defined]
        return review, False
    await enqueue(
        session,
        report_id=None,
        emails=answerers(school),
        channels=channels,
        kind=INVITE,
        level=review.id,
        now=now,
        about={"review_id": review.id, "year": year},
    )
    await record_event(
        session,
        kind="filtering_review_opened",
        at=now,
        actor_email=opened_by,
        detail={"year": year},
    )
    log.info("filtering review opened year=%s", year)
    return review, True


async def open_due(
    session: AsyncSession, *, school: SchoolConfig, channels: Iterable[str], now: datetime
) -> FilteringReview | None:
    """The scheduler's job: open this year's review on its day (or within OPENS_FOR after, if
    no scheduler ran on the day). None when none is due or it was open already."""
    today = now.astimezone(school.tz).date()
    year = review_year(school, today)
    if today - school.filtering_and_monitoring.review_day(year) > OPENS_FOR:
        return None
    review, opened = await open_review(
        session, school=school, year=year, channels=channels, now=now
    )
    return review if opened else None


def saved_answers(cipher: Cipher, review: FilteringReview) -> dict[str, Any]:
    return dict(cipher.open(review, "answers_enc") or {})


async def _while_open(
    session: AsyncSession, review: FilteringReview, values: dict[str, Any]
) -> bool:
    """Write `values` to the review if it is still open, as the database sees it now (two
    answerers finishing at once both read it open: the first write wins, the second changes
    nothing); whether it was written."""
    result = await session.execute(
        update(FilteringReview)
        .where(FilteringReview.id == review.id, FilteringReview.status == "open")
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def save_progress(
    session: AsyncSession, *, cipher: Cipher, review: FilteringReview, answers: dict[str, Any]
) -> bool:
    """Keep the answers given so far (one draft, shared by the answerers) while it is open."""
    sealed = cipher.encrypt_json(answers, **where(review, "answers_enc"))
    return await _while_open(session, review, {"answers_enc": sealed})


async def complete(
    session: AsyncSession,
    *,
    cipher: Cipher,
    school: SchoolConfig,
    review: FilteringReview,
    answers: dict[str, Any],
    email: str,
    channels: Iterable[str],
    now: datetime,
) -> bool:
    """Keep the answers and close the review; the other answerers are told. False when someone
    else completed it first (their answers stand)."""
    sealed = cipher.encrypt_json(answers, **where(review, "answers_enc"))
    values = {
        "answers_enc": sealed,
        "status": "completed",
        "completed_at": now,
        "completed_by": email,
    }
    if not await _while_open(session, review, values):
        return False
    await record_event(
        session,
        kind="filtering_review_completed",
        at=now,
        actor_email=email,
        detail={"year": review.year},
    )
    others = [e for e in answerers(school) if e != email]
    await enqueue(
        session,
        report_id=None,
        emails=others,
        channels=channels,
        kind=DONE,
        level=review.id,
        now=now,
        about={"review_id": review.id, "year": review.year, "by": email},
    )
    log.info("filtering review completed year=%s", review.year)
    return True
