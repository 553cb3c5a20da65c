"""The record of events. Entries are only ever added, and never carry report content.

Each entry is chained to the one before it by hash (see `bot.record.event_chain`), so a
changed, deleted or reordered entry is found by `verify_log` (`python -m bot verify-log`).
There is deliberately no way here to change or delete an entry.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.record.event_chain import MOVE_HEAD, MOVE_UNBOUND, hash_of, lock_head, moved_head
from bot.record.log_check import LogCheck, verify_log
from storage.crypto import Cipher
from storage.db import table_of
from storage.models import Event
from storage.scope import ONE_SCHOOL, SCHOOL_PARAM, Unscoped, bound, school_of

__all__ = [
    "LogCheck",
    "events_for_report",
    "open_event",
    "record_event",
    "seal_event",
    "verify_log",
]

HEAD_RESTORED = "event_log_head_restored"
_EVENTS = table_of(Event)
_ENTRY_COLUMNS = (
    "seq",
    "prev_hash",
    "hash",
    "detail_enc",
    "report_id",
    "kind",
    "actor_email",
    "detail",
    "at",
)
# Built once: an entry's values are parameters. Building the statements for every entry (two
# or three a turn that files a report) cost more than running them.
# The school's id is a parameter too, filled by storage.scope, as in the head's statements.
_ADD_UNBOUND = (
    insert(_EVENTS)
    .values({**{c: bindparam(c) for c in _ENTRY_COLUMNS}, "school_id": bindparam(SCHOOL_PARAM)})
    .returning(_EVENTS.c.id)
)
_ADD = bound(_ADD_UNBOUND)
_ADD_AND_MOVE = bound(_ADD_UNBOUND.add_cte(MOVE_UNBOUND.cte("moved_head")))


async def record_event(
    session: AsyncSession,
    *,
    kind: str,
    at: datetime,
    actor_email: str | None,
    report_id: int | None = None,
    detail: dict[str, object] | None = None,
    secret: Mapping[str, object] | None = None,
    cipher: Cipher | None = None,
    write_pending: bool = True,
) -> Event:
    """Add one entry to the end of the event log, in the caller's transaction.

    `detail` is plain JSON and must not hold report content; content that belongs with the
    entry (a note's text, a reason) is `secret`, sealed here with `cipher` for this entry's
    place in the log (`events`.`detail_enc` at its `seq`, the row's identity in the chain, known
    before the row is written: the entry's hash covers the sealed bytes). The chain's head
    stays locked (on PostgreSQL) until the caller's transaction ends.

    The caller's pending changes are written before the head is locked (Session.execute
    flushes them), so a transaction takes the rows it changes before the head, as the others
    do. With `write_pending=False` they are left for the caller's next statement: only
    for changes to rows no other transaction can see, so none can be waiting for them (a row
    this transaction made), which then go in one statement with the changes still to come.
    """
    if at.tzinfo is None:
        raise ValueError("naive datetime given to the event log")
    if secret is not None and cipher is None:
        raise ValueError("a secret for the event log needs the cipher to seal it")
    at = at.astimezone(UTC)
    document = _json_document(detail)
    school = _school(session)
    with contextlib.nullcontext() if write_pending else session.no_autoflush:
        seq, prev_hash, restored = await lock_head(session)
        if restored:
            # Someone deleted the head record: say so in the log itself before carrying on.
            _marker, prev_hash = await _append(
                session,
                school=school,
                seq=seq + 1,
                prev_hash=prev_hash,
                kind=HEAD_RESTORED,
                at=at,
                actor_email=None,
                report_id=None,
                detail={"from_entry": seq},
                sealed=None,
            )
            seq += 1
        sealed = (
            None
            if secret is None or cipher is None
            else seal_event(cipher, seq + 1, secret, school=school)
        )
        event, _digest = await _append(
            session,
            school=school,
            seq=seq + 1,
            prev_hash=prev_hash,
            kind=kind,
            at=at,
            actor_email=actor_email,
            report_id=report_id,
            detail=document,
            sealed=sealed,
        )
    return event


async def _append(
    session: AsyncSession,
    *,
    school: int,
    seq: int,
    prev_hash: str,
    kind: str,
    at: datetime,
    actor_email: str | None,
    report_id: int | None,
    detail: dict[str, object],
    sealed: bytes | None,
) -> tuple[Event, str]:
    """Add the entry after `seq - 1` and move the head to it (the head is already locked).

    On PostgreSQL one statement does both (the head's UPDATE as a data-modifying WITH of the
    entry's INSERT): one round trip rather than two, in every event-writing transaction."""
    event = Event(
        seq=seq,
        prev_hash=prev_hash,
        report_id=report_id,
        kind=kind,
        actor_email=actor_email,
        detail=detail,
        detail_enc=sealed,
        at=at,
        school_id=school,
    )
    digest = hash_of(event)
    event.hash = digest
    values = {column: getattr(event, column) for column in _ENTRY_COLUMNS}
    head = {"head_seq": seq, "head_hash": digest}
    if session.get_bind().dialect.name == "postgresql":
        event.id = (await session.execute(_ADD_AND_MOVE, {**values, **head})).scalar_one()
    else:
        event.id = (await session.execute(_ADD, values)).scalar_one()
        await session.execute(MOVE_HEAD, head)
    moved_head(session, seq, digest)
    return event, digest


def seal_event(cipher: Cipher, seq: int, secret: Mapping[str, object], *, school: int) -> bytes:
    return cipher.encrypt_json(
        dict(secret), table="events", row=sealed_place(school, seq), column="detail_enc"
    )


def open_event(cipher: Cipher, event: Event) -> Any:
    """The secret sealed with an entry (raises CipherError, `Misplaced` if it was moved)."""
    assert event.detail_enc is not None
    assert event.seq is not None
    place = sealed_place(event.school_id, event.seq)
    return cipher.decrypt_json(event.detail_enc, table="events", row=place, column="detail_enc")


def sealed_place(school: int, seq: int) -> int | str:
    """The row an entry's secret is sealed for: its place in its school's log. The first
    school's is its `seq` alone, as every entry was sealed before a database held schools;
    another school's names the school too, so an entry cannot be moved to another's log."""
    return seq if school == ONE_SCHOOL else f"{school}:{seq}"


def _school(session: AsyncSession) -> int:
    school = school_of(session)
    if not isinstance(school, int):
        raise Unscoped(f"the event log is written for one school, not in a session of {school}")
    return school


def _json_document(detail: dict[str, object] | None) -> dict[str, object]:
    """`detail` exactly as the JSON column will give it back, so its hash still matches."""
    try:
        document = json.loads(json.dumps(detail or {}, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValueError(f"event detail must be plain JSON: {error}") from None
    if not isinstance(document, dict):
        raise ValueError("event detail must be a JSON object")
    return document


async def events_for_report(session: AsyncSession, *, report_id: int) -> list[Event]:
    """A report's events, oldest first."""
    result = await session.scalars(
        select(Event).where(Event.report_id == report_id).order_by(Event.at, Event.id)
    )
    return list(result)
