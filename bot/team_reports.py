"""What `python -m bot` prints for the safeguarding team: who is on call (`oncall`), the
governors' summary (`summary`) and the year's filtering and monitoring review (`review`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app import Bot, attach_school
from bot.school.config import SchoolConfigError
from bot.school.rota import Cover
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.monitoring.review_document import ReviewDocument


def moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date and time such as 2026-12-07T09:00"
        ) from None


def on_call(settings: Settings, at: datetime | None) -> int:
    """Print the rota: who is on duty now (or `at`), today and next week."""
    from bot.cases.on_call import as_text
    from bot.school.config import load_school_config

    try:
        school = load_school_config(settings.school_config)
    except SchoolConfigError as error:
        print(f"The bot cannot start: its configuration has a problem.\n{error}", file=sys.stderr)
        return 2
    if at is None:
        at = datetime.now(UTC)
    elif at.tzinfo is None:
        at = at.replace(tzinfo=school.tz)
    print(as_text(school, at, asyncio.run(_stored_cover(settings, at))))
    return 0


async def _stored_cover(settings: Settings, at: datetime) -> list[Cover]:
    """The cover accepted in chat, from the database when there is one at the newest schema;
    none otherwise (the school file's rota alone). Never creates a database."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from bot.cases.cover import overlapping
    from bot.cases.on_call import cover_window
    from bot.maintenance.backup import sqlite_path
    from storage.db import create_engine
    from storage.migrate import is_current
    from storage.models import School
    from storage.scope import school_sessions, trust_sessions

    database = sqlite_path(settings)
    if database is not None and not database.exists():
        return []
    engine = create_engine(settings.resolved_database_url)
    try:
        if not await is_current(engine):
            return []
        first, last = cover_window(at)
        async with trust_sessions(engine)() as session:
            key = settings.school_key
            school_id = await session.scalar(select(School.id).where(School.key == key))
        if school_id is None:  # a school new to the database: nothing accepted in chat yet
            return []
        async with school_sessions(engine, school_id)() as session:
            return await overlapping(session, first=first, last=last)
    except (SQLAlchemyError, OSError):
        return []
    finally:
        await engine.dispose()


def summary(bot: Bot, chart: Path | None) -> int:
    """Print the governors' summary; write its chart to `chart` if given."""
    text, png = asyncio.run(_summary_made(bot))
    print(text)
    if chart is not None:
        chart.write_bytes(png)
        print(f"The chart is in {chart}.")
    return 0


async def _summary_made(bot: Bot) -> tuple[str, bytes]:
    """The governors' summary as text, and its chart (PNG), from the database."""
    from bot.cases import summary
    from bot.cases.summary_chart import summary_chart_png
    from storage.migrate import upgrade

    await upgrade(bot.engine)  # the schema only: nothing else is written
    try:
        await attach_school(bot, create=False)
        async with bot.router.sessions() as session:
            terms = await summary.build(
                session, bot.school, kind_label=bot.router.cases.cards.kind_label
            )
    finally:
        await bot.engine.dispose()
    shown = terms[-summary.PERIODS_SHOWN :]
    return (
        summary.as_text(bot.school.name, shown),
        summary_chart_png(bot.school.name, [t.times for t in shown]),
    )


def review(bot: Bot, path: Path, year: int | None) -> int:
    """Write the year's filtering and monitoring review document (PDF, or HTML) to `path`, and
    the year's filtering checks (CSV, the rest of the review pack) beside it."""
    from bot.monitoring.review import review_year
    from bot.monitoring.review_document import review_html, review_pdf

    if year is None:
        year = review_year(bot.school, datetime.now(UTC).astimezone(bot.school.tz).date())
    made = asyncio.run(_review_document(bot, year))
    if made is None:
        print("There is no flow 'filtering_review' to take the headings from.", file=sys.stderr)
        return 2
    document, checks = made
    html = review_html(document)
    if path.suffix.lower() in {".html", ".htm"}:
        path.write_text(html, encoding="utf-8")
    else:
        path.write_bytes(review_pdf(html))
    beside = path.with_name(f"{path.stem}-checks.csv")
    beside.write_bytes(checks)
    state = "completed" if document.completed_at is not None else "not completed: a draft"
    print(f"The review of {year} ({state}) is in {path}; the year's filtering checks in {beside}.")
    return 0


async def _review_document(bot: Bot, year: int) -> tuple[ReviewDocument, bytes] | None:
    """The year's review document from the database (a draft if it was not opened), and the
    CSV of the filtering checks of its twelve months."""
    from bot.monitoring.checks_use_cases import check_labels, checks_csv_bytes
    from bot.monitoring.review import period_of, review_for
    from bot.monitoring.review_export import document_for_year
    from bot.monitoring.review_figures import review_period
    from storage.migrate import upgrade

    flow = bot.router.flows.get("filtering_review")
    if flow is None:
        return None
    await upgrade(bot.engine)  # the schema only: nothing else is written
    try:
        await attach_school(bot, create=False)
        async with bot.router.sessions() as session:
            found = await review_for(session, year)
            period = (
                review_period(bot.school, year) if found is None else period_of(bot.school, found)
            )
            document = await document_for_year(
                session, school=bot.school, cipher=bot.cipher, spec=flow.spec, year=year
            )
            checks = await checks_csv_bytes(
                session,
                school=bot.school,
                cipher=bot.cipher,
                first=period.start,
                last=period.end - timedelta(days=1),
                labels=check_labels(f.spec for f in bot.router.flows.values()),
            )
            return document, checks
    finally:
        await bot.engine.dispose()
