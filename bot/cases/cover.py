"""Cover: a DSL or deputy types `cover me` and a time range; the other DSL and deputies are
asked through the outbox, each with an Accept button; the first to accept is first contact for
exactly that range (bot/school/rota.py `duty_at`); if nobody accepts within the rota's
`cover_wait_minutes` the headteacher is told, once. Every step is in the event log, and the
role is checked on the server for every ask, click and cancel.

The outbox rows of a request carry its id in `conversation_id` (the column for rows that name
no report; the kinds here keep them apart from a draft's) and what they say in `about`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.messages import Notice, Outbound
from bot.delivery.outbox import enqueue
from bot.record.events import record_event
from bot.record.refusals import record_refusal
from bot.school.config import Role, SchoolConfig
from bot.school.cover_range import describe, read_range
from bot.school.rota import Cover
from bot.words import strings
from storage.models import CoverRequest

BUTTON = "cover:accept:"
ASK, TAKEN, NOBODY, HEAD, CANCELLED = (
    "cover_ask",
    "cover_taken",
    "cover_nobody",
    "cover_head",
    "cover_cancelled",
)
KINDS = frozenset({ASK, TAKEN, NOBODY, HEAD, CANCELLED})
MAX_DAYS = 28


async def in_force(session: AsyncSession, moment: datetime) -> list[Cover]:
    """The cover accepted by `moment` whose range holds it, in the order it was accepted: who
    was on duty then (a cover accepted later never changes a plan already made)."""
    rows = await session.scalars(
        select(CoverRequest)
        .where(
            CoverRequest.accepted_at.is_not(None),
            CoverRequest.accepted_at <= moment,
            CoverRequest.starts_at <= moment,
            CoverRequest.ends_at > moment,
        )
        .order_by(CoverRequest.accepted_at, CoverRequest.id)
    )
    return [_cover(row) for row in rows]


async def overlapping(session: AsyncSession, *, first: datetime, last: datetime) -> list[Cover]:
    """The cover accepted so far whose range meets `first` to `last` (for `on call`)."""
    rows = await session.scalars(
        select(CoverRequest)
        .where(
            CoverRequest.accepted_at.is_not(None),
            CoverRequest.starts_at < last,
            CoverRequest.ends_at > first,
        )
        .order_by(CoverRequest.accepted_at, CoverRequest.id)
    )
    return [_cover(row) for row in rows]


def _cover(row: CoverRequest) -> Cover:
    assert row.accepted_by is not None
    return Cover(row.starts_at, row.ends_at, row.requester_email, row.accepted_by)


def _after_command(text: str, words: Iterable[str]) -> str | None:
    """What follows one of the command `words` at the start of `text`, or None."""
    typed = text.split()
    for command in sorted(words, key=len, reverse=True):
        size = len(command.split())
        if " ".join(typed[:size]).casefold() == command:
            return " ".join(typed[size:])
    return None


async def command(
    session: AsyncSession,
    *,
    school: SchoolConfig,
    channels: Sequence[str],
    text: str,
    email: str,
    now: datetime,
) -> list[Outbound] | None:
    """Handle `cover me <range>` and `cover cancel`; None when `text` is neither."""
    cancel = _after_command(text, strings.COVER_CANCEL_WORDS)
    rest = None if cancel is not None else _after_command(text, strings.COVER_WORDS)
    if cancel is None and rest is None:
        return None
    person = school.person(email)
    if person is None or not person.is_safeguarding_lead:
        action = "cover_cancel" if cancel is not None else "cover_request"
        await record_refusal(session, email=email, action=action, report_id=None, now=now)
        return [Notice(strings.COVER_REFUSED, "error")]
    if cancel is not None:
        return await _cancel(session, school=school, channels=channels, email=email, now=now)
    if school.rota is None:
        return [Notice(strings.COVER_NO_ROTA, "info")]
    assert rest is not None
    wanted = read_range(rest, now=now, tz=school.tz)
    if wanted is None:
        return [Notice(strings.COVER_HOW, "guidance")]
    if wanted.end <= now:
        return [Notice(strings.COVER_PASSED, "guidance")]
    if wanted.end - wanted.start > timedelta(days=MAX_DAYS):
        return [Notice(strings.COVER_TOO_LONG.format(days=MAX_DAYS), "guidance")]
    others = [
        p.email for p in school.people_with(Role.DSL, Role.DEPUTY_DSL) if p.email != person.email
    ]
    if not others:
        return [Notice(strings.COVER_NOBODY, "info")]
    minutes = school.rota.cover_wait_minutes
    row = CoverRequest(
        requester_email=person.email,
        starts_at=wanted.start,
        ends_at=wanted.end,
        status="asked",
        asked_at=now,
        # Telling the head after the range has ended would help nobody.
        expires_at=min(now + timedelta(minutes=minutes), wanted.end),
    )
    session.add(row)
    await session.flush()
    await _queue(session, row, channels, ASK, others, now)
    await record_event(
        session,
        kind="cover_requested",
        at=now,
        actor_email=person.email,
        detail={"cover": row.id, "start": _iso(row.starts_at), "end": _iso(row.ends_at)},
    )
    when = describe(wanted.start, wanted.end, school.tz)
    said = strings.COVER_ASKED.format(n=len(others), when=when, minutes=_minutes(minutes))
    return [Notice(said, "success")]


async def on_button(
    session: AsyncSession,
    *,
    school: SchoolConfig,
    channels: Sequence[str],
    value: str,
    email: str,
    now: datetime,
) -> list[Outbound]:
    """An Accept click: the first DSL or deputy to accept takes the cover; any later click (a
    double click, an old button, another person) changes nothing and says who took it."""
    person = school.person(email)
    if person is None or not person.is_safeguarding_lead:
        await record_refusal(session, email=email, action="cover_accept", report_id=None, now=now)
        return [Notice(strings.COVER_REFUSED, "error")]
    number = value.removeprefix(BUTTON)
    row = await session.get(CoverRequest, int(number)) if number.isdigit() else None
    if row is None:
        return [Notice(strings.COVER_GONE, "info")]
    if row.requester_email == person.email:
        return [Notice(strings.COVER_OWN, "info")]
    # One conditional update decides: of two clicks at once, one changes the row, the other
    # finds it changed (PostgreSQL re-checks the condition after the first commits).
    taken = await session.execute(
        update(CoverRequest)
        .where(
            CoverRequest.id == row.id,
            CoverRequest.status == "asked",
            CoverRequest.expires_at > now,
        )
        .values(status="accepted", accepted_by=person.email, accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(row)
    when = describe(row.starts_at, row.ends_at, school.tz)
    if not taken.rowcount:  # type: ignore[attr-defined]
        return [_why_not(school, row, when, person.email)]
    await _queue(session, row, channels, TAKEN, [row.requester_email], now)
    await record_event(
        session, kind="cover_accepted", at=now, actor_email=person.email, detail={"cover": row.id}
    )
    name = name_of(school, row.requester_email)
    return [Notice(strings.COVER_YOU_TOOK.format(when=when, name=name), "success")]


def _why_not(school: SchoolConfig, row: CoverRequest, when: str, clicker: str) -> Notice:
    if row.status == "accepted" and row.accepted_by == clicker:  # a double click
        return Notice(strings.COVER_ALREADY_YOURS.format(when=when), "info")
    if row.status == "accepted" and row.accepted_by is not None:
        taker = name_of(school, row.accepted_by)
        return Notice(strings.COVER_TAKEN_BY.format(taker=taker, when=when), "info")
    if row.status == "cancelled":
        name = name_of(school, row.requester_email)
        return Notice(strings.COVER_CANCELLED_ALREADY.format(name=name), "info")
    return Notice(strings.COVER_EXPIRED, "info")  # expired, or due to be: the sweep tells


async def expire_due(
    session: AsyncSession, *, school: SchoolConfig, channels: Sequence[str], now: datetime
) -> int:
    """Tell the head (and the person who asked) about each request nobody accepted in time;
    each once, however often the sweep runs. Returns how many outbox rows were queued."""
    due = await session.scalars(
        select(CoverRequest).where(CoverRequest.status == "asked", CoverRequest.expires_at <= now)
    )
    heads = [p.email for p in school.people_with(Role.HEADTEACHER)]
    queued = 0
    for row in list(due):
        expired = await session.execute(
            update(CoverRequest)
            .where(CoverRequest.id == row.id, CoverRequest.status == "asked")
            .values(status="expired", closed_at=now)
            .execution_options(synchronize_session=False)
        )
        if not expired.rowcount:  # type: ignore[attr-defined]
            continue  # another process's sweep took it
        await record_event(
            session, kind="cover_expired", at=now, actor_email=None, detail={"cover": row.id}
        )
        queued += await _queue(session, row, channels, HEAD, heads, now)
        queued += await _queue(session, row, channels, NOBODY, [row.requester_email], now)
        await record_event(
            session,
            kind="cover_head_told",
            at=now,
            actor_email=None,
            detail={"cover": row.id, "recipients": len(heads)},
        )
    return queued


async def _cancel(
    session: AsyncSession,
    *,
    school: SchoolConfig,
    channels: Sequence[str],
    email: str,
    now: datetime,
) -> list[Outbound]:
    """Take back every request of theirs not over yet. Accepted cover ends now rather than
    vanishing, so that whoever was on duty for an alert already sent stays so."""
    rows = list(
        await session.scalars(
            select(CoverRequest).where(
                CoverRequest.requester_email == email,
                CoverRequest.status.in_(("asked", "accepted")),
                CoverRequest.ends_at > now,
            )
        )
    )
    if not rows:
        return [Notice(strings.COVER_NONE_TO_CANCEL, "info")]
    for row in rows:
        if row.accepted_by is not None:
            await _queue(session, row, channels, CANCELLED, [row.accepted_by], now)
            row.ends_at = max(row.starts_at, now)
        row.status, row.closed_at = "cancelled", now
        await record_event(
            session, kind="cover_cancelled", at=now, actor_email=email, detail={"cover": row.id}
        )
    return [Notice(strings.COVER_CANCELLED.format(n=len(rows)), "success")]


async def _queue(
    session: AsyncSession,
    row: CoverRequest,
    channels: Sequence[str],
    kind: str,
    emails: Sequence[str],
    now: datetime,
) -> int:
    about: dict[str, object] = {
        "requester": row.requester_email,
        "start": _iso(row.starts_at),
        "end": _iso(row.ends_at),
        "accepted_by": row.accepted_by,
        "minutes": _minutes((row.expires_at - row.asked_at).total_seconds() / 60),
    }
    return await enqueue(
        session,
        report_id=None,
        conversation_id=row.id,
        about=about,
        emails=emails,
        channels=channels,
        kind=kind,
        level=0,
        now=now,
    )


def name_of(school: SchoolConfig, email: str) -> str:
    person = school.person(email)
    return person.name if person is not None else email


def _minutes(value: float) -> str:
    return f"{value:g}"


def _iso(moment: datetime) -> str:
    return moment.isoformat()
