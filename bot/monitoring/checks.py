"""The ICT lead's filtering checks (DfE filtering and monitoring standards: check that filtering
works, and record the checks): recording one from its flow's answers, reading them back for the
`checks` command and the annual review, and the spreadsheet of every check.

The results are codes per test category (bot/monitoring/checks_categories.yaml); what was typed
(the device, the location, the action taken) is sealed, as report text is."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.spreadsheets import safe_cell
from bot.record.events import record_event
from bot.words import strings
from dialogs.errors import FlowError
from dialogs.model import FlowSpec
from dialogs.purposes import CHECK_RESULT_PREFIX
from dialogs.text import shown_text
from storage.crypto import Cipher, CipherError
from storage.models import FilteringCheck, Report

FAILED = "not_blocked"
NOT_TESTED = "not_tested"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    illegal: bool
    source: str


@cache
def categories() -> tuple[Category, ...]:
    """The test categories, as shipped (checks_categories.yaml); read once."""
    text = resources.files("bot.monitoring").joinpath("checks_categories.yaml").read_text("utf-8")
    return tuple(Category(**entry) for entry in yaml.safe_load(text)["categories"])


def category(category_id: str) -> Category | None:
    return next((c for c in categories() if c.id == category_id), None)


def result_steps(spec: FlowSpec) -> dict[str, str]:
    """A check flow's result steps: step id -> the category it asks about."""
    return {
        step.id: step.id.removeprefix(CHECK_RESULT_PREFIX)
        for step in spec.steps
        if step.id.startswith(CHECK_RESULT_PREFIX)
    }


def check_categories(spec: FlowSpec, source: str) -> None:
    """Every result step of the check flow names a known category (so whether its failure is
    illegal content, and urgent, is known); raises FlowError naming the step, so the bot
    refuses to start as for any flow that would misbehave."""
    known = {c.id for c in categories()}
    for step_id, category_id in result_steps(spec).items():
        if category_id not in known:
            raise FlowError(
                f"{source}: step {step_id!r}: {category_id!r} is not a test category of "
                f"bot/monitoring/checks_categories.yaml (known: {', '.join(sorted(known))})"
            )


@dataclass(frozen=True)
class CheckRecord:
    """One recorded check, as the `checks` command, the spreadsheet and the review read it."""

    id: int
    checked_at: datetime
    checked_by: str
    user_group: str  # the option's value
    test: str  # the option's value
    results: dict[str, str]  # category id -> blocked | not_blocked | not_tested
    device: str
    location: str
    action: str
    report_id: int | None
    report_reference: str | None

    @property
    def failed(self) -> list[str]:
        return [c for c, result in self.results.items() if result == FAILED]


async def record_check(
    session: AsyncSession,
    *,
    cipher: Cipher,
    spec: FlowSpec,
    answers: Mapping[str, Any],
    email: str,
    channel: str,
    now: datetime,
) -> FilteringCheck:
    """Store a check from its flow's answers (a result not given counts as not tested)."""
    results = {
        category_id: str(answers.get(step_id) or NOT_TESTED)
        for step_id, category_id in result_steps(spec).items()
    }
    check = FilteringCheck(
        checked_at=now,
        checked_by=email,
        channel=channel,
        flow_version=spec.version,
        user_group=str(answers.get("user_group") or ""),
        test=str(answers.get("test") or ""),
        results=results,
        failed=FAILED in results.values(),
    )
    session.add(check)
    await session.flush()
    typed = {key: str(answers.get(key) or "") for key in ("device", "location", "action")}
    cipher.seal(check, "text_enc", typed)
    await record_event(
        session,
        kind="filtering_check_recorded",
        at=now,
        actor_email=email,
        detail={"check_id": check.id, "results": results},  # codes only
    )
    return check


async def checks_between(
    session: AsyncSession,
    *,
    first: date,
    last: date,
    cipher: Cipher | None = None,
    tz: tzinfo = UTC,
) -> list[CheckRecord]:
    """The checks recorded from `first` to `last` (both included, days in `tz`), oldest first.
    Without `cipher`, the typed text (device, location, action) is left empty: the results,
    who and when are enough for figures (the annual review)."""
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    rows = await session.execute(
        select(FilteringCheck, Report.reference)
        .outerjoin(Report, Report.id == FilteringCheck.report_id)
        .where(FilteringCheck.checked_at >= start, FilteringCheck.checked_at < end)
        .order_by(FilteringCheck.checked_at, FilteringCheck.id)
    )
    return [_record(cipher, check, reference) for check, reference in rows]


async def recent_checks(session: AsyncSession, *, cipher: Cipher, limit: int) -> list[CheckRecord]:
    """The latest `limit` checks, newest first."""
    rows = await session.execute(
        select(FilteringCheck, Report.reference)
        .outerjoin(Report, Report.id == FilteringCheck.report_id)
        .order_by(FilteringCheck.checked_at.desc(), FilteringCheck.id.desc())
        .limit(limit)
    )
    return [_record(cipher, check, reference) for check, reference in rows]


def _record(cipher: Cipher | None, check: FilteringCheck, reference: str | None) -> CheckRecord:
    try:
        typed = cipher.open(check, "text_enc") or {} if cipher is not None else {}
    except CipherError:  # moved or altered: shown as unreadable, never as another row's text
        typed = {key: strings.CHECK_TEXT_UNREADABLE for key in ("device", "location", "action")}
    return CheckRecord(
        id=check.id,
        checked_at=check.checked_at,
        checked_by=check.checked_by,
        user_group=check.user_group,
        test=check.test,
        results=dict(check.results),
        device=shown_text(str(typed.get("device", ""))),
        location=shown_text(str(typed.get("location", ""))),
        action=shown_text(str(typed.get("action", ""))),
        report_id=check.report_id,
        report_reference=reference,
    )


def checks_csv(
    records: Iterable[CheckRecord],
    *,
    labels: Mapping[str, str],
    names: Mapping[str, str],
    tz: tzinfo = UTC,
) -> bytes:
    """Every check, one row each: date, who, device, group, location, test, each category's
    result, the action, the report filed. UTF-8 with a byte-order mark (Excel), CRLF lines, no
    cell a spreadsheet would run as a formula. `labels`: option value -> words (the flow's and
    the results'); `names`: e-mail -> name (the school file)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    cats = categories()
    writer.writerow(
        (
            "Date",
            "Time",
            "Checked by",
            "Email",
            "Device",
            "User group",
            "Location",
            "Test",
            *(c.name for c in cats),
            "Action taken",
            "Report",
        )
    )
    for record in records:
        local = record.checked_at.astimezone(tz)
        row = (
            local.date().isoformat(),
            local.strftime("%H:%M"),
            names.get(record.checked_by, ""),
            record.checked_by,
            record.device,
            labels.get(record.user_group, record.user_group),
            record.location,
            labels.get(record.test, record.test),
            *(labels.get(record.results.get(c.id, ""), "") for c in cats),
            record.action,
            record.report_reference or "",
        )
        writer.writerow([safe_cell(cell) for cell in row])
    return (BOM + out.getvalue()).encode()
