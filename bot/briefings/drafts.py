"""The scheduled briefings, as drafts the DSL approves: as the academic year starts, the online
safety policy's (the school file's `briefings: policy_each_year`); as each term of the school
calendar starts, a termly update (`update_each_term`). Nothing goes to staff from here: the DSL,
deputies and head are told, with "Review and send" (the brief flow, filled in from the template:
bot/briefings/chat.py) and "Not this time" (the draft ends).

Each draft is a `briefing_drafts` row whose `key` is unique, and its notices are outbox rows
keyed by that row: two schedulers, or one run twice, prepare it and tell once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.briefings import templates
from bot.delivery.messages import Card, Option, Outbound
from bot.delivery.outbox import enqueue
from bot.record.events import record_event
from bot.school.config import Role, SchoolConfig
from bot.words import strings
from storage.models import BriefingDraft, Outbox

log = logging.getLogger(__name__)
KIND = "briefing_draft"  # the outbox rows telling the DSL team of a draft
REVIEW = "briefdraft:review:"  # the buttons: + the draft's id
DECLINE = "briefdraft:decline:"
WAITING, DECLINED = "waiting", "declined"
# A draft is prepared from its day for this long: a scheduler down on the day still prepares it.
PREPARE_FOR = timedelta(days=14)
TOLD_ROLES = (Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER)


@dataclass(frozen=True)
class Due:
    key: str
    template: str


def year_start(school: SchoolConfig, year: int) -> date:
    """The first day of the academic year beginning in `year`: the school's first term that
    begins from August of that year, or 1 September."""
    for term in school.calendar.terms:
        if date(year, 8, 1) <= term.start <= date(year, 12, 31):
            return term.start
    return date(year, 9, 1)


def due(school: SchoolConfig, today: date) -> list[Due]:
    """The drafts whose day has come (within PREPARE_FOR)."""
    settings = school.briefings
    found = []
    year = today.year if today.month >= 8 else today.year - 1
    start = year_start(school, year)
    if settings.policy_each_year and start <= today < start + PREPARE_FOR:
        found.append(Due(f"policy:{year}", templates.POLICY))
    if settings.update_each_term:
        for term in school.calendar.terms:
            if term.start <= today < term.start + PREPARE_FOR:
                found.append(Due(f"update:{term.start.isoformat()}", templates.UPDATE))
    return found


async def prepare_due(
    session: AsyncSession, *, school: SchoolConfig, channels: Sequence[str], now: datetime
) -> int:
    """Prepare the drafts that are due and queue their notices; the outbox rows queued."""
    people = [p.email for p in school.people_with(*TOLD_ROLES)]
    queued = 0
    for draft in due(school, now.astimezone(school.tz).date()):
        row = {"key": draft.key, "template": draft.template, "prepared_at": now, "status": WAITING}
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        added = await session.execute(insert(BriefingDraft).values(row).on_conflict_do_nothing())
        if not added.rowcount:  # type: ignore[attr-defined]
            continue  # prepared already (by an earlier run, or another scheduler now)
        draft_id = await session.scalar(
            select(BriefingDraft.id).where(BriefingDraft.key == draft.key)
        )
        await record_event(
            session,
            kind="briefing_draft_prepared",
            at=now,
            actor_email=None,
            detail={"key": draft.key},
        )
        log.info("briefing draft prepared key=%s", draft.key)
        queued += await enqueue(
            session,
            report_id=None,
            conversation_id=draft_id,  # keyed by the draft: one notice per person and channel
            emails=people,
            channels=channels,
            kind=KIND,
            level=0,
            now=now,
            about={"draft_id": draft_id, "template": draft.template},
        )
    return queued


def messages(row: Outbox) -> list[Outbound]:
    """The notice of a draft, with its two buttons."""
    about = row.about or {}
    draft_id = about.get("draft_id")
    policy = about.get("template") == templates.POLICY
    return [
        Card(
            card_id=f"briefing-draft-{draft_id}",
            title=strings.BRIEFING_DRAFT_POLICY_TITLE
            if policy
            else strings.BRIEFING_DRAFT_UPDATE_TITLE,
            text=strings.BRIEFING_DRAFT_POLICY if policy else strings.BRIEFING_DRAFT_UPDATE,
            actions=(
                Option(f"{REVIEW}{draft_id}", strings.BRIEFING_DRAFT_REVIEW, "primary"),
                Option(f"{DECLINE}{draft_id}", strings.BRIEFING_DRAFT_DECLINE),
            ),
        )
    ]


async def decline(session: AsyncSession, draft_id: int, email: str, now: datetime) -> bool:
    """End a waiting draft; whether this press ended it."""
    result = await session.execute(
        update(BriefingDraft)
        .where(BriefingDraft.id == draft_id, BriefingDraft.status == WAITING)
        .values(status=DECLINED, decided_by=email, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class DraftPreparer:
    """The housekeeping's call (bot/audit/scheduled.py): prepare, then deliver the notices."""

    school: SchoolConfig
    sessions: async_sessionmaker[AsyncSession]
    channels: Sequence[str]
    clock: Callable[[], datetime]
    wake: Callable[[], None]  # the dispatcher's, after the commit

    async def __call__(self) -> int:
        async with self.sessions() as session, session.begin():
            queued = await prepare_due(
                session, school=self.school, channels=self.channels, now=self.clock()
            )
        if queued:
            self.wake()
        return queued
