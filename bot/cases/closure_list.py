"""`closure list` and `closure remove <date>`: the DSL, a deputy or the head sees the closures
recorded in chat from today on, with the school calendar's holidays, INSET days and bank
holidays for the next weeks; and takes away a closure recorded in chat (a snow day that did not
happen). The school file's dates are changed in the file: the bot says so rather than pretend.
The role is checked here, on the server, on every ask; a removal is recorded like an addition.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.closures import day_of, day_words, words_after
from bot.delivery.messages import Card, CardField, Notice, Outbound
from bot.record.events import record_event
from bot.record.refusals import record_refusal
from bot.school.config import SchoolConfig
from bot.school.terms import bank_holidays
from bot.words import strings
from storage.crypto import Cipher
from storage.models import SchoolClosure

WEEKS_AHEAD = 8  # how far the calendar's closures are listed


async def command(
    session: AsyncSession,
    *,
    school: SchoolConfig,
    cipher: Cipher,
    text: str,
    email: str,
    now: datetime,
) -> Sequence[Outbound] | None:
    """Handle `closure list` and `closure remove <date>`; None when `text` is neither."""
    person = school.person(email)
    allowed = person is not None and person.handles_cases
    if " ".join(text.split()).casefold() in strings.CLOSURE_LIST_WORDS:
        if not allowed:
            await record_refusal(
                session, email=email, action="closure list", report_id=None, now=now
            )
            return [Notice(strings.CLOSURE_LIST_REFUSED, "error")]
        return [await listed(session, school, now.astimezone(school.tz).date())]
    words = words_after(text, strings.CLOSURE_REMOVE_WORDS)
    if words is None:
        return None
    if person is None or not allowed:
        await record_refusal(session, email=email, action="closure remove", report_id=None, now=now)
        return [Notice(strings.CLOSURE_REMOVE_REFUSED, "error")]
    day = day_of(words[0], now.astimezone(school.tz).date()) if len(words) == 1 else None
    if day is None:
        return [Notice(strings.CLOSURE_REMOVE_HOW, "guidance")]
    return [await remove(session, school, cipher, day=day, email=person.email, now=now)]


async def listed(session: AsyncSession, school: SchoolConfig, today: date) -> Card:
    """The closures recorded in chat from `today`, and the calendar's for WEEKS_AHEAD."""
    last = today + timedelta(weeks=WEEKS_AHEAD, days=-1)
    rows = await session.scalars(
        select(SchoolClosure).where(SchoolClosure.day >= today).order_by(SchoolClosure.day)
    )
    recorded = [
        strings.CLOSURE_LIST_LINE.format(day=day_words(row.day), reason=row.reason) for row in rows
    ]
    calendar = [line for _, line in sorted(_calendar(school, today, last))]
    return Card(
        card_id="closures",
        title=strings.CLOSURE_LIST_TITLE.format(first=day_words(today)),
        text=strings.CLOSURE_LIST_NOTE,
        fields=(
            CardField(
                strings.CLOSURE_LIST_RECORDED, "\n".join(recorded) or strings.CLOSURE_LIST_NONE
            ),
            CardField(
                strings.CLOSURE_LIST_CALENDAR.format(last=day_words(last)),
                "\n".join(calendar) or strings.CLOSURE_LIST_NONE,
            ),
        ),
    )


def _calendar(school: SchoolConfig, first: date, last: date) -> list[tuple[date, str]]:
    """(first day, line) for each of the calendar's closed spells that touch first..last: the
    holidays between terms, the school file's closures, bank holidays in term."""
    calendar = school.calendar
    spells: list[tuple[date, date, str]] = []
    terms = calendar.terms
    if terms:
        edges = [
            calendar.first_day - timedelta(days=1),
            *[d for t in terms for d in (t.start, t.end)],
        ]
        edges.append(calendar.last_day + timedelta(days=1))
        # Between each term's end (or the year's start) and the next term's start (or the end).
        for end, start in zip(edges[::2], edges[1::2], strict=True):
            if start - end > timedelta(days=1):
                gap = (end + timedelta(days=1), start - timedelta(days=1))
                spells.append((*gap, strings.CLOSURE_LIST_HOLIDAY))
    spells.extend((c.first, c.last, c.reason) for c in calendar.closures)
    holidays = bank_holidays(calendar.region).days
    spells.extend((day, day, name) for day, name in holidays.items() if calendar.in_term(day))
    lines = []
    for start, end, reason in spells:
        if end < first or start > last:
            continue
        if start == end:
            line = strings.CLOSURE_LIST_LINE.format(day=day_words(start), reason=reason)
        else:
            line = strings.CLOSURE_LIST_RANGE.format(
                first=day_words(start), last=day_words(end), reason=reason
            )
        lines.append((start, line))
    return lines


async def remove(
    session: AsyncSession,
    school: SchoolConfig,
    cipher: Cipher,
    *,
    day: date,
    email: str,
    now: datetime,
) -> Notice:
    """Take away the closures recorded in chat for `day`, recorded in the event log."""
    rows = list(await session.scalars(select(SchoolClosure).where(SchoolClosure.day == day)))
    if not rows:
        why = school.calendar.closed_because(day)
        if why is not None:
            return Notice(
                strings.CLOSURE_REMOVE_IN_FILE.format(day=day_words(day), reason=why), "info"
            )
        return Notice(strings.CLOSURE_REMOVE_NONE.format(day=day_words(day)), "info")
    await session.execute(delete(SchoolClosure).where(SchoolClosure.day == day))
    await record_event(
        session,
        kind="closure_removed",
        at=now,
        actor_email=email,
        detail={"day": day.isoformat()},
        # The reasons were typed by a person: sealed, as when the closure was recorded.
        secret={"reasons": [row.reason for row in rows]},
        cipher=cipher,
    )
    return Notice(strings.CLOSURE_REMOVED.format(day=day_words(day)), "success")
