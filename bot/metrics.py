"""Prometheus metrics at /metrics: timings observed as they happen, counts read at scrape time.

Each school's part has its own registry (tests build many bots in one process). The only labels
are kind, status, channel and academic_year, and in a trust's deployment school (the school's
key in the trust file): no report content, no names, nothing personal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import AuditCampaign, AuditMessage, AuditParticipant, Event, Outbox, Report

PREFIX = "osbot"
TURN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5)
DELIVERY_BUCKETS = (0.5, 1.0, 2.5, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
ACK_BUCKETS = (60.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0, 14400.0, 86400.0)


@dataclass
class _Counts:
    """What the last scrape read from the database."""

    reports: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, status)
    pending: dict[str, int] = field(default_factory=dict)  # channel
    escalations: int = 0
    audit_sent: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, channel)
    audit_people: dict[tuple[str, str], int] = field(default_factory=dict)  # (year, status)


class _DatabaseCollector(Collector):
    def __init__(self) -> None:
        self.counts = _Counts()
        self.leading: Callable[[], bool] | None = None

    def collect(self) -> Iterable[Metric]:
        reports = GaugeMetricFamily(
            f"{PREFIX}_reports",
            "Reports stored, by kind and status.",
            labels=["kind", "status"],
        )
        for (kind, status), n in sorted(self.counts.reports.items()):
            reports.add_metric([kind, status], n)
        pending = GaugeMetricFamily(
            f"{PREFIX}_alerts_pending",
            "Outbox messages (alerts and case updates) waiting to be delivered, by channel.",
            labels=["channel"],
        )
        for channel, n in sorted(self.counts.pending.items()):
            pending.add_metric([channel], n)
        escalations = CounterMetricFamily(
            f"{PREFIX}_escalations",
            "Escalation steps queued for unacknowledged cases (events of kind 'escalated').",
            value=self.counts.escalations,
        )
        sent = CounterMetricFamily(
            f"{PREFIX}_audit_messages_sent",
            "Self-audit invitations and reminders delivered, by kind and channel.",
            labels=["kind", "channel"],
        )
        for (kind, channel), n in sorted(self.counts.audit_sent.items()):
            sent.add_metric([kind, channel], n)
        people = GaugeMetricFamily(
            f"{PREFIX}_audit_participants",
            "Staff asked in each year's self-audit, by where they are: invited (not yet "
            "started), started, finished.",
            labels=["academic_year", "status"],
        )
        for (year, status), n in sorted(self.counts.audit_people.items()):
            people.add_metric([year, status], n)
        families: list[Metric] = [reports, pending, escalations, sent, people]
        if self.leading is not None:
            families.append(
                GaugeMetricFamily(
                    f"{PREFIX}_scheduler_leader",
                    "1 while this process runs the scheduled jobs (one process at a time).",
                    value=1 if self.leading() else 0,
                )
            )
        return families


class BotMetrics:
    """One bot's metrics: hook it to the router and dispatcher, then serve `add_routes`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.registry = CollectorRegistry(auto_describe=False)
        self.turn_seconds = Histogram(
            f"{PREFIX}_turn_seconds",
            "Time to handle one inbound message (a turn), in seconds.",
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self.delivery_seconds = Histogram(
            f"{PREFIX}_alert_delivery_seconds",
            "Outbox messages: time from being queued to being delivered, in seconds.",
            labelnames=["channel", "kind"],
            buckets=DELIVERY_BUCKETS,
            registry=self.registry,
        )
        self.acknowledgement_seconds = Histogram(
            f"{PREFIX}_acknowledgement_seconds",
            "Cases: time from the first alert to acknowledgement, in seconds.",
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self._database = _DatabaseCollector()
        self.registry.register(self._database)
        self._acknowledged: set[int] = set()  # report ids already observed

    def report_leadership(self, leading: Callable[[], bool]) -> None:
        """Show whether this process runs the scheduled jobs (only roles that may)."""
        self._database.leading = leading

    def turn_timed(self, seconds: float) -> None:
        """A turn took `seconds` (the router calls it with every turn)."""
        self.turn_seconds.observe(seconds)

    def delivered(self, row: Outbox) -> None:
        """The dispatcher marked `row` sent."""
        if row.sent_at is None:
            return
        latency = (row.sent_at - row.created_at).total_seconds()
        self.delivery_seconds.labels(channel=row.channel, kind=row.kind).observe(max(latency, 0))

    async def render(self) -> bytes:
        """Read the counts in one short transaction, then write the text exposition."""
        await self.refresh()
        # Nothing awaited since refresh's update: concurrent scrapes cannot interleave.
        return generate_latest(self.registry)

    async def refresh(self) -> None:
        """Read the counts in one short transaction (the school's records only), and take them
        in one step with nothing awaited, so that a caller writing them out at once (`render`,
        TrustMetrics) writes the counts of one scrape."""
        async with self.sessions() as session, session.begin():
            by_kind = await session.execute(
                select(Report.kind, Report.status, func.count())
                .where(Report.drill.is_(False))  # drills are no reports (bot/cases/drills.py)
                .group_by(Report.kind, Report.status)
            )
            reports = {(kind, status): n for kind, status, n in by_kind.all()}
            by_channel = await session.execute(
                select(Outbox.channel, func.count())
                .where(Outbox.status == "pending")
                .group_by(Outbox.channel)
            )
            pending = {channel: n for channel, n in by_channel.all()}
            escalations = await session.scalar(
                select(func.count())
                .select_from(Event)
                .join(Report, Report.id == Event.report_id)
                .where(Event.kind == "escalated", Report.drill.is_(False))
            )
            acknowledged = await session.execute(
                select(Report.id, Report.alerted_at, Report.acknowledged_at).where(
                    Report.acknowledged_at.is_not(None),
                    Report.alerted_at.is_not(None),
                    Report.drill.is_(False),
                )
            )
            acks = list(acknowledged.all())
            audit_sent = await session.execute(
                select(AuditMessage.kind, AuditMessage.channel, func.count())
                .join(AuditCampaign, AuditCampaign.id == AuditMessage.campaign_id)
                .where(AuditMessage.status == "sent", AuditCampaign.kind == "audit")
                .group_by(AuditMessage.kind, AuditMessage.channel)
            )
            audit_people = await session.execute(
                select(AuditCampaign.academic_year, AuditParticipant.status, func.count())
                .join(AuditCampaign, AuditCampaign.id == AuditParticipant.campaign_id)
                .where(AuditCampaign.kind == "audit")  # briefings are not the self-audit
                .group_by(AuditCampaign.academic_year, AuditParticipant.status)
            )
            sent = {(kind, channel): n for kind, channel, n in audit_sent.all()}
            people = {(year, status): n for year, status, n in audit_people.all()}
        self._database.counts = _Counts(reports, pending, escalations or 0, sent, people)
        for report_id, alerted_at, acknowledged_at in acks:
            if report_id in self._acknowledged or alerted_at is None or acknowledged_at is None:
                continue
            self._acknowledged.add(report_id)
            waited = (acknowledged_at - alerted_at).total_seconds()
            self.acknowledgement_seconds.observe(max(waited, 0))

    def add_routes(self, app: web.Application) -> None:
        """GET /metrics: no login (Prometheus scrapes it); it holds no personal data."""
        _serve(app, self.render)


class TrustMetrics:
    """A trust's deployment's metrics: each school's (its part's BotMetrics, fed by its own
    router and dispatcher), every series labelled `school` with the school's key.

    `schools` is asked at each scrape, not once: a reload (bot/reload.py) swaps in parts made
    anew, whose timings start again from zero, as a restart's would (Prometheus takes a counter
    going down for a reset)."""

    def __init__(self, schools: Callable[[], Mapping[str, BotMetrics]]) -> None:
        self.schools = schools
        self.leading: Callable[[str], bool] | None = None

    def report_leadership(self, leading: Callable[[str], bool]) -> None:
        """Show, for each school by its key, whether this process runs its scheduled jobs: each
        school has a leader of its own."""
        self.leading = leading

    async def render(self) -> bytes:
        schools = dict(self.schools())
        for metrics in schools.values():
            await metrics.refresh()
        # Each school's counts are of one moment, its own transaction's (a scrape refreshing it
        # meanwhile only makes them newer); with no await from here on, they are written whole.
        merged: dict[str, Metric] = {}
        for key, metrics in schools.items():
            for family in metrics.registry.collect():
                into = merged.setdefault(
                    family.name, Metric(family.name, family.documentation, family.type)
                )
                into.samples += [_labelled(sample, key) for sample in family.samples]
        if self.leading is not None:
            leader = GaugeMetricFamily(
                f"{PREFIX}_scheduler_leader",
                "1 while this process runs the school's scheduled jobs (one process at a time).",
                labels=["school"],
            )
            for key in schools:
                leader.add_metric([key], 1 if self.leading(key) else 0)
            merged[leader.name] = leader
        return generate_latest(_Families(list(merged.values())))

    def add_routes(self, app: web.Application) -> None:
        """GET /metrics, as a deployment of one school serves it, with every school's series."""
        _serve(app, self.render)


def _labelled(sample: Sample, key: str) -> Sample:
    # One family holds every school's series, told apart by this label alone.
    return sample._replace(labels={**sample.labels, "school": key})


@dataclass(frozen=True)
class _Families(Collector):
    """Families already collected, written out as they are."""

    families: list[Metric]

    def collect(self) -> Iterable[Metric]:
        return self.families


def _serve(app: web.Application, render: Callable[[], Awaitable[bytes]]) -> None:
    async def metrics(_request: web.Request) -> web.Response:
        body = await render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})

    app.router.add_get("/metrics", metrics)
