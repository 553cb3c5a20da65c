"""A briefing's invitation and reminders, as the shared campaign sender words them
(bot/audit/invitations.py asks this for a campaign of kind "briefing")."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.delivery.messages import Card, Option, Outbound
from bot.words import strings
from dialogs.datetimes import format_moment
from storage.models import AuditCampaign


def briefing_invitation(
    campaign: AuditCampaign, *, reminder: int, tz: ZoneInfo, button: str
) -> list[Outbound]:
    """Asks someone to read a briefing and confirm it (or reminds them), with its button."""
    text = strings.BRIEFING_REMINDER if reminder else strings.BRIEFING_INVITE
    return [
        Card(
            card_id=f"briefing-{campaign.id}-invite-{reminder}",
            title=strings.BRIEFING_INVITE_TITLE.format(title=campaign.title),
            text=text.format(closes=format_moment(campaign.closes_at, tz)),
            actions=(Option(f"{button}{campaign.id}", strings.BRIEFING_START_OPTION, "primary"),),
        )
    ]
