"""Filing a monitoring provider's alert as a report of its own kind (`monitoring_alert`), which
alerts the DSL through the same outbox and escalation as every report.

Repeated alerts of one provider for the same account, category and hour are one report with a
count: the first files it and alerts the team; the rest add to its count and alert nobody. The
same alert id twice is a replay: refused, nothing stored. Both hold with several processes on
one database: unique keys decide (and the group's row is locked while its count changes), never
a read first.

A monitoring alert is about a pupil's account: it never names an adult at school, so it is
never an allegation and nobody is left out of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.alerts import AlertDesk
from bot.monitoring import digest
from bot.monitoring.provider_alert import ProviderAlert, Severity, UnreadableAlert
from bot.monitoring.rows import alert_rows, unreadable_rows
from bot.record.bindings import BINDING, binding_of
from bot.record.events import record_event
from bot.reports import kinds
from bot.reports.references import assign_reference
from bot.reports.service import AnswerRow, add_urgent_reasons
from storage.models import MonitoringAlert, MonitoringGroup, Report

URGENT_REASON = "highest_provider_severity"
CHANNEL = "monitoring"
_GROUPING = "monitoring group"


@dataclass(frozen=True)
class Filed:
    """What became of an alert: the report it is in, and how many alerts that report holds."""

    report_id: int
    reference: str
    count: int
    new: bool  # a report was filed (and the team alerted); False: added to one already filed
    alerted: bool = True  # something was queued for the team (False: only counted)


@dataclass(frozen=True)
class Replay:
    """The provider's id for this alert was received before: nothing was stored."""

    provider: str
    alert_id: str


