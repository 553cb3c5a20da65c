"""Checking the whole event log: every entry against its hash and the one before it, the
chain's head, and every report against what the log recorded of it (`bot.record.bindings`).

Read in batches, so a large log is checked in bounded memory; see `bot.record.event_chain`
for how an entry is hashed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.record.bindings import check_reports
from bot.record.event_chain import GENESIS, hash_of
from storage.models import Event, EventChain
from storage.scope import Unscoped, school_of

BATCH_SIZE = 500
# What reading a row can raise on SQLite when its stored value was replaced by something that
# is not of the column's type (text that is not JSON, or not a date, in a JSON or date column).
_UNREADABLE = (ValueError, TypeError, OverflowError)


@dataclass(frozen=True)
class LogCheck:
    """The result of checking the event log.

    `checked` counts the entries found intact (all of them when `ok`; those before the break
    otherwise). `first_broken_seq` / `first_broken_id` name the first broken entry when it is
    known (an entry that was deleted has no id). `unchained` counts entries written before the
    log was chained (no `seq`): they are not part of the chain and cannot be checked.
    `head_hash` is the last entry's hash when the log is intact. `reports` counts the reports
    found as the log recorded them (see `bot.record.bindings`); `reason` names the first that
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
    # The session's school's log (storage.scope): its head is its one row of event_chain. A
    # trust session would see every school's entries as one log, and call them all broken.
    if not isinstance(school_of(session), int):
        raise Unscoped("a school's event log is checked in a session of that school")
    head = (await session.execute(select(EventChain.seq, EventChain.hash))).one_or_none()
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
    now_ends = await session.scalar(select(EventChain.seq))
    if now_ends is not None and after.seq <= now_ends:
        return None
    return LogCheck(
        False,
        checked,
        after.seq,
        after.id,
        f"entry {after.seq} (id {after.id}) was added after the recorded end of the log",
    )
