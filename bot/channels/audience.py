"""Who the self-audit asks, and on which channel: every member of staff on every configured
channel, matched by e-mail so nobody is asked twice (the first channel found wins: Teams, then
Slack; the web chat only when no platform is configured, for the people in the school config).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit.campaigns import StaffMember, one_per_person
from bot.audit.chat import Audience
from bot.channels.slack.handler import SlackChannel
from bot.channels.slack.identity import workspace_staff
from bot.channels.teams.handler import TeamsChannel
from bot.delivery import addresses
from bot.school.config import SchoolConfig


def audience_for(
    *,
    school: SchoolConfig,
    slack: SlackChannel | None,
    teams: TeamsChannel | None,
    web: bool,
) -> Audience:
    async def audience(session: AsyncSession) -> list[StaffMember]:
        found: list[StaffMember] = []
        if teams is not None:
            reachable = await addresses.everyone_reachable(session, "teams")
            found += [
                StaffMember(a.email or "", a.display_name or a.email or "", "teams")
                for a in reachable
            ]
        if slack is not None:
            members = await workspace_staff(slack.client, user_group=school.audit.slack_user_group)
            found += [StaffMember(u.email, u.display_name, "slack") for u in members]
        if web and slack is None and teams is None:
            found += [StaffMember(p.email, p.name, "web") for p in school.people]
        return one_per_person(found)

    return audience
