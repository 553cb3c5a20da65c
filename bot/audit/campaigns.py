"""Campaigns: every member of staff asked once, on their channel, with reminders. Two kinds
share them: the self-audit (kind "audit": one per academic year, started by the scheduler or a
DSL) and staff briefings (kind "briefing", bot/briefings: one per title and academic year).

Starting is idempotent at every level: (kind, academic year, title) is unique among campaigns
(a second start, a double-fired cron, two scheduler processes: one campaign), a person is unique
in a campaign, and their invitation is unique in the queue. So a crash half-way through a start
is finished by the next start, and nobody is asked twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit.questions import Answers, open_answers, seal_answers
from bot.audit.queue import enqueue_invitations, enqueue_message
from bot.record.events import record_event
from bot.school.calendar import academic_year
from storage.crypto import Cipher
from storage.models import AuditCampaign, AuditParticipant, TrainingRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaffMember:
    """Someone to ask, and where: the channel they will be invited on."""

    email: str
    name: str
    channel: str


def one_per_person(candidates: Sequence[StaffMember]) -> list[StaffMember]:
    """Each e-mail once, on the first channel it was found on (the channels come in order of
    preference), so somebody on Slack and Teams is asked once."""
    seen: set[str] = set()
    chosen = []
    for member in candidates:
        email = member.email.strip().lower()
        if email and email not in seen:
            seen.add(email)
            chosen.append(StaffMember(email, member.name, member.channel))
    return chosen


AUDIT = "audit"
BRIEFING = "briefing"


def _the(kind: str, year: str, title: str) -> Select[AuditCampaign]:
    return select(AuditCampaign).where(
        AuditCampaign.kind == kind,
        AuditCampaign.academic_year == year,
        AuditCampaign.title == title,
    )


async def current_campaign(
    session: AsyncSession, *, now: datetime, tz: ZoneInfo
) -> AuditCampaign | None:
    """This academic year's self-audit (a briefing is never "the audit")."""
    year = academic_year(now.astimezone(tz).date())
    return await session.scalar(_the(AUDIT, year, ""))


async def open_campaigns(session: AsyncSession, *, kind: str, now: datetime) -> list[AuditCampaign]:
    """The campaigns of one kind that still take answers, oldest first."""
    found = await session.scalars(
        select(AuditCampaign)
        .where(
            AuditCampaign.kind == kind,
            AuditCampaign.closed_at.is_(None),
            AuditCampaign.closes_at > now,
        )
        .order_by(AuditCampaign.started_at, AuditCampaign.id)
    )
    return list(found)


async def start_campaign(
    session: AsyncSession,
    *,
    flow_id: str,
    flow_spec: dict[str, Any],
    audience: Sequence[StaffMember],
    started_by: str,
    open_days: int,
    now: datetime,
    tz: ZoneInfo,
    kind: str = AUDIT,
    title: str = "",
) -> tuple[AuditCampaign, bool]:
    """This academic year's campaign of this kind and title, started now if there is none; True
    if it was started now.

    Also (again, harmlessly) adds anyone in `audience` who is not yet in it, with their
    invitation: the cron fires once, but a restart during a start must not leave people out.
    """
    year = academic_year(now.astimezone(tz).date())
    campaign = await session.scalar(_the(kind, year, title))
    created = False
    if campaign is None:
        campaign = AuditCampaign(
            kind=kind,
            title=title,
            academic_year=year,
            flow_id=flow_id,
            flow_spec=flow_spec,
            started_at=now,
            started_by=started_by,
            closes_at=now + timedelta(days=open_days),
        )
        try:
            async with session.begin_nested():
                session.add(campaign)
                await session.flush()
            created = True
        except IntegrityError:  # another process started it a moment ago
            campaign = await session.scalar(_the(kind, year, title))
            assert campaign is not None
    if campaign.closed_at is not None:
        return campaign, False
    invited = await add_people(session, campaign, audience, now)
    if created:
        await record_event(
            session,
            report_id=None,
            kind=f"{kind}_started",
            actor_email=started_by if "@" in started_by else None,
            detail={"campaign_id": campaign.id, "year": year, "invited": invited},
            at=now,
        )
        log.info("%s campaign started campaign_id=%s invited=%s", kind, campaign.id, invited)
    return campaign, created


