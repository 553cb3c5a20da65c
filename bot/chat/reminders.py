"""Reminding whoever started a report and left it: once after a while idle, once more the next
school day's morning. Each reminder is an outbox row keyed by the conversation's version, which
every turn moves on: one per idle period, however often the job runs and whoever runs it."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import closures
from bot.chat.conversations import ConversationDoc, drafts_started_before
from bot.chat.draft_notices import NEXT_DAY, REMINDER, DraftSettings, about
from bot.delivery.outbox import enqueue
from bot.record.event_chain import lock_head
from bot.record.events import record_event
from bot.school.calendar import next_school_day
from bot.school.config import SchoolConfig
from bot.school.terms import Closure
from storage.crypto import Cipher, Misplaced
from storage.models import Conversation


def next_morning(
    idle_since: datetime,
    *,
    school: SchoolConfig,
    drafts: DraftSettings,
    closed: Collection[Closure] = (),
) -> datetime:
    """The morning of the first school day after the one a draft was left on, school time
    (`closed`: the closures recorded in chat)."""
    left = idle_since.astimezone(school.tz).date()
    day = next_school_day(left, school=school, closures=closed)
    return datetime.combine(day, drafts.morning, tzinfo=school.tz)


async def remind_idle_drafts(
    session: AsyncSession,
    *,
    cipher: Cipher,
    school: SchoolConfig,
    drafts: DraftSettings,
    now: datetime,
) -> int:
    """Queue the reminders that are due; returns how many were queued now."""
    # The event log's head first, as every transaction that records takes it (drafts.py): two
    # processes running this job at once queue and record one after the other.
    await lock_head(session)
    queued = 0
    today = now.astimezone(school.tz).date()
    closed = await closures.recorded(
        session, first=today - drafts.retention - timedelta(days=1), last=today
    )
    for row in await drafts_started_before(session, cutoff=now - drafts.remind_after):
        flow_id = _report_flow(row, cipher=cipher, drafts=drafts)
        if flow_id is None or now - row.updated_at >= drafts.retention:
            continue  # past its keeping time, the DSL is told instead (drafts.py)
        due = [REMINDER]
        if now >= next_morning(row.updated_at, school=school, drafts=drafts, closed=closed):
            due.append(NEXT_DAY)
        for kind in due:
            added = await enqueue(
                session,
                report_id=None,
                conversation_id=row.id,
                emails=[row.user_email],
                channels=[row.channel],
                kind=kind,
                level=row.version,
                now=now,
                about=about(flow_id, row.draft_started_at, row.user_email),
            )
            if added:
                await record_event(
                    session,
                    kind="draft_reminded",
                    at=now,
                    actor_email=None,
                    detail={"conversation": row.id, "reminder": kind, "idle": _hours(now, row)},
                )
            queued += added
    return queued


def _report_flow(row: Conversation, *, cipher: Cipher, drafts: DraftSettings) -> str | None:
    """The report flow of a conversation's draft; None for no draft or another dialog."""
    if row.state_enc is None:
        return None
    try:
        doc = ConversationDoc.from_json(cipher.open(row, "state_enc"))
    except Misplaced:
        return None
    if doc.extra.get("audit"):
        return None
    return drafts.report_flow(doc.dialog)


def _hours(now: datetime, row: Conversation) -> float:
    return round((now - row.updated_at) / timedelta(hours=1), 2)
