"""The `closure` command: the DSL, a deputy or the head records a day the school is shut (a snow
day, a heating failure), so that alerts sent that day carry the out-of-hours contacts and
reminders wait for the next open day. Closures known in advance belong in the school file."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
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


def words_after(text: str, commands: Iterable[str] = strings.CLOSURE_WORDS) -> list[str] | None:
    """The words after one of `commands` (the closure command's words unless told), or None
    when `text` does not start with one of them."""
    words = text.split()
    for command in sorted(commands, key=len, reverse=True):
        size = len(command.split())
        if " ".join(words[:size]).casefold() == command:
            return words[size:]
    return None


def day_of(word: str, today: date) -> date | None:
    """today, tomorrow or an ISO date, as typed; None for anything else."""
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


def day_words(day: date) -> str:
    """Monday 7 December 2026."""
    return f"{day:%A} {day.day} {day:%B %Y}"


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
    words = words_after(text)
    if (
        words is None
        or words_after(text, strings.CLOSURE_LIST_WORDS | strings.CLOSURE_REMOVE_WORDS) is not None
    ):
        return None  # not the command, or the list's or the removal's (bot/cases/closure_list.py)
    person = school.person(email)
    if person is None or not person.handles_cases:
        await record_refusal(session, email=email, action="closure", report_id=None, now=now)
        return [Notice(strings.CLOSURE_REFUSED, "error")]
    today = now.astimezone(school.tz).date()
    day = day_of(words[0], today) if words else None
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
    said = strings.CLOSURE_RECORDED.format(day=day_words(day), reason=reason)
    return [Notice(said, "success")]