async def add_people(
    session: AsyncSession, campaign: AuditCampaign, audience: Sequence[StaffMember], now: datetime
) -> int:
    """Ask whoever in `audience` is not in the campaign yet (a start, a newcomer); how many."""
    existing = set(
        await session.scalars(
            select(AuditParticipant.email).where(AuditParticipant.campaign_id == campaign.id)
        )
    )
    fresh = [m for m in one_per_person(audience) if m.email not in existing]
    if not fresh:
        return 0
    rows = [
        {
            "campaign_id": campaign.id,
            "email": member.email,
            "display_name": member.name[:200],
            "channel": member.channel,
            "status": "invited",
            "reminders_sent": 0,
            "updated_at": now,
        }
        for member in fresh
    ]
    # One statement for the school (a start asks everyone at once), not one each: someone
    # added meanwhile by another start (a newcomer's) is left as it is, and not invited twice.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(AuditParticipant)
        .on_conflict_do_nothing(index_elements=["campaign_id", "email"])
        .returning(AuditParticipant.id, AuditParticipant.email, AuditParticipant.channel)
    )
    added = list(await session.execute(statement, rows))
    await enqueue_invitations(
        session, [(row.id, campaign.id, row.channel, row.email) for row in added], now=now
    )
    return len(added)


async def due_reminders(
    session: AsyncSession,
    *,
    reminder_days: Sequence[int],
    max_reminders: int,
    now: datetime,
) -> int:
    """Queue the next reminder for everyone invited and not finished whose time has come."""
    queued = 0
    campaigns = await session.scalars(
        select(AuditCampaign).where(
            AuditCampaign.closed_at.is_(None), AuditCampaign.closes_at > now
        )
    )
    schedule = list(reminder_days)[:max_reminders]
    for campaign in list(campaigns):
        waiting = await session.scalars(
            select(AuditParticipant).where(
                AuditParticipant.campaign_id == campaign.id,
                AuditParticipant.status != "finished",
                AuditParticipant.invited_at.is_not(None),
            )
        )
        for participant in waiting:
            n = participant.reminders_sent + 1
            if n > len(schedule) or participant.invited_at is None:
                continue
            if now >= participant.invited_at + timedelta(days=schedule[n - 1]):
                queued += await enqueue_message(
                    session, participant=participant, kind="reminder", n=n, now=now
                )
    return queued


async def close_due(session: AsyncSession, *, now: datetime) -> list[AuditCampaign]:
    """Close every campaign past its closing date; answers can no longer be changed."""
    closing = list(
        await session.scalars(
            select(AuditCampaign).where(
                AuditCampaign.closed_at.is_(None), AuditCampaign.closes_at <= now
            )
        )
    )
    for campaign in closing:
        campaign.closed_at = now
        await record_event(
            session,
            report_id=None,
            kind=f"{campaign.kind}_closed",
            actor_email=None,
            detail={"campaign_id": campaign.id, "year": campaign.academic_year},
            at=now,
        )
    return closing


async def participant(
    session: AsyncSession, campaign_id: int, email: str
) -> AuditParticipant | None:
    return await session.scalar(
        select(AuditParticipant).where(
            AuditParticipant.campaign_id == campaign_id,
            AuditParticipant.email == email.strip().lower(),
        )
    )


async def save_progress(
    session: AsyncSession,
    cipher: Cipher,
    person: AuditParticipant,
    answers: Answers,
    *,
    finished: bool,
    now: datetime,
    training: str = AUDIT,
) -> None:
    """Keep their answers so far (a stop half-way loses nothing, whatever happens to the chat's
    draft); finishing also records it as training evidence for §11, as `training` (the
    campaign's kind: the self-audit, or a briefing confirmed)."""
    seal_answers(cipher, person, answers)
    person.updated_at = now
    person.started_at = person.started_at or now
    if person.status != "finished":
        person.status = "finished" if finished else "started"
    if finished:
        person.finished_at = now
        await _record_done(session, person.email, training, now)


def saved_answers(cipher: Cipher, person: AuditParticipant) -> Answers:
    return open_answers(cipher, person)


async def _record_done(session: AsyncSession, email: str, kind: str, now: datetime) -> None:
    day = now.date()
    found = await session.scalar(
        select(TrainingRecord).where(
            TrainingRecord.email == email,
            TrainingRecord.kind == kind,
            TrainingRecord.completed_on == day,
        )
    )
    if found is None:
        session.add(
            TrainingRecord(
                email=email,
                kind=kind,
                completed_on=day,
                source=kind,
                recorded_by=None,
                recorded_at=now,
            )
        )
