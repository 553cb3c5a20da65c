"""The outbox: rows written with the report, delivered after the commit, kept until sent."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import table_of
from storage.models import Outbox
from storage.scope import SCHOOL_PARAM, bound

CLAIM_FOR = timedelta(seconds=60)  # a claimed row's lease: far longer than a send may take
_MAX_BACKOFF = 300.0
# Written on a row when it is claimed, replaced by the result when it is recorded. Found on a
# row claimed again, it says an attempt ended without a record (its process died, or its lease
# ran out): that attempt may have reached the person.
IN_FLIGHT = "sending; outcome not recorded yet"


_outbox = table_of(Outbox)
# Each keeps to the school by its parameter, or an INSERT its column (storage.scope fills it).
_ENQUEUE = {
    "postgresql": bound(
        postgresql.insert(_outbox).on_conflict_do_nothing().returning(_outbox.c.id)
    ),
    "sqlite": bound(sqlite.insert(_outbox).on_conflict_do_nothing().returning(_outbox.c.id)),
}


async def enqueue(
    session: AsyncSession,
    *,
    report_id: int | None,
    emails: Iterable[str],
    channels: Iterable[str],
    kind: str,
    level: int,
    now: datetime,
    conversation_id: int | None = None,
    about: dict[str, Any] | None = None,
    due: datetime | None = None,
) -> int:
    """Queue one row per person and channel; a row that exists already is left alone (even
    one another process is inserting right now: the unique keys decide, not a read first).

    A message about a report names `report_id`; one about a draft, which has no report yet,
    names its `conversation_id` instead, and `about` what it may say (never an answer).
    `due`: when it is to go, if later than `now` (a follow-up after a person's delay)."""
    rows = [
        {
            "report_id": report_id,
            "conversation_id": conversation_id,
            "about": about,
            "recipient_email": email,
            "channel": channel,
            "kind": kind,
            "level": level,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": due or now,
            "created_at": now,
        }
        for email in dict.fromkeys(emails)
        for channel in channels
    ]
    if not rows:
        return 0
    # One statement compiled once, the rows given as parameters: SQLAlchemy sends them as one
    # multi-row INSERT ("insertmanyvalues"); a list passed to .values() was compiled afresh
    # every time (a statement with no cache key). The ids returned count the rows added.
    statement = _ENQUEUE[session.get_bind().dialect.name]
    return len((await session.execute(statement, rows)).all())


@dataclass(frozen=True)
class Claim:
    """A row taken for delivery: it is the claimer's until `until` (its lease). `attempted` when
    an earlier attempt may have reached the person, so a channel that can should look first.
    `row` is a plain object of the row as claimed (read, never flushed)."""

    row: Outbox
    until: datetime
    attempted: bool


_ANY_DUE = (
    select(_outbox)
    .where(
        _outbox.c.status == "pending",
        _outbox.c.next_attempt_at <= bindparam("now"),
        _outbox.c.school_id == bindparam(SCHOOL_PARAM),
    )
    .order_by(_outbox.c.attempts, _outbox.c.next_attempt_at, _outbox.c.id)  # fresh alerts first
    .limit(bindparam("limit"))
)
_ANY_DUE_FOR = _ANY_DUE.where(_outbox.c.recipient_email == bindparam("recipient"))
# (everyone's or one person's, PostgreSQL's locking the rows it takes)
_DUE = {
    (False, False): bound(_ANY_DUE),
    (False, True): bound(_ANY_DUE.with_for_update(skip_locked=True)),
    (True, False): bound(_ANY_DUE_FOR),
    (True, True): bound(_ANY_DUE_FOR.with_for_update(skip_locked=True)),
}
_TAKE = bound(
    update(_outbox)
    .where(
        _outbox.c.id.in_(bindparam("row_ids", expanding=True)),
        _outbox.c.school_id == bindparam(SCHOOL_PARAM),
    )
    .values(next_attempt_at=bindparam("until"), last_error=IN_FLIGHT)
)


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    recipient: str | None = None,
    limit: int = 100,
    lease: timedelta = CLAIM_FOR,
) -> list[Claim]:
    """Take the rows due now for delivery, pushing their next attempt on so no one else does:
    two statements whatever the batch (SQLite's write lock, taken when the transaction began,
    or PostgreSQL's row locks keep the rows read until the update)."""
    query = _DUE[recipient is not None, session.get_bind().dialect.name == "postgresql"]
    params = {"now": now, "limit": limit, "recipient": recipient}
    found = (await session.execute(query, params)).mappings().all()
    if not found:
        return []
    until = now + lease
    await session.execute(_TAKE, {"row_ids": [row["id"] for row in found], "until": until})
    claims = []
    for values in found:
        attempted = values["attempts"] > 0 or values["last_error"] == IN_FLIGHT
        row = Outbox(**{**values, "next_attempt_at": until, "last_error": IN_FLIGHT})
        claims.append(Claim(row, until, attempted))
    return claims


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... up to 5 minutes, with jitter so retries do not arrive together."""
    # The exponent is capped too: 2 ** 1024 is past a float, which a row failing every five
    # minutes for four days reaches (OverflowError, and no row of its batch recorded).
    base = min(5.0 * 2 ** min(max(attempts - 1, 0), 16), _MAX_BACKOFF)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))  # noqa: S311 (not security)


async def first_refs(
    session: AsyncSession, *, report_ids: Iterable[int]
) -> dict[tuple[int, str, str], str | None]:
    """What the channel returned for the first alert each person got about each of these
    reports, by (report, person, channel): what an update edits."""
    result = await session.execute(_FIRST_REFS, {"report_ids": list(report_ids)})
    found: dict[tuple[int, str, str], str | None] = {}
    for report_id, email, channel, ref in result:  # lowest level first: the first alert
        found.setdefault((report_id, email, channel), ref)
    return found


_FIRST_REFS = bound(
    select(
        _outbox.c.report_id, _outbox.c.recipient_email, _outbox.c.channel, _outbox.c.platform_ref
    )
    .where(
        _outbox.c.report_id.in_(bindparam("report_ids", expanding=True)),
        _outbox.c.kind == "alert",
        _outbox.c.status == "sent",
        _outbox.c.school_id == bindparam(SCHOOL_PARAM),
    )
    .order_by(_outbox.c.level)
)


async def alerted_people(session: AsyncSession, *, report_id: int) -> list[str]:
    """Everyone an alert about this report was queued for, on any channel (and not withdrawn)."""
    result = await session.scalars(
        select(Outbox.recipient_email)
        .where(Outbox.report_id == report_id, Outbox.kind == "alert", Outbox.status != "withdrawn")
        .distinct()
    )
    return list(result)


async def withdraw_unsent(
    session: AsyncSession,
    *,
    report_id: int,
    emails: list[str],
    keep_update_level: int,
    now: datetime,
) -> None:
    """Take back the alerts and card updates these people were to be sent about this report
    and never were (a row being sent right now is left: its card is built for who they are),
    all but the update at `keep_update_level` (the note that the case was passed on)."""
    await session.execute(
        update(Outbox)
        .where(
            Outbox.report_id == report_id,
            Outbox.recipient_email.in_(emails),
            Outbox.status == "pending",
            Outbox.attempts == 0,
            Outbox.next_attempt_at <= now,  # later: claimed, being sent right now
            Outbox.kind.in_(("alert", "update")),
            ~((Outbox.kind == "update") & (Outbox.level == keep_update_level)),
        )
        .values(status="withdrawn")
    )
