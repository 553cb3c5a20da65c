"""The trust's daily seal: every school's event-log head, chained day to day.

Each school's log is its own hash chain (bot.record.event_chain). Once a day the scheduler
seals where every school's log ends (its last entry's `seq` and hash) in one row of
`trust_seals`, which carries the hash of the seal before it, as a log's entries do. A school's
log rewritten up to a sealed entry (even with every hash recomputed, head included) no longer
has that entry's hash: `verify_seals` names the school, and the other schools still verify.

As for each log, the hash has no secret key: someone who can rewrite the seals as well can
hide a rewrite. The last seal's hash, printed by `python -m bot verify-log` and kept
somewhere else, catches that too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.record.event_chain import GENESIS
from storage.models import Event, EventChain, School, TrustSeal
from storage.scope import ALL_SCHOOLS, TRUST_CHANNELS_KEY, school_of

_FORMAT = "trust-seal-v1"  # part of every hashed encoding, so a future format cannot collide
_INSERT = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def seal_hash(*, seq: int, prev_hash: str, day: date, at: datetime, heads: list[list[Any]]) -> str:
    """The SHA-256 (hex) of a seal's canonical encoding: a compact ASCII JSON array of the
    format tag, seq, prev_hash, the day (ISO), `at` in UTC with microseconds, and the heads."""
    fields = [
        _FORMAT,
        seq,
        prev_hash,
        day.isoformat(),
        at.astimezone(UTC).isoformat(timespec="microseconds"),
        heads,
    ]
    encoded = json.dumps(fields, separators=(",", ":")).encode("ascii")
    return hashlib.sha256(encoded).hexdigest()


async def seal_today(session: AsyncSession, *, now: datetime) -> TrustSeal | None:
    """Seal every school's head for `now`'s day (UTC), in the caller's transaction of a trust
    session; None when that day is sealed already (by this or another scheduler)."""
    _require_trust(session)
    day = now.astimezone(UTC).date()
    last = await session.scalar(
        select(TrustSeal).order_by(TrustSeal.seq.desc()).limit(1).with_for_update()
    )
    if last is not None and last.day >= day:
        return None
    found = await session.execute(
        select(School.id, School.key, EventChain.seq, EventChain.hash)
        .outerjoin(EventChain, EventChain.school_id == School.id)
        .where(School.key != TRUST_CHANNELS_KEY)  # the trust's address book: no log
        .order_by(School.id)
    )
    heads = [[r.id, r.key, r.seq or 0, r.hash or GENESIS] for r in found]
    seq, prev_hash = (1, GENESIS) if last is None else (last.seq + 1, last.hash)
    at = now.astimezone(UTC)
    values = {
        "seq": seq,
        "day": day,
        "at": at,
        "heads": heads,
        "prev_hash": prev_hash,
        "hash": seal_hash(seq=seq, prev_hash=prev_hash, day=day, at=at, heads=heads),
    }
    # Two schedulers may seal the same day: the second adds nothing (the day is unique).
    make: Any = _INSERT[session.get_bind().dialect.name]
    added = await session.execute(make(TrustSeal).values(values).on_conflict_do_nothing())
    if added.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return TrustSeal(**values)


@dataclass(frozen=True)
class SealCheck:
    """The seals checked: `seals` counted intact; `broken` why the seals themselves are not
    (none when they are); `schools` each school whose log no longer matches its last seal, by
    key, with why. `last` is the last seal (its day and hash) when the seals are intact."""

    seals: int
    broken: str | None = None
    schools: dict[str, str] = field(default_factory=dict)
    last: TrustSeal | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.schools


async def verify_seals(session: AsyncSession, *, school: str | None = None) -> SealCheck:
    """Check the chain of seals, then every school's log (or the one whose key is `school`)
    against its head in the last seal, in a trust session.

    The last seal is enough for a log: rewriting any entry up to it changes the sealed entry's
    hash, as each entry's hash covers the one before it. Each seal's heads must not move back."""
    _require_trust(session)
    count, prev, last = 0, GENESIS, None
    furthest: dict[int, int] = {}
    for seal in await session.scalars(select(TrustSeal).order_by(TrustSeal.seq)):
        recomputed = seal_hash(
            seq=seal.seq, prev_hash=seal.prev_hash, day=seal.day, at=seal.at, heads=seal.heads
        )
        if seal.seq != count + 1 or seal.prev_hash != prev or recomputed != seal.hash:
            return SealCheck(count, f"the seal of {seal.day} (seal {seal.seq}) was altered")
        for school_id, key, seq, _digest in seal.heads:
            if seq < furthest.get(school_id, 0):
                return SealCheck(
                    count, f"the seal of {seal.day} puts school {key}'s log back to entry {seq}"
                )
            furthest[school_id] = seq
        count, prev, last = count + 1, seal.hash, seal
    if last is None:
        return SealCheck(0)
    problems: dict[str, str] = {}
    for school_id, key, seq, digest in last.heads:
        if (school is not None and key != school) or seq == 0:
            continue
        stored = await session.scalar(
            select(Event.hash).where(Event.school_id == school_id, Event.seq == seq)
        )
        if stored is None:
            problems[key] = f"entry {seq}, sealed on {last.day}, is missing"
        elif stored != digest:
            problems[key] = f"entry {seq} is not the entry sealed on {last.day}: it was rewritten"
    return SealCheck(count, schools=problems, last=last)


def _require_trust(session: AsyncSession) -> None:
    if school_of(session) != ALL_SCHOOLS:
        raise ValueError("the trust's seals are made and checked in a trust session")
