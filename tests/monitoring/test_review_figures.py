"""The annual review's figures from every source: the providers' alerts of the year (by provider
and severity, grouped, urgent, false positives, time to acknowledge) and the ICT lead's
filtering checks (how many, how many failed, which categories, the last), drills never counted;
shown in the questions' hints and under their own heading in the document for governors."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

from bot.delivery.messages import Card
from bot.monitoring import review
from bot.monitoring.false_positive import KIND as FALSE_POSITIVE
from bot.monitoring.provider_alert import Severity
from bot.monitoring.review_figures import review_period, year_figures
from bot.record.events import record_event
from bot.words import strings
from storage.models import FilteringCheck, MonitoringAlert, MonitoringGroup, Report
from tests.support.harness import Chat
from tests.support.notifiers import RecordingChannel

DSL = "a.hartley@example.org"
ICT = "r.adeyemi@example.org"
# 15 September 2026, 09:00 in London (BST): the example's review day; the year is
# 15/09/2025 00:00 BST (14/09/2025 23:00 UTC) to 15/09/2026 00:00 BST.
REVIEW_DAY = datetime(2026, 9, 15, 8, 0, tzinfo=UTC)
INSIDE = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday, in school hours
BEFORE = datetime(2025, 9, 10, 10, 0, tzinfo=UTC)


def _alert_report(at: datetime, **fields: object) -> Report:
    return Report(
        kind="monitoring_alert",
        status="submitted",
        reporter_email="smoothwall (monitoring provider)",
        channel="monitoring",
        flow_id="monitoring_alert",
        flow_version=1,
        created_at=at,
        updated_at=at,
        submitted_at=at,
        alerted_at=at,
        **fields,
    )


async def _group(session, report: Report, provider: str, severity: Severity, count: int) -> None:
    """A report and the `count` alerts grouped into it, as bot/monitoring/filing.py stores them."""
    session.add(report)
    await session.flush()
    at = report.submitted_at
    assert at is not None
    group = MonitoringGroup(
        group_key=f"key-{report.id}",
        provider=provider,
        hour=at.replace(minute=0),
        report_id=report.id,
        count=count,
        first_at=at,
        last_at=at,
    )
    session.add(group)
    await session.flush()
    session.add_all(
        MonitoringAlert(
            provider=provider,
            alert_id=f"{report.id}-{n}",
            severity=int(severity),
            group_id=group.id,
            received_at=at + timedelta(seconds=n),
        )
        for n in range(count)
    )


def _check(at: datetime, **results: str) -> FilteringCheck:
    every = {"csam": "blocked", "terrorism": "blocked", "adult": "blocked"} | results
    return FilteringCheck(
        checked_at=at,
        checked_by=ICT,
        channel="test",
        flow_version=1,
        user_group="pupils",
        test="testfiltering",
        results=every,
        failed="not_blocked" in every.values(),
    )


async def _seed(bot) -> None:
    """Known rows inside the review year, either side of it, and drills."""
    async with bot.router.sessions() as session, session.begin():
        grouped = _alert_report(INSIDE, acknowledged_at=INSIDE + timedelta(minutes=10))
        await _group(session, grouped, "smoothwall", Severity.HIGH, 3)
        urgent = _alert_report(INSIDE, urgent=True, acknowledged_at=INSIDE + timedelta(minutes=2))
        await _group(session, urgent, "senso", Severity.CRITICAL, 1)
        await _group(session, _alert_report(BEFORE), "smoothwall", Severity.LOW, 2)
        drill = _alert_report(INSIDE, drill=True, urgent=True)
        await _group(session, drill, "smoothwall", Severity.MEDIUM, 1)
        for marked in (grouped, drill):
            await record_event(
                session, kind=FALSE_POSITIVE, at=INSIDE, actor_email=DSL, report_id=marked.id
            )
        session.add_all(
            [
                # 00:30 on 15/09/2025 in London: the year's first day.
                _check(datetime(2025, 9, 14, 23, 30, tzinfo=UTC), adult="not_blocked"),
                _check(INSIDE),
                _check(
                    datetime(2026, 6, 10, 9, 0, tzinfo=UTC),
                    adult="not_blocked",
                    self_harm="not_blocked",
                ),
                # 23:30 on 14/09/2025 in London: the year before.
                _check(datetime(2025, 9, 14, 22, 30, tzinfo=UTC), csam="not_blocked"),
                # 00:30 on 15/09/2026 in London: the next review's.
                _check(datetime(2026, 9, 14, 23, 30, tzinfo=UTC), terrorism="not_blocked"),
            ]
        )


ALERT_FIGURES = {
    "alerts_received": "4",
    "alerts_by_provider": "smoothwall 3, senso 1",
    "alerts_by_severity": "critical 1, high 3",
    "reports_monitoring_alert": "2",
    "alerts_grouped": "1 (3 alerts)",
    "alerts_urgent": "1",
    "alerts_false_positive": "1",
    # The median of 10 and 2 minutes, in school hours.
    "alerts_acknowledge": "6 min (in hours), — (out of hours)",
}
CHECK_FIGURES = {
    "checks": "3",
    "checks_failed": "2",
    "checks_failed_categories": "Adult content (pornography) 2, Self-harm and suicide 1",
    "checks_last": "10/06/2026",
}


async def test_the_years_alerts_and_checks_are_counted_and_drills_are_not(make_bot) -> None:
    bot = await make_bot()
    await _seed(bot)
    async with bot.router.sessions() as session:
        figures = await year_figures(session, review_period(bot.school, 2026))
    values = {figure.key: figure.value for figure in figures}
    sections = {figure.key: figure.section for figure in figures}
    assert {key: values.get(key) for key in ALERT_FIGURES} == ALERT_FIGURES
    assert {key: values.get(key) for key in CHECK_FIGURES} == CHECK_FIGURES
    assert {sections[key] for key in ALERT_FIGURES} == {"alerts"}
    assert {sections[key] for key in CHECK_FIGURES} == {"checks"}
    assert values["filtering_reports"] == "0"  # the drill is no filtering report either


async def test_an_empty_year_says_none_recorded(make_bot) -> None:
    bot = await make_bot()
    async with bot.router.sessions() as session:
        figures = await year_figures(session, review_period(bot.school, 2026))
    values = {figure.key: figure.value for figure in figures}
    assert values["checks"] == values["alerts_received"] == "0"
    assert values["checks_last"] == values["alerts_by_provider"] == strings.REVIEW_NO_FIGURES
    assert values["checks_failed_categories"] == strings.REVIEW_NO_FIGURES


def _labelled(figures: dict[str, str]) -> list[str]:
    labels = {
        "alerts_received": strings.REVIEW_FIG_ALERTS,
        "alerts_by_provider": strings.REVIEW_FIG_ALERTS_PROVIDER,
        "alerts_by_severity": strings.REVIEW_FIG_ALERTS_SEVERITY,
        "reports_monitoring_alert": 'Reports of the kind "monitoring alert"',
        "alerts_grouped": strings.REVIEW_FIG_ALERTS_GROUPED,
        "alerts_urgent": strings.REVIEW_FIG_ALERTS_URGENT,
        "alerts_false_positive": strings.REVIEW_FIG_ALERTS_FALSE_POSITIVE,
        "alerts_acknowledge": strings.REVIEW_FIG_ALERTS_ACKNOWLEDGE,
        "checks": strings.REVIEW_FIG_CHECKS,
        "checks_failed": strings.REVIEW_FIG_CHECKS_FAILED,
        "checks_failed_categories": strings.REVIEW_FIG_CHECKS_CATEGORIES,
        "checks_last": strings.REVIEW_FIG_CHECKS_LAST,
    }
    return [f"{labels[key]}: {value}" for key, value in figures.items()]


def _under(html: str, heading: str) -> str:
    """The text of the document from `heading` to the next heading."""
    part = html.split(f">{heading}</h3>", 1)[1]
    part = re.split(r"<h[123]>", part, maxsplit=1)[0]
    text = re.sub(r"</t[hd]><td>", ": ", part)
    return unescape(re.sub(r"<[^>]+>", "\n", text))


async def test_the_questions_show_them_and_the_document_has_them_under_their_heading(
    make_bot, clock
) -> None:
    channel = RecordingChannel()
    bot = await make_bot(notifiers={"test": channel})
    await _seed(bot)
    clock.now = REVIEW_DAY
    assert bot.audit is not None and bot.audit.filtering_review is not None
    await bot.audit.filtering_review()
    async with bot.router.sessions() as session:
        found = await review.review_for(session, 2026)
    assert found is not None
    chat = Chat(bot, DSL, channel="test")
    await chat.click(f"fmreview:start:{found.id}", token=None)
    while chat.step != "checks":
        await chat.send("Answered.")
    hint = chat.question.hint or ""
    for line in _labelled(CHECK_FIGURES):
        assert line in hint
    assert strings.REVIEW_FIG_ALERTS not in hint
    await chat.send("Three checks; adult content was fixed in June.")
    assert chat.step == "reports"
    hint = chat.question.hint or ""
    for line in _labelled(ALERT_FIGURES):
        assert line in hint
    assert strings.REVIEW_FIG_CHECKS not in hint
    while chat.step != "summary":
        await chat.send("Answered.")
    await chat.click("__submit")
    (card,) = [r for r in chat.replies if isinstance(r, Card) and r.attachments]
    files = {a.filename: a for a in card.attachments}
    html = files["filtering-review-2026.html"].data.decode()
    alerts = _under(html, strings.REVIEW_DOC_FIG_ALERTS)
    checks = _under(html, strings.REVIEW_DOC_FIG_CHECKS)
    staff = _under(html, strings.REVIEW_DOC_FIG_REPORTS)
    for line in _labelled(ALERT_FIGURES):
        assert line in alerts
    for line in _labelled(CHECK_FIGURES):
        assert line in checks
    assert strings.REVIEW_FIG_CHECKS not in alerts + staff
    assert strings.REVIEW_FIG_ALERTS not in checks + staff
    assert files["filtering-review-2026.pdf"].data.startswith(b"%PDF-")
    # The review pack: the year's checks as the spreadsheet `checks` sends, beside the document.
    rows = list(
        csv.reader(io.StringIO(files["filtering-checks-2026.csv"].data.decode("utf-8-sig")))
    )
    assert [row[0] for row in rows[1:]] == ["2025-09-15", "2026-03-03", "2026-06-10"]
    link = files["filtering-checks-2026.csv"].link
    assert link is not None and link.path == "/api/web/filtering-review/2026/checks.csv"
