"""Conversation state: one encrypted document per user and channel, saved every turn."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher, Misplaced, where
from storage.db import table_of
from storage.models import Conversation, InboundMessage
from storage.scope import SCHOOL_PARAM, bound

log = logging.getLogger(__name__)


class StaleConversation(Exception):
    """Someone else saved this conversation first (a double press, or another replica)."""


@dataclass
class ConversationDoc:
    """What is kept between turns. `dialog` is the engine's state while a report is a draft."""

    dialog: dict[str, Any] | None = None
    report_id: int | None = None
    purged: dict[str, Any] | None = None  # what to tell the user about a draft that was purged
    extra: dict[str, Any] = field(default_factory=dict)
    # The highest question counter given out in this conversation (the <turn> of the click
    # tokens, dialogs/prompts.py): a dialog started later numbers its questions above it.
    turn: int = 0

    def next_turn(self) -> int:
        """The first turn of a dialog started now: above every token shown so far."""
        self.note_turns()
        return self.turn + 1

    def note_turns(self) -> None:
        """Keep `turn` at the highest counter of the dialogs held (current and paused)."""
        held = [self.dialog, self.extra.get("paused")]
        self.turn = max([self.turn, *(int(d.get("turn") or 0) for d in held if d)])

    # The reference of the report this conversation sent last, until a new dialog starts: Send
    # pressed again on its summary shows it rather than filing anything.
    last_reference: str | None = None

    def to_json(self) -> dict[str, Any]:
        self.note_turns()
        return {
            "dialog": self.dialog,
            "report_id": self.report_id,
            "purged": self.purged,
            "extra": self.extra,
            "turn": self.turn,
            "last_reference": self.last_reference,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConversationDoc:
        return cls(
            dialog=data.get("dialog"),
            report_id=data.get("report_id"),
            purged=data.get("purged"),
            extra=dict(data.get("extra") or {}),
            turn=int(data.get("turn") or 0),
            last_reference=data.get("last_reference"),
        )


@dataclass
class LoadedConversation:
    row: Conversation
    doc: ConversationDoc


async def load_conversation(
    session: AsyncSession,
    *,
    cipher: Cipher,
    channel: str,
    conversation_key: str,
    user_email: str,
    now: datetime,
) -> LoadedConversation:
    found = (
        await session.execute(_LOAD, {"channel": channel, "conversation_key": conversation_key})
    ).first()
    # A plain object of the row (read, never flushed: the save is one UPDATE by version).
    row = Conversation(**found._mapping) if found is not None else None
    if row is None:
        row = Conversation(
            channel=channel,
            conversation_key=conversation_key,
            user_email=user_email,
            version=0,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
    try:
        doc = (
            ConversationDoc()
            if row.state_enc is None
            else ConversationDoc.from_json(cipher.open(row, "state_enc"))
        )
    except Misplaced:
        # Someone else's dialog state (copied in the database) is never resumed: start afresh.
        log.warning("conversation id %s: its stored state does not belong to it", row.id)
        doc = ConversationDoc()
    return LoadedConversation(row, doc)


async def save_conversation(
    session: AsyncSession,
    *,
    cipher: Cipher,
    loaded: LoadedConversation,
    draft_started_at: datetime | None,
    now: datetime,
) -> None:
    """Save the document if nobody saved a newer one since it was loaded."""
    row = loaded.row
    result = await session.execute(
        _SAVE,
        {
            "row_id": row.id,
            "seen_version": row.version,
            "state_enc": cipher.encrypt_json(loaded.doc.to_json(), **where(row, "state_enc")),
            "version": row.version + 1,
            "draft_started_at": draft_started_at,
            "updated_at": now,
        },
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleConversation(row.id)


# Every turn runs these two, so they are built once: a Core statement made per call costs more
# CPU to build and to key for SQLAlchemy's compiled cache than the database takes to run it.
_conversations = table_of(Conversation)
# Each keeps to the school by its parameter (storage.scope fills it).
_THE_SCHOOLS = _conversations.c.school_id == bindparam(SCHOOL_PARAM)
_SAVE = bound(
    update(_conversations)
    .where(
        _conversations.c.id == bindparam("row_id"),
        _conversations.c.version == bindparam("seen_version"),
        _THE_SCHOOLS,
    )
    .values(
        state_enc=bindparam("state_enc"),
        version=bindparam("version"),
        draft_started_at=bindparam("draft_started_at"),
        updated_at=bindparam("updated_at"),
    )
)
_LOAD = bound(
    select(_conversations).where(
        _conversations.c.channel == bindparam("channel"),
        _conversations.c.conversation_key == bindparam("conversation_key"),
        _THE_SCHOOLS,
    )
)
_inbound = table_of(InboundMessage)
_REMEMBER = {
    "sqlite": sqlite_insert(_inbound).on_conflict_do_nothing(),
    "postgresql": postgresql_insert(_inbound).on_conflict_do_nothing(),
}


async def first_delivery(
    session: AsyncSession, *, channel: str, message_id: str, now: datetime
) -> bool:
    """Remember a platform message id; False when it was already handled."""
    # One statement that skips a duplicate, rather than a savepoint round an INSERT that may
    # fail: a savepoint and its release are two more round trips on every turn.
    statement = _REMEMBER.get(session.get_bind().dialect.name)
    if statement is None:  # another database: the portable way
        try:
            async with session.begin_nested():
                session.add(InboundMessage(channel=channel, message_id=message_id, at=now))
        except IntegrityError:
            return False
        return True
    result = await session.execute(
        statement, {"channel": channel, "message_id": message_id, "at": now}
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def drafts_started_before(session: AsyncSession, *, cutoff: datetime) -> list[Conversation]:
    result = await session.scalars(
        select(Conversation).where(
            Conversation.draft_started_at.is_not(None), Conversation.updated_at < cutoff
        )
    )
    return list(result)


async def forget_inbound_ids(session: AsyncSession, *, before: datetime) -> int:
    result = await session.execute(delete(InboundMessage).where(InboundMessage.at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
