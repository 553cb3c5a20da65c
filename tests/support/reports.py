"""Reading stored reports back, decrypted, for assertions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.app import Bot
from bot.reports.service import read_answers
from storage.models import Event, Report


async def all_reports(bot: Bot) -> list[Report]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(Report).order_by(Report.id)))


async def only_report(bot: Bot) -> Report:
    reports = await all_reports(bot)
    assert len(reports) == 1, f"expected one report, found {len(reports)}"
    return reports[0]


async def answers_of(bot: Bot, report: Report) -> dict[str, Any]:
    document = await read_answers(cipher=bot.cipher, report=report)
    answers: dict[str, Any] = document["answers"]
    return answers


async def event_kinds(bot: Bot, report: Report | None = None) -> list[str]:
    async with bot.router.sessions() as session:
        query = select(Event).order_by(Event.id)
        if report is not None:
            query = query.where(Event.report_id == report.id)
        return [e.kind for e in await session.scalars(query)]


async def count(bot, model, *where) -> int:
    async with bot.router.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))
