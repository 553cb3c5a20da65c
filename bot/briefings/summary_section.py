"""The staff briefings of a period, as the governors' summary shows them (bot/cases/summary.py):
how many were sent and, for each, the share of those asked who confirmed it. Numbers only: never
a name, and never a title (the DSL's own words, which could name someone)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.words import strings
from storage.models import AuditCampaign, AuditParticipant

KIND = "briefing"  # bot/audit/campaigns.py BRIEFING (not imported: cases may not import audit)


async def briefing_days(session: AsyncSession) -> list[datetime]:
    """When each briefing was sent: each gives its period a line in the summary."""
    return list(
        await session.scalars(select(AuditCampaign.started_at).where(AuditCampaign.kind == KIND))
    )


async def briefing_section(
    session: AsyncSession, first: date, last: date
) -> Sequence[tuple[str, str]]:
    """(label, value) for the briefings sent from `first` to `last` (UTC days, both included;
    briefings go out in school hours); none without briefings."""
    start = datetime.combine(first, time(), UTC)
    end = datetime.combine(last + timedelta(days=1), time(), UTC)
    confirmed = func.sum(case((AuditParticipant.status == "finished", 1), else_=0))
    rows = (
        await session.execute(
            select(AuditCampaign.id, func.count(AuditParticipant.id), confirmed)
            .join(AuditParticipant, AuditParticipant.campaign_id == AuditCampaign.id)
            .where(
                AuditCampaign.kind == KIND,
                AuditCampaign.started_at >= start,
                AuditCampaign.started_at < end,
            )
            .group_by(AuditCampaign.id)
            .order_by(AuditCampaign.id)
        )
    ).all()
    if not rows:
        return []
    each = [
        strings.SUMMARY_BRIEFING.format(
            percent=round(100 * int(done or 0) / asked) if asked else 0,
            confirmed=int(done or 0),
            asked=asked,
        )
        for _id, asked, done in rows
    ]
    value = strings.SUMMARY_BRIEFINGS_VALUE.format(n=len(rows), each="; ".join(each))
    return [(strings.SUMMARY_BRIEFINGS, value)]
