"""Unfinished reports: kept for a while so nothing is lost, then purged, never silently."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.conversations import (
    ConversationDoc,
    LoadedConversation,
    drafts_started_before,
    save_conversation,
)
from bot.record.events import record_event
from bot.reports.service import abandon_report
from storage.crypto import Cipher


async def purge_abandoned_drafts(
    session: AsyncSession, *, cipher: Cipher, retention: timedelta, now: datetime
) -> int:
    """Delete drafts untouched for `retention`; tell their owners next time; keep urgent records."""
    purged = 0
    for row in await drafts_started_before(session, cutoff=now - retention):
        if row.state_enc is None:
            continue
        doc = ConversationDoc.from_json(cipher.open(row, "state_enc"))
        if doc.dialog is None or doc.extra.get("audit"):
            # A self-audit keeps each answer with the campaign as it is given, and stays open
            # until the campaign closes: there is no draft to lose.
            continue
        if doc.report_id is not None:
            await abandon_report(
                session, report_id=doc.report_id, actor_email=row.user_email, now=now
            )
        started = row.draft_started_at.isoformat() if row.draft_started_at else None
        # The event first: every transaction takes the event log's head before any conversation
        # row, so a purge and a turn can never wait on each other in opposite orders.
        await record_event(
            session,
            kind="draft_purged",
            at=now,
            actor_email=None,
            detail={"conversation": row.id, "hours": retention.total_seconds() / 3600},
        )
        doc.purged = {"flow_id": doc.dialog["flow_id"], "started_at": started}
        doc.dialog, doc.report_id = None, None
        loaded = LoadedConversation(row, doc)
        await save_conversation(
            session, cipher=cipher, loaded=loaded, draft_started_at=None, now=now
        )
        purged += 1
    return purged