@dataclass(frozen=True)
class AlertFiler:
    desk: AlertDesk

    async def file_provider_alert(
        self, session: AsyncSession, *, alert: ProviderAlert, now: datetime
    ) -> Filed | Replay:
        """File `alert`, or add it to its group's report; a replay stores nothing."""
        received = await _receive(session, alert.provider, alert.alert_id, alert.severity, now)
        if received is None:
            return Replay(alert.provider, alert.alert_id)
        hour = alert.occurred_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        key = self.desk.cipher.fingerprint(
            alert.provider,
            alert.user or "",
            alert.category.casefold(),
            hour.isoformat(),
            purpose=_GROUPING,
        )
        group, first = await _join_group(session, key, alert.provider, hour, now)
        received.group_id = group.id
        if first:
            report = await self._file(
                session, alert=alert, rows=alert_rows(alert, self.desk.school.tz), now=now
            )
            group.report_id = report.id
            if digest.holds(self.desk.school, alert.severity):  # for the weekly digest only
                report.case_status = digest.HELD
                # In its chronology: why nobody was alerted (the school file said to wait).
                await record_event(
                    session,
                    kind="held_for_digest",
                    at=now,
                    actor_email=None,
                    report_id=report.id,
                    detail={"severity": int(alert.severity)},
                )
                return Filed(report.id, report.reference or "", 1, new=True, alerted=False)
            await self.desk.raise_alert(session, report=report, now=now)
            return Filed(report.id, report.reference or "", 1, new=True)
        filed = await session.get(Report, group.report_id)
        assert filed is not None  # the group's first alert filed it, in the same transaction
        critical = alert.severity == Severity.CRITICAL and not filed.urgent
        # A later alert of a group held for the digest, graded above it: the team is told now.
        raised = filed.case_status == digest.HELD and not digest.holds(
            self.desk.school, alert.severity
        )
        if critical:
            # A later alert of the group graded at the provider's highest: urgent from now on.
            await add_urgent_reasons(
                session,
                report_id=filed.id,
                reasons=[URGENT_REASON],
                actor_email=filed.reporter_email,
                now=now,
            )
        if critical or raised:
            await self.desk.raise_alert(session, report=filed, now=now)
            return Filed(filed.id, filed.reference or "", group.count, new=False)
        return Filed(filed.id, filed.reference or "", group.count, new=False, alerted=False)

    async def file_unreadable(
        self, session: AsyncSession, *, unreadable: UnreadableAlert, now: datetime
    ) -> Filed | Replay:
        """Keep an e-mail the bot could not read as a report of its subject only, flagged
        "could not read: please check the provider's console"; each is a report of its own."""
        provider = unreadable.provider or "unknown"
        received = await _receive(session, provider, unreadable.message_id, Severity.HIGH, now)
        if received is None:
            return Replay(provider, unreadable.message_id)
        key = self.desk.cipher.fingerprint(provider, unreadable.message_id, purpose=_GROUPING)
        hour = unreadable.received_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        group, _first = await _join_group(session, key, provider, hour, now)
        received.group_id = group.id
        alert = ProviderAlert(
            provider=provider,
            alert_id=unreadable.message_id,
            severity=Severity.HIGH,
            provider_severity="",
            category="unreadable",
            user=None,
            device=None,
            occurred_at=unreadable.received_at,
        )
        report = await self._file(session, alert=alert, rows=unreadable_rows(unreadable), now=now)
        group.report_id = report.id
        await self.desk.raise_alert(session, report=report, now=now)
        return Filed(report.id, report.reference or "", 1, new=True)

    async def _file(
        self, session: AsyncSession, *, alert: ProviderAlert, rows: list[AnswerRow], now: datetime
    ) -> Report:
        urgent = alert.severity == Severity.CRITICAL
        report = Report(
            kind=kinds.MONITORING_ALERT.id,
            status="submitted",
            reporter_email=f"{alert.provider} (monitoring provider)",
            channel=CHANNEL,
            flow_id=kinds.MONITORING_ALERT.id,
            flow_version=1,
            category=alert.category or None,
            urgent=urgent,
            urgent_reasons=[URGENT_REASON] if urgent else None,
            allegation=False,  # about a pupil's account: never an adult at school
            allegation_about_head=False,
            created_at=now,
            updated_at=now,
            submitted_at=now,
        )
        await assign_reference(session, report)
        answers = {row.step: row.answer for row in rows}
        self.desk.cipher.seal(
            report, "answers_enc", {"answers": answers, "rows": [r.__dict__ for r in rows]}
        )
        await record_event(
            session,
            kind="submitted",
            at=now,
            actor_email=None,
            report_id=report.id,
            # codes and names only: the account, device and description stay encrypted
            detail={
                "kind": report.kind,
                "category": report.category,
                "provider": alert.provider,
                "severity": int(alert.severity),
                BINDING: binding_of(report),
            },
        )
        return report


async def _receive(
    session: AsyncSession, provider: str, alert_id: str, severity: Severity, now: datetime
) -> MonitoringAlert | None:
    """Record the alert's id; None when it was received before (the unique key says so)."""
    received = MonitoringAlert(
        provider=provider, alert_id=alert_id, severity=int(severity), received_at=now
    )
    try:
        async with session.begin_nested():
            session.add(received)
    except IntegrityError:
        return None
    return received


async def _join_group(
    session: AsyncSession, key: str, provider: str, hour: datetime, now: datetime
) -> tuple[MonitoringGroup, bool]:
    """The group with this key, locked, its count taken up by one; True when this alert
    started it. Two processes starting one group at once: the unique key lets one insert, the
    other waits for it and then joins its group."""
    group = await _locked(session, key)
    if group is None:
        group = MonitoringGroup(
            group_key=key, provider=provider, hour=hour, count=1, first_at=now, last_at=now
        )
        try:
            async with session.begin_nested():
                session.add(group)
        except IntegrityError:
            group = await _locked(session, key)
        else:
            return group, True
    assert group is not None
    group.count += 1
    group.last_at = now
    return group, False


async def _locked(session: AsyncSession, key: str) -> MonitoringGroup | None:
    return await session.scalar(
        select(MonitoringGroup)
        .where(MonitoringGroup.group_key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
