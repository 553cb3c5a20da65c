"""Starting the year's self-audit: the one start that the DSL's "audit start" command and the
scheduler's cron both call. Whom it asks (the audience) is given when it is made: every member
of staff on every configured channel, one channel per person (see `staff_audience`), except
whoever the school file names as a governor and nothing else: Appendix 1 is a self-audit for
staff, and governors are trained as the governing board (policy §11)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import campaigns
from bot.audit.campaigns import StaffMember
from bot.delivery.channel import StaffContact
from bot.school.config import SchoolConfig
from dialogs.loader import Flow
from storage.models import AuditCampaign, AuditParticipant

# Everyone to ask, read in the caller's transaction (SQLite has one connection: a second
# session inside a turn would wait for the turn's own).
Audience = Callable[[AsyncSession], Awaitable[list[StaffMember]]]


class StaffSource(Protocol):
    """A channel, as far as the self-audit cares: whom it can reach."""

    async def staff(self, session: AsyncSession) -> list[StaffContact]: ...


def staff_audience(channels: Sequence[StaffSource]) -> Audience:
    """Every member of staff on every channel in `channels`, asked at the moment of the start,
    matched by e-mail so nobody is asked twice: the first channel that knows someone wins, so
    `channels` come in order of preference."""

    async def audience(session: AsyncSession) -> list[StaffMember]:
        found: list[StaffMember] = []
        for channel in channels:
            found += [StaffMember(s.email, s.name, s.channel) for s in await channel.staff(session)]
        return campaigns.one_per_person(found)

    return audience


@dataclass(frozen=True)
class Started:
    """The year's campaign: `created` if this start made it; `invited`, how many it asks."""

    campaign: AuditCampaign
    created: bool
    invited: int


@dataclass(frozen=True)
class NoAuditFlow:
    """The school's audit flow is missing, or is not an audit."""

    flow: str


class AuditStarter:
    def __init__(self, *, school: SchoolConfig, flows: dict[str, Flow], audience: Audience) -> None:
        self.school = school
        self.flows = flows
        self.audience = audience

    async def start(
        self, session: AsyncSession, *, started_by: str, now: datetime
    ) -> Started | NoAuditFlow:
        """This academic year's campaign, started now if there is none (see
        campaigns.start_campaign: a second start adds whoever is new, and no more)."""
        flow = self.flows.get(self.school.audit.flow)
        if flow is None or flow.spec.purpose != "audit":
            return NoAuditFlow(self.school.audit.flow)
        audience = await self.staff(session)
        campaign, created = await campaigns.start_campaign(
            session,
            flow_id=flow.spec.id,
            flow_spec=flow.spec.model_dump(mode="json"),
            audience=audience,
            started_by=started_by,
            open_days=self.school.audit.open_days,
            now=now,
            tz=self.school.tz,
        )
        return Started(campaign, created, await count_people(session, campaign.id))

    async def staff(self, session: AsyncSession) -> list[StaffMember]:
        """Everyone a campaign asks (the audit, a briefing): the audience, less governors."""
        return [m for m in await self.audience(session) if not self._governor_only(m.email)]

    def _governor_only(self, email: str) -> bool:
        person = self.school.person(email)
        return person is not None and person.governor_only


async def count_people(session: AsyncSession, campaign_id: int) -> int:
    rows = await session.scalars(
        select(AuditParticipant.id).where(AuditParticipant.campaign_id == campaign_id)
    )
    return len(list(rows))
