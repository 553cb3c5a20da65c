"""The event log's hash chain: how an entry is hashed, the chain's head, and checking it all.

Every entry carries `seq` (1, 2, 3 ...), the hash of the entry before it (`prev_hash`, all
zeros for the first) and its own `hash`: SHA-256 over a canonical encoding of its fields. One
row of `event_chain` records where the log ends (the last `seq` and `hash`), so deleting the
last entry shows too. Changing an entry, deleting one or shuffling them breaks the chain, and
`verify_log` names the first place it breaks.

The hash has no secret key: someone who can write to the database and recompute every hash,
head included, can rewrite the log undetected. Noting the head hash somewhere else (the
`verify-log` command prints it) catches that too.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Select, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.bindings import check_reports
from storage.models import Event, EventChain

log = logging.getLogger(__name__)

GENESIS = "0" * 64  # the `prev_hash` of the first entry
HEAD_ID = 1  # the one row of `event_chain`
BATCH_SIZE = 500
_FORMAT = "event-log-v1"  # part of every hashed encoding, so a future format cannot collide

# What reading a row can raise on SQLite when its stored value was replaced by something that
# is not of the column's type (text that is not JSON, or not a date, in a JSON or date column).
_UNREADABLE = (ValueError, TypeError, OverflowError)


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


async def lock_head(session: AsyncSession) -> tuple[int, str, bool]:
    """Lock the chain's head row for this transaction and return (seq, hash, restored).

    On PostgreSQL the row lock makes every other transaction that adds an entry wait until
    this one ends, so two can never both build on the same head. SQLite serialises writing
    transactions anyway (BEGIN IMMEDIATE). The row is created if missing; `restored` is True
    when entries existed without it (someone deleted it), so the caller can log that fact.
    """
    query = (
        select(EventChain.seq, EventChain.hash).where(EventChain.id == HEAD_ID).with_for_update()
    )
    row = (await session.execute(query)).one_or_none()
    restored = False
    if row is None:
        restored = await _create_head(session)
        row = (await session.execute(query)).one()
    return row.seq, row.hash, restored


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
    values = {"id": HEAD_ID, "seq": seq, "hash": digest}
    dialect = (await session.connection()).dialect.name
    # Two transactions may both find no head: the second waits for the first and does nothing.
    if dialect == "postgresql":
        statement: Any = (
            postgresql_insert(EventChain)
            .values(values)
            .on_conflict_do_nothing(index_elements=[EventChain.id])
        )
    elif dialect == "sqlite":
        statement = (
            sqlite_insert(EventChain)
            .values(values)
            .on_conflict_do_nothing(index_elements=[EventChain.id])
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


# --- checking the whole log


@dataclass(frozen=True)
class LogCheck:
    """The result of checking the event log.

    `checked` counts the entries found intact (all of them when `ok`; those before the break
    otherwise). `first_broken_seq` / `first_broken_id` name the first broken entry when it is
    known (an entry that was deleted has no id). `unchained` counts entries written before the
    log was chained (no `seq`): they are not part of the chain and cannot be checked.
    `head_hash` is the last entry's hash when the log is intact. `reports` counts the reports
    found as the log recorded them (see `bot.services.bindings`); `reason` names the first that
    is not, by its reference, and says what changed.
    """

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    first_broken_id: int | None = None
    reason: str | None = None
    unchained: int = 0
    head_hash: str | None = None
    reports: int = 0
    report_problem: bool = False


_Stored = Row[*tuple[Any, ...]]  # one entry as the database holds it


@dataclass(frozen=True)
class _Unreadable:
    id: int
    seq: object


_COLUMNS = (
    Event.id,
    Event.seq,
    Event.prev_hash,
    Event.hash,
    Event.report_id,
    Event.kind,
    Event.actor_email,
    Event.at,
    Event.detail,
    Event.detail_enc,
)


async def verify_log(session: AsyncSession, *, batch_size: int = BATCH_SIZE) -> LogCheck:
    """Walk the whole log in `seq` order, a batch at a time, and report the first break; then
    check every report against the content the log recorded for it.

    Entries added while this runs are left for the next check: the walk stops at the head
    read first, and entries before it never change (unless someone tampers with them).
    """
    head = (
        await session.execute(
            select(EventChain.seq, EventChain.hash).where(EventChain.id == HEAD_ID)
        )
    ).one_or_none()
    end = None if head is None else int(head.seq)

    checked, expected, prev, last_id = 0, 1, GENESIS, None
    first_id: int | None = None
    async with aclosing(_entries(session, end=end, batch_size=batch_size)) as entries:
        async for row in entries:
            broken = _check_entry(row, expected=expected, prev=prev, checked=checked)
            if broken is not None:
                return broken
            assert not isinstance(row, _Unreadable)
            checked, expected, prev, last_id = checked + 1, expected + 1, row.hash, row.id
            first_id = row.id if first_id is None else first_id
    last_seq = expected - 1

    if head is None:
        if checked:
            return LogCheck(
                False,
                checked,
                reason=(
                    "the record of where the log ends (the event_chain table) is missing, "
                    "so entries deleted from the end could not be noticed"
                ),
            )
    elif last_seq < head.seq:
        missing = (
            f"the last entry ({head.seq}) is missing"
            if last_seq == head.seq - 1
            else f"the last entries ({last_seq + 1} to {head.seq}) are missing"
        )
        return LogCheck(False, checked, last_seq + 1, None, missing)
    elif prev != head.hash:
        return LogCheck(
            False,
            checked - 1,
            last_seq,
            last_id,
            f"entry {last_seq} (id {last_id}) does not match the record of where the log ends: "
            "it was rewritten",
        )
    else:
        beyond = await _beyond_head(session, end=last_seq, checked=checked)
        if beyond is not None:
            return beyond

    unchained = int(await session.scalar(select(func.count()).where(Event.seq.is_(None))) or 0)
    if unchained and first_id is not None:
        # Entries from before the chain all have smaller ids than its first entry.
        rogue = await session.scalar(
            select(func.min(Event.id)).where(Event.seq.is_(None), Event.id > first_id)
        )
        if rogue is not None:
            return LogCheck(
                False,
                checked,
                None,
                rogue,
                f"an entry (id {rogue}) was added outside the chain: it has no place in it",
                unchained,
            )
    reports, problem = await check_reports(session, batch_size=batch_size)
    if problem is not None:
        return LogCheck(
            False,
            checked,
            reason=problem,
            unchained=unchained,
            reports=reports,
            report_problem=True,
        )
    head_hash = prev if checked else None
    return LogCheck(True, checked, unchained=unchained, head_hash=head_hash, reports=reports)


def _check_entry(
    row: _Stored | _Unreadable, *, expected: int, prev: str, checked: int
) -> LogCheck | None:
    seq = row.seq
    if isinstance(row, _Unreadable):
        return LogCheck(
            False,
            checked,
            seq if isinstance(seq, int) else None,
            row.id,
            f"entry {seq} (id {row.id}) was changed after it was written: it can no longer be read",
        )
    recomputed = hash_of(row)
    if not isinstance(seq, int) or recomputed != row.hash:
        return LogCheck(
            False,
            checked,
            seq if isinstance(seq, int) else None,
            row.id,
            f"entry {seq} (id {row.id}) was changed after it was written",
        )
    if seq > expected:
        before = expected - 1
        if expected == 1:
            where = f"the log starts at {seq}"
        else:
            where = f"the log jumps from {before} to {seq}"
        what = (
            f"entry {expected} is missing"
            if seq == expected + 1
            else f"entries {expected} to {seq - 1} are missing"
        )
        return LogCheck(False, checked, expected, None, f"{what}: {where}")
    if seq < expected:  # only possible before 1: `seq` is unique
        return LogCheck(False, checked, seq, row.id, f"entry {seq} (id {row.id}) is out of place")
    if row.prev_hash != prev:
        reason = (
            "entry 1's link to the start of the log is broken"
            if seq == 1
            else f"entry {seq}'s link to the one before it is broken: "
            f"entry {seq - 1} or {seq} was rewritten"
        )
        return LogCheck(False, checked, seq, row.id, reason)
    return None


async def _entries(
    session: AsyncSession, *, end: int | None, batch_size: int
) -> AsyncGenerator[_Stored | _Unreadable, None]:
    """The chained entries in `seq` order (up to `end`), one batch in memory at a time."""
    after: object = None
    while True:
        query = select(*_COLUMNS).where(Event.seq.is_not(None))
        if after is not None:
            query = query.where(Event.seq > after)
        if end is not None:
            query = query.where(Event.seq <= end)
        query = query.order_by(Event.seq).limit(batch_size)
        batch: list[_Stored | _Unreadable]
        try:
            batch = list((await session.execute(query)).all())
        except _UNREADABLE:
            batch = await _one_by_one(session, query)
        if not batch:
            return
        for row in batch:
            yield row
        after = batch[-1].seq


async def _one_by_one(
    session: AsyncSession, query: Select[*tuple[Any, ...]]
) -> list[_Stored | _Unreadable]:
    """A batch that failed to load, row by row, marking the rows that cannot be read."""
    keys = (await session.execute(query.with_only_columns(Event.id, Event.seq))).all()
    rows: list[_Stored | _Unreadable] = []
    for key in keys:
        try:
            rows.append((await session.execute(select(*_COLUMNS).where(Event.id == key.id))).one())
        except _UNREADABLE:
            rows.append(_Unreadable(key.id, key.seq))
    return rows


async def _beyond_head(session: AsyncSession, *, end: int, checked: int) -> LogCheck | None:
    """An entry past the head, unless a transaction that finished since we read it added it."""
    after = (
        await session.execute(
            select(Event.id, Event.seq).where(Event.seq > end).order_by(Event.seq).limit(1)
        )
    ).one_or_none()
    if after is None:
        return None
    # Read the head again: a legitimate entry commits together with its head update.
    now_ends = await session.scalar(select(EventChain.seq).where(EventChain.id == HEAD_ID))
    if now_ends is not None and after.seq <= now_ends:
        return None
    return LogCheck(
        False,
        checked,
        after.seq,
        after.id,
        f"entry {after.seq} (id {after.id}) was added after the recorded end of the log",
    )
