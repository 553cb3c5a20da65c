"""Who is on call: the rota now, today and each school day of next week, for the safeguarding
team's `on call` command and `python -m bot oncall`, with the cover accepted in chat
(bot/cases/cover.py) where it is given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import cover
from bot.delivery.messages import Card, CardField, Notice, Outbound
from bot.record.refusals import record_refusal
from bot.school.config import SchoolConfig
from bot.school.cover_range import describe
from bot.school.rota import Cover, Duty, duty_at, school_day_moment
from bot.words import strings

ACTION = "on_call"  # what a refusal is recorded as
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_AHEAD = timedelta(days=16)  # past the end of next week, whatever today is


async def answer(
    session: AsyncSession, school: SchoolConfig, email: str, now: datetime
) -> list[Outbound]:
    """The rota for the DSL, a deputy or the head; refused (and recorded) for anyone else."""
    if not school.handles_cases(email):
        await record_refusal(session, email=email, action=ACTION, report_id=None, now=now)
        return [Notice(strings.ON_CALL_NOT_ALLOWED, "error")]
    first, last = cover_window(now)
    lines = schedule(school, now, await cover.overlapping(session, first=first, last=last))
    if lines is None:
        return [Notice(strings.ON_CALL_NO_ROTA, "info")]
    title = strings.ON_CALL_TITLE.format(school=school.name)
    fields = tuple(CardField(label, value) for label, value in lines)
    return [Card(card_id="on-call", title=title, fields=fields)]


def cover_window(now: datetime) -> tuple[datetime, datetime]:
    """From when to when the schedule may name cover: yesterday (school time may differ) to
    past the end of next week."""
    return now - timedelta(days=1), now + _AHEAD


def schedule(
    school: SchoolConfig, now: datetime, covers: Sequence[Cover] = ()
) -> list[tuple[str, str]] | None:
    """(label, who) lines: now, today, then each school day of next week; None with no rota.
    `covers`: the cover accepted in chat (each day's line names any that day)."""
    current = duty_at(school, now, covers=covers)
    if current is None:
        return None
    today = now.astimezone(school.tz).date()
    lines = [
        (strings.ON_CALL_NOW, _now_line(school, current)),
        (f"{strings.ON_CALL_TODAY} ({_day_label(today)})", _day_line(school, today, covers)),
    ]
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    for offset in range(7):
        day = monday + timedelta(days=offset)
        if _DAY_NAMES[day.weekday()] in school.school_hours.days:
            label = f"{strings.ON_CALL_NEXT_WEEK}: {_day_label(day)}"
            lines.append((label, _day_line(school, day, covers)))
    return lines


def as_text(school: SchoolConfig, now: datetime, covers: Sequence[Cover] = ()) -> str:
    """The same, as plain lines for a terminal."""
    lines = schedule(school, now, covers)
    if lines is None:
        return strings.ON_CALL_NO_ROTA
    title = strings.ON_CALL_TITLE.format(school=school.name)
    return "\n".join([title, *(f"{label}: {who}" for label, who in lines)])


def _now_line(school: SchoolConfig, duty: Duty) -> str:
    if duty.in_hours:
        return strings.ON_CALL_IN_HOURS.format(names=_names(school, duty, in_hours=True))
    return strings.ON_CALL_OUT_OF_HOURS.format(names=_names(school, duty, in_hours=False))


def _day_line(school: SchoolConfig, day: date, covers: Sequence[Cover] = ()) -> str:
    """Who the rota has on duty in that day's school hours and outside them (the school's
    own `is_school_hours` says whether it is open: a closed day is out of hours all day),
    then any cover accepted for part or all of that day, with its times."""
    moment = school_day_moment(school, day)
    in_hours = duty_at(school, moment)
    out = duty_at(school, datetime.combine(day, school.school_hours.end, school.tz))
    if in_hours is None or out is None:  # no rota: the caller has said so already
        return strings.ON_CALL_NO_ROTA
    out_names = _names(school, out, in_hours=False)
    if not in_hours.in_hours:
        line = strings.ON_CALL_CLOSED.format(names=out_names)
    else:
        first = strings.ON_CALL_IN_HOURS.format(names=_names(school, in_hours, in_hours=True))
        line = f"{first}; {strings.ON_CALL_OUT_OF_HOURS.format(names=out_names)}"
    start = datetime.combine(day, datetime.min.time(), school.tz)
    end = start + timedelta(days=1)
    for covered in covers:
        if covered.start < end and covered.end > start:
            person = school.person(covered.acceptor)
            name = person.name if person is not None else covered.acceptor
            when = describe(covered.start, covered.end, school.tz)
            line += f"; {strings.ON_CALL_COVER.format(name=name, when=when)}"
    return line


def _names(school: SchoolConfig, duty: Duty, *, in_hours: bool) -> str:
    if not duty.emails:
        return strings.ON_CALL_NOBODY if in_hours else strings.ON_CALL_NO_PLAN
    found = (school.person(email) for email in duty.emails)
    return ", ".join(person.name if person else "?" for person in found)


def _day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"
