"""Drills: a test alert, about no child, sent through the real alert chain; and its results.

A drill is a report row flagged `drill` (with a `drills` row beside it), not a table of its own,
so that it runs the very code a real alert runs: the alert plan, the outbox, the escalation
sweep, the Acknowledge button and the card updates. Had it a table of its own, each of those
would need a copy, and the drill would test the copy. The price is that every list, count and
export of real reports must leave drills out (`Report.drill.is_(False)`): each has a test that
sends a drill beside a real report (tests/alerts/test_drill_exclusions.py), and a test fails on
any query over reports that forgets them (tests/alerts/test_drill_queries.py).

Who may send a drill and read its results: the DSL, the deputies and the headteacher (the
people who handle cases, as for `cases` and `stats`): the chain is theirs to test, and the head
answers to the governors for it. Anyone else is refused, and the refusal recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.alerts import AlertDesk
from bot.cases.drill_card import SCHEDULER, name, when
from bot.delivery.messages import Card, CardField, Notice, Outbound
from bot.record.bindings import BINDING, binding_of
from bot.record.events import record_event
from bot.record.refusals import record_refusal
from bot.school.config import SchoolConfig
from bot.words import strings
from storage.models import Drill, Outbox, Report

KIND = "drill"  # the drill's report kind (no report kind has this id: it files nothing)
ACTION = "drill"  # what a refusal is recorded as
_RESULTS_SHOWN = 3
_CHANNEL_NAMES = {"slack": "Slack", "teams": "Teams", "web": "Web chat"}


@dataclass(frozen=True)
class PersonResult:
    """How the drill went for one person it was meant to reach."""

    email: str
    level: int  # the first level that reached them: 0 is the first alert
    delivered: tuple[tuple[str, datetime], ...]  # (channel, when the platform took it)
    unreachable: tuple[tuple[str, str], ...]  # (channel, the last error) never delivered
    waiting: tuple[str, ...]  # channels not tried yet, or being retried without an error yet
    acknowledged_at: datetime | None  # when they acknowledged it (only the first does)
    took: timedelta | None  # from their first delivery to their acknowledgement

    @property
    def delivered_at(self) -> datetime | None:
        return min((at for _, at in self.delivered), default=None)


@dataclass(frozen=True)
class DrillResult:
    reference: str
    started_at: datetime
    started_by: str  # an e-mail, or "scheduler"
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    took: timedelta | None  # from the alert to the acknowledgement
    highest_level: int  # how far up the chain it went
    people: tuple[PersonResult, ...]


async def start_drill(
    session: AsyncSession,
    desk: AlertDesk,
    *,
    started_by: str,
    channel: str,
    now: datetime,
    term: str | None = None,
) -> Report:
    """Send a drill now; `term` (the schedule's) makes it that term's one: a second insert of
    the same term raises IntegrityError before anything is queued."""
    report = Report(
        kind=KIND,
        drill=True,
        status="submitted",
        reporter_email=started_by,
        channel=channel,
        flow_id=KIND,
        flow_version=0,
        created_at=now,
        updated_at=now,
        submitted_at=now,
    )
    session.add(report)
    await session.flush()
    session.add(Drill(report_id=report.id, term=term, started_by=started_by, started_at=now))
    # Its own prefix: never mistaken for a real report's reference.
    report.reference = f"DRILL-{now.year}-{report.id:05d}"
    await session.flush()
    await record_event(
        session,
        kind="drill_started",
        at=now,
        actor_email=None if started_by == SCHEDULER else started_by,
        report_id=report.id,
        detail={"scheduled": term is not None, BINDING: binding_of(report)},
    )
    await desk.raise_alert(session, report=report, now=now)
    return report


async def drill_results(session: AsyncSession, *, first: date, last: date) -> list[DrillResult]:
    """The drills sent from `first` to `last` (UTC days, both included; drills go in school
    hours, so these are the school's days too), oldest first, with each person's times."""
    start = datetime.combine(first, time(), UTC)
    end = datetime.combine(last + timedelta(days=1), time(), UTC)
    drills = list(
        await session.scalars(
            select(Report)
            .where(Report.drill.is_(True), Report.created_at >= start, Report.created_at < end)
            .order_by(Report.created_at, Report.id)
        )
    )
    return [await _result(session, report) for report in drills]


async def _result(session: AsyncSession, report: Report) -> DrillResult:
    rows = list(
        await session.scalars(
            select(Outbox)
            .where(Outbox.report_id == report.id, Outbox.kind == "alert")
            .order_by(Outbox.level, Outbox.id)
        )
    )
    by_person: dict[str, list[Outbox]] = {}
    for row in rows:
        by_person.setdefault(row.recipient_email.lower(), []).append(row)
    acknowledger = (report.acknowledged_by or "").lower()
    people = tuple(
        _person(email, mine, report if email == acknowledger else None)
        for email, mine in by_person.items()
    )
    alerted = report.alerted_at or report.created_at
    return DrillResult(
        reference=report.reference or "",
        started_at=alerted,
        started_by=report.reporter_email,
        acknowledged_by=report.acknowledged_by,
        acknowledged_at=report.acknowledged_at,
        took=None if report.acknowledged_at is None else report.acknowledged_at - alerted,
        highest_level=max((row.level for row in rows), default=0),
        people=people,
    )


def _person(email: str, rows: list[Outbox], acknowledged: Report | None) -> PersonResult:
    delivered: dict[str, datetime] = {}
    for row in rows:
        if row.status == "sent" and row.sent_at is not None:
            delivered[row.channel] = min(row.sent_at, delivered.get(row.channel, row.sent_at))
    unreachable: dict[str, str] = {}
    waiting: list[str] = []
    for row in rows:
        if row.channel in delivered or row.channel in unreachable or row.channel in waiting:
            continue
        if row.status == "dead" or row.last_error:
            unreachable[row.channel] = row.last_error or strings.DRILL_NO_ERROR
        else:
            waiting.append(row.channel)
    at = acknowledged.acknowledged_at if acknowledged is not None else None
    first = min(delivered.values(), default=None)
    return PersonResult(
        email=email,
        level=min(row.level for row in rows),
        delivered=tuple(sorted(delivered.items(), key=lambda item: item[1])),
        unreachable=tuple(unreachable.items()),
        waiting=tuple(waiting),
        acknowledged_at=at,
        took=None if at is None or first is None else max(at - first, timedelta(0)),
    )


async def command(
    session: AsyncSession,
    desk: AlertDesk,
    *,
    command: str,
    email: str,
    channel: str,
    now: datetime,
) -> tuple[list[Outbound], bool] | None:
    """`drill` (send one) or `drill results`: the replies and whether anything was queued; None
    when `command` is neither. The role is checked here, on every ask."""
    if command not in strings.DRILL_WORDS and command not in strings.DRILL_RESULTS_WORDS:
        return None
    if not desk.school.handles_cases(email):
        await record_refusal(session, email=email, action=ACTION, report_id=None, now=now)
        return [Notice(strings.DRILL_NOT_ALLOWED, "error")], False
    if command in strings.DRILL_WORDS:
        report = await start_drill(session, desk, started_by=email, channel=channel, now=now)
        return [Notice(strings.DRILL_STARTED.format(reference=report.reference), "info")], True
    return results_cards(desk.school, await recent(session)), False


async def recent(session: AsyncSession) -> list[DrillResult]:
    """The last few drills' results, newest first."""
    newest = await session.scalars(
        select(Report.created_at)
        .where(Report.drill.is_(True))
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(_RESULTS_SHOWN)
    )
    days = [moment.date() for moment in newest]
    if not days:
        return []
    found = await drill_results(session, first=min(days), last=max(days))
    return list(reversed(found))[:_RESULTS_SHOWN]


def results_cards(school: SchoolConfig, results: Sequence[DrillResult]) -> list[Outbound]:
    """Each drill's result: who acknowledged and how fast, then each person's line."""
    if not results:
        return [Notice(strings.DRILL_NONE, "info")]
    cards: list[Outbound] = []
    for result in results:
        if result.acknowledged_by is not None:
            summary = strings.DRILL_RESULT_ACKNOWLEDGED.format(
                who=name(school, result.acknowledged_by), took=took(result.took)
            )
        else:
            summary = strings.DRILL_RESULT_NOT_ACKNOWLEDGED
        summary += " " + strings.DRILL_RESULT_LEVELS.format(level=result.highest_level + 1)
        title = strings.DRILL_RESULTS_TITLE.format(
            reference=result.reference, when=when(school, result.started_at)
        )
        fields = tuple(
            CardField(name(school, person.email), _person_line(school, person))
            for person in result.people
        )
        text = f"{strings.DRILL_MARK}. {summary}"
        cards.append(
            Card(card_id=f"drill-{result.reference}", title=title, text=text, fields=fields)
        )
    return cards


def _person_line(school: SchoolConfig, person: PersonResult) -> str:
    level = (
        strings.DRILL_FIRST_LEVEL
        if person.level == 0
        else strings.DRILL_LEVEL.format(n=person.level + 1)
    )
    parts = [level[:1].upper() + level[1:]]
    parts += [
        strings.DRILL_DELIVERED.format(channel=channel_name(c), when=_clock(school, at))
        for c, at in person.delivered
    ]
    parts += [
        strings.DRILL_UNREACHABLE.format(channel=channel_name(c), error=error)
        for c, error in person.unreachable
    ]
    parts += [strings.DRILL_NOT_YET.format(channel=channel_name(c)) for c in person.waiting]
    if person.acknowledged_at is not None:
        parts.append(
            strings.DRILL_PERSON_ACKNOWLEDGED.format(
                when=_clock(school, person.acknowledged_at), took=took(person.took)
            )
        )
    else:
        parts.append(strings.DRILL_PERSON_NOT_ACKNOWLEDGED)
    return ". ".join(parts) + "."


def took(span: timedelta | None) -> str:
    """A drill's times to the second: "45 s", "2 min 7 s", "1 h 3 min"."""
    if span is None:
        return "—"
    seconds = round(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _clock(school: SchoolConfig, moment: datetime) -> str:
    return moment.astimezone(school.tz).strftime("%H:%M:%S")


def channel_name(channel: str) -> str:
    return _CHANNEL_NAMES.get(channel, channel.capitalize())


__all__ = ["DrillResult", "PersonResult", "drill_results", "start_drill"]
