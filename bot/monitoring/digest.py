"""The weekly digest of low-severity monitoring alerts (school file `monitoring: digest:`).

With a digest set, an alert graded below its `below` level is filed as every alert is (recorded,
counted, in `monitoring stats`) but alerts nobody at once: its report's case status is HELD
("digest") rather than open, so it never escalates and never sits in `cases`; the DSL can still
open it by its reference, close it or mark it a false positive. A later alert of the same group
graded at or above the level alerts the team at once (bot/monitoring/filing.py). Once a week,
on the day and at the time set, the DSL and the deputies get one message through the outbox:
the week's held alerts counted by provider, category and severity, with their references (never
the pupil's account). One per week however many schedulers run: the outbox's unique key holds
the week in the conversation id's place. No message when there were none.

Off by default: every alert alerts the team at once, as the DfE standard asks the DSL to act on
what monitoring finds; a provider's grade is its guess, and a school decides to wait on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.messages import Card, CardField, Option, Outbound
from bot.delivery.outbox import enqueue
from bot.monitoring.checks_jobs import CheckJobContext
from bot.monitoring.provider_alert import Severity
from bot.record.event_chain import lock_head
from bot.record.events import record_event
from bot.school.config import SchoolConfig
from bot.school.roles import Role
from bot.words import strings
from storage.models import MonitoringAlert, MonitoringGroup, Outbox, Report

HELD = "digest"  # the case status of an alert's report kept for the digest
KIND = "monitoring_digest"  # the outbox row's kind
WEEK = timedelta(days=7)
EVERY_MINUTES = 15
VIEW_BUTTONS = 20  # as `cases` offers: a card stays usable in a chat
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def holds(school: SchoolConfig, severity: Severity) -> bool:
    """Whether an alert of this grade waits for the digest (False: the team is alerted now)."""
    digest = school.monitoring.digest
    return digest is not None and severity < Severity[digest.below.upper()]


def latest_moment(school: SchoolConfig, now: datetime) -> datetime | None:
    """The latest digest time at or before `now` (aware, UTC); None with no digest set."""
    digest = school.monitoring.digest
    if digest is None:
        return None
    local = now.astimezone(school.tz)
    day = local.date() - timedelta(days=(local.weekday() - WEEKDAYS.index(digest.weekday)) % 7)
    moment = datetime.combine(day, digest.at, school.tz)
    if moment > now:
        moment = datetime.combine(day - WEEK, digest.at, school.tz)
    return moment.astimezone(UTC)


async def queue_due(
    session: AsyncSession, *, school: SchoolConfig, channels: Sequence[str], now: datetime
) -> int:
    """Queue this week's digest if its time has come and it has not been queued; how many
    outbox rows were queued (0: not due, queued already, or no alert held this week)."""
    moment = latest_moment(school, now)
    if moment is None:
        return 0
    rows = await session.execute(
        select(
            MonitoringAlert.provider,
            MonitoringAlert.severity,
            Report.category,
            Report.reference,
            Report.id,
        )
        .join(MonitoringGroup, MonitoringGroup.id == MonitoringAlert.group_id)
        .join(Report, Report.id == MonitoringGroup.report_id)
        .where(
            Report.case_status == HELD,
            Report.drill.is_(False),
            MonitoringAlert.received_at >= moment - WEEK,
            MonitoringAlert.received_at < moment,
        )
    )
    held = list(rows)
    if not held:
        return 0
    iso = moment.astimezone(school.tz).isocalendar()
    week = iso.year * 100 + iso.week
    about = {
        "week": f"{iso.year}-W{iso.week:02d}",
        "from": (moment - WEEK).isoformat(),
        "to": moment.isoformat(),
        "alerts": len(held),
        "providers": _counted(Counter(row.provider for row in held)),
        "categories": _counted(Counter(row.category or "" for row in held)),
        "severities": _counted(Counter(Severity(row.severity).name.lower() for row in held)),
        # (reference, report id): the references to read, and the View buttons' cases
        "cases": sorted({(row.reference, row.id) for row in held if row.reference}),
    }
    people = school.people_with(Role.DSL, Role.DEPUTY_DSL) or school.people_with(Role.HEADTEACHER)
    queued = await enqueue(
        session,
        report_id=None,
        conversation_id=week,  # the week, in the conversation's place: once per week
        emails=[p.email for p in people],
        channels=channels,
        kind=KIND,
        level=0,
        now=now,
        about=about,
    )
    if queued:
        await record_event(
            session,
            kind="monitoring_digest_queued",
            at=now,
            actor_email=None,
            detail={"week": about["week"], "alerts": len(held), "people": len(people)},
        )
    return queued


def _counted(counts: Counter[str]) -> list[list[Any]]:
    return [[name, n] for name, n in sorted(counts.items(), key=lambda i: (-i[1], i[0]))]


def messages(row: Outbox, school: SchoolConfig) -> list[Outbound]:
    """The digest as the team reads it: counts and references only."""
    about = row.about or {}
    start = datetime.fromisoformat(str(about.get("from"))).astimezone(school.tz)
    end = datetime.fromisoformat(str(about.get("to"))).astimezone(school.tz)
    below = school.monitoring.digest.below if school.monitoring.digest else "medium"
    text = strings.MONITORING_DIGEST_TEXT.format(
        n=about.get("alerts", 0),
        start=f"{start:%a} {start.day} {start:%b %Y}",
        end=f"{end:%a} {end.day} {end:%b %Y %H:%M}",
        below=below,
    )

    def lines(key: str, names: Mapping[str, str] | None = None) -> str:
        return "\n".join(
            f"{(names or {}).get(name, name) or strings.STATS_NONE}: {n}"
            for name, n in about.get(key, [])
        )

    fields = (
        CardField(strings.MONITORING_STATS_BY_PROVIDER, lines("providers")),
        CardField(strings.MONITORING_STATS_BY_CATEGORY, lines("categories")),
        CardField(
            strings.MONITORING_STATS_BY_SEVERITY,
            lines("severities", strings.MONITORING_SEVERITY_NAMES),
        ),
        CardField(
            strings.MONITORING_DIGEST_REFERENCES,
            ", ".join(reference for reference, _ in about.get("cases", [])),
        ),
    )
    views = tuple(
        Option(f"case:view:{report_id}", strings.MONITORING_DIGEST_VIEW.format(reference=ref))
        for ref, report_id in about.get("cases", [])[:VIEW_BUTTONS]
    )
    return [
        Card(
            card_id=f"monitoring-digest-{row.conversation_id}",
            title=strings.MONITORING_DIGEST_TITLE.format(week=about.get("week", "")),
            text=text,
            fields=fields,
            actions=views,
            footer=strings.MONITORING_DIGEST_FOOTER.format(below=below),
        )
    ]


async def send_monitoring_digest(context: CheckJobContext) -> int:
    """The scheduled job (every few minutes): queue the week's digest when it is due, then wake
    the dispatcher; how many outbox rows were queued."""
    async with context.sessions() as session, session.begin():
        # The event log's head first, as every transaction that records takes it: two
        # schedulers running this at once queue one after the other, and the second finds the
        # week's rows there already.
        await lock_head(session)
        queued = await queue_due(
            session,
            school=context.desk.school,
            channels=context.desk.channels,
            now=context.clock(),
        )
    if queued:
        context.dispatcher.wake()
    return queued
