"""The event log's hash chain: how an entry is hashed, and the chain's head.

Each school has its own log (the entries of its `school_id`), and each log its own chain and
head: a school's entries never wait for another school's. Every entry carries `seq` (1, 2, 3
...), the hash of the entry before it (`prev_hash`, all zeros for the first) and its own
`hash`: SHA-256 over a canonical encoding of its fields. One row of `event_chain` for each
school records where its log ends (the last `seq` and `hash`), so deleting the last entry
shows too. Changing an entry, deleting one or shuffling them breaks the chain, and
`bot.record.log_check.verify_log` names the first place it breaks.

The hash has no secret key: someone who can write to the database and recompute every hash,
head included, can rewrite the log undetected. Noting the head hash somewhere else (the
`verify-log` command prints it) catches that too.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import table_of
from storage.models import Event, EventChain
from storage.scope import SCHOOL_PARAM, bound, school_of

log = logging.getLogger(__name__)

GENESIS = "0" * 64  # the `prev_hash` of the first entry
# Built once, on the table: it runs in every transaction that adds an entry. (Like an ORM
# query, it first writes the session's pending changes: Session.execute flushes for both.)
_CHAIN = table_of(EventChain)
_THE_SCHOOLS = _CHAIN.c.school_id == bindparam(SCHOOL_PARAM)  # filled by storage.scope
_LOCK_HEAD = bound(select(_CHAIN.c.seq, _CHAIN.c.hash).where(_THE_SCHOOLS).with_for_update())
# The head's move to a new entry (its parameters `head_seq`, `head_hash`), made by
# events._append once the head is locked.
MOVE_UNBOUND = (
    update(_CHAIN)
    .where(_THE_SCHOOLS)
    .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"))
)
MOVE_HEAD = bound(MOVE_UNBOUND)
_FORMAT = "event-log-v1"  # part of every hashed encoding, so a future format cannot collide


def hash_of(entry: Any) -> str:
    """The hash of an entry as stored (an Event, or a row read with the same columns)."""
    return entry_hash(
        seq=entry.seq,
        prev_hash=entry.prev_hash,
        report_id=entry.report_id,
        kind=entry.kind,
        actor_email=entry.actor_email,
        at=entry.at,
        detail=entry.detail,
        sealed=entry.detail_enc,
    )


def entry_hash(
    *,
    seq: object,
    prev_hash: object,
    report_id: object,
    kind: object,
    actor_email: object,
    at: object,
    detail: object,
    sealed: object,
) -> str:
    """The SHA-256 (hex) of one entry's canonical encoding.

    The encoding is a compact JSON array (ASCII only) of: a format tag, seq, prev_hash,
    report_id, kind, actor_email, `at` as a UTC ISO 8601 string with microseconds, `detail` as
    sorted-key compact JSON text, and the sealed bytes as hex (null when there are none).
    Arguments are typed loosely because verification feeds in whatever the database holds.
    """
    fields = [
        _FORMAT,
        seq,
        prev_hash,
        report_id,
        kind,
        actor_email,
        _at_text(at),
        json.dumps(detail, sort_keys=True, separators=(",", ":")),
        _sealed_text(sealed),
    ]
    encoded = json.dumps(fields, separators=(",", ":")).encode("ascii")
    return hashlib.sha256(encoded).hexdigest()


def _at_text(at: object) -> str:
    if isinstance(at, datetime) and at.tzinfo is not None:
        return at.astimezone(UTC).isoformat(timespec="microseconds")
    return f"not a UTC time: {at!r}"  # never what a written entry hashed


def _sealed_text(sealed: object) -> str | None:
    if sealed is None:
        return None
    if isinstance(sealed, bytes | bytearray | memoryview):
        return bytes(sealed).hex()
    return f"not bytes: {sealed!r}"  # never what a written entry hashed


# --- the head: where the log ends


_KEPT_HEAD = "event_log_head"  # in session.info: (transaction, school, seq, hash)


async def lock_head(session: AsyncSession) -> tuple[int, str, bool]:
    """Lock the chain's head row for this transaction and return (seq, hash, restored).

    On PostgreSQL the row lock makes every other transaction that adds an entry wait until
    this one ends, so two can never both build on the same head. SQLite serialises writing
    transactions anyway (BEGIN IMMEDIATE). The row is created if missing; `restored` is True
    when entries existed without it (someone deleted it), so the caller can log that fact.

    A transaction that already added an entry knows where the log ends (`moved_head`): the
    row is locked until it ends, so nobody else can have moved it, and it is not read again.
    """
    kept = session.info.get(_KEPT_HEAD)
    if (
        kept is not None
        and kept[0] is _innermost_transaction(session)
        and kept[1] == school_of(session)  # a trust session acts for one school at a time
    ):
        return kept[2], kept[3], False
    row = (await session.execute(_LOCK_HEAD)).one_or_none()
    restored = False
    if row is None:
        restored = await _create_head(session)
        row = (await session.execute(_LOCK_HEAD)).one()
    return row.seq, row.hash, restored


def moved_head(session: AsyncSession, seq: int, digest: str) -> None:
    """Note where the log ends now, after this transaction moved the head row (still locked).

    Kept for the innermost transaction that moved it: inside a savepoint begun later, or
    after one that is rolled back (its entries undone), the head is read from the row again."""
    session.info[_KEPT_HEAD] = (_innermost_transaction(session), school_of(session), seq, digest)


def _innermost_transaction(session: AsyncSession) -> object:
    sync = session.sync_session
    return sync.get_nested_transaction() or sync.get_transaction()


async def _create_head(session: AsyncSession) -> bool:
    last = (
        await session.execute(
            select(Event.seq, Event.hash)
            .where(Event.seq.is_not(None))
            .order_by(Event.seq.desc())
            .limit(1)
        )
    ).one_or_none()
    seq, digest = (0, GENESIS) if last is None else (int(last.seq), str(last.hash))
    values = {"seq": seq, "hash": digest}  # and the school's id (storage.scope)
    dialect = (await session.connection()).dialect.name
    # Two transactions may both find no head: the second waits for the first and does nothing.
    if dialect == "postgresql":
        statement: Any = (
            postgresql_insert(EventChain)
            .values(values)
            .on_conflict_do_nothing(index_elements=[EventChain.school_id])
        )
    elif dialect == "sqlite":
        statement = (
            sqlite_insert(EventChain)
            .values(values)
            .on_conflict_do_nothing(index_elements=[EventChain.school_id])
        )
    else:
        statement = insert(EventChain).values(values)
    result = await session.execute(statement)
    created = result.rowcount == 1  # type: ignore[attr-defined]
    if created and last is not None:
        log.warning(
            "the event log's head record was missing; rebuilt from its last entry (%s)", seq
        )
        return True
    return False
