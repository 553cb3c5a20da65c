"""The outbox: rows written with the report, delivered after the commit, kept until sent."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Outbox

CLAIM_FOR = timedelta(seconds=60)  # a claimed row's lease: far longer than a send may take
_MAX_BACKOFF = 300.0
# Written on a row when it is claimed, replaced by the result when it is recorded. Found on a
# row claimed again, it says an attempt ended without a record (its process died, or its lease
# ran out): that attempt may have reached the person.
IN_FLIGHT = "sending; outcome not recorded yet"


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
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Outbox).values(rows).on_conflict_do_nothing()
    result = await session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claim:
    """A row taken for delivery: it is the claimer's until `until` (its lease). `attempted` when
    an earlier attempt may have reached the person, so a channel that can should look first."""

    row: Outbox
    until: datetime
    attempted: bool


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    recipient: str | None = None,
    limit: int = 100,
    lease: timedelta = CLAIM_FOR,
) -> list[Claim]:
    """Take the rows due now for delivery, pushing their next attempt on so no one else does."""
    query = (
        select(Outbox)
        .where(Outbox.status == "pending", Outbox.next_attempt_at <= now)
        .order_by(Outbox.attempts, Outbox.next_attempt_at, Outbox.id)  # fresh alerts first
        .limit(limit)
    )
    if recipient is not None:
        query = query.where(Outbox.recipient_email == recipient)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claims = []
    for row in await session.scalars(query):
        attempted = row.attempts > 0 or row.last_error == IN_FLIGHT
        row.next_attempt_at, row.last_error = now + lease, IN_FLIGHT
        claims.append(Claim(row, row.next_attempt_at, attempted))
    return claims


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... up to 5 minutes, with jitter so retries do not arrive together."""
    # The exponent is capped too: 2 ** 1024 is past a float, which a row failing every five
    # minutes for four days reaches (OverflowError, and no row of its batch recorded).
    base = min(5.0 * 2 ** min(max(attempts - 1, 0), 16), _MAX_BACKOFF)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))  # noqa: S311 (not security)


async def first_ref(
    session: AsyncSession, *, report_id: int, email: str, channel: str
) -> str | None:
    """What the channel returned for the first alert this person got about this report."""
    return await session.scalar(
        select(Outbox.platform_ref)
        .where(
            Outbox.report_id == report_id,
            Outbox.recipient_email == email,
            Outbox.channel == channel,
            Outbox.kind == "alert",
            Outbox.status == "sent",
        )
        .order_by(Outbox.level)
        .limit(1)
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
