"""The `closure` command: the DSL, a deputy or the head records a day the school is shut (a snow
day, a heating failure), so that alerts sent that day carry the out-of-hours contacts and
reminders wait for the next open day. Closures known in advance belong in the school file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.messages import Notice, Outbound
from bot.record.events import record_event
from bot.record.refusals import record_refusal
from bot.school.config import SchoolConfig
from bot.school.terms import Closure
from bot.words import strings
from storage.crypto import Cipher
from storage.models import SchoolClosure

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_REASON_LENGTH = 200


async def recorded(session: AsyncSession, *, first: date, last: date) -> list[Closure]:
    """The closures recorded in chat from `first` to `last`, as calendar closures."""
    rows = await session.scalars(
        select(SchoolClosure).where(SchoolClosure.day.between(first, last))
    )
    return [Closure(date=row.day, reason=row.reason) for row in rows]


async def on_day_of(session: AsyncSession, school: SchoolConfig, moment: datetime) -> list[Closure]:
    """The closures recorded in chat for the school day `moment` falls on (school time)."""
    day = moment.astimezone(school.tz).date()
    return await recorded(session, first=day, last=day)


def _words(text: str) -> list[str] | None:
    """The words after a closure command word, or None when `text` is not the command."""
    words = text.split()
    for command in sorted(strings.CLOSURE_WORDS, key=len, reverse=True):
        size = len(command.split())
        if " ".join(words[:size]).casefold() == command:
            return words[size:]
    return None


def _day(word: str, today: date) -> date | None:
    lowered = word.casefold()
    if lowered == "today":
        return today
    if lowered == "tomorrow":
        return today + timedelta(days=1)
    if _ISO.fullmatch(word):
        try:
            return date.fromisoformat(word)
        except ValueError:
            return None
    return None


async def command(
    session: AsyncSession,
    *,
    school: SchoolConfig,
    cipher: Cipher,
    text: str,
    email: str,
    now: datetime,
) -> Sequence[Outbound] | None:
    """Handle `closure [day] reason`; None when `text` is not the command. The role is checked
    here, on the server, whatever the channel showed."""
    words = _words(text)
    if words is None:
        return None
    person = school.person(email)
    if person is None or not person.handles_cases:
        await record_refusal(session, email=email, action="closure", report_id=None, now=now)
        return [Notice(strings.CLOSURE_REFUSED, "error")]
    today = now.astimezone(school.tz).date()
    day = _day(words[0], today) if words else None
    if day is None and words and _ISO.fullmatch(words[0]):  # a date that is no date: 2026-02-30
        return [Notice(strings.CLOSURE_HOW, "guidance")]
    reason = " ".join(words[1:] if day is not None else words)[:_REASON_LENGTH]
    if not reason:
        return [Notice(strings.CLOSURE_HOW, "guidance")]
    day = day or today
    session.add(SchoolClosure(day=day, reason=reason, recorded_by=person.email, recorded_at=now))
    await record_event(
        session,
        kind="school_closed",
        at=now,
        actor_email=person.email,
        detail={"day": day.isoformat()},
        # Typed by a person: sealed like a note, in case it says more than "snow".
        secret={"reason": reason},
        cipher=cipher,
    )
    said = strings.CLOSURE_RECORDED.format(day=f"{day:%A} {day.day} {day:%B %Y}", reason=reason)
    return [Notice(said, "success")]
