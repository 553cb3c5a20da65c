"""A check with a category not blocked files a filtering report at once, as a member of staff's
filtering report is filed: the same flow's answers (so the DSL's card, the ICT contacts' card
and the case read as any filtering report does), linked to the check, alerted through the same
outbox and escalation. Urgent when the category is illegal content (CSAM, terrorism)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.alerts import AlertDesk
from bot.monitoring.checks import FAILED, category
from bot.reports.service import AnswerRow, submit_report
from bot.words import strings
from dialogs.datetimes import store_moment
from dialogs.display import display_value
from dialogs.model import FlowSpec
from storage.models import FilteringCheck, Report

URGENT_REASON = "illegal_content_not_blocked"


def report_answers(
    spec: FlowSpec, check: FilteringCheck, typed: Mapping[str, str], labels: Mapping[str, str]
) -> dict[str, Any]:
    """The filtering report's answers, for the steps the school's filtering flow has."""
    failed = [c for c, result in check.results.items() if result == FAILED]
    names = [found.name if (found := category(c)) is not None else c for c in failed]
    illegal = any((found := category(c)) is not None and found.illegal for c in failed)
    wanted: dict[str, Any] = {
        "problem": "harmful_through",
        "possibly_illegal": "yes" if illegal else "no",
        "device_room": f"{typed.get('device', '')}, {typed.get('location', '')}",
        "address": strings.CHECK_REPORT_ADDRESS.format(
            categories="; ".join(names), test=labels.get(check.test, check.test)
        ),
        "happened_at": store_moment(check.checked_at),
        "what_seen": strings.CHECK_REPORT_SEEN.format(
            categories="; ".join(names),
            group=labels.get(check.user_group, check.user_group),
        ),
        "actions_taken": typed.get("action", ""),
    }
    answers = {}
    for step_id, value in wanted.items():
        if not spec.has_step(step_id):
            continue
        step = spec.step(step_id)
        if step.options and value not in step.values():
            continue  # a school's own flow without this option: left unanswered
        answers[step_id] = value
    return answers


async def file_failed_check(
    session: AsyncSession,
    *,
    desk: AlertDesk,
    flow: FlowSpec,
    check: FilteringCheck,
    typed: Mapping[str, str],
    labels: Mapping[str, str],
) -> Report:
    """File the filtering report for a check with a category not blocked, link it to the
    check, and alert (the DSL and deputies, and the ICT contacts' card), in the caller's
    transaction."""
    answers = report_answers(flow, check, typed, labels)
    rows = [
        AnswerRow(
            step_id,
            flow.step(step_id).prompt,
            flow.step(step_id).label,
            display_value(flow.step(step_id), value, desk.school.tz),
        )
        for step_id, value in answers.items()
    ]
    illegal = answers.get("possibly_illegal") == "yes" or any(
        (found := category(c)) is not None and found.illegal
        for c, result in check.results.items()
        if result == FAILED
    )
    filed = await submit_report(
        session,
        cipher=desk.cipher,
        flow=flow,
        reporter_email=check.checked_by,
        channel=check.channel,
        answers=answers,
        rows=rows,
        # Not "possibly_illegal": a test page on the IWF or CTIRU list is no material a pupil
        # saw, so no concern about a child is filed with it; the report itself is urgent.
        signals=["urgent"] if illegal else [],
        urgent_reasons=[URGENT_REASON] if illegal else [],
        report_id=None,
        now=check.checked_at,
    )
    check.report_id = filed.report.id
    await desk.raise_alert(session, report=filed.report, now=check.checked_at)
    return filed.report
