"""Unfinished reports: kept for a while so nothing is lost, then purged, never silently.

A report draft with an answer is not purged the moment its keeping time is up: the DSL (or,
for one about an adult at school, the allegation's route) is told first who started what kind
of report and when, and may open it; it is purged once the grace period after that notice has
passed. The notice is an outbox row keyed by the conversation's version, so it is queued once,
and a turn of the reporter's meanwhile (a new version) starts the whole wait again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.conversations import (
    ConversationDoc,
    LoadedConversation,
    drafts_started_before,
    save_conversation,
)
from bot.chat.draft_notices import NOTICE, DraftSettings, about, has_answers, notice_recipients
from bot.delivery.outbox import enqueue
from bot.record.event_chain import lock_head
from bot.record.events import record_event
from bot.reports.service import abandon_report
from bot.school.config import SchoolConfig
from storage.crypto import Cipher
from storage.models import Conversation, Outbox


async def purge_abandoned_drafts(
    session: AsyncSession,
    *,
    cipher: Cipher,
    school: SchoolConfig,
    drafts: DraftSettings,
    channels: tuple[str, ...],
    now: datetime,
) -> int:
    """Purge drafts untouched for the keeping time (a report draft with an answer: once the DSL
    was told and the grace period passed); tell their owners next time; keep urgent records.
    Returns how many were purged."""
    # The event log's head before any conversation row, as every transaction takes them: a
    # purge and a turn can never wait on each other in opposite orders.
    await lock_head(session)
    purged = 0
    for row in await drafts_started_before(session, cutoff=now - drafts.retention):
        if row.state_enc is None:
            continue
        doc = ConversationDoc.from_json(cipher.open(row, "state_enc"))
        if doc.dialog is None or doc.extra.get("audit"):
            # A self-audit keeps each answer with the campaign as it is given, and stays open
            # until the campaign closes: there is no draft to lose.
            continue
        told_at = None
        flow_id = drafts.report_flow(doc.dialog)
        if flow_id is not None and has_answers(doc.dialog):
            told_at = await _told_at(session, row)
            if told_at is None:
                answers = dict(doc.dialog.get("answers") or {})
                told = await _tell_dsl(
                    session,
                    row=row,
                    flow_id=flow_id,
                    answers=answers,
                    school=school,
                    channels=channels,
                    now=now,
                )
                if told:
                    continue
            elif now < told_at + drafts.grace:
                continue
        await _purge(
            session, cipher=cipher, row=row, doc=doc, drafts=drafts, now=now, told_at=told_at
        )
        purged += 1
    return purged


async def _told_at(session: AsyncSession, row: Conversation) -> datetime | None:
    """When the DSL's notice of this draft, as it is now (its version), was queued."""
    return await session.scalar(
        select(func.min(Outbox.created_at)).where(
            Outbox.conversation_id == row.id, Outbox.kind == NOTICE, Outbox.level == row.version
        )
    )


async def _tell_dsl(
    session: AsyncSession,
    *,
    row: Conversation,
    flow_id: str,
    answers: dict[str, object],
    school: SchoolConfig,
    channels: tuple[str, ...],
    now: datetime,
) -> int:
    """Queue the notice of a draft about to be purged; returns how many rows were queued."""
    emails = notice_recipients(school, answers, row.user_email)
    queued = await enqueue(
        session,
        report_id=None,
        conversation_id=row.id,
        emails=emails,
        channels=channels,
        kind=NOTICE,
        level=row.version,
        now=now,
        about=about(flow_id, row.draft_started_at, row.user_email),
    )
    await record_event(
        session,
        kind="draft_dsl_told",
        at=now,
        actor_email=None,
        detail={
            "conversation": row.id,
            "flow": flow_id,
            "started_at": row.draft_started_at.isoformat() if row.draft_started_at else None,
            "recipients": len(emails),
        },
    )
    return queued


async def _purge(
    session: AsyncSession,
    *,
    cipher: Cipher,
    row: Conversation,
    doc: ConversationDoc,
    drafts: DraftSettings,
    now: datetime,
    told_at: datetime | None,
) -> None:
    assert doc.dialog is not None
    if doc.report_id is not None:
        await abandon_report(session, report_id=doc.report_id, actor_email=row.user_email, now=now)
    started = row.draft_started_at.isoformat() if row.draft_started_at else None
    detail: dict[str, object] = {
        "conversation": row.id,
        "hours": drafts.retention.total_seconds() / 3600,
    }
    if told_at is not None:
        detail["dsl_told_at"] = told_at.isoformat()
    await record_event(session, kind="draft_purged", at=now, actor_email=None, detail=detail)
    doc.purged = {
        "flow_id": doc.dialog["flow_id"],
        "started_at": started,
        "hours": round((now - row.updated_at).total_seconds() / 3600),
        "dsl_told": told_at is not None,
    }
    doc.dialog, doc.report_id = None, None
    loaded = LoadedConversation(row, doc)
    await save_conversation(session, cipher=cipher, loaded=loaded, draft_started_at=None, now=now)
