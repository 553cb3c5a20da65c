"""Sending a briefing, and giving the open ones to newcomers: both through the self-audit's
campaigns (bot/audit/campaigns.py), asking the self-audit's audience (every member of staff on
their channel, governors who are not staff left out: bot/audit/start.py)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import campaigns
from bot.audit.start import AuditStarter, Started, count_people
from bot.briefings.flow import Briefing, flow_spec

log = logging.getLogger(__name__)


class BriefingStarter:
    def __init__(self, *, audit: AuditStarter) -> None:
        self.audit = audit  # whom it asks, and the school's campaign settings

    async def start(
        self, session: AsyncSession, briefing: Briefing, *, started_by: str, now: datetime
    ) -> Started:
        """Send `briefing` to every member of staff; the same title again this academic year
        is the same briefing (nobody is asked twice; whoever is new is added)."""
        school = self.audit.school
        campaign, created = await campaigns.start_campaign(
            session,
            kind=campaigns.BRIEFING,
            title=briefing.title,
            flow_id="briefing",
            flow_spec=flow_spec(briefing),
            audience=await self.audit.staff(session),
            started_by=started_by,
            open_days=school.audit.open_days,
            now=now,
            tz=school.tz,
        )
        return Started(campaign, created, await count_people(session, campaign.id))

    async def add_newcomers(self, session: AsyncSession, *, now: datetime) -> int:
        """Give every open briefing to whoever joined the staff since it was sent (induction);
        nobody already asked is asked again."""
        opened = await campaigns.open_campaigns(session, kind=campaigns.BRIEFING, now=now)
        if not opened:
            return 0
        staff = await self.audit.staff(session)
        added = 0
        for campaign in opened:
            added += await campaigns.add_people(session, campaign, staff, now)
        if added:
            log.info("briefings: %d invitation(s) queued for newcomers", added)
        return added
